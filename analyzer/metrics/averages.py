"""Per-run averages computed from the records the way the watch computes its session averages.

Which samples a watch averages depends on the device family (:func:`family`, from the file's
``manufacturer`` and ``product``). The rules were worked out by comparing the records of every
running session in the corpus (``../shared/fit-corpus``) with the session message's own
averages; ``tests/metrics/test_averages.py`` checks every such pair, per family. Common to all
families:

- **Time weighting.** A record stands for the interval since the previous record: Garmin's
  "smart recording" writes a record only when something changes, and the watch averages its
  one-second internal samples, so each record value is weighted by the seconds since the
  previous record (the first record weighs 1 s). Equal weights are wrong by up to 8 % on a
  smart-recorded file (garmin-fenix-5-run.fit, GCT) and by < 0.1 % on 1-s files. Weighting the
  interval *after* a record instead is worse on every smart-recorded corpus file (cadence, all
  gaps counted: fenix 6S Pro -13.9 spm against +2.8, fenix 5 -6.0 / -4.0, vivoactive HR
  +3.0 / +2.2, FR225 -3.8 / -1.8 on its first 102 records).
- **Pauses.** The session says how long the timer was stopped (``total_elapsed_s -
  total_timer_s``); the longest gaps between records are taken as the pauses until they account
  for that time, and count 0. Smart recording leaves gaps of up to 28 s while the timer runs
  (2067489619.fit, vivoactive HR: 4 s stopped, but 1,245 s in gaps over 10 s; a fixed 10 s
  cut-off made its cadence 9.5 spm and its speed 12 % too high). Without session totals, gaps
  over :data:`PAUSE_GAP_S` are pauses (mornindew-broken.fit: cadence off by 1.6 spm when its
  gaps are counted). A gap longer than the whole session is a clock jump (time-jump.fit) and
  never counts.
- **Session window.** When the session row is given, only records inside ``[start_time,
  start_time + ceil(total_elapsed_s) + 1 s]`` are used (some sessions end before the last
  record). When the window holds less than half the timer time but all records together match
  it (a clock that jumped mid-run: time-jump.fit, FR225, 102 of 567 records inside the window,
  cadence -1.8 spm inside it, +0.03 spm with all records), every record is used.
- **Dynamics** (GCT, VO, step length, vertical ratio, GCT balance) are averaged over the
  samples that have a value: their zeros are already NaN in the records
  (:mod:`analyzer.fit.activity`).
- **Speed** is distance gained over the counted intervals / their duration (the watch's
  avg_speed is total_distance / total_timer_time).
- **Step length without records.** When the records carry none, the session's own value is
  used (source ``"watch"``: FR920xt-with-Stryd.fit and mornindew-broken.fit, Stryd via an app,
  where distance / steps was off by +3.8 % and +1.2 %); without one either, distance / steps
  (steps = sum of cadence x time over the same intervals).
- **Watch fallback.** Any metric the records do not carry but the session does is the session's
  value, with ``avg_<metric>_source = "watch"`` (else ``"records"``; None when neither has it).

Per family (:data:`FAMILIES`):

- ``garmin`` (every Garmin product not listed below, and Dynastream): cadence 0 while the
  timer runs *is* averaged. Of the 19 corpus Garmin runs with zero-cadence records, 17 match
  the watch within 1 spm with the zeros and 9 without (FR920xt-with-Stryd.fit: 196 zeros,
  135.6 with them against the watch's 135.6, 150.9 without; fenix 6 track run: 176.7 with,
  180.7 without, watch 176.7). FR630 and FR735XT lean the other way (-0.6 / -0.2 spm with zeros,
  0.0 / +0.1 without) but agree within 1 spm both ways, so they stay here.
- ``garmin_fr70`` (Forerunner 70, foot pod, 5 s records): non-zero samples, whole strides/min
  truncated (its session and laps hold whole strides). compressed-speed-distance.fit: 174 against
  the watch's 176 (-1.1 %; with the zeros 164.1, -6.8 %). Its laps match 10 of 11 when samples
  under 100 spm are dropped too, but one file is too little to set a walking threshold.
- ``garmin_wrist_nonzero`` (Forerunner 235): the watch averages the *non-zero* cadence samples.
  Measured on 1,234 real FR235 runs (smart recording, wrist cadence; not in the corpus): counting
  zeros was below the watch on 785 runs, by up to 45 spm on runs with stops; the time-weighted
  mean of the non-zero samples was within 1 spm on 19 of 20 runs checked by hand (issue 11).
- ``suunto``: non-zero cadence samples, whole strides/min. 6914538454.fit (Suunto 9, 53 zero
  records): 174.0 without zeros against the watch's 174, 166.7 with them; 6909950168.fit agrees
  both ways. Suunto writes no fractional cadence, so its value is rounded to 2 steps/min.
- ``coros``: whole strides/min (rounded) and step length in whole centimetres, as the session
  holds them: 20210507_run_coros_pace_2.fit 183.7 -> 184 (watch 184), 1313.6 -> 1310 mm (1310);
  20210604_track_run_coros_pace_2.fit 179.7 -> 180 (180), 1311.5 -> 1310 mm (1310). Truncating
  would give 182 on the first. Zeros are counted (the track run's 10 zero records: 179.7 with,
  180.7 without; both round to the watch's 180, so the corpus does not decide).
- ``stryd`` (files written by a Stryd pod): whole strides/min, truncated:
  developer-types-sample.fit 149.4 -> 148 (watch 148; rounding gives 150), HRV-Data.fit
  152.4 -> 152 (152).
- ``apple`` (Apple Watch, through the apps that export its workouts as FIT; product string
  naming an Apple Watch): no such file in the corpus, and the issue measured our rule off on
  10-30 % of its runs. Its cadence is therefore the watch's own session value, labelled
  ``"watch"``, where the session has one; records are used only when it has none.
- Any other manufacturer: the ``garmin`` rule (IpBike-HRV-Data.fit, the only other running file
  with a session cadence, agrees within 1 spm: +0.7).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analyzer.schema import AVERAGE_METRICS

#: Version of the averaging rules; bump it when they change, and stores recompute ``avg_*``.
#: 2: per-family rules, pauses from the session's timer, clock jumps, watch fallback + sources.
VERSION = 2

#: Longest gap between records still counted as recording time when the session does not say
#: how long the timer ran [s]. Garmin smart recording writes at least every ~8 s while moving.
PAUSE_GAP_S = 10.0
#: Gaps up to this long are never taken for a pause [s] (the recording interval itself).
MIN_PAUSE_S = 2.0
#: Records up to this long after the session's rounded-up end still belong to it [s] (the last
#: record is often written in the second after total_elapsed_time runs out).
SESSION_END_SLACK_S = 1.0
#: Weight of the first record of a run [s].
FIRST_RECORD_S = 1.0
#: The window is dropped for all records when it holds less than this share of the timer time
#: and all records hold the timer time within :data:`WINDOW_MATCH` (a mid-run clock jump).
WINDOW_MIN_SHARE = 0.5
WINDOW_MATCH = 0.1

#: Where an ``avg_*`` value came from: the records, or the watch's own session value.
SOURCES = ("records", "watch")


@dataclass(frozen=True)
class Family:
    """How one device family averages (see the module docstring for the evidence).

    Attributes
    ----------
    name : str
    cadence_zeros : bool
        Whether cadence samples of 0 (timer running, standing) are averaged.
    cadence_step_spm : float
        Resolution of the session cadence [steps/min] (2 = whole strides); 0 = unrounded.
    cadence_round : str
        ``"nearest"`` or ``"floor"`` to that resolution.
    step_length_step_mm : float
        Resolution of the session step length [mm]; 0 = unrounded.
    cadence_from_watch : bool
        Report the session's cadence (source ``"watch"``) instead of the records' mean.
    """

    name: str
    cadence_zeros: bool = True
    cadence_step_spm: float = 0.0
    cadence_round: str = "nearest"
    step_length_step_mm: float = 0.0
    cadence_from_watch: bool = False


FAMILIES = {
    "garmin": Family("garmin"),
    "garmin_wrist_nonzero": Family("garmin_wrist_nonzero", cadence_zeros=False),
    "garmin_fr70": Family(
        "garmin_fr70", cadence_zeros=False, cadence_step_spm=2.0, cadence_round="floor"
    ),
    "suunto": Family("suunto", cadence_zeros=False, cadence_step_spm=2.0),
    "coros": Family("coros", cadence_step_spm=2.0, step_length_step_mm=10.0),
    "stryd": Family("stryd", cadence_step_spm=2.0, cadence_round="floor"),
    "apple": Family("apple", cadence_from_watch=True),
}
#: Garmin products of the ``garmin_wrist_nonzero`` family (FIT ``garmin_product`` names).
NONZERO_CADENCE_PRODUCTS = frozenset({"fr235"})


def family(manufacturer: str | None, product: str | None) -> Family:
    """The averaging family of a file's ``manufacturer`` and ``product`` names."""
    man = (manufacturer or "").lower()
    prod = (product or "").lower()
    if "apple" in prod or "apple" in man:
        return FAMILIES["apple"]
    if man in ("garmin", "dynastream", "dynastream_oem"):
        if prod in NONZERO_CADENCE_PRODUCTS:
            return FAMILIES["garmin_wrist_nonzero"]
        return FAMILIES["garmin_fr70" if prod == "fr70" else "garmin"]
    if man.startswith("coros"):
        return FAMILIES["coros"]
    if man in FAMILIES:
        return FAMILIES[man]
    return FAMILIES["garmin"]


def _gaps(ts: pd.Series) -> np.ndarray:
    dt = ts.diff().dt.total_seconds().to_numpy(dtype="float64", copy=True)
    if len(dt):
        dt[0] = FIRST_RECORD_S
    return np.where(np.isnan(dt) | (dt < 0), 0.0, dt)


def _weights(ts: pd.Series, session: pd.Series | None = None) -> np.ndarray:
    """Seconds each record stands for (see the module docstring: pauses, clock jumps)."""
    dt = _gaps(ts)
    elapsed, timer = _get(session, "total_elapsed_s"), _get(session, "total_timer_s")
    if math.isnan(elapsed) or math.isnan(timer) or timer <= 0:
        return np.where(dt > PAUSE_GAP_S, 0.0, dt)
    dt = np.where(dt > max(elapsed, PAUSE_GAP_S) + SESSION_END_SLACK_S, 0.0, dt)  # clock jumps
    excess = dt.sum() - timer
    for i in np.argsort(-dt, kind="stable"):
        gap = dt[i]
        if gap <= MIN_PAUSE_S or excess < gap / 2:  # dropping it would not get closer
            break
        dt[i] = 0.0
        excess -= gap
    return dt


def _get(session: pd.Series | None, key: str) -> float:
    if session is None:
        return math.nan
    value = session.get(key)
    try:
        return math.nan if value is None else float(value)
    except (TypeError, ValueError):
        return math.nan


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
    if not keep.any():
        return records
    timer = _get(session, "total_timer_s")
    if keep.all() or math.isnan(timer) or timer <= 0:
        return records[keep]
    inside = _weights(records["timestamp"][keep], session).sum()
    every = _weights(records["timestamp"], session).sum()
    if inside < WINDOW_MIN_SHARE * timer and abs(every - timer) <= WINDOW_MATCH * timer:
        return records
    return records[keep]


def _quantise(value: float, step: float, how: str = "nearest") -> float:
    if not step or math.isnan(value):
        return value
    q = value / step
    return float((math.floor(q) if how == "floor" else math.floor(q + 0.5)) * step)


def run_averages(
    records: pd.DataFrame,
    session: pd.Series | None = None,
    *,
    manufacturer: str | None = None,
    product: str | None = None,
) -> dict:
    """Averages of one run's records, computed as the watch computes its session averages.

    Parameters
    ----------
    records : pandas.DataFrame
        Contract columns (:data:`analyzer.schema.RECORD_COLUMNS`) of one run, in time order.
    session : pandas.Series, optional
        The run's session row (``start_time``, ``total_elapsed_s``, ``total_timer_s``,
        ``watch_avg_*``): restricts the records to the session's window, tells the pauses, and
        gives the watch's values for the fallback.
    manufacturer, product : str, optional
        The recording device (``Activity.meta``), which selects the :func:`family` rule.

    Returns
    -------
    dict
        ``avg_<metric>`` for every metric in :data:`analyzer.schema.AVERAGE_METRICS`, in the
        metric's contract unit (m/s, steps/min, ms, mm, %, mm, %), NaN where there is no data;
        and ``avg_<metric>_source``: ``"records"``, ``"watch"`` (the session's own value) or
        None.
    """
    fam = family(manufacturer, product)
    out = {f"avg_{m}": math.nan for m in AVERAGE_METRICS}
    if records is not None and not records.empty and "timestamp" in records.columns:
        out.update(_from_records(records, session, fam))
    for m in AVERAGE_METRICS:
        value = out[f"avg_{m}"]
        watch = _get(session, f"watch_avg_{m}")
        from_watch = m == "cadence_spm" and fam.cadence_from_watch and not math.isnan(watch)
        if from_watch or (math.isnan(value) and not math.isnan(watch)):
            out[f"avg_{m}"], out[f"avg_{m}_source"] = watch, "watch"
        else:
            out[f"avg_{m}_source"] = None if math.isnan(value) else "records"
    return out


def _from_records(records: pd.DataFrame, session: pd.Series | None, fam: Family) -> dict:
    out = {}
    recs = _window(records, session).sort_values("timestamp", kind="stable")
    w = _weights(recs["timestamp"], session)
    for m in AVERAGE_METRICS:
        if m in ("speed_mps", "step_length_mm") or m not in recs.columns:
            continue
        values = recs[m]
        if m == "cadence_spm" and not fam.cadence_zeros:
            values = values.where(values > 0)
        out[f"avg_{m}"] = _wmean(values, w)
    if "avg_cadence_spm" in out:
        out["avg_cadence_spm"] = _quantise(
            out["avg_cadence_spm"], fam.cadence_step_spm, fam.cadence_round
        )
    # Speed: distance gained over counted intervals / their duration.
    dist = recs["distance_m"].to_numpy(dtype="float64") if "distance_m" in recs else None
    if dist is not None and np.isfinite(dist).sum() >= 2:
        gained = np.diff(dist, prepend=np.nan)
        ok = np.isfinite(gained) & (w > 0)
        if ok.any() and w[ok].sum() > 0:
            out["avg_speed_mps"] = float(np.sum(gained[ok]) / np.sum(w[ok]))
    elif "speed_mps" in recs:
        out["avg_speed_mps"] = _wmean(recs["speed_mps"], w)
    # Step length: records, else the watch's (run_averages), else distance / steps.
    if "step_length_mm" in recs and recs["step_length_mm"].notna().any():
        sl = _wmean(recs["step_length_mm"], w)
        out["avg_step_length_mm"] = _quantise(sl, fam.step_length_step_mm)
    elif math.isnan(_get(session, "watch_avg_step_length_mm")) and dist is not None:
        cad = recs["cadence_spm"].to_numpy(dtype="float64") if "cadence_spm" in recs else None
        if cad is not None:
            gained = np.diff(dist, prepend=np.nan)
            ok = np.isfinite(gained) & np.isfinite(cad) & (w > 0)
            steps = np.sum(cad[ok] / 60.0 * w[ok])
            if steps > 0:
                out["avg_step_length_mm"] = float(np.sum(gained[ok]) / steps * 1000.0)
    return out
