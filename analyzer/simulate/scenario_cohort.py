"""The scenario cohort and its ground truth.

:func:`cohort` draws a seeded set of :class:`~analyzer.simulate.scenarios.Scenario` athletes:
sudden balance shifts both ways, counter-direction shifts (a runner naturally on one side
shifting toward the other), gradual shifts, one-week transients, fatigue-drift onsets, cadence
drops at matched speed, and controls whose only change is training or kit. :func:`scenario_truth`
is what is written as ``ground_truth.json`` beside each athlete.

Sizes (assumptions, chosen around the issue's acceptance figures): sustained balance shifts
1.0-2.0 points (Garmin's green band is 49.3-50.7 %, so one point is a colour change for an even
runner); cadence drops 4-8 steps/min (the issue asks for drops of 4 spm or more to be found);
gradual shifts grow over 3-6 weeks; transients last one week; sustained changes start in weeks
14-26 of a year and last to its end (at least six months).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from analyzer.simulate.history import run_entries
from analyzer.simulate.model import SimulatedRun
from analyzer.simulate.scenarios import GaitChange, Kit, Scenario, Training

#: Smallest sustained balance shift that must be flagged [pts] (issue 12 acceptance).
MIN_FLAGGED_BALANCE_PTS = 1.0
#: Smallest sustained cadence change at matched speed that must be flagged [steps/min]; issue
#: 12 asks ``trends`` to flag about 3 spm or more.
MIN_FLAGGED_CADENCE_SPM = 3.0

#: How many athletes of each group a full cohort has, and a small one (for the test suite).
GROUP_SIZES: dict[str, dict[str, int]] = {
    "full": {
        "sudden": 6,
        "counter": 4,
        "gradual": 4,
        "transient": 4,
        "fatigue_drift": 3,
        "cadence": 4,
        "control": 15,
    },
    "small": {
        "sudden": 2,
        "counter": 1,
        "gradual": 1,
        "transient": 1,
        "fatigue_drift": 1,
        "cadence": 1,
        "control": 5,
    },
}
#: Control kinds in the order they are dealt out.
CONTROLS = ("intervals", "marathon", "break", "strap_to_pod", "watches", "races")


def _control(kind: str, rng: np.random.Generator, weeks: int) -> tuple[Training, tuple[Kit, ...]]:
    days = weeks * 7
    if kind == "intervals":
        return Training(runs_per_week=(4, 6), weekly_minutes=float(rng.uniform(200, 260))), (Kit(),)
    if kind == "marathon":
        mw = int(rng.integers(int(0.65 * weeks), weeks - 3))
        races = ((mw - 6, "half"), (mw - 11, "10k"))
        return Training(marathon_week=mw, races=races, weekly_minutes=240.0), (Kit(),)
    if kind == "races":
        picks = rng.choice(np.arange(10, weeks - 1), size=4, replace=False)
        names = ("5k", "10k", "5k", "half")
        return Training(races=tuple(sorted(zip(picks.tolist(), names, strict=True)))), (Kit(),)
    if kind == "break":
        w0 = int(rng.integers(int(0.3 * weeks), int(0.6 * weeks)))
        breaks = [(w0, int(rng.integers(3, 9)))]
        if weeks >= 48:  # a second, shorter break late in the year
            breaks.append((int(0.8 * weeks), 3))
        return Training(breaks=tuple(breaks)), (Kit(),)
    if kind == "strap_to_pod":
        day = float(rng.uniform(0.35 * days, 0.6 * days))
        return Training(), (Kit(), Kit(day, "fr965", "pod"))
    if kind == "watches":
        a = float(rng.uniform(0.3 * days, 0.45 * days))
        b = a + float(rng.uniform(21, 42))
        return Training(), (Kit(), Kit(a, "fr55", "none"), Kit(b, "fr255", "chest_strap"))
    raise ValueError(f"unknown control {kind!r}")


def cohort(seed: int = 0, *, weeks: int = 52, size: str = "full") -> list[Scenario]:
    """The scenario cohort for ``seed``.

    Parameters
    ----------
    seed : int
        Seeds every draw (sizes, onsets, sides' order, athletes' gait).
    weeks : int
        Length of every history (at least 30).
    size : str
        ``"full"`` (40 athletes) or ``"small"`` (13, for the test suite); see
        :data:`GROUP_SIZES`.

    Returns
    -------
    list of Scenario
    """
    if weeks < 30:
        raise ValueError(f"a scenario cohort needs at least 30 weeks, got {weeks}")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xC0407]))
    days = weeks * 7
    out: list[Scenario] = []
    for group, n in GROUP_SIZES[size].items():
        for i in range(n):
            name = f"{group}_{i:02d}"
            sid = seed * 1000 + len(out)
            side = 1.0 if (i + seed) % 2 == 0 else -1.0  # + = toward left
            onset = float(rng.uniform(0.27 * days, 0.5 * days))
            bias = float(rng.uniform(-0.4, 0.4))
            kw: dict = {"balance_bias_pts": bias}
            if group == "sudden":
                kw["changes"] = (GaitChange("balance", onset, side * rng.uniform(1.0, 2.0)),)
            elif group == "counter":
                # naturally 51.3 % L shifting right, or 51.1 % R shifting left; the first of
                # each pair stays on its natural side (toward 50/50), the second crosses over
                bias = 1.3 if side > 0 else -1.1
                stay = (1.0, min(1.25, abs(bias) - 0.02))
                kw["balance_bias_pts"] = bias
                size_pts = -side * rng.uniform(*(stay if i % 2 == 0 else (1.6, 2.0)))
                kw["changes"] = (GaitChange("balance", onset, size_pts),)
            elif group == "gradual":
                ramp = float(rng.uniform(21, 42))
                kw["changes"] = (GaitChange("balance", onset, side * rng.uniform(1.2, 2.0), ramp),)
            elif group == "transient":
                c = GaitChange("balance", onset, side * rng.uniform(1.0, 1.6), end_day=onset + 7)
                kw["changes"] = (c,)
            elif group == "fatigue_drift":
                kw["changes"] = (GaitChange("fatigue_drift", onset, side * rng.uniform(1.0, 1.5)),)
            elif group == "cadence":
                kw["changes"] = (GaitChange("cadence", onset, -rng.uniform(4.0, 8.0)),)
            else:
                kind = CONTROLS[i % len(CONTROLS)]
                training, kit = _control(kind, rng, weeks)
                kw.update(control=kind, training=training, kit=kit)
            out.append(Scenario(name=name, seed=sid, group=group, weeks=weeks, **kw))
    return out


def _date(sc: Scenario, day: float | None) -> str | None:
    if day is None:
        return None
    when = (sc.start + timedelta(days=float(day))).replace(microsecond=0)
    return when.isoformat().replace("+00:00", "Z")


def change_truth(sc: Scenario, c: GaitChange, natural: float) -> dict:
    """The truth about one injected change (see :func:`scenario_truth`)."""
    d = {
        "kind": c.kind,
        "onset": _date(sc, c.onset_day),
        "size": round(float(c.size), 3),
        "ramp_days": round(float(c.ramp_days), 2),
        "full_size_date": _date(sc, c.onset_day + c.ramp_days),
        "end": _date(sc, c.end_day),
        "sustained": c.end_day is None,
    }
    if c.kind in ("balance", "fatigue_drift"):
        d["metric"] = "gct_balance_left_pct" if c.kind == "balance" else "fatigue_asymmetry_pts"
        d["side"] = "left" if c.size > 0 else "right"
        new = natural + (c.size if c.kind == "balance" else 3 * c.size / 8)
        d["new_balance_left_pct"] = round(new, 3)
        d["toward_symmetry"] = bool(abs(new - 50) < abs(natural - 50))
        # the date the change first reaches the size that must be flagged
        reach = c.ramp_days * min(1.0, MIN_FLAGGED_BALANCE_PTS / max(abs(c.size), 1e-9))
        d["flaggable_date"] = _date(sc, c.onset_day + reach)
        d["expected_flag"] = bool(
            c.kind == "balance" and d["sustained"] and abs(c.size) >= MIN_FLAGGED_BALANCE_PTS
        )
        d["expected_driver"] = "fatigue_asymmetry_pts" if c.kind == "fatigue_drift" else None
    else:
        d["metric"] = "cadence_spm"
        d["side"] = "lower" if c.size < 0 else "higher"
        reach = c.ramp_days * min(1.0, MIN_FLAGGED_CADENCE_SPM / max(abs(c.size), 1e-9))
        d["flaggable_date"] = _date(sc, c.onset_day + reach)
        d["expected_flag"] = bool(d["sustained"] and abs(c.size) >= MIN_FLAGGED_CADENCE_SPM)
        d["expected_driver"] = "cadence_deficit_pct" if d["expected_flag"] else None
    return d


def scenario_truth(sc: Scenario, runs: list[SimulatedRun] | None = None) -> dict:
    """The JSON-able ground truth of a scenario athlete.

    Keys: ``athlete``, ``seed``, ``group``, ``control`` (None for gait changes),
    ``natural_balance_left_pct``, ``changes`` (per change: ``kind``, ``metric``, ``onset``,
    ``size``, ``side``, ``ramp_days``, ``full_size_date``, ``flaggable_date``, ``end`` (transients),
    ``sustained``, ``toward_symmetry``, ``expected_flag``, ``expected_driver``),
    ``expected_flag`` (any change expected to be flagged), ``breaks``, ``races``, ``kit``, and with
    ``runs`` one entry per run (start, kind, week, moving time, distance, kit, injected values).
    """
    gait = sc.gait()
    natural = 50.0 + gait.balance_bias_pts
    t = sc.training
    changes = [change_truth(sc, c, natural) for c in sc.changes]
    out = {
        "athlete": sc.name,
        "seed": sc.seed,
        "group": sc.group,
        "control": sc.control,
        "weeks": sc.weeks,
        "start": _date(sc, 0.0),
        "natural_balance_left_pct": round(natural, 3),
        "v_ref_mps": round(gait.v_ref_mps, 4),
        "cadence_ref_spm": round(gait.cadence_ref_spm, 3),
        "changes": changes,
        "expected_flag": any(c["expected_flag"] for c in changes),
        "breaks": [
            {"from": _date(sc, 7 * (w0 - 1)), "back": _date(sc, 7 * (w0 - 1 + n)), "weeks": n}
            for w0, n in t.breaks
        ],
        "races": [{"week": w, "distance": name} for w, name in t.races]
        + ([{"week": t.marathon_week, "distance": "marathon"}] if t.marathon_week else []),
        "kit": [
            {"from": _date(sc, k.from_day), "watch": k.watch, "dynamics": k.dynamics}
            for k in sc.kit
        ],
    }
    if runs is not None:
        out["runs"] = run_entries(runs)
    return out
