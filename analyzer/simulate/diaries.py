"""Runners who follow a plan (or do not): their runs, their training diary and the truth.

A :class:`FollowUpProfile` takes an athlete with an injected balance shift, starts a plan in a
given week, and decides three things: how many planned sessions the runner logs (adherence),
whether the shift fades after the plan started (linearly to nothing over ``fade_weeks``, from
:data:`FADE_DELAY_WEEKS` after the start) or stays, and whether pain is logged (none, or a knee
pain that rises session after session until running is reduced). The diary rows are in the
columns of :data:`analyzer.store.diary.CSV_COLUMNS`. The fade is an assumption of the
simulation, made so the "did it work?" comparison has something to find; nothing here claims
that exercises make shifts fade.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from analyzer.simulate.history import (
    AthleteProfile,
    draw_gait,
    ground_truth,
    plan_history,
)
from analyzer.simulate.model import SimulatedRun, simulate_run

#: Weeks after the plan's start before a fading shift starts to fade (simulation assumption).
FADE_DELAY_WEEKS = 1
#: Sessions a week the simulated plans ask for, on these weekdays (Mon, Wed, Fri).
PLAN_DAYS = (0, 2, 4)
#: The plan's exercises in the simulated diary (the balance plan's first four).
PLAN_EXERCISES = ("banded_side_step", "lateral_band_walks", "clamshell", "side_leg_raises")
DIARY_COLUMNS = (
    "kind", "athlete", "date", "exercise", "sets", "reps", "seconds", "side", "feel", "pain",
    "body_part", "running", "resolved", "note",
)  # fmt: skip


@dataclass(frozen=True)
class FollowUpProfile:
    """A simulated runner's plan, adherence, what the shift does and what pain is logged.

    Parameters
    ----------
    athlete : AthleteProfile
        With a :class:`~analyzer.simulate.history.BalanceShift` among its conditions.
    plan_week : int
        Week (1-based) whose Monday the plan starts on.
    adherence : float
        Share of planned sessions the runner does and logs (0 = nothing).
    fade_weeks : int or None
        Weeks over which the shift fades to nothing; None = it stays.
    pain : str
        ``"none"`` or ``"rising"`` (knee pain 1, 2, 3... per logged session, running reduced
        from 5 on).
    """

    athlete: AthleteProfile
    plan_week: int
    adherence: float = 0.8
    fade_weeks: int | None = 4
    pain: str = "none"

    @property
    def plan_start(self):
        return self.athlete.start + timedelta(weeks=self.plan_week - 1)


def _fade(fp: FollowUpProfile, week: int) -> float:
    """Share of the shift left in ``week`` (1 before the fade, 0 once faded)."""
    if fp.fade_weeks is None:
        return 1.0
    begin = fp.plan_week + FADE_DELAY_WEEKS
    return min(max(1.0 - (week - begin) / fp.fade_weeks, 0.0), 1.0)


def simulate(fp: FollowUpProfile) -> tuple[list[SimulatedRun], list[dict]]:
    """The runs (shift faded per :func:`_fade`) and the diary rows of one runner."""
    profile = fp.athlete
    gait = draw_gait(profile)
    alt = float(profile.rng(3).uniform(20.0, 400.0))
    runs = []
    for i, plan in enumerate(plan_history(profile, gait)):
        left = _fade(fp, plan.week)
        plan = replace(plan, balance_shift_pts=plan.balance_shift_pts * left,
                       balance_growth=plan.balance_growth * left)  # fmt: skip
        runs.append(simulate_run(plan, gait, profile.rng(2, i), interval_s=profile.interval_s,
                                 altitude_base_m=alt, stryd=profile.stryd))  # fmt: skip
    return runs, diary_rows(fp, max(r.plan.start_time for r in runs))


def diary_rows(fp: FollowUpProfile, last) -> list[dict]:
    """Exercise sessions from the plan's start to ``last`` (the last run), and pain entries."""
    rng = fp.athlete.rng(7)
    rows, day, n = [], fp.plan_start, 0
    while day <= last:
        if day.weekday() in PLAN_DAYS and rng.uniform() < fp.adherence:
            n += 1
            feel = "easy" if n > 2 and rng.uniform() < 0.7 else "right"
            pain = None
            if fp.pain == "rising":
                pain, feel = min(n, 8), "right"
            for ex in PLAN_EXERCISES:
                rows.append({"kind": "exercise", "athlete": fp.athlete.name,
                             "date": day.date().isoformat(), "exercise": ex, "sets": 3,
                             "reps": 10, "side": "both", "feel": feel,
                             "pain": "" if pain is None else pain})  # fmt: skip
            if pain is not None and pain >= 3:
                rows.append({"kind": "pain", "athlete": fp.athlete.name,
                             "date": day.date().isoformat(), "body_part": "knee",
                             "side": "left", "pain": pain,
                             "running": "reduced" if pain >= 5 else "none"})  # fmt: skip
        day += timedelta(days=1)
    return rows


def diary_csv(rows: list[dict]) -> bytes:
    """Diary rows as CSV bytes (stable column order, ``\\n`` line ends)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=DIARY_COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: r.get(k, "") for k in DIARY_COLUMNS})
    return buf.getvalue().encode("utf-8")


def write_followup_athlete(fp: FollowUpProfile, out_dir: str | Path) -> dict:
    """Write the runner's FIT files, ``diary.csv`` and ``ground_truth.json`` into out_dir/name/."""
    from analyzer.fit.writer import encode_run

    folder = Path(out_dir) / fp.athlete.name
    folder.mkdir(parents=True, exist_ok=True)
    runs, rows = simulate(fp)
    for r in runs:
        (folder / r.name).write_bytes(encode_run(r))
    (folder / "diary.csv").write_bytes(diary_csv(rows))
    truth = ground_truth(fp.athlete, runs)
    truth["followup"] = {
        "plan_start": fp.plan_start.date().isoformat(),
        "adherence": fp.adherence,
        "fade_weeks": fp.fade_weeks,
        "fade_from": (fp.plan_start + timedelta(weeks=FADE_DELAY_WEEKS)).date().isoformat(),
        "pain": fp.pain,
    }
    (folder / "ground_truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    return truth
