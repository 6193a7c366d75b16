"""The issue-12 acceptance figures from judged scenario athletes (:mod:`analyzer.simulate.evaluate`).

Every figure is a dict ``{"value", "n", "target", "op", "passed", "note"}``: ``value`` is None
("not measurable") when the judgement's output lacks a field the figure needs, and ``note``
then names it. Targets are the issue's acceptance thresholds:

- ``sustained_shift_flagged_14d``: share of sustained balance shifts of 1 point or more with a
  flag on the injected side at some evaluation within 14 days after the shift first reached
  1 point (gradual shifts: the day it reached 1 point; sudden ones: the onset); >= 0.90;
- ``sustained_shift_persists``: share of those still flagged on that side at the last week end
  of the history (each lasts to the end, six months or more); >= 0.90;
- ``false_flags_per_athlete_year``: distinct balance or cadence changes listed for controls, per
  year of evaluated weeks (events of one metric less than 7 days apart count once); <= 0.5;
- ``transients_cleared_7d``: share of one-week wobbles with no balance flag on 7 days after
  the wobble ended; >= 0.90;
- ``plan_side_matches``: share of sustained balance shifts and fatigue-drift onsets whose plan
  (14 days after, drift 21 days) puts the extra sets on the injected side, whichever way the
  shift went (away from, toward or across 50/50); >= 0.90;
- ``index_up_5_28d``: share of sustained balance shifts of 1 point or more whose index rose by
  5 points or more, at some evaluation within 28 days after the shift reached 1 point (sudden:
  the onset), over the last index before the onset; >= 0.90;
- ``controls_below_moderate``: share of the controls' weekly assessments at level "low"; >= 0.90;
- ``first_run_after_break_high``: first runs after a break of 3+ weeks assessed "high"; == 0;
- ``cadence_drop_flagged_21d``: share of cadence drops of 4 spm or more flagged ``lower``
  within 21 days; >= 0.90.

Figures marked ``info`` have no target: latency, weeks with the flag on, other metrics' false
flags, flags before the onset on athletes with a change, levels of shifts toward symmetry.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from analyzer.simulate.judged import BALANCE_METRIC, CADENCE_METRIC, Judgement

#: Acceptance thresholds of issue 12: figure -> (operator, target).
TARGETS: dict[str, tuple[str, float]] = {
    "sustained_shift_flagged_14d": (">=", 0.90),
    "sustained_shift_persists": (">=", 0.90),
    "false_flags_per_athlete_year": ("<=", 0.5),
    "transients_cleared_7d": (">=", 0.90),
    "plan_side_matches": (">=", 0.90),
    "index_up_5_28d": (">=", 0.90),
    "controls_below_moderate": (">=", 0.90),
    "first_run_after_break_high": ("==", 0.0),
    "cadence_drop_flagged_21d": (">=", 0.90),
}
#: An event that started this long before an injected onset belongs to something else.
ONSET_SLACK = pd.Timedelta(days=14)
#: Events of one metric closer than this count as one (a re-computed onset moves a few runs).
SAME_EVENT = pd.Timedelta(days=7)


def _figure(name: str, value, n: int, note: str = "") -> dict[str, Any]:
    op, target = TARGETS.get(name, ("info", math.nan))
    passed = None
    if value is not None and op != "info" and n > 0:
        passed = {
            ">=": value >= target - 1e-12,
            "<=": value <= target + 1e-12,
            "==": abs(value - target) < 1e-12,
        }[op]
    if value is not None and n == 0:
        value, note = None, note or "no athlete of this kind in the cohort"
    return {
        "value": value,
        "n": n,
        "target": None if op == "info" else target,
        "op": op,
        "passed": passed,
        "note": note,
    }


def _points(result: dict) -> list[Judgement]:
    seen: dict[pd.Timestamp, Judgement] = {}
    for js in result["points"].values():
        for j in js:
            seen[j.asof] = j
    return [seen[k] for k in sorted(seen)]


def _flag_on(j: Judgement, metric: str, side: str | None, since: pd.Timestamp) -> bool | None:
    if j.flags is None:
        return None
    return any(
        f["metric"] == metric
        and (side is None or f["side"] == side)
        and (pd.isna(f["onset"]) or f["onset"] >= since)
        for f in j.flags
    )


def _missing(results: list[dict]) -> str:
    names = sorted({m for r in results for j in _points(r) for m in j.missing})
    return "not measurable: missing " + ", ".join(names) if names else ""


def _changes(results: dict, pred) -> list[tuple[dict, dict]]:
    return [(r, c) for r in results.values() for c in r["truth"]["changes"] if pred(r["truth"], c)]


def _within(
    r: dict, c: dict, metric: str, side: str | None, days: int
) -> tuple[bool | None, float | None]:
    """(flagged on ``side`` at some evaluation within ``days`` of the flaggable date, latency)."""
    ref = pd.to_datetime(c["flaggable_date"], utc=True)
    since = pd.to_datetime(c["onset"], utc=True) - ONSET_SLACK
    for j in _points(r):
        if j.asof <= ref or j.asof > ref + pd.Timedelta(days=days):
            continue
        on = _flag_on(j, metric, side, since)
        if on is None:
            return None, None
        if on:
            return True, (j.asof - ref).total_seconds() / 86400.0
    return False, None


def _at(r: dict, when: pd.Timestamp) -> Judgement | None:
    for j in _points(r):
        if j.asof == when:
            return j
    return None


def _share(flags: list[bool | None]) -> float | None:
    if any(f is None for f in flags):
        return None
    return float(np.mean(flags)) if flags else 0.0


def _sustained(t, c) -> bool:
    return c["kind"] == "balance" and c["expected_flag"]


def _shift_figures(results: dict, out: dict) -> None:
    shifts = _changes(results, _sustained)
    note = _missing([r for r, _ in shifts])
    got = [_within(r, c, BALANCE_METRIC, c["side"], 14) for r, c in shifts]
    any_side = [_within(r, c, BALANCE_METRIC, None, 14)[0] for r, c in shifts]
    out["sustained_shift_flagged_14d"] = _figure(
        "sustained_shift_flagged_14d", _share([g for g, _ in got]), len(shifts), note
    )
    out["sustained_shift_flagged_14d_any_side"] = _figure(
        "sustained_shift_flagged_14d_any_side", _share(any_side), len(shifts), note
    )
    lat = [d for _, d in got if d is not None]
    out["shift_latency_days_median"] = _figure(
        "shift_latency_days_median", float(np.median(lat)) if lat else None, len(lat)
    )
    persists, weeks_on = [], []
    for r, c in shifts:
        since = pd.to_datetime(c["onset"], utc=True) - ONSET_SLACK
        ref = pd.to_datetime(c["flaggable_date"], utc=True) + pd.Timedelta(days=14)
        weekly = [j for j in r["points"]["weekly"] if j.asof > ref]
        if not weekly:
            continue
        persists.append(_flag_on(weekly[-1], BALANCE_METRIC, c["side"], since))
        weeks_on += [_flag_on(j, BALANCE_METRIC, c["side"], since) for j in weekly]
    out["sustained_shift_persists"] = _figure(
        "sustained_shift_persists", _share(persists), len(persists), note
    )
    out["sustained_shift_weeks_flagged"] = _figure(
        "sustained_shift_weeks_flagged", _share(weeks_on), len(weeks_on), note
    )


#: Rise of the index that counts as "the verdict followed the change" [index points].
INDEX_RISE = 5.0
#: Days after a shift reached 1 point within which the index must have risen.
INDEX_RISE_DAYS = 28


def _index_figures(results: dict, out: dict) -> None:
    ups = []
    for r, c in _changes(results, _sustained):
        onset = pd.to_datetime(c["onset"], utc=True)
        reached = pd.to_datetime(c["flaggable_date"], utc=True)
        points = _points(r)
        before = [j.index for j in points if j.asof <= onset and j.index is not None]
        after = [
            j.index
            for j in points
            if reached < j.asof <= reached + pd.Timedelta(days=INDEX_RISE_DAYS)
            and j.index is not None
        ]
        if not before or not after:
            ups.append(False)
            continue
        ups.append(max(after) - before[-1] >= INDEX_RISE)
    out["index_up_5_28d"] = _figure("index_up_5_28d", _share(ups), len(ups))


def _plan_side_figures(results: dict, out: dict) -> None:
    cases = _changes(results, lambda t, c: _sustained(t, c) or c["kind"] == "fatigue_drift")
    ok, toward_high, n_toward = [], 0, 0
    for r, c in cases:
        days = 21 if c["kind"] == "fatigue_drift" else 14
        j = _at(r, pd.to_datetime(c["flaggable_date"], utc=True) + pd.Timedelta(days=days))
        if j is None:
            continue
        if j.plan_side == "n/a":
            ok.append(None)
            continue
        ok.append(j.plan_side == c["side"])
        if c.get("toward_symmetry") and c["kind"] == "balance":
            n_toward += 1
            toward_high += j.level == "high"
    note = _missing([r for r, _ in cases])
    out["plan_side_matches"] = _figure("plan_side_matches", _share(ok), len(ok), note)
    out["toward_symmetry_scored_high"] = _figure(
        "toward_symmetry_scored_high", float(toward_high) if n_toward else None, n_toward
    )
    drift = _changes(results, lambda t, c: c["kind"] == "fatigue_drift")
    found = [
        any(
            "fatigue_asymmetry_pts" in j.drivers
            for j in _points(r)
            if pd.to_datetime(c["onset"], utc=True)
            < j.asof
            <= pd.to_datetime(c["onset"], utc=True) + pd.Timedelta(days=21)
        )
        for r, c in drift
    ]
    out["fatigue_drift_driver_21d"] = _figure("fatigue_drift_driver_21d", _share(found), len(found))


def _transient_figures(results: dict, out: dict) -> None:
    cases = _changes(results, lambda t, c: c["kind"] == "balance" and c.get("end"))
    cleared, flagged = [], []
    for r, c in cases:
        since = pd.to_datetime(c["onset"], utc=True) - ONSET_SLACK
        j = _at(r, pd.to_datetime(c["end"], utc=True) + pd.Timedelta(days=7))
        if j is None:
            continue
        on = _flag_on(j, BALANCE_METRIC, None, since)
        cleared.append(None if on is None else not on)
        flagged.append(_within(r, c, BALANCE_METRIC, None, 14)[0])
    note = _missing([r for r, _ in cases])
    out["transients_cleared_7d"] = _figure(
        "transients_cleared_7d", _share(cleared), len(cleared), note
    )
    out["transients_flagged_at_all"] = _figure(
        "transients_flagged_at_all", _share(flagged), len(flagged), note
    )


def _distinct(events: list[dict]) -> list[dict]:
    out: list[dict] = []
    for ev in sorted(events, key=lambda e: (e["metric"], e["onset"])):
        if any(
            o["metric"] == ev["metric"] and abs(o["onset"] - ev["onset"]) < SAME_EVENT for o in out
        ):
            continue
        out.append(ev)
    return out


def _control_figures(results: dict, out: dict) -> None:
    controls = [r for r in results.values() if r["truth"]["group"] == "control"]
    note = _missing(controls)
    n_false = n_other = 0
    years = 0.0
    measurable = True
    low = total = not_assessed = 0
    worst = 1.0
    for r in controls:
        weekly = r["points"]["weekly"]
        if len(weekly) < 2:
            continue
        years += (weekly[-1].asof - weekly[0].asof).total_seconds() / (365.25 * 86400)
        events = []
        for j in _points(r):
            if j.events is None:
                measurable = False
                continue
            events += [e for e in j.events if not pd.isna(e["onset"])]
        distinct = _distinct(events)
        n_false += sum(e["metric"] in (BALANCE_METRIC, CADENCE_METRIC) for e in distinct)
        n_other += sum(e["metric"] not in (BALANCE_METRIC, CADENCE_METRIC) for e in distinct)
        levels = [j.level for j in weekly if j.level is not None]
        not_assessed += sum(j.level is None for j in weekly)
        low += sum(lv == "low" for lv in levels)
        total += len(levels)
        if levels:
            worst = min(worst, float(np.mean([lv == "low" for lv in levels])))
    rate = n_false / years if years > 0 and measurable else None
    out["false_flags_per_athlete_year"] = _figure(
        "false_flags_per_athlete_year", rate, len(controls), note
    )
    out["other_metric_flags_per_athlete_year"] = _figure(
        "other_metric_flags_per_athlete_year",
        n_other / years if years > 0 and measurable else None,
        len(controls),
        "speed-normalised GCT, VO, step length, vertical ratio changes listed for controls",
    )
    share = low / total if total else None
    out["controls_below_moderate"] = _figure(
        "controls_below_moderate",
        share,
        total,
        note or f"{not_assessed} control weeks had no assessment (no run in the recent window)",
    )
    out["controls_below_moderate_worst_athlete"] = _figure(
        "controls_below_moderate_worst_athlete", worst if total else None, len(controls)
    )
    firsts = [j for r in controls for j in r["points"]["break"]]
    assessed = [j for j in firsts if j.level is not None]
    out["first_run_after_break_high"] = _figure(
        "first_run_after_break_high",
        float(sum(j.level == "high" for j in assessed)) if firsts else None,
        len(assessed),
        "" if len(assessed) == len(firsts) else f"{len(firsts) - len(assessed)} not assessed",
    )


def _cadence_figures(results: dict, out: dict) -> None:
    cases = _changes(
        results, lambda t, c: c["kind"] == "cadence" and c["expected_flag"] and c["size"] <= -4
    )
    got = [_within(r, c, CADENCE_METRIC, "lower", 21) for r, c in cases]
    out["cadence_drop_flagged_21d"] = _figure(
        "cadence_drop_flagged_21d",
        _share([g for g, _ in got]),
        len(cases),
        _missing([r for r, _ in cases]),
    )


def _before_onset(results: dict, out: dict) -> None:
    n = 0
    years = 0.0
    for r in results.values():
        t = r["truth"]
        if not t["changes"]:
            continue
        first = min(pd.to_datetime(c["onset"], utc=True) for c in t["changes"])
        weekly = [j for j in r["points"]["weekly"] if j.asof < first]
        if len(weekly) < 2:
            continue
        years += (weekly[-1].asof - weekly[0].asof).total_seconds() / (365.25 * 86400)
        events = [e for j in weekly for e in (j.events or []) if not pd.isna(e["onset"])]
        n += sum(
            e["metric"] in (BALANCE_METRIC, CADENCE_METRIC) and e["onset"] < first - ONSET_SLACK
            for e in _distinct(events)
        )
    out["flags_before_onset_per_athlete_year"] = _figure(
        "flags_before_onset_per_athlete_year",
        n / years if years else None,
        int(years > 0),
        "" if years else "needs weekly judgements before the onsets (--stride 1)",
    )


def acceptance_figures(results: dict[str, dict]) -> dict[str, dict]:
    """All figures (see the module docstring) from :func:`evaluate_athlete` results by name."""
    out: dict[str, dict] = {}
    _shift_figures(results, out)
    _plan_side_figures(results, out)
    _index_figures(results, out)
    _transient_figures(results, out)
    _control_figures(results, out)
    _cadence_figures(results, out)
    _before_onset(results, out)
    return out


def format_figures(figures: dict[str, dict]) -> str:
    """The figures as an aligned text table (one line each)."""
    lines = []
    for name, f in figures.items():
        value = "not measurable" if f["value"] is None else f"{f['value']:.3f}"
        goal = "" if f["op"] == "info" else f"{f['op']} {f['target']:g}"
        verdict = {True: "met", False: "NOT met", None: ""}[f["passed"]]
        line = f"{name:42s} {value:>14s}  n={f['n']:<4d} {goal:8s} {verdict}"
        lines.append(line + (f"  ({f['note']})" if f["note"] else ""))
    return "\n".join(lines)
