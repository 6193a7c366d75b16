"""Per-run averages computed from the records the way the watch computes its session averages.

What the devices in the corpus do (worked out by comparing the records of every running session
with dynamics against the session message's own averages; see ``tests/test_averages.py``):

- **Time weighting.** A record stands for the interval since the previous record: Garmin's
  "smart recording" writes a record only when something changes, and the watch averages its
  one-second internal samples, so each record value is weighted by the seconds since the
  previous record (the first record weighs 1 s). Equal weights are wrong by up to 8 % on a
  smart-recorded file (garmin-fenix-5-run.fit, GCT) and by < 0.1 % on 1-s files.
- **Pauses.** An interval longer than :data:`PAUSE_GAP_S` (timer stopped, auto-pause) counts 0:
  the watch averages over timer time only (mornindew-broken.fit: cadence off by 1.6 spm when
  such gaps are counted, 0.3 spm when they are not).
- **Zeros.** Cadence 0 while the timer runs (standing at a crossing) *is* averaged (Garmin's
  avg_running_cadence includes it; dropping zeros overestimates by up to 11 %). The dynamics
  (GCT, VO, step length, vertical ratio, GCT balance) are averaged only over samples that have a
  value: their zeros are already NaN in the records (see :mod:`analyzer.fit.activity`).
- **Step length without records.** Stryd pods and the Stryd app write no record step length but
  the watch still reports one; it equals distance / steps, steps = sum of cadence x time over
  the same intervals.
- **Speed** is distance gained over the counted intervals / their duration (the watch's
  avg_speed is total_distance / total_timer_time).
- **Session window.** When the session row is given, only records inside
  ``[start_time, start_time + ceil(total_elapsed_s) + 1 s]`` are used (some sessions end before the last
  record; a session's own ``timestamp`` is when it was written, not necessarily its end).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analyzer.schema import AVERAGE_METRICS

#: Version of the averaging rules; bump it when they change, and stores recompute ``avg_*``.
VERSION = 1

#: Longest gap between records still counted as recording time [s]; longer gaps are pauses.
#: Garmin smart recording writes at least every ~8 s while moving (corpus files).
PAUSE_GAP_S = 10.0
#: Records up to this long after the session's rounded-up end still belong to it [s] (the last
#: record is often written in the second after total_elapsed_time runs out).
SESSION_END_SLACK_S = 1.0
#: Weight of the first record of a run [s].
FIRST_RECORD_S = 1.0


def _weights(ts: pd.Series) -> np.ndarray:
    """Seconds each record stands for (see module docstring)."""
    dt = ts.diff().dt.total_seconds().to_numpy(dtype="float64", copy=True)
    if len(dt):
        dt[0] = FIRST_RECORD_S
    dt = np.where(np.isnan(dt), 0.0, dt)
    return np.where((dt < 0) | (dt > PAUSE_GAP_S), 0.0, dt)


def _wmean(x: pd.Series, w: np.ndarray) -> float:
    v = x.to_numpy(dtype="float64")
    ok = ~np.isnan(v) & (w > 0)
    if not ok.any():
        return math.nan
    return float(np.sum(v[ok] * w[ok]) / np.sum(w[ok]))


def _window(records: pd.DataFrame, session: pd.Series | None) -> pd.DataFrame:
    if session is None or records.empty:
        return records
    start = session.get("start_time")
    elapsed = session.get("total_elapsed_s")
    if start is None or pd.isna(start):
        return records
    keep = records["timestamp"] >= start
    if elapsed is not None and not pd.isna(elapsed):
        end = start + pd.Timedelta(seconds=math.ceil(float(elapsed)) + SESSION_END_SLACK_S)
        keep &= records["timestamp"] <= end
    return records[keep] if keep.any() else records


def run_averages(records: pd.DataFrame, session: pd.Series | None = None) -> dict:
    """Averages of one run's records, computed as the watch computes its session averages.

    Parameters
    ----------
    records : pandas.DataFrame
        Contract columns (:data:`analyzer.schema.RECORD_COLUMNS`) of one run, in time order.
    session : pandas.Series, optional
        The run's session row (``start_time``, ``total_elapsed_s``) to restrict the records to
        the session's window.

    Returns
    -------
    dict
        ``avg_<metric>`` for every metric in :data:`analyzer.schema.AVERAGE_METRICS`, in the
        metric's contract unit (m/s, steps/min, ms, mm, %, mm, %); NaN where there is no data.
    """
    out = {f"avg_{m}": math.nan for m in AVERAGE_METRICS}
    if records is None or records.empty or "timestamp" not in records.columns:
        return out
    recs = _window(records, session).sort_values("timestamp", kind="stable")
    w = _weights(recs["timestamp"])
    for m in AVERAGE_METRICS:
        if m in ("speed_mps", "step_length_mm") or m not in recs.columns:
            continue
        out[f"avg_{m}"] = _wmean(recs[m], w)
    # Speed: distance gained over counted intervals / their duration.
    dist = recs["distance_m"].to_numpy(dtype="float64") if "distance_m" in recs else None
    if dist is not None and np.isfinite(dist).sum() >= 2:
        gained = np.diff(dist, prepend=np.nan)
        ok = np.isfinite(gained) & (w > 0)
        if ok.any() and w[ok].sum() > 0:
            out["avg_speed_mps"] = float(np.sum(gained[ok]) / np.sum(w[ok]))
    elif "speed_mps" in recs:
        out["avg_speed_mps"] = _wmean(recs["speed_mps"], w)
    # Step length: records, else distance / steps.
    if "step_length_mm" in recs and recs["step_length_mm"].notna().any():
        out["avg_step_length_mm"] = _wmean(recs["step_length_mm"], w)
    elif dist is not None and "cadence_spm" in recs:
        cad = recs["cadence_spm"].to_numpy(dtype="float64")
        gained = np.diff(dist, prepend=np.nan)
        ok = np.isfinite(gained) & np.isfinite(cad) & (w > 0)
        steps = np.sum(cad[ok] / 60.0 * w[ok])
        if steps > 0:
            out["avg_step_length_mm"] = float(np.sum(gained[ok]) / steps * 1000.0)
    return out
