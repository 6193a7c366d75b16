"""The drivers in words: labels, flag thresholds and one sentence per driver with its dates.

Rules for every sentence: the runner's own numbers, the dates they come from (the recent runs
and the reference period), one side throughout ("0.8 points further onto the left foot", never
"51.5 % L vs 50.2 % R"), and a driver without enough data says what is missing instead of a
number.
"""

from __future__ import annotations

import math
from typing import Any

from analyzer.schema import local_date

#: The status of a driver with enough data.
OK = "ok"

#: Smallest cadence drop at the reference speed that flags the cadence driver [%]: 3 spm of a
#: typical 172 spm, the same size ``analyzer trends`` flags (trends.MIN_CADENCE_SHIFT_SPM).
CADENCE_FLAG_PCT = 1.7

#: Display label, unit and the value above which a feature counts as "flagged" (drives exercises).
FEATURE_INFO: dict[str, dict[str, Any]] = {
    "balance_shift_pts": {
        "label": "GCT balance change against your reference",
        "unit": "pts",
        # the green band's half-width: a shift this large moves an even runner out of green
        "flag": 0.7,
    },
    "fatigue_asymmetry_pts": {
        "label": "Balance asymmetry growing with fatigue",
        "unit": "pts",
        "flag": 0.3,
    },
    "balance_beyond_band_pts": {
        "label": "GCT balance beyond Garmin's green band",
        "unit": "pts",
        "flag": 0.3,
    },
    "cadence_deficit_pct": {
        "label": "Lower cadence at matched speed than your reference",
        "unit": "%",
        "flag": CADENCE_FLAG_PCT,
    },
    "vertical_ratio_excess_pct": {
        "label": "Vertical ratio above green",
        "unit": "pts",
        "flag": 0.3,
    },
    "gct_excess_ms": {
        "label": "Longer ground contact at matched speed",
        "unit": "ms",
        "flag": 10.0,
    },
    "acwr_excess": {
        "label": "Acute:chronic load ratio (uncoupled) above 1.3",
        "unit": "",
        "flag": 0.0,
    },
    "progression_excess_pct": {
        "label": "Weekly distance more than 30 % above the 3 weeks before",
        "unit": "%",
        "flag": 0.0,
    },
}


def iso_day(ts, offset_s=0) -> str | None:
    """``YYYY-MM-DD`` of a timestamp on the local clock ``offset_s`` [s ahead of UTC] (that of
    the run it dates, :func:`analyzer.schema.local_date`), or None."""
    return local_date(ts, offset_s)


def offset_of(row) -> Any:
    """The ``utc_offset_s`` of a run's row (0, UTC, for rows without one)."""
    return row.get("utc_offset_s", 0) if row is not None else 0


def _ok(x) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def _fmt(x, spec: str = ".1f") -> str:
    return format(x, spec) if _ok(x) else "n/a"


def _span(w: dict | None) -> str:
    if not w or not w.get("start"):
        return "no dates"
    return w["start"] if w["start"] == w.get("end") else f"{w['start']} to {w['end']}"


def _runs(n) -> str:
    return f"{n} run{'s' if n != 1 else ''}"


def _share(pct: float, side: str) -> float:
    """The share of contact time on ``side`` [%] from the left-foot share."""
    return pct if side == "left" else 100 - pct


def _balance_shift(ctx: dict[str, Any]) -> str:
    d = ctx["dates"]["balance_shift_pts"]
    ref, now, moved = (
        ctx["balance_reference_pct"],
        ctx["balance_recent_pct"],
        ctx["balance_change_pts"],
    )
    side = "left" if moved >= 0 else "right"
    when = f"{_runs(d.get('runs', 0))} from {_span(d['recent'])}"
    refw = d.get("reference", {})
    against = f"your reference ({_runs(refw.get('runs', 0))}, {_span(refw)})"
    share = (
        f"{side} foot's share {_share(now, side):.1f} % vs {_share(ref, side):.1f} % in {against}"
    )
    flagged = bool(ctx.get("flags", {}).get("balance_shift_pts"))
    verdict = "" if flagged else "; within your usual run-to-run spread, not flagged"
    if ctx.get("balance_crossed_even"):
        return (
            f"GCT balance moved {abs(moved):.1f} points onto the {side} foot, across 50/50 "
            f"({share}; {when}): the whole swing counts{verdict}"
        )
    if ctx.get("balance_toward_even"):
        if ctx.get("plan_started"):
            why = (
                'during your plan this is what "did it work?" follows, so it is not counted as risk'
            )
        else:
            why = (
                "without a plan behind it a sudden change of your own pattern is worth a check "
                "(a sore leg, new shoes or a new sensor can do this), so it counts "
                f"{ctx.get('balance_weight', 0):.0%} of a move away from even"
            )
        return (
            f"GCT balance moved {abs(moved):.1f} points back toward even, onto the {side} foot "
            f"({share}; {when}): {why}{verdict}"
        )
    return (
        f"GCT balance moved {abs(moved):.1f} points further onto the {side} foot ({share}; "
        f"{when}){verdict}"
    )


def _fatigue(ctx: dict[str, Any]) -> str:
    d = ctx["dates"]["fatigue_asymmetry_pts"]
    side = ctx.get("fatigue_side") or "left"
    return (
        f"late in your runs the balance moves {abs(ctx.get('fatigue_drift_pts') or 0):.2f} points "
        f"further onto the {side} foot, and the gap from even grows "
        f"{_fmt(ctx.get('balance_growth_pts'), '+.2f')} points vs "
        f"{_fmt(ctx.get('balance_growth_reference_pts'), '+.2f')} in your reference "
        f"({_span(d.get('reference'))}; recent runs {_span(d.get('recent'))})"
    )


def _beyond_band(ctx: dict[str, Any]) -> str:
    level = ctx.get("balance_level_pct")
    side = "left" if (level or 50) >= 50 else "right"
    d = ctx["dates"]["balance_beyond_band_pts"]
    return (
        f"{side} foot's share of contact {_fmt(_share(level, side) if _ok(level) else None)} % "
        f"(median, {_span(d.get('recent'))}); Garmin's green band reaches 50.7 % on either side "
        "(a population band, not a change in your running)"
    )


def _cadence(ctx: dict[str, Any]) -> str:
    d = ctx["dates"]["cadence_deficit_pct"]
    refw = d.get("reference", {})
    moved = ctx.get("cadence_spm_change")
    word = "lower" if (moved or 0) < 0 else "higher"
    raw = ctx.get("cadence_recent_raw_spm")
    context = ""
    if _ok(raw) and raw < ctx.get("cadence_green_min_spm", 164.0):
        context = (
            f"; for context, your typical {raw:.0f} spm is below Garmin's green band (164 spm), a "
            "population band that ignores speed and height, so it is not scored"
        )
    return (
        f"cadence at {_fmt(ctx.get('ref_speed_mps'), '.2f')} m/s {abs(moved or 0):.1f} spm {word} "
        f"than your reference: {_fmt(ctx.get('cadence_recent_spm'), '.0f')} spm "
        f"({_span(d.get('recent'))}) vs {_fmt(ctx.get('cadence_baseline_spm'), '.0f')} spm "
        f"({_span(refw)}){context}"
    )


def _acwr(ctx: dict[str, Any]) -> str:
    d = ctx["dates"]["acwr_excess"]
    text = (
        f"acute:chronic distance ratio (uncoupled: this week over the 3 weeks before) "
        f"{_fmt(ctx.get('acwr'), '.2f')} in the weeks {_span(d.get('weeks'))} (above 1.3 counts"
    )
    if (ctx.get("acwr") or 0) > 2.3:
        text += ", up to 2.3"
    return text + ")"


def describe(name: str, value: float, ctx: dict[str, Any]) -> str:
    """One sentence with the runner's own numbers and their dates behind feature ``name``."""
    status = ctx.get("status", {}).get(name, "ok")
    if status != "ok":
        return status
    d = ctx.get("dates", {}).get(name, {})
    if name == "balance_shift_pts":
        return _balance_shift(ctx)
    if name == "fatigue_asymmetry_pts":
        return _fatigue(ctx)
    if name == "balance_beyond_band_pts":
        return _beyond_band(ctx)
    if name == "cadence_deficit_pct":
        return _cadence(ctx)
    if name == "vertical_ratio_excess_pct":
        return (
            f"vertical ratio {_fmt(ctx.get('vr_recent_pct'))} % ({_span(d.get('recent'))}) vs "
            f"Garmin's green band up to {_fmt(ctx.get('vr_green_max_pct'))} % for the "
            f"{ctx.get('sensor') or 'unknown sensor'} (a population band)"
        )
    if name == "gct_excess_ms":
        return (
            f"ground contact {_fmt(ctx.get('gct_recent_ms'), '.0f')} ms at matched speed "
            f"({_span(d.get('recent'))}) vs {_fmt(ctx.get('gct_baseline_ms'), '.0f')} ms in your "
            f"reference ({_span(d.get('reference'))})"
        )
    if name == "acwr_excess":
        return _acwr(ctx)
    if name == "progression_excess_pct":
        return (
            f"weekly distance {_fmt(ctx.get('progression_pct'), '+.0f')} % against the largest of "
            f"the 3 weeks before (weeks {_span(d.get('weeks'))}; above +30 % counts)"
        )
    return f"{name} = {_fmt(value, '.2f')}"
