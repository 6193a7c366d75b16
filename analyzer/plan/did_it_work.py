""" "Did it work?": the flagged metric before and after a plan's start, with its uncertainty.

Pure functions of a per-run trends table (:func:`analyzer.metrics.trends.trends`).

The comparison takes the runs of the :data:`BEFORE_DAYS` before the plan started (the state the
plan was started for, short enough not to reach back before the change) and the runs
from :data:`SETTLE_DAYS` after the start on (strength work needs weeks before any change could
show: neuromuscular adaptation takes 2-4 weeks, Sale 1988, Med Sci Sports Exerc 20:S135). The
change is the difference of the two means, with a 95 % percentile-bootstrap interval over runs
(:data:`N_BOOT` resamples, seeded: Efron & Tibshirani 1993, ch. 13). A change whose interval
excludes zero is "clear"; otherwise "no clear change". Below :data:`MIN_RUNS` runs on either
side the answer is "not enough data", never a number.

A change after a plan is not proof that the plan caused it: the runner's shoes, surfaces,
training and recovery changed too, and shifts in running dynamics often fade on their own. The
texts say so every time.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from analyzer.schema import utc

#: Days of runs before the plan's start that describe "before".
BEFORE_DAYS = 21
#: Days after the start before runs count as "after" (adaptation time, Sale 1988).
SETTLE_DAYS = 14
#: Fewest runs on each side for a comparison.
MIN_RUNS = 5
#: Bootstrap resamples and the interval's coverage.
N_BOOT = 2000
COVERAGE = 0.95

#: The metric each plan focus is followed by: (trends column, unit, what "better" means).
FOLLOWED: dict[str, tuple[str, str]] = {
    "balance": ("gct_balance_left_median_pct", "% L"),
    "fatigue_asymmetry": ("drift_gct_balance_left_pts", "pts"),
    "overstride": ("cadence_spm_at_ref", "spm"),
    "bounce": ("vertical_ratio_median_pct", "%"),
    "long_gct": ("stance_time_ms_at_ref", "ms"),
}

NOT_PROOF = (
    "A change after the plan started is not proof that the plan caused it: training, shoes, "
    "surfaces and recovery change too, and shifts like this often fade on their own."
)


@dataclass
class BeforeAfter:
    """The flagged metric before and after a plan's start."""

    metric: str
    unit: str
    verdict: str  # "clear change", "no clear change", "not enough data"
    before_mean: float | None
    after_mean: float | None
    change: float | None
    ci_low: float | None
    ci_high: float | None
    n_before: int
    n_after: int
    before_window: list[str]
    after_window: list[str]
    reference: float | None
    toward_reference: bool | None
    returned: bool
    text: str
    caveat: str = NOT_PROOF

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def bootstrap_mean_difference(
    before: np.ndarray, after: np.ndarray, *, n_boot: int = N_BOOT, seed: int = 0
) -> tuple[float, float, float]:
    """``mean(after) - mean(before)`` and its percentile-bootstrap interval (:data:`COVERAGE`)."""
    rng = np.random.default_rng(seed)
    b = rng.choice(before, size=(n_boot, before.size), replace=True).mean(axis=1)
    a = rng.choice(after, size=(n_boot, after.size), replace=True).mean(axis=1)
    diffs = a - b
    tail = (1 - COVERAGE) / 2 * 100
    lo, hi = np.percentile(diffs, [tail, 100 - tail])
    return float(after.mean() - before.mean()), float(lo), float(hi)


def _window(times: pd.Series, lo: pd.Timestamp, hi: pd.Timestamp) -> np.ndarray:
    return ((times >= lo) & (times < hi)).to_numpy()


def before_after(
    trends_df: pd.DataFrame,
    metric: str,
    start: pd.Timestamp,
    *,
    reference: float | None = None,
    asof: pd.Timestamp | None = None,
    unit: str = "",
    seed: int = 0,
) -> BeforeAfter:
    """Compare ``metric`` before and after ``start`` (see the module docstring).

    Parameters
    ----------
    trends_df : DataFrame
        One row per run with ``start_time`` (UTC) and ``metric``.
    reference : float, optional
        The runner's own reference level of the metric (before the change that led to the
        plan); with it the result says whether the change went toward it and whether the metric
        is back (its after-interval of ``after - reference`` contains 0 and it moved toward it).
    """
    times = pd.to_datetime(trends_df["start_time"], utc=True)
    start = pd.Timestamp(start)
    start = utc(start)
    end = pd.Timestamp.now(tz="UTC") if asof is None else pd.Timestamp(asof)
    end = end.tz_localize("UTC") if end.tzinfo is None else end
    end = end + pd.Timedelta(days=1)
    values = pd.to_numeric(trends_df.get(metric), errors="coerce").to_numpy(dtype=float)
    b_lo, a_lo = start - pd.Timedelta(days=BEFORE_DAYS), start + pd.Timedelta(days=SETTLE_DAYS)
    before = values[_window(times, b_lo, start)]
    after = values[_window(times, a_lo, end)]
    before, after = before[np.isfinite(before)], after[np.isfinite(after)]
    windows = (
        [b_lo.date().isoformat(), (start - pd.Timedelta(days=1)).date().isoformat()],
        [a_lo.date().isoformat(), (end - pd.Timedelta(days=1)).date().isoformat()],
    )
    if before.size < MIN_RUNS or after.size < MIN_RUNS:
        text = (
            f"Not enough data yet to compare: {before.size} runs before the plan and "
            f"{after.size} from {windows[1][0]} on; {MIN_RUNS} on each side are needed."
        )
        return BeforeAfter(metric, unit, "not enough data", None, None, None, None, None,
                           int(before.size), int(after.size), *windows, reference, None, False,
                           text)  # fmt: skip
    change, lo, hi = bootstrap_mean_difference(before, after, seed=seed)
    clear = lo > 0 or hi < 0
    toward = None
    returned = False
    if reference is not None and np.isfinite(reference):
        toward = abs(after.mean() - reference) < abs(before.mean() - reference)
        _, r_lo, r_hi = bootstrap_mean_difference(np.array([reference]), after, seed=seed + 1)
        returned = bool(toward and r_lo <= 0 <= r_hi)
    span = f"{change:+.2f} {unit} (95 % interval {lo:+.2f} to {hi:+.2f})".replace("  ", " ")
    counts = f"{before.size} runs before, {after.size} after"
    if not clear:
        text = f"No clear change since the plan started: {span}, {counts}."
    else:
        where = ""
        if toward is not None:
            where = " toward your reference" if toward else " away from your reference"
        text = f"Changed{where} since the plan started: {span}, {counts}."
    if returned:
        text += " It is back at your reference level: a maintenance dose is enough now."
    return BeforeAfter(metric, unit, "clear change" if clear else "no clear change",
                       float(before.mean()), float(after.mean()), change, lo, hi,
                       int(before.size), int(after.size), *windows,
                       reference, toward, returned, text)  # fmt: skip


def followed_metric(plan: dict[str, Any]) -> tuple[str, str] | None:
    """The (trends column, unit) a stored plan is followed by: its first focus that has one."""
    for group in plan.get("groups") or []:
        if group in FOLLOWED:
            return FOLLOWED[group]
    return None
