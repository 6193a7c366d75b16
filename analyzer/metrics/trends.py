"""Per-athlete gait trends: speed normalisation, a frozen personal reference and changes.

Input is one athlete's per-run summaries (rows of ``Store.gait(athlete)``: identity columns
plus :func:`analyzer.metrics.gait.summarize` fields). Public entry points, re-exported by
:mod:`analyzer.metrics.gait`: :func:`trends` and :func:`flag_changes`.

Why speed normalisation: ground contact time, cadence, vertical oscillation and step length all
change with pace, and per-runner speed relations differ a lot (Zandbergen et al. 2023 [1]_),
so runs are compared at one reference speed through each runner's own robust regression.

Why a personal baseline: the largest prospective study found that absolute gait asymmetry did
not raise injury risk (Malisoux et al. 2024 [2]_), so what is flagged is a *new, sustained*
change against the runner's own reference period, never one noisy run and never asymmetry
alone. The reference is frozen (it does not follow a shift) and changes are found with a
two-sided CUSUM of known in-control run length: method, parameters and sources are in
:mod:`analyzer.metrics.change`.

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

from analyzer.metrics import change
from analyzer.schema import BASELINE_METRICS, utc

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

#: Smallest GCT-balance change flagged [percentage points]: 0.8 points is the step from Garmin's
#: green band (within 0.7 of 50) into orange [4]_, i.e. a change a runner would see as a colour.
MIN_BALANCE_SHIFT_PTS: float = 0.8

#: Smallest cadence change at the reference speed flagged [steps/min]: about 2 % of a typical
#: 170 spm, i.e. below the smallest step-rate change tested by Heiderscheit et al. 2011 [3]_ (5 %,
#: ~8.5 spm) so a change is seen while it is still smaller than the effects studied, and about
#: twice a typical run-to-run spread at matched speed (1-1.5 spm) and three times the FIT
#: resolution (1 spm).
MIN_CADENCE_SHIFT_SPM: float = 3.0

#: Smallest relative change flagged for the other speed-normalised metrics (GCT, VO, step length,
#: vertical ratio): 5 %, the size of the smallest step-rate change shown to alter joint loading
#: (Heiderscheit et al. 2011 [3]_), taken as the scale of a meaningful gait change.
MIN_RELATIVE_SHIFT: float = 0.05

#: Days of the "recent" window of :func:`current_vs_baseline`: the one comparison of each metric
#: with its reference that the trends table, the risk drivers, the flags and the report quote.
RECENT_DAYS: int = 14

_BALANCE = "gct_balance_left_median_pct"
#: The metric name of GCT balance in flags, accepted baselines and current_vs_baseline.
BALANCE_METRIC = "gct_balance_left_pct"
#: Every metric that has a reference (names accepted by ``Store.accept_baseline``).
METRICS: tuple[str, ...] = (BALANCE_METRIC, *NORMALISED_METRICS)
assert METRICS == BASELINE_METRICS, "schema.BASELINE_METRICS must name the same metrics"


#: Dynamics sources worn on the body: each keeps its own reference whatever watch records it.
BODY_SENSORS: tuple[str, ...] = ("chest_strap", "pod", "stryd")


def reference_sources(df: pd.DataFrame) -> pd.Series | None:
    """What measured each run's gait, the key of its reference period.

    A strap, pod or Stryd is its own source (``dynamics_source``); everything else the watch
    measures at the wrist (cadence, wrist dynamics, wrist power), so the watch's model is the
    source: ``"watch:<device>"``. A new watch therefore starts a new reference, as a new strap
    or pod does: a wrist cadence frozen on one watch does not judge another watch's runs.
    Without a ``device`` column the dynamics source alone is used.
    """
    if "dynamics_source" not in df.columns:
        return None
    src = df["dynamics_source"].astype("object").fillna("none").astype(str)
    if "device" not in df.columns:
        return src
    device = df["device"].astype("object").fillna("").astype(str).str.strip()
    at_wrist = ~src.isin(BODY_SENSORS) & (device != "")
    return src.where(~at_wrist, "watch:" + device)


def describe_source(key: str) -> str:
    """A reference key of :func:`reference_sources` in words (``watch:fr55`` → ``the watch fr55``)."""
    key = str(key)
    return f"the watch {key[6:]}" if key.startswith("watch:") else f"the {key}"


#: How a GCT-balance change moved against 50/50 (:func:`balance_move`).
AWAY, ACROSS, TOWARD = "away", "across", "toward"


def balance_move(reference: float, now: float) -> str:
    """Whether a GCT balance that was ``reference`` and is ``now`` [% left] moved away from
    50/50 (or kept its distance), across it, or toward it without crossing: the one rule the
    flags (``toward_even``) and the risk driver's weight use."""
    before, after = reference - 50.0, now - 50.0
    if before * after < 0:
        return ACROSS
    return TOWARD if abs(after) < abs(before) else AWAY


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


def _accepted_for(accepted, metric: str) -> list:
    """Accepted-baseline dates that apply to ``metric`` (metric None/NaN applies to all)."""
    if accepted is None:
        return []
    if isinstance(accepted, dict):
        return list(accepted.get(metric, [])) + list(accepted.get(None, []))
    df = pd.DataFrame(accepted)
    if df.empty:
        return []
    which = df["metric"].isna() | (df["metric"] == metric)
    return list(pd.to_datetime(df.loc[which, "asof"], utc=True))


def _min_size(metric: str, values: np.ndarray, sources, times, accepted) -> np.ndarray:
    if metric == BALANCE_METRIC:
        return np.full(values.size, MIN_BALANCE_SHIFT_PTS)
    if metric == "cadence_spm":
        return np.full(values.size, MIN_CADENCE_SHIFT_SPM)
    level = change.reference(times, values, sources, accepted=accepted)["level"]
    return np.where(np.isfinite(level), MIN_RELATIVE_SHIFT * np.abs(level), np.inf)


def _detect_metric(df: pd.DataFrame, metric: str, accepted) -> dict[str, np.ndarray]:
    col = _BALANCE if metric == BALANCE_METRIC else f"{metric}_at_ref"
    values = _numeric(df, col)
    times = df["start_time"]
    sources = df["reference_source"] if "reference_source" in df.columns else None
    acc = _accepted_for(accepted, metric)
    size = _min_size(metric, values, sources, times, acc)
    return change.detect(times, values, sources, min_size=size, accepted=acc)


def _stem(metric: str) -> str:
    return "gct_balance" if metric == BALANCE_METRIC else metric


def trends(gait_df: pd.DataFrame, *, accepted=None) -> pd.DataFrame:
    """Speed-normalised trends, the frozen personal reference and change flags for ONE athlete.

    Parameters
    ----------
    gait_df : pandas.DataFrame
        One row per run of one athlete, as returned by ``Store.gait(athlete)``: needs
        ``start_time`` and ``speed_median_mps`` and uses the summary columns of
        :func:`analyzer.metrics.gait.summarize` (and ``dynamics_source``: each sensor has its
        own reference).
    accepted : DataFrame or dict, optional
        Accepted baselines (``Store.accepted_baselines(athlete)``: columns ``metric``, None for
        every metric, and ``asof``); a new reference starts at each.

    Returns
    -------
    pandas.DataFrame
        The same rows sorted by ``start_time``, with added columns: ``ref_speed_mps`` (the
        athlete's median run speed) [m/s]; for each metric in :data:`NORMALISED_METRICS`,
        ``<m>_at_ref`` (the run's value moved along the athlete's speed relation to the
        reference speed) and ``<m>_resid`` (run value minus the athlete's model at the run's
        speed) [metric unit]. For every metric of :data:`METRICS` (stem ``gct_balance`` for
        the balance) the change detection of :mod:`analyzer.metrics.change`: ``<stem>_ref``
        (reference level) and ``<stem>_ref_spread`` [unit], ``<stem>_ref_n`` (runs in it, or
        collected so far while incomplete), ``<stem>_ref_start`` / ``<stem>_ref_end`` (UTC),
        ``<stem>_ref_ready``, ``<stem>_in_ref`` (the run is part of the reference period),
        ``<stem>_monitored`` (judged against a complete reference),
        ``<stem>_change`` (value − reference) [unit], ``<stem>_shift`` (+1/−1 while a change
        is flagged, else 0) and ``<stem>_shift_onset`` (UTC start of the flagged change). For
        the balance also the names of earlier versions: ``gct_balance_baseline_pct`` [%],
        ``gct_balance_change_pts`` (+ = toward left) [points] and ``balance_shift_flag``.
    """
    df = gait_df.copy()
    if "start_time" in df.columns:
        df["start_time"] = pd.to_datetime(df["start_time"], utc=True)
        df = df.sort_values("start_time", kind="stable")
    else:
        df["start_time"] = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns, UTC]")
    speed = _numeric(df, "speed_median_mps")
    ref = float(np.nanmedian(speed)) if np.isfinite(speed).any() else float("nan")
    df["ref_speed_mps"] = ref
    for metric, col in NORMALISED_METRICS.items():
        y = _numeric(df, col)
        at_ref, slope = speed_relation(speed, y, ref_speed=ref)
        shift = np.where(np.isfinite(speed), slope * (speed - ref), np.nan if slope else 0.0)
        df[f"{metric}_at_ref"] = y - shift
        df[f"{metric}_resid"] = y - shift - at_ref
    return with_change_detection(df, accepted=accepted)


def with_change_detection(df: pd.DataFrame, *, accepted=None) -> pd.DataFrame:
    """Add the change-detection columns of :func:`trends` to a frame that has the values.

    ``df`` must be sorted by ``start_time`` (UTC) and hold ``gct_balance_left_median_pct`` and
    the ``<m>_at_ref`` columns (missing ones count as no data).
    """
    df = df.copy()
    sources = reference_sources(df)
    if sources is not None:
        df["reference_source"] = sources
    clock = df["start_time"].notna().all()
    new: dict[str, object] = {}
    for metric in METRICS:
        stem = _stem(metric)
        if not clock or len(df) == 0:
            det = change.detect([], [], min_size=1.0)
            det = {k: np.resize(v, len(df)) if len(df) else v for k, v in det.items()}
        else:
            det = _detect_metric(df, metric, accepted)
        onset_time = np.full(len(df), np.datetime64("NaT"), dtype="datetime64[ns]")
        t = df["start_time"].to_numpy(dtype="datetime64[ns]")
        has = det["onset"] >= 0
        onset_time[has] = t[det["onset"][has]]
        ready = det["ready"] if len(df) else np.zeros(0, dtype=bool)
        new[f"{stem}_ref"] = np.where(ready, det["level"], np.nan)
        new[f"{stem}_ref_spread"] = det["spread"]
        new[f"{stem}_ref_n"] = np.where(ready, det["n"], det["n_so_far"])
        new[f"{stem}_ref_start"] = pd.to_datetime(det["start"], utc=True)
        new[f"{stem}_ref_end"] = pd.to_datetime(det["end"], utc=True)
        new[f"{stem}_ref_ready"] = ready.astype(bool)
        new[f"{stem}_monitored"] = det["monitored"].astype(bool)
        new[f"{stem}_in_ref"] = det["in_reference"].astype(bool)
        new[f"{stem}_change"] = np.where(ready, det["change"], np.nan)
        new[f"{stem}_shift"] = det["side"].astype(int)
        new[f"{stem}_shift_onset"] = pd.to_datetime(onset_time, utc=True)
    df = pd.concat([df, pd.DataFrame(new, index=df.index)], axis=1)
    df["gct_balance_baseline_pct"] = df["gct_balance_ref"]
    df["gct_balance_change_pts"] = df["gct_balance_change"]
    df["balance_shift_flag"] = df["gct_balance_shift"] != 0
    return df


def flag_changes(trends_df: pd.DataFrame, *, accepted=None, current=None) -> pd.DataFrame:
    """Changes against the frozen personal reference, one row per flagged change.

    GCT balance is judged on the run medians (minimum size :data:`MIN_BALANCE_SHIFT_PTS`);
    cadence on its value at the reference speed (:data:`MIN_CADENCE_SHIFT_SPM`); ground contact
    time, vertical oscillation, step length and vertical ratio on their speed-normalised values
    (:data:`MIN_RELATIVE_SHIFT` of the reference). The method (two-sided CUSUM, in-control ARL
    ~465 runs) is described in :mod:`analyzer.metrics.change`.

    Parameters
    ----------
    trends_df : pandas.DataFrame
        Output of :func:`trends` for one athlete.
    accepted : DataFrame or dict, optional
        Accepted baselines, as for :func:`trends`.
    current : DataFrame, optional
        :func:`current_vs_baseline` of ``trends_df`` as of its latest run, when the caller has it
        already (computed here otherwise).

    Returns
    -------
    pandas.DataFrame
        Columns ``metric`` (``"gct_balance_left_pct"`` or a normalised metric name), ``onset``
        (first run of the change, UTC), ``side`` (``"left"``/``"right"`` for balance: the foot
        the balance moved toward, i.e. whose contact got relatively longer;
        ``"higher"``/``"lower"`` otherwise), ``size`` (signed change against the reference:
        for an ongoing change the one comparison of :func:`current_vs_baseline`, else the median
        change of the latest five flagged runs) [metric unit], ``n_runs`` (flagged runs),
        ``baseline`` (reference level) [metric unit], ``last`` (latest flagged run, UTC),
        ``ongoing`` (still flagged at the latest run), ``reference_start`` /
        ``reference_end`` (UTC dates of the reference period) and ``toward_even`` (balance
        only: the change brought the balance closer to 50/50 without crossing it; it weighs
        less in the index, see ``risk.features.balance_weight``). Sorted by onset.
    """
    cols = [
        "metric",
        "onset",
        "side",
        "size",
        "n_runs",
        "baseline",
        "last",
        "ongoing",
        "reference_start",
        "reference_end",
        "toward_even",
    ]
    if trends_df is None or len(trends_df) == 0 or "start_time" not in trends_df.columns:
        return pd.DataFrame(columns=cols)
    df = trends_df.copy()
    df["start_time"] = pd.to_datetime(df["start_time"], utc=True)
    df = df.sort_values("start_time", kind="stable").reset_index(drop=True)
    if df["start_time"].isna().any():
        return pd.DataFrame(columns=cols)
    rows = []
    # an ongoing change quotes the one comparison of its metric (current_vs_baseline), so the
    # flag, the trends table and the risk driver give the same number
    if current is None and "gct_balance_monitored" in df.columns:
        current = current_vs_baseline(df)
    for metric in METRICS:
        if metric != BALANCE_METRIC and not np.isfinite(_numeric(df, f"{metric}_at_ref")).any():
            continue
        det = _detect_metric(df, metric, accepted)
        for ev in change.events(df["start_time"], det):
            if ev["ongoing"] and current is not None and np.isfinite(current.loc[metric, "change"]):
                ev["size"] = float(current.loc[metric, "change"])
            up = ev["direction"] > 0
            toward_even = None
            if metric == BALANCE_METRIC:
                side = "left" if up else "right"
                toward_even = balance_move(ev["baseline"], ev["baseline"] + ev["size"]) == TOWARD
            else:
                side = "higher" if up else "lower"
            rows.append(
                {
                    "metric": metric,
                    "onset": ev["onset"],
                    "side": side,
                    "size": ev["size"],
                    "n_runs": ev["n_runs"],
                    "baseline": ev["baseline"],
                    "last": ev["last"],
                    "ongoing": ev["ongoing"],
                    "reference_start": ev["reference_start"],
                    "reference_end": ev["reference_end"],
                    "toward_even": toward_even,
                }
            )
    out = pd.DataFrame(rows, columns=cols)
    if len(out):
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
    """The one comparison of every trend metric with the frozen personal reference.

    Each metric's change is computed here once (reference, window, speed normalisation, dates)
    and every table, risk driver, flag and sentence quotes this number with its dates.

    Parameters
    ----------
    trends_df : pandas.DataFrame
        Output of :func:`trends` for one athlete.
    asof : datetime-like, optional
        End of the recent window (UTC); default the start of the latest run.

    Returns
    -------
    pandas.DataFrame
        Indexed by metric (the speed-normalised ``<m>_at_ref`` values, and the GCT balance run
        medians as ``gct_balance_left_pct``), columns ``unit``, ``recent`` (the reference plus
        the change, or the median of the recent runs while there is no reference), ``baseline``
        (the reference level that applies to the latest judged run, NaN while the reference is
        incomplete), ``change`` (median change of the judged runs, i.e. the runs of the
        :data:`RECENT_DAYS` days up to ``asof`` compared with a complete reference) [metric
        unit], ``n_recent`` (runs with the metric in the window), ``n_judged``, ``n_baseline``
        (runs in the reference), ``recent_start`` / ``recent_end`` (first and last judged run,
        else recent run) and ``baseline_start`` / ``baseline_end`` (the reference period), UTC.
    """
    cols = [
        "unit",
        "recent",
        "baseline",
        "change",
        "n_recent",
        "n_judged",
        "n_baseline",
        "recent_start",
        "recent_end",
        "baseline_start",
        "baseline_end",
    ]
    if trends_df is None or len(trends_df) == 0:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="metric"))
    df = trends_df.sort_values("start_time", kind="stable")
    t = pd.to_datetime(df["start_time"], utc=True)
    end = t.max() if asof is None else pd.Timestamp(asof)
    end = utc(end)
    recent = ((t > end - pd.Timedelta(days=RECENT_DAYS)) & (t <= end)).to_numpy()
    rows = {}
    sources = {m: f"{m}_at_ref" for m in NORMALISED_METRICS} | {BALANCE_METRIC: _BALANCE}
    for metric, col in sources.items():
        stem = _stem(metric)
        v = _numeric(df, col)
        sel = recent & np.isfinite(v)
        monitored = (
            df[f"{stem}_monitored"].to_numpy(dtype=bool)
            if f"{stem}_monitored" in df.columns
            else np.zeros(len(df), dtype=bool)
        )
        judged = sel & monitored
        ch = _numeric(df, f"{stem}_change")[judged]
        ch = ch[np.isfinite(ch)]
        base = bstart = bend = None
        n_base = 0
        if judged.any():
            last = df.iloc[int(np.flatnonzero(judged)[-1])]
            base = float(last[f"{stem}_ref"])
            n_base = int(last[f"{stem}_ref_n"])
            bstart, bend = last[f"{stem}_ref_start"], last[f"{stem}_ref_end"]
        moved = float(np.median(ch)) if ch.size and base is not None else float("nan")
        level = base + moved if base is not None and np.isfinite(moved) else float("nan")
        if not np.isfinite(level) and sel.any():
            level = float(np.median(v[sel]))
        window = judged if judged.any() else sel
        rows[metric] = [
            METRIC_UNITS[metric],
            level,
            float("nan") if base is None else base,
            moved,
            int(sel.sum()),
            int(judged.sum()),
            n_base,
            t[window].min() if window.any() else pd.NaT,
            t[window].max() if window.any() else pd.NaT,
            bstart if bstart is not None else pd.NaT,
            bend if bend is not None else pd.NaT,
        ]
    out = pd.DataFrame.from_dict(rows, orient="index", columns=cols)
    out.index.name = "metric"
    return out
