"""Per-athlete gait trends: speed normalisation, personal baselines and sustained changes.

Input is one athlete's per-run summaries (rows of ``Store.gait(athlete)``: identity columns
plus :func:`analyzer.metrics.gait.summarize` fields). Public entry points, re-exported by
:mod:`analyzer.metrics.gait`: :func:`trends` and :func:`flag_changes`.

Why speed normalisation: ground contact time, cadence, vertical oscillation and step length all
change with pace, and per-runner speed relations differ a lot (Zandbergen et al. 2023 [1]_),
so runs are compared at one reference speed through each runner's own robust regression.

Why a personal baseline: the largest prospective study found that absolute gait asymmetry did
not raise injury risk (Malisoux et al. 2024 [2]_), so what is flagged is a *new, sustained*
change against the runner's own previous weeks, never one noisy run and never asymmetry alone.

References
----------
.. [1] Zandbergen M.A. et al. (2023) Front Sports Act Living 5:1085513 (speed and stride
   frequency explain 20-30 % of gait variance; per-runner coefficients differ strongly).
.. [2] Malisoux L. et al. (2024) BMJ Open Sport Exerc Med 10:e001787 (836 runners, 6 months:
   asymmetry did not raise injury risk).
.. [3] Heiderscheit B.C. et al. (2011) Effects of step rate manipulation on joint mechanics
   during running. Med Sci Sports Exerc 43(2):296-302.
.. [4] Garmin, Enduro 3 owner's manual (JA): GCT balance green band 49.3-50.7 %.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Metrics normalised to the reference speed, with the summary column each one comes from.
NORMALISED_METRICS: dict[str, str] = {
    "cadence_spm": "cadence_median_spm",
    "stance_time_ms": "stance_time_median_ms",
    "vertical_oscillation_mm": "vertical_oscillation_median_mm",
    "step_length_mm": "step_length_median_mm",
    "vertical_ratio_pct": "vertical_ratio_median_pct",
}

#: Fewest runs (with speed and the metric) to fit an athlete's speed relation; with fewer, the
#: slope is taken as 0 and values are not speed-adjusted.
MIN_RUNS_SPEED_MODEL: int = 6

#: Smallest spread of run speeds [m/s] (inter-quartile range) that identifies a slope.
MIN_SPEED_IQR_MPS: float = 0.1

#: Huber loss threshold for the per-athlete regression (scikit-learn's default, 95 % efficiency).
HUBER_EPSILON: float = 1.35

#: Baseline window: runs from BASELINE_WINDOW_DAYS up to BASELINE_GAP_DAYS before each run
#: (i.e. the previous five weeks, leaving out the most recent week so a fresh shift does not
#: pull its own baseline along).
BASELINE_WINDOW_DAYS: int = 42
BASELINE_GAP_DAYS: int = 7

#: Fewest runs in the baseline window for a baseline to exist.
MIN_BASELINE_RUNS: int = 5

#: A run counts toward a shift when it differs from its baseline by more than
#: max(min size, SPREAD_MULTIPLIER × the athlete's run-to-run spread in the baseline window).
SPREAD_MULTIPLIER: float = 2.0

#: Floor of the run-to-run spread [same unit as the metric]; guards against a zero MAD from a
#: few identical runs. Expressed per metric in MIN_SHIFT below (a quarter of the min size).
SPREAD_FLOOR_FRACTION: float = 0.25

#: Runs in the rolling median that gives a run's current level (one odd run cannot move it).
LEVEL_RUNS: int = 3

#: Consecutive runs whose level is beyond the threshold, on the same side, that make a shift
#: "sustained" (with LEVEL_RUNS = 3 this needs at least three of five runs beyond it, and
#: two odd runs in a row are not enough).
MIN_CONSECUTIVE_LEVELS: int = 3

#: Once flagged, a shift lasts while the level stays beyond this fraction of the threshold
#: (hysteresis, so a shift near the threshold is one event, not several).
HOLD_FRACTION: float = 0.5

#: Smallest GCT-balance shift flagged [percentage points]: 0.8 points is the step from Garmin's
#: green band (within 0.7 of 50) into orange [4]_, i.e. a change a runner would see as a colour.
MIN_BALANCE_SHIFT_PTS: float = 0.8

#: Smallest relative change flagged for the speed-normalised metrics: 5 %, the smallest
#: step-rate change shown to alter knee loading (Heiderscheit et al. 2011 [3]_).
MIN_RELATIVE_SHIFT: float = 0.05

_BALANCE = "gct_balance_left_median_pct"


def _numeric(df: pd.DataFrame, col: str) -> np.ndarray:
    if col not in df.columns:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def speed_relation(speed, values, *, ref_speed: float) -> tuple[float, float]:
    """Robust linear relation of one metric with speed over an athlete's runs.

    Parameters
    ----------
    speed : array-like
        Each run's median running speed [m/s].
    values : array-like
        The metric's per-run median [its unit].
    ref_speed : float
        Reference speed [m/s] at which the intercept is reported.

    Returns
    -------
    (value_at_ref, slope) : tuple of float
        Metric at ``ref_speed`` [unit] and its change per m/s [unit / (m/s)]. With fewer than
        :data:`MIN_RUNS_SPEED_MODEL` usable runs or too little speed spread, the slope is 0 and
        the value is the median.
    """
    from analyzer.metrics.robust import huber_line

    s = np.asarray(speed, dtype=float)
    y = np.asarray(values, dtype=float)
    ok = np.isfinite(s) & np.isfinite(y)
    if ok.sum() == 0 or not np.isfinite(ref_speed):
        return float("nan"), 0.0
    s, y = s[ok], y[ok]
    q1, q3 = np.percentile(s, (25.0, 75.0))
    if s.size < MIN_RUNS_SPEED_MODEL or (q3 - q1) < MIN_SPEED_IQR_MPS:
        return float(np.median(y)), 0.0
    x = (s - ref_speed)[:, None]
    y_scale = float(np.std(y)) or 1.0
    # scikit-learn's HuberRegressor(alpha=0) estimator, in numpy (no scikit-learn import)
    intercept, slope = huber_line(x[:, 0], y / y_scale, epsilon=HUBER_EPSILON, max_iter=500)
    return intercept * y_scale, slope * y_scale


def rolling_baseline(times, values) -> tuple[np.ndarray, np.ndarray]:
    """Each run's personal baseline and run-to-run spread from its previous weeks.

    Parameters
    ----------
    times : array-like of datetime64
        Run start times, sorted ascending.
    values : array-like
        The metric per run [its unit].

    Returns
    -------
    (baseline, spread) : tuple of numpy.ndarray
        Median and scaled MAD (1.4826 × MAD) [unit] of the runs that started between
        :data:`BASELINE_WINDOW_DAYS` and :data:`BASELINE_GAP_DAYS` days before each run; NaN
        where that window holds fewer than :data:`MIN_BASELINE_RUNS` runs.
    """
    t = pd.to_datetime(pd.Series(times), utc=True).to_numpy(dtype="datetime64[ns]")
    v = np.asarray(values, dtype=float)
    n = v.size
    base = np.full(n, np.nan)
    spread = np.full(n, np.nan)
    if n == 0 or np.isnat(t).any():
        return base, spread  # no usable clock, no baseline
    lo = np.searchsorted(t, t - np.timedelta64(BASELINE_WINDOW_DAYS, "D"), side="left")
    hi = np.searchsorted(t, t - np.timedelta64(BASELINE_GAP_DAYS, "D"), side="right")
    for i in range(n):
        w = v[lo[i] : hi[i]]
        w = w[np.isfinite(w)]
        if w.size >= MIN_BASELINE_RUNS:
            med = np.median(w)
            base[i] = med
            spread[i] = 1.4826 * np.median(np.abs(w - med))
    return base, spread


def _rolling_level(d: np.ndarray) -> np.ndarray:
    """Median of each run's deviation and the previous LEVEL_RUNS - 1 valid ones (NaN before)."""
    level = np.full(d.size, np.nan)
    valid = np.flatnonzero(np.isfinite(d))
    for k in range(LEVEL_RUNS - 1, valid.size):
        level[valid[k]] = np.median(d[valid[k - LEVEL_RUNS + 1 : k + 1]])
    return level


def sustained_shift(deviation, threshold) -> tuple[np.ndarray, np.ndarray]:
    """Flag runs during a sustained, same-side shift beyond a threshold.

    The *level* of run *i* is the median deviation of it and the :data:`LEVEL_RUNS` − 1 valid
    runs before it, so one outlying run never moves it. A shift starts at the run where the
    level has been beyond the threshold on the same side for :data:`MIN_CONSECUTIVE_LEVELS`
    runs in a row (at least three of the last five runs beyond it), and lasts while the level
    stays beyond :data:`HOLD_FRACTION` of the threshold on that side. Causal: the flag of run
    *i* depends on runs up to *i* only.

    Parameters
    ----------
    deviation : array-like
        Each run's value minus its baseline [unit], in time order; NaN runs are skipped.
    threshold : array-like
        Size a deviation must exceed [unit], > 0 (NaN: no decision for that run).

    Returns
    -------
    (flag, onset) : tuple of numpy.ndarray
        Boolean flag per run, and for flagged runs the index of the shift's first run (the
        earliest run of the triggering window that was itself beyond the threshold on that
        side); -1 elsewhere.
    """
    d = np.asarray(deviation, dtype=float)
    thr = np.asarray(threshold, dtype=float)
    level = _rolling_level(d)
    flag = np.zeros(d.size, dtype=bool)
    onset = np.full(d.size, -1)
    side, streak, current = 0, 0, -1
    seen: list[int] = []  # indices of valid runs so far
    for i in range(d.size):
        if not (np.isfinite(level[i]) and np.isfinite(thr[i])):
            if np.isfinite(d[i]):
                seen.append(i)
            continue
        seen.append(i)
        s = int(np.sign(level[i])) if abs(level[i]) > thr[i] else 0
        if current >= 0:  # inside a shift: hold while the level stays on that side
            if side * level[i] > HOLD_FRACTION * thr[i]:
                flag[i], onset[i] = True, current
                continue
            current, streak, side = -1, 0, 0
        if s != 0 and s == side:
            streak += 1
        else:
            side, streak = s, (1 if s else 0)
        if streak >= MIN_CONSECUTIVE_LEVELS:
            window = seen[-(LEVEL_RUNS + MIN_CONSECUTIVE_LEVELS - 1) :]
            beyond = [j for j in window if side * d[j] > thr[j]]
            current = beyond[0] if beyond else i
            flag[i], onset[i] = True, current
    return flag, onset


def _detect(times, values, min_size) -> dict[str, np.ndarray]:
    base, spread = rolling_baseline(times, values)
    min_size = np.asarray(min_size, dtype=float)
    floor = SPREAD_FLOOR_FRACTION * min_size
    thr = np.maximum(min_size, SPREAD_MULTIPLIER * np.fmax(spread, floor))
    dev = np.asarray(values, dtype=float) - base
    flag, start = sustained_shift(dev, thr)
    return {"baseline": base, "change": dev, "threshold": thr, "flag": flag, "start": start}


def trends(gait_df: pd.DataFrame) -> pd.DataFrame:
    """Speed-normalised trends, personal balance baseline and shift flags for ONE athlete.

    Parameters
    ----------
    gait_df : pandas.DataFrame
        One row per run of one athlete, as returned by ``Store.gait(athlete)``: needs
        ``start_time`` and ``speed_median_mps`` and uses the summary columns of
        :func:`analyzer.metrics.gait.summarize`.

    Returns
    -------
    pandas.DataFrame
        The same rows sorted by ``start_time``, with added columns: ``ref_speed_mps`` (the
        athlete's median run speed) [m/s]; for each metric in :data:`NORMALISED_METRICS`,
        ``<m>_at_ref`` (the run's value moved along the athlete's speed relation to the
        reference speed) and ``<m>_resid`` (run value minus the athlete's model at the run's
        speed) [metric unit]; ``gct_balance_baseline_pct`` [%], ``gct_balance_change_pts``
        (run − baseline, + = toward left) [percentage points] and ``balance_shift_flag``
        (bool: the run completes a sustained shift beyond the athlete's usual spread).
    """
    df = gait_df.copy()
    if "start_time" in df.columns:
        df["start_time"] = pd.to_datetime(df["start_time"], utc=True)
        df = df.sort_values("start_time", kind="stable")
    speed = _numeric(df, "speed_median_mps")
    ref = float(np.nanmedian(speed)) if np.isfinite(speed).any() else float("nan")
    df["ref_speed_mps"] = ref
    for metric, col in NORMALISED_METRICS.items():
        y = _numeric(df, col)
        at_ref, slope = speed_relation(speed, y, ref_speed=ref)
        shift = np.where(np.isfinite(speed), slope * (speed - ref), np.nan if slope else 0.0)
        df[f"{metric}_at_ref"] = y - shift
        df[f"{metric}_resid"] = y - shift - at_ref
    times = df["start_time"] if "start_time" in df.columns else pd.Series(pd.NaT, index=df.index)
    det = _detect(times, _numeric(df, _BALANCE), MIN_BALANCE_SHIFT_PTS)
    df["gct_balance_baseline_pct"] = det["baseline"]
    df["gct_balance_change_pts"] = det["change"]
    df["balance_shift_flag"] = det["flag"]
    return df


def _events(df: pd.DataFrame, metric: str, det: dict, sides: tuple[str, str]) -> list[dict]:
    events = []
    flag, start, change = det["flag"], det["start"], det["change"]
    times = df["start_time"].to_numpy()
    seen: set[int] = set()
    for i in np.flatnonzero(flag):
        s = int(start[i])
        if s in seen:
            continue
        seen.add(s)
        members = np.flatnonzero(start == s)
        # The streak runs from its start to the last run flagged with the same start.
        span = np.arange(s, members.max() + 1)
        valid = span[np.isfinite(change[span])]
        # Size from the first runs of the shift: later the moving baseline starts absorbing it.
        size = float(np.median(change[valid[: LEVEL_RUNS + MIN_CONSECUTIVE_LEVELS - 1]]))
        events.append(
            {
                "metric": metric,
                "onset": pd.Timestamp(times[s]),
                "side": sides[0] if size > 0 else sides[1],
                "size": size,
                "n_runs": int(valid.size),
                "baseline": float(det["baseline"][s]),
            }
        )
    return events


def flag_changes(trends_df: pd.DataFrame) -> pd.DataFrame:
    """Sustained shifts against the personal baseline, one row per shift.

    GCT balance is judged on the run medians (minimum size :data:`MIN_BALANCE_SHIFT_PTS`);
    cadence, ground contact time, vertical oscillation, step length and vertical ratio on their
    speed-normalised values (minimum size :data:`MIN_RELATIVE_SHIFT` of the baseline).

    Parameters
    ----------
    trends_df : pandas.DataFrame
        Output of :func:`trends` for one athlete.

    Returns
    -------
    pandas.DataFrame
        Columns ``metric`` (``"gct_balance_left_pct"`` or a normalised metric name), ``onset``
        (start time of the first run of the streak, UTC), ``side`` (``"left"``/``"right"`` for
        balance, the foot with the longer contact; ``"higher"``/``"lower"`` otherwise),
        ``size`` (median deviation from the baseline over the shift's first four runs) [metric
        unit], ``n_runs`` (runs from onset to the last flagged run; the shift ends when the
        moving baseline has absorbed it or the runner returns) and ``baseline`` (the
        baseline at onset) [metric unit]. Sorted by onset.
    """
    cols = ["metric", "onset", "side", "size", "n_runs", "baseline"]
    if trends_df is None or len(trends_df) == 0 or "start_time" not in trends_df.columns:
        return pd.DataFrame(columns=cols)
    df = trends_df.copy()
    df["start_time"] = pd.to_datetime(df["start_time"], utc=True)
    df = df.sort_values("start_time", kind="stable").reset_index(drop=True)
    events = []
    bal = _numeric(df, _BALANCE)
    events += _events(
        df,
        "gct_balance_left_pct",
        _detect(df["start_time"], bal, MIN_BALANCE_SHIFT_PTS),
        ("left", "right"),
    )
    for metric in NORMALISED_METRICS:
        y = _numeric(df, f"{metric}_at_ref")
        if not np.isfinite(y).any():
            continue
        base, _ = rolling_baseline(df["start_time"], y)
        min_size = MIN_RELATIVE_SHIFT * np.abs(base)
        det = _detect(df["start_time"], y, np.where(np.isfinite(min_size), min_size, np.inf))
        events += _events(df, metric, det, ("higher", "lower"))
    out = pd.DataFrame(events, columns=cols)
    if len(out):
        out["onset"] = pd.to_datetime(out["onset"], utc=True)
        out = out.sort_values(["onset", "metric"], kind="stable").reset_index(drop=True)
    return out


#: Units of the metrics shown by :func:`current_vs_baseline`.
METRIC_UNITS: dict[str, str] = {
    "cadence_spm": "steps/min",
    "stance_time_ms": "ms",
    "vertical_oscillation_mm": "mm",
    "step_length_mm": "mm",
    "vertical_ratio_pct": "%",
    "gct_balance_left_pct": "% L",
}


def current_vs_baseline(trends_df: pd.DataFrame, *, asof=None) -> pd.DataFrame:
    """The last week against the personal baseline, for every trend metric.

    Parameters
    ----------
    trends_df : pandas.DataFrame
        Output of :func:`trends` for one athlete.
    asof : datetime-like, optional
        End of the "recent" week (UTC); default the start of the latest run.

    Returns
    -------
    pandas.DataFrame
        Indexed by metric (the speed-normalised ``<m>_at_ref`` values, and the GCT balance run
        medians as ``gct_balance_left_pct``), columns ``unit``, ``recent`` (median of the runs
        in the :data:`BASELINE_GAP_DAYS` days up to ``asof``), ``baseline`` (median of the runs
        from :data:`BASELINE_WINDOW_DAYS` to :data:`BASELINE_GAP_DAYS` days before ``asof``),
        ``change`` (recent − baseline) [metric unit] and ``n_recent``, ``n_baseline``.
    """
    cols = ["unit", "recent", "baseline", "change", "n_recent", "n_baseline"]
    if trends_df is None or len(trends_df) == 0:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="metric"))
    t = pd.to_datetime(trends_df["start_time"], utc=True)
    end = t.max() if asof is None else pd.Timestamp(asof)
    end = end.tz_localize("UTC") if end.tzinfo is None else end.tz_convert("UTC")
    gap = end - pd.Timedelta(days=BASELINE_GAP_DAYS)
    recent = (t > gap) & (t <= end)
    base = (t > end - pd.Timedelta(days=BASELINE_WINDOW_DAYS)) & (t <= gap)
    rows = {}
    sources = {m: f"{m}_at_ref" for m in NORMALISED_METRICS} | {"gct_balance_left_pct": _BALANCE}
    for metric, col in sources.items():
        v = pd.Series(_numeric(trends_df, col), index=trends_df.index)
        r, b = v[recent.to_numpy()].dropna(), v[base.to_numpy()].dropna()
        rm = float(r.median()) if len(r) else float("nan")
        bm = float(b.median()) if len(b) >= MIN_BASELINE_RUNS else float("nan")
        rows[metric] = [METRIC_UNITS[metric], rm, bm, rm - bm, len(r), len(b)]
    out = pd.DataFrame.from_dict(rows, orient="index", columns=cols)
    out.index.name = "metric"
    return out
