"""A plan that moves: each exercise's step from the diary, weekly adherence and the safety stop.

Pure functions of diary tables (:class:`analyzer.store.diary.Diary` gives them as DataFrames).

**Steps.** Every exercise has a ladder of five steps (:func:`ladder`): 0 eases off (two sets of
the starting dose), 1 is the starting dose, 2 adds volume (half as many repetitions again), 3 is
the harder variant of :mod:`analyzer.plan.exercises` at the starting dose, 4 the harder variant
with the added volume. A plan starts every exercise at step 1.

**Moving.** An exercise moves up one step after two sessions in a row logged ``easy`` with no
pain (pain 0 or not given), and down one step after a session logged ``hard`` or with pain of 3
or more (0-10 scale). This is the "two-for-two" rule of resistance-training progression (ACSM
position stand, Ratamess et al. 2009, Med Sci Sports Exerc 41:687), with the repetition counts
replaced by how the session felt; the pain threshold of 3 follows the pain-monitoring model
(Silbernagel et al. 2007, Am J Sports Med 35:897: pain up to 5/10 is accepted during loading,
so 3 is a cautious point to ease off, not a clinical cut-off). Several rows of one exercise on
one day are one session: its feel is the hardest logged, its pain the highest.

**Safety first.** Progression stops, and every output leads with "see a physiotherapist or
doctor", when an unresolved pain entry is 5/10 or more, when running was stopped by a pain that
has not resolved, or when pain was logged on three runs in a row (:func:`safety`). Nothing here
is treatment; it is a way to keep the dose honest.

**Adherence.** Sessions done per plan week (days with any exercise logged) against the plan's
sessions per week; the week in progress is prorated by its elapsed days (:func:`adherence`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from analyzer.plan.exercises import BY_ID

#: Step a plan starts each exercise at, and the top step.
START_STEP, TOP_STEP = 1, 4
#: Easy sessions in a row (with no pain) that move an exercise up (ACSM 2009 "two-for-two").
EASY_IN_A_ROW = 2
#: Pain during a session [0-10] that moves the exercise down a step.
STEP_BACK_PAIN = 3
#: Pain [0-10] of an unresolved entry that stops progression (Silbernagel et al. 2007 accept
#: up to 5 during loading; at 5 and above we stop and refer).
STOP_PAIN = 5
#: Runs in a row with pain logged on their day that stop progression.
PAIN_RUNS_IN_A_ROW = 3
#: Only pain on runs this recent counts for the runs-in-a-row rule [days].
PAIN_RUNS_WINDOW_DAYS = 28

REFER = "Stop progressing and see a physiotherapist or doctor"


@dataclass
class Step:
    """One rung of an exercise's ladder."""

    step: int
    sets: int
    reps: int
    variant: str | None
    text: str


@dataclass
class Move:
    date: str
    direction: str  # "up" or "down"
    to_step: int
    reason: str


@dataclass
class ExerciseProgress:
    """Where one exercise of a plan stands, and why."""

    exercise: str
    step: int
    dose: str
    sessions: int
    last_session: str | None
    moves: list[Move] = field(default_factory=list)
    why: str = ""
    frozen: bool = False


def ladder(exercise_id: str) -> list[Step]:
    """The five steps of one exercise (see the module docstring)."""
    ex = BY_ID[exercise_id]
    sets, reps = int(ex.dose["sets"]), int(ex.dose["reps"])
    more = int(5 * math.ceil(reps * 1.5 / 5))
    unit = ex.dose["text"].split(" of ", 1)[-1]  # "10 per side", "20 circles each way"...
    unit_more = unit.replace(str(reps), str(more), 1)
    harder = ex.progression
    return [
        Step(0, 2, reps, None, f"2 sets of {unit} (eased off)"),
        Step(1, sets, reps, None, ex.dose["text"]),
        Step(2, sets, more, None, f"{sets} sets of {unit_more}"),
        Step(3, sets, reps, harder, f"{ex.dose['text']}, harder: {harder}"),
        Step(4, sets, more, harder, f"{sets} sets of {unit_more}, harder: {harder}"),
    ]


def _sessions(entries: pd.DataFrame) -> pd.DataFrame:
    """One row per (exercise, day): the hardest feel and the highest pain of that day."""
    if entries.empty:
        return pd.DataFrame(columns=["exercise", "date", "feel", "pain"])
    rank = {"easy": 0, "right": 1, "hard": 2}
    df = entries.assign(_feel=entries["feel"].map(rank), _day=pd.to_datetime(entries["date"]))
    out = df.groupby(["exercise", "_day"], as_index=False).agg(
        _feel=("_feel", "max"), pain=("pain", "max")
    )
    back = {v: k for k, v in rank.items()}
    return out.assign(feel=out["_feel"].map(back)).rename(columns={"_day": "date"})[
        ["exercise", "date", "feel", "pain"]
    ]


def progress(
    exercise_ids: list[str],
    entries: pd.DataFrame,
    *,
    start: pd.Timestamp,
    asof: pd.Timestamp | None = None,
    frozen_from: pd.Timestamp | None = None,
) -> list[ExerciseProgress]:
    """Each plan exercise's current step from the diary entries since the plan's ``start``.

    Parameters
    ----------
    exercise_ids : list of str
        The plan's exercises.
    entries : DataFrame
        Exercise entries (``exercise``, ``date``, ``feel``, ``pain``), any athlete's subset.
    start, asof : Timestamp
        Plan start; entries after ``asof`` (default: all) are ignored.
    frozen_from : Timestamp, optional
        From this date on (a safety stop) no move is made; the step stays where it was.
    """
    start = pd.Timestamp(start).normalize()
    sessions = _sessions(entries)
    sessions = sessions[sessions["date"] >= start]
    if asof is not None:
        sessions = sessions[sessions["date"] <= pd.Timestamp(asof)]
    out = []
    for ex_id in exercise_ids:
        steps = ladder(ex_id)
        mine = sessions[sessions["exercise"] == ex_id].sort_values("date")
        step, streak, moves, frozen = START_STEP, 0, [], False
        for row in mine.itertuples(index=False):
            if frozen_from is not None and row.date >= pd.Timestamp(frozen_from).normalize():
                frozen = True
                break
            pain = None if pd.isna(row.pain) else int(row.pain)
            day = row.date.date().isoformat()
            if row.feel == "hard" or (pain is not None and pain >= STEP_BACK_PAIN):
                streak = 0
                if step > 0:
                    step -= 1
                    why = "logged hard" if row.feel == "hard" else f"pain {pain}/10"
                    moves.append(Move(day, "down", step, why))
            elif row.feel == "easy" and not pain:
                streak += 1
                if streak >= EASY_IN_A_ROW:
                    streak = 0
                    if step < TOP_STEP:
                        step += 1
                        moves.append(Move(day, "up", step, "two easy sessions in a row, no pain"))
            else:
                streak = 0
        last = mine["date"].max() if len(mine) else None
        if moves:
            m = moves[-1]
            why = f"moved {m.direction} to step {m.to_step} on {m.date}: {m.reason}"
        else:
            why = "at the starting dose" + ("" if len(mine) else " (nothing logged yet)")
        if frozen:
            why += "; progression stopped until the pain is resolved"
        out.append(
            ExerciseProgress(
                exercise=ex_id,
                step=step,
                dose=steps[step].text,
                sessions=int(len(mine)),
                last_session=None if last is None else last.date().isoformat(),
                moves=moves,
                why=why,
                frozen=frozen,
            )
        )
    return out


@dataclass
class Safety:
    """Whether progression must stop, why, and the entries behind it."""

    stop: bool
    since: str | None
    reasons: list[str]
    entries: list[dict[str, Any]]
    message: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _open(pain: pd.DataFrame, asof: pd.Timestamp) -> pd.DataFrame:
    resolved = pd.to_datetime(pain["resolved"])
    return pain[(pain["date"] <= asof) & (resolved.isna() | (resolved > asof))]


def describe(row: Any) -> str:
    """A pain entry in one line (date, body part, side, pain, running)."""
    side = "" if row.side in (None, "both") else f" ({row.side})"
    running = {"none": "", "reduced": ", running reduced", "stopped": ", running stopped"}
    return (
        f"{pd.Timestamp(row.date).date()} {row.body_part}{side} pain {int(row.pain)}/10"
        f"{running.get(row.running, '')}"
    )


def safety(
    pain: pd.DataFrame, run_dates: pd.Series | list, *, asof: pd.Timestamp | None = None
) -> Safety:
    """The safety stop (see the module docstring) as of ``asof`` (default: now).

    Parameters
    ----------
    pain : DataFrame
        Pain entries (``date``, ``body_part``, ``side``, ``pain``, ``running``, ``resolved``).
    run_dates : sequence of datetime-like
        Start times of the athlete's runs.
    """
    asof = pd.Timestamp.now() if asof is None else pd.Timestamp(asof)
    asof = asof.tz_localize(None) if asof.tzinfo else asof
    if pain is None or pain.empty:
        return Safety(False, None, [], [], None)
    pain = pain.assign(date=pd.to_datetime(pain["date"]))
    reasons, hits = [], []
    live = _open(pain, asof)
    severe = live[live["pain"] >= STOP_PAIN]
    if len(severe):
        reasons.append(f"pain of {STOP_PAIN}/10 or more that has not resolved")
        hits.append(severe)
    stopped = live[live["running"] == "stopped"]
    if len(stopped):
        reasons.append("a pain that stopped your running and has not resolved")
        hits.append(stopped)
    days = pd.to_datetime(pd.Series(list(run_dates)), utc=True).dt.tz_localize(None)
    days = days[(days <= asof) & (days > asof - pd.Timedelta(days=PAIN_RUNS_WINDOW_DAYS))]
    run_days = sorted(set(days.dt.normalize()))
    painful_days = set(pain.loc[pain["pain"] > 0, "date"].dt.normalize())
    streak: list[pd.Timestamp] = []
    for day in run_days:
        streak = [*streak, day] if day in painful_days else []
        if len(streak) >= PAIN_RUNS_IN_A_ROW:
            reasons.append(f"pain logged on {PAIN_RUNS_IN_A_ROW} runs in a row")
            hits.append(pain[pain["date"].dt.normalize().isin(streak)])
            break
    if not reasons:
        return Safety(False, None, [], [], None)
    rows = pd.concat(hits).drop_duplicates("entry_id" if "entry_id" in pain else None)
    rows = rows.sort_values("date")
    entries = [
        {"date": pd.Timestamp(r.date).date().isoformat(), "body_part": r.body_part,
         "side": r.side, "pain": int(r.pain), "running": r.running, "text": describe(r)}
        for r in rows.itertuples(index=False)
    ]  # fmt: skip
    since = entries[0]["date"]
    message = f"{REFER}: {'; '.join(reasons)}. Logged: " + "; ".join(e["text"] for e in entries)
    return Safety(True, since, reasons, entries, message + ".")


def adherence(
    entries: pd.DataFrame,
    *,
    start: pd.Timestamp,
    sessions_per_week: int,
    asof: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Sessions done per plan week against sessions planned.

    Returns
    -------
    DataFrame
        One row per plan week: ``week_start``, ``planned``, ``done``, ``share`` (done /
        planned, at most 1; NaN when nothing was planned yet).
    """
    start = pd.Timestamp(start).normalize()
    asof = (pd.Timestamp.now() if asof is None else pd.Timestamp(asof)).normalize()
    if asof < start:
        return pd.DataFrame(columns=["week_start", "planned", "done", "share"])
    days = pd.to_datetime(entries["date"]).dt.normalize() if len(entries) else pd.Series([])
    done_days = set(days[(days >= start) & (days <= asof)])
    rows = []
    week = start
    while week <= asof:
        end = week + pd.Timedelta(days=7)
        elapsed = min((asof - week).days + 1, 7)
        planned = math.ceil(sessions_per_week * elapsed / 7)
        done = sum(1 for d in done_days if week <= d < end)
        share = min(done / planned, 1.0) if planned else float("nan")
        rows.append({"week_start": week, "planned": planned, "done": done, "share": share})
        week = end
    return pd.DataFrame(rows)
