"""Per-run gait summaries: which samples are running, medians and spread, bands, fatigue drift.

Everything here is a pure function of a records DataFrame in the data contract's columns
(:data:`analyzer.schema.RECORD_COLUMNS`). :func:`summarize` is what the store caches per run,
keyed by :data:`METRIC_VERSION`; bump the version whenever a number it returns would change.

The per-athlete functions (speed normalisation, references, change detection) live in
:mod:`analyzer.metrics.trends`.

References
----------
.. [1] Garmin, Forerunner 945 and Enduro 3 owner's manuals (JA): running-dynamics colour
   gauges; see :mod:`analyzer.metrics.bands`.
.. [2] Hreljac A. (1993) Preferred and energetically optimal gait transition speeds in human
   locomotion. Med Sci Sports Exerc 25(10):1158-1162 (walk-run transition near 2.0 m/s).
.. [3] Tudor-Locke C. et al. (2018) How fast is fast enough? Walking cadence (steps/min) as a
   practical estimate of intensity in adults: a narrative review. Br J Sports Med
   52:776-788 (about 100 steps/min marks moderate and 130 vigorous walking).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analyzer.metrics import bands
from analyzer.metrics.robust import huber_fits

__all__ = [
    "METRIC_VERSION",
    "SUMMARY_KEYS",
    "summarize",
    "running_mask",
    "matched_speed_drift",
    "matched_speed_drifts",
]

#: Version of the numbers :func:`summarize` returns; the store recomputes cached rows when it
#: changes. Bump on any change to thresholds, filters or formulas.
METRIC_VERSION: int = 3

#: Lowest speed counted as running [m/s]. Humans switch from walking to running near 2.0 m/s
#: [2]_; 1.5 m/s (11:07 min/km) leaves room for slow jogging, recovery shuffles and GPS lag,
#: while the cadence test below removes brisk walking at that speed.
MIN_RUNNING_SPEED_MPS: float = 1.5

#: Cadence range counted as running [steps/min]. Even vigorous walking is near 130 steps/min
#: [3]_; Garmin's lowest (red) running band starts below 153 [1]_, so 140 keeps slow
#: runners. 250 is above any sustained distance-running cadence and rejects sensor spikes.
RUNNING_CADENCE_RANGE_SPM: tuple[float, float] = (140.0, 250.0)

#: Plausible ranges of each dynamics metric during running; values outside are sensor
#: artefacts (standing, transitions) and are dropped for that metric only. Chosen wide around
#: Garmin's band limits [1]_ so that genuine extremes survive.
PLAUSIBLE_RANGES: dict[str, tuple[float, float]] = {
    "stance_time_ms": (100.0, 500.0),
    "vertical_oscillation_mm": (20.0, 200.0),
    "vertical_ratio_pct": (2.0, 20.0),
    "step_length_mm": (300.0, 2500.0),
    "gct_balance_left_pct": (30.0, 70.0),
}

#: Longest gap between records counted as running time [s]. Garmin "smart recording" writes a
#: record every 1-8 s; longer gaps are pauses and must not push samples into a later third.
MAX_SAMPLE_GAP_S: float = 10.0

#: Fewest running samples in each of the first and last thirds for a drift estimate.
MIN_SAMPLES_PER_THIRD: int = 20

#: Below this within-run speed spread [m/s] the drift model has no speed term (a treadmill or
#: a steady run gives nothing to regress on).
MIN_SPEED_SPREAD_MPS: float = 0.05

#: Huber tuning constant for the within-run drift regression (95 % efficiency under normal
#: errors), in units of the residuals' robust scale.
HUBER_K: float = 1.345

_MEDIAN_IQR = (
    ("cadence_spm", "cadence_median_spm", "cadence_iqr_spm"),
    ("stance_time_ms", "stance_time_median_ms", "stance_time_iqr_ms"),
    ("vertical_oscillation_mm", "vertical_oscillation_median_mm", "vertical_oscillation_iqr_mm"),
    ("vertical_ratio_pct", "vertical_ratio_median_pct", "vertical_ratio_iqr_pct"),
    ("step_length_mm", "step_length_median_mm", "step_length_iqr_mm"),
)
_DRIFT = (
    ("gct_balance_left_pct", "drift_gct_balance_left_pts"),
    ("stance_time_ms", "drift_stance_time_ms"),
    ("cadence_spm", "drift_cadence_spm"),
    ("vertical_oscillation_mm", "drift_vertical_oscillation_mm"),
)

#: The keys of :func:`summarize`'s result, in order (other modules and the store rely on them).
SUMMARY_KEYS: tuple[str, ...] = (
    "n_samples",
    "n_running",
    "speed_median_mps",
    "cadence_median_spm",
    "cadence_iqr_spm",
    "stance_time_median_ms",
    "stance_time_iqr_ms",
    "vertical_oscillation_median_mm",
    "vertical_oscillation_iqr_mm",
    "vertical_ratio_median_pct",
    "vertical_ratio_iqr_pct",
    "step_length_median_mm",
    "step_length_iqr_mm",
    "gct_balance_left_median_pct",
    "gct_balance_dev_pts",
    "gct_balance_outside_green_share",
    "cadence_band",
    "stance_time_band",
    "vertical_oscillation_band",
    "vertical_ratio_band",
    "gct_balance_band",
    "drift_gct_balance_left_pts",
    "drift_stance_time_ms",
    "drift_cadence_spm",
    "drift_vertical_oscillation_mm",
    "cv_stance_time",
    "cv_cadence",
)

_DYNAMICS = tuple(PLAUSIBLE_RANGES)
_VALUE_COLUMNS = ("speed_mps", "cadence_spm", *_DYNAMICS)


def _get(records, name: str):
    """Column ``name`` of ``records`` (a Series of a DataFrame, an array of a
    :class:`~analyzer.store.blocks.Block`), or None."""
    if isinstance(records, pd.DataFrame):
        return records[name] if name in records.columns else None
    return records.columns.get(name)


def _column(records, name: str) -> np.ndarray:
    col = _get(records, name)
    if col is None:
        return np.full(len(records), np.nan)
    if col.dtype == np.float64:
        return np.asarray(col)  # (read only; nothing here writes into a column)
    col = pd.Series(col, copy=False) if isinstance(col, np.ndarray) else col
    if not pd.api.types.is_numeric_dtype(col.dtype):
        col = pd.to_numeric(col, errors="coerce")
    return col.to_numpy(dtype=float, na_value=np.nan)


#: int64 value of NaT.
_NAT = np.iinfo(np.int64).min
#: Nanoseconds per tick of the datetime units records come in.
_NS_PER_TICK = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}


def _seconds(records) -> np.ndarray:
    """Record times as float seconds (timestamp, else elapsed_s, else the row position)."""
    ts = _get(records, "timestamp")
    if ts is not None:
        out = _unix_seconds(ts)
        if out is None:
            ts = pd.Series(ts, copy=False) if isinstance(ts, np.ndarray) else ts
            if not isinstance(ts.dtype, pd.DatetimeTZDtype):
                ts = pd.to_datetime(ts, utc=True, errors="coerce")
            ns = ts.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
            out = np.where(np.isnat(ns), np.nan, ns.astype(np.int64) / 1e9)
        if np.isfinite(out).any():
            return out
    if "elapsed_s" in records.columns:
        out = _column(records, "elapsed_s")
        if np.isfinite(out).any():
            return out
    return np.arange(len(records), dtype=float)


def _unix_seconds(ts) -> np.ndarray | None:
    """Datetimes (a Series or an array; naive ones are UTC) as float Unix seconds (NaN for
    NaT), as the pandas path of :func:`_seconds` gives them (whole nanoseconds / 1e9), from
    their integer ticks; None for anything else (text times, a unit or range that path
    handles itself)."""
    values = ts.array if isinstance(ts, pd.Series) else ts
    if isinstance(values, pd.arrays.DatetimeArray):
        unit, ticks = values.unit, values.asi8
    elif isinstance(values, np.ndarray) and values.dtype.kind == "M":
        unit, ticks = np.datetime_data(values.dtype)[0], values.view(np.int64)
    else:
        return None
    factor = _NS_PER_TICK.get(unit)
    nat = ticks == _NAT
    if factor is None or (ticks.size and np.abs(ticks[~nat]).max(initial=0) > _NAT // -factor):
        return None
    out = (ticks * factor) / 1e9
    out[nat] = np.nan
    return out


def running_mask(speed, cadence, stance_time=None) -> np.ndarray:
    """Which samples count as running.

    A sample is running when it moves faster than :data:`MIN_RUNNING_SPEED_MPS`, its cadence
    lies in :data:`RUNNING_CADENCE_RANGE_SPM`, and (when the run records ground contact time at
    all) its ground contact time is valid. A run without any speed (treadmill without a foot
    pod) or without any cadence is judged on the other criteria alone.

    Parameters
    ----------
    speed : array-like
        Speed [m/s].
    cadence : array-like
        Cadence, both feet [steps/min].
    stance_time : array-like, optional
        Ground contact time [ms].

    Returns
    -------
    numpy.ndarray of bool
    """
    speed = np.asarray(speed, dtype=float)
    cadence = np.asarray(cadence, dtype=float)
    with np.errstate(invalid="ignore"):
        ok = np.ones(speed.shape, dtype=bool)
        if np.isfinite(speed).any():
            ok &= speed > MIN_RUNNING_SPEED_MPS
        lo, hi = RUNNING_CADENCE_RANGE_SPM
        if np.isfinite(cadence).any():
            ok &= (cadence >= lo) & (cadence <= hi)
        if stance_time is not None:
            st = np.asarray(stance_time, dtype=float)
            if np.isfinite(st).any():
                lo, hi = PLAUSIBLE_RANGES["stance_time_ms"]
                ok &= (st >= lo) & (st <= hi)
        if not np.isfinite(speed).any() and not np.isfinite(cadence).any():
            ok &= False
    return ok


def matched_speed_drift(values, speed, position) -> float:
    """Fatigue drift: last third minus first third of a run at matched speed.

    Fits ``value = a + b * (speed - median speed) + c * (position - centre of its third)
    + drift * [last third]`` by a Huber regression on the samples of the first and last thirds.
    The speed term keeps a faster or slower finish from masquerading as drift; the shared
    within-third time term keeps a gradual drift from leaking into the speed slope when speed
    also changes steadily. Without usable speed (none recorded, or a near-constant pace) the
    speed term is dropped.

    Parameters
    ----------
    values : array-like
        The metric's running samples [its unit].
    speed : array-like
        Speed of the same samples [m/s].
    position : array-like
        Where each sample falls in the run's running time, 0 (start) to 1 (end) [-].

    Returns
    -------
    float
        Drift [the metric's unit]; NaN with fewer than :data:`MIN_SAMPLES_PER_THIRD` valid
        samples in the first or last third.
    """
    return matched_speed_drifts({"value": values}, speed, position)["value"]


def matched_speed_drifts(values: dict, speed, position) -> dict[str, float]:
    """:func:`matched_speed_drift` of several metrics of one run (``{name: samples}``), with
    the metrics that have valid samples at the same instants fitted together
    (:func:`analyzer.metrics.robust.huber_fits`: the same fits, a quarter of the calls)."""
    s = np.asarray(speed, dtype=float)
    pos = np.asarray(position, dtype=float)
    third = np.minimum(np.floor(3.0 * pos), 2.0)
    usable = np.isfinite(pos) & ((third == 0) | (third == 2))
    out: dict[str, float] = {}
    groups: dict[bytes, list[str]] = {}
    arrays = {name: np.asarray(v, dtype=float) for name, v in values.items()}
    for name, v in arrays.items():
        keep = np.isfinite(v) & usable
        last = third[keep] == 2
        if last.sum() < MIN_SAMPLES_PER_THIRD or (~last).sum() < MIN_SAMPLES_PER_THIRD:
            out[name] = float("nan")
        else:
            groups.setdefault(np.packbits(keep).tobytes(), []).append(name)
    for names in groups.values():
        keep = np.isfinite(arrays[names[0]]) & usable
        last = third[keep] == 2
        sp = s[keep]
        within = pos[keep] - (third[keep] + 0.5) / 3.0
        cols = [np.ones(last.size), within]
        use_speed = np.isfinite(sp).all() and np.std(sp) >= MIN_SPEED_SPREAD_MPS
        if use_speed:
            # Speed must vary within each third too, or it would only re-label the thirds.
            use_speed = min(np.std(sp[last]), np.std(sp[~last])) >= MIN_SPEED_SPREAD_MPS
        if use_speed:
            cols.append(sp - np.median(sp))
        cols.append(last.astype(float))
        Y = np.column_stack([arrays[n][keep] for n in names])
        drift = huber_fits(np.column_stack(cols), Y, k=HUBER_K)[-1]
        out.update({n: float(d) for n, d in zip(names, drift, strict=True)})
    return {name: out[name] for name in values}


def _position(seconds: np.ndarray) -> np.ndarray:
    """Fraction (0..1) of the run's running time elapsed at each sample (sorted by time)."""
    if seconds.size == 0:
        return np.zeros(0)
    dt = np.diff(seconds, prepend=seconds[0])
    dt = np.where(np.isfinite(dt), np.clip(dt, 0.0, MAX_SAMPLE_GAP_S), 0.0)
    active = np.cumsum(dt)
    total = active[-1]
    if total <= 0:
        # No usable clock: fall back to sample counts.
        active = np.arange(seconds.size, dtype=float)
        total = max(active[-1], 1.0)
    return np.minimum(active / total, 1.0 - 1e-12)


def _median_iqr(x: np.ndarray) -> tuple[float, float]:
    x = np.sort(x[np.isfinite(x)])
    if x.size == 0:
        return float("nan"), float("nan")
    q1, q2, q3 = (_sorted_quantile(x, q) for q in (0.25, 0.5, 0.75))
    return q2, q3 - q1


def _sorted_quantile(x: np.ndarray, q: float) -> float:
    """``np.quantile(x, q)`` (linear interpolation) of a sorted, non-empty array of finite
    values, to the last bit: the same index, weight and interpolation as numpy's, without its
    per-call partition and array set-up (which cost more than sorting a run's samples)."""
    n = x.size
    at = (n - 1) * q
    if at >= n - 1:
        return float(x[-1])
    i = math.floor(at)
    t = at - i
    a, b = float(x[i]), float(x[i + 1])
    diff = b - a
    # (numpy interpolates from the nearer end, which keeps the result monotonic in q)
    return b - diff * (1 - t) if t >= 0.5 else a + diff * t


def _cv(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    if x.size < 2:
        return float("nan")
    m = x.mean()
    return float(x.std(ddof=1) / m) if m > 0 else float("nan")


def summarize(records: pd.DataFrame, *, dynamics_source: str | None = None) -> pd.Series:
    """Summarise one run's records into the per-run gait numbers.

    Parameters
    ----------
    records : pandas.DataFrame
        One run's records in contract columns (any missing column counts as all-NaN), or a
        :class:`~analyzer.store.blocks.Block` of them. Row order, duplicate timestamps and
        NaN do not matter.
    dynamics_source : str, optional
        Sensor that produced the dynamics (:data:`analyzer.schema.DYNAMICS_SOURCES`); selects
        Garmin's VO/VR band table (see :func:`analyzer.metrics.bands.vertical_oscillation_band`).
        None (unknown) uses the chest-strap table.

    Returns
    -------
    pandas.Series
        Keys :data:`SUMMARY_KEYS`: ``n_samples`` and ``n_running`` [-]; ``speed_median_mps``
        [m/s]; median and inter-quartile range of cadence [steps/min], ground contact time
        [ms], vertical oscillation [mm], vertical ratio [%] and step length [mm] over running
        samples (step length from speed / step rate when the records have none);
        ``gct_balance_left_median_pct`` [%]; ``gct_balance_dev_pts`` (median − 50,
        + = left foot longer) [percentage points]; ``gct_balance_outside_green_share`` [0..1];
        Garmin colour bands of the medians (str, None when NaN); ``drift_*`` (last third −
        first third at matched speed) [the metric's unit]; ``cv_stance_time`` and
        ``cv_cadence`` (standard deviation / mean of running samples) [-]. NaN where not
        computable; never raises on empty or all-NaN input.
    """
    return pd.Series(_summary(records, dynamics_source), index=list(SUMMARY_KEYS), dtype=object)


def _summary(records: pd.DataFrame, dynamics_source: str | None) -> dict[str, object]:
    """:func:`summarize` as a dict (the Series costs more than the numbers; the store's JSON
    needs none)."""
    n_samples = int(len(records))
    cols = {c: _column(records, c) for c in _VALUE_COLUMNS}
    secs = _seconds(records)
    if n_samples and not (np.diff(secs) > 0).all():
        # A canonical order (time, then every value) makes the result independent of row
        # order, even for duplicate timestamps with different values.
        order = np.lexsort([cols[c] for c in reversed(_VALUE_COLUMNS)] + [secs])
        secs = secs[order]
        cols = {c: v[order] for c, v in cols.items()}

    if not np.isfinite(cols["step_length_mm"]).any():
        # Stryd and some apps record no step length; the watch then reports distance / steps,
        # which per sample is speed / step rate.
        with np.errstate(divide="ignore", invalid="ignore"):
            cols["step_length_mm"] = np.where(
                cols["cadence_spm"] > 0,
                cols["speed_mps"] / (cols["cadence_spm"] / 60.0) * 1000.0,
                np.nan,
            )
    run = running_mask(cols["speed_mps"], cols["cadence_spm"], cols["stance_time_ms"])
    secs = secs[run]
    vals = {c: v[run] for c, v in cols.items()}
    for c, (lo, hi) in PLAUSIBLE_RANGES.items():
        x = vals[c]
        with np.errstate(invalid="ignore"):
            vals[c] = np.where((x >= lo) & (x <= hi), x, np.nan)

    out: dict[str, object] = dict.fromkeys(SUMMARY_KEYS, float("nan"))
    out["n_samples"] = n_samples
    out["n_running"] = int(run.sum())
    out["speed_median_mps"] = _median_iqr(vals["speed_mps"])[0]
    for col, med_key, iqr_key in _MEDIAN_IQR:
        out[med_key], out[iqr_key] = _median_iqr(vals[col])

    bal = vals["gct_balance_left_pct"]
    bal_med = _median_iqr(bal)[0]
    out["gct_balance_left_median_pct"] = bal_med
    out["gct_balance_dev_pts"] = bal_med - 50.0
    n_bal = int(np.isfinite(bal).sum())
    if n_bal:
        out["gct_balance_outside_green_share"] = float(
            bands.outside_green_balance(bal).sum() / n_bal
        )

    out["cadence_band"] = bands.cadence_band(out["cadence_median_spm"])
    out["stance_time_band"] = bands.stance_time_band(out["stance_time_median_ms"])
    source = dynamics_source if dynamics_source is not None else "chest_strap"
    out["vertical_oscillation_band"] = bands.vertical_oscillation_band(
        out["vertical_oscillation_median_mm"], source
    )
    out["vertical_ratio_band"] = bands.vertical_ratio_band(out["vertical_ratio_median_pct"], source)
    out["gct_balance_band"] = bands.gct_balance_band(bal_med)

    if secs.size:
        pos = _position(secs)
        drifts = matched_speed_drifts({c: vals[c] for c, _ in _DRIFT}, vals["speed_mps"], pos)
        out.update({key: drifts[col] for col, key in _DRIFT})
    out["cv_stance_time"] = _cv(vals["stance_time_ms"])
    out["cv_cadence"] = _cv(vals["cadence_spm"])
    return out


def summary_json(records, dynamics_source: str | None = None) -> tuple[dict, int]:
    """The gait summary of one run as plain JSON data (:func:`analyzer.schema.jsonable`) and the
    metric version it was computed with (what the store caches, so a new version recomputes)."""
    from analyzer.schema import jsonable

    return jsonable(_summary(records, dynamics_source)), int(METRIC_VERSION)


def summary_keys() -> list[str]:
    """The keys of a gait summary (those of an empty run's)."""
    import pandas as pd

    from analyzer.schema import RECORD_COLUMNS

    empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in RECORD_COLUMNS})
    empty["timestamp"] = pd.Series(dtype="datetime64[ns, UTC]")
    return list(summarize(empty).keys())
