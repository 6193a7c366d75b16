"""Per-run averages computed from the records the way the watch computes its session averages.

Which samples a watch averages depends on the device family (:func:`family`, from the file's
``manufacturer`` and ``product``). The rules were worked out by comparing the records of every
running session in the corpus (``../shared/fit-corpus``) with the session message's own
averages; ``tests/metrics/test_averages.py`` checks every such pair, per family. Issue 21
re-measured them on five real runners' histories (2,439 files: FR245 + RD pod, FR265, fenix 7,
fenix 6X/5/3 HR, vivoactive 3, COROS PACE 2/PACE 4/NOMAD; not in the repository, people's own
recordings): ``benchmarks/agreement.py`` prints the table per device and metric. Common to all
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
  never counts. **Of gaps equally long** (within :data:`TIE_S`, the 1 s resolution of record
  timestamps), one over which the distance did not grow (:data:`STILL_M`) is the pause: a
  stopped timer adds no distance, and the watch writes a record as it stops and as it starts
  again. Garmin_Fenix_6S_Pro-Running.fit (auto-pause, 40 s stopped in a 9 s and a 31 s gap;
  its FIT timer events say so) has a 10 s gap *while running* (12.7 m) beside the 9 s pause
  (0 m): taking the longest gaps dropped the running one and counted the pause, cadence 129.3
  against the watch's 131.375 (-2.1 spm); with the pause found, 131.5 (+0.2). On the real
  histories the records-only choice equals the pauses of the files' timer events on 343 of 400
  sampled Garmin runs against 338 before, and on no run where it did not before; cadence
  within 1 spm: fenix 5 327 -> 329 of 346, FR245 319 -> 320 of 324, every other family
  unchanged (benchmarks/agreement.py). Gaps of different lengths keep the longest-first order:
  taking every still gap first (runners stand at crossings with the timer running) lost 18
  real pairs (fenix 6X cadence 775 -> 755 of 811).
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
- **Records too sparse.** When record intervals of up to :data:`SPARSE_GAP_S` cover less than
  :data:`SPARSE_MIN_SHARE` of the timer time (an FR55 run with record gaps of up to 860 s while
  the timer ran: cadence 128 from its records against the watch's 174, speed 30 % off its own
  distance / time), every metric the session has is the session's value (source ``"watch"``),
  and the speed is total_distance / total_timer_time (source ``"watch"``), so the ``runs`` row's
  distance, time and pace agree. On the 2,439 real files this hits 1 run (records cover the timer
  time everywhere else).

Per device family, the rules and their evidence are in :mod:`analyzer.metrics.families`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analyzer.metrics.families import Family, family
from analyzer.schema import AVERAGE_METRICS

#: Version of the averaging rules; bump it when they change, and stores recompute ``avg_*``.
#: 2: per-family rules, pauses from the session's timer, clock jumps, watch fallback + sources.
#: 3: Garmin cadence linear between records, COROS PACE 2 / PACE 4 rules, sparse records.
#: 4: of gaps equally long, the one without distance is the pause.
VERSION = 4

#: Longest gap between records still counted as recording time when the session does not say
#: how long the timer ran [s]. Garmin smart recording writes at least every ~8 s while moving.
PAUSE_GAP_S = 10.0
#: Gaps up to this long are never taken for a pause [s] (the recording interval itself).
MIN_PAUSE_S = 2.0
#: Records up to this long after the session's rounded-up end still belong to it [s] (the last
#: record is often written in the second after total_elapsed_time runs out).
SESSION_END_SLACK_S = 1.0
#: A gap over which the distance grew less than this is "still" [m] (a stopped timer adds none).
STILL_M = 0.5
#: Gaps this close in length [s] explain the stopped time equally well (record timestamps are
#: whole seconds): of such gaps, a still one is taken for the pause before one with distance.
TIE_S = 1.0
#: Weight of the first record of a run [s].
FIRST_RECORD_S = 1.0
#: The window is dropped for all records when it holds less than this share of the timer time
#: and all records hold the timer time within :data:`WINDOW_MATCH` (a mid-run clock jump).
WINDOW_MIN_SHARE = 0.5
WINDOW_MATCH = 0.1

#: Record intervals up to this long count as covered by records [s] (smart recording writes at
#: least every ~28 s while the timer runs); longer ones are holes in the recording.
SPARSE_GAP_S = 60.0
#: Records covering less than this share of the timer time are too sparse to average: every
#: metric the session has is the watch's, and the speed is total distance / timer time.
SPARSE_MIN_SHARE = 0.8

#: How close our average must be to the watch's session value to agree with it (issue 21):
#: metric -> ("abs" difference in the metric's unit | "rel" difference in %, tolerance).
AGREEMENT_TOLERANCES = {
    "cadence_spm": ("abs", 1.0),
    "stance_time_ms": ("rel", 2.0),
    "vertical_oscillation_mm": ("rel", 2.0),
    "step_length_mm": ("rel", 2.0),
    "vertical_ratio_pct": ("abs", 0.2),
    "gct_balance_left_pct": ("abs", 0.2),
}

#: Where an ``avg_*`` value came from: the records, or the watch's own session value.
SOURCES = ("records", "watch")


class _Records:
    """One run's records as numpy arrays, read from the DataFrame once per column.

    ``times`` are the timestamps as naive datetime64 in their own unit (zoned ones in UTC,
    ``zoned`` says which); ``column(name)`` is ``records[name].to_numpy(dtype="float64")``,
    read on first use (None when absent), of the rows ``rows`` (all, in frame order, when None).
    Pandas costs a few microseconds per column access and more per ``.dt`` or ``diff``, more
    than the arithmetic on a run's samples. ``records`` may also be a
    :class:`~analyzer.store.blocks.Block`, whose columns are arrays already (zoned times as
    naive UTC, named in its ``tz``).
    """

    def __init__(self, records):
        if isinstance(records, pd.DataFrame):
            values = records["timestamp"].array
            if not isinstance(values, pd.arrays.DatetimeArray):
                raise TypeError(f"timestamp column of dtype {values.dtype}, not a datetime")
            self.times = values.asi8.view(f"M8[{values.unit}]")
            self.zoned = values.tz is not None
        else:
            self.times = records.columns["timestamp"]
            if self.times.dtype.kind != "M":
                raise TypeError(f"timestamp column of dtype {self.times.dtype}, not a datetime")
            self.zoned = "timestamp" in records.tz
        self.rows: np.ndarray | None = None
        self._table = records
        self._columns: dict[str, np.ndarray | None] = {}

    def __len__(self) -> int:
        return len(self.times)

    def column(self, name: str) -> np.ndarray | None:
        if name not in self._columns:
            a = None
            if name in self._table.columns:
                if isinstance(self._table, pd.DataFrame):
                    a = self._table[name].to_numpy(dtype="float64")
                else:
                    a = np.asarray(self._table.columns[name], dtype="float64")
                if self.rows is not None:
                    a = a[self.rows]
            self._columns[name] = a
        return self._columns[name]

    def take(self, rows: np.ndarray) -> None:
        """Keep only ``rows`` (positions in the frame), in that order."""
        self.times = self.times[rows]
        self.rows = rows if self.rows is None else self.rows[rows]
        self._columns = {k: None if a is None else a[rows] for k, a in self._columns.items()}


def _gaps(times: np.ndarray) -> np.ndarray:
    """Seconds since the previous record (the first: :data:`FIRST_RECORD_S`; NaT and a step
    back: 0), as ``ts.diff().dt.total_seconds()`` gives them, bit for bit."""
    unit = np.datetime_data(times.dtype)[0]
    nat = np.isnat(times)
    unknown = nat[1:] | nat[:-1]
    step = np.where(unknown, 0, np.diff(times.view(np.int64)))
    if np.abs(step).max(initial=0) > 2**53:  # (pandas nudges such values off whole seconds)
        dt = pd.array(step.view(f"m8[{unit}]")).total_seconds()
    else:  # pandas' TimedeltaArray.total_seconds
        per_second = np.timedelta64(1, "s") // np.timedelta64(1, unit)
        whole, part = np.divmod(step, per_second)
        dt = whole + part / per_second
    dt = np.concatenate(([FIRST_RECORD_S], np.where(unknown, 0.0, dt)))[: len(times)]
    return np.where(dt < 0, 0.0, dt)


def _still(recs: _Records) -> np.ndarray:
    """Whether the distance did not advance over the interval before each record (unknown:
    False)."""
    distance = recs.column("distance_m")
    if distance is None:
        return np.zeros(len(recs), dtype=bool)
    gained = np.diff(distance, prepend=np.nan)
    return np.isfinite(gained) & (np.abs(gained) < STILL_M)


def _weights(gaps: np.ndarray, still: np.ndarray, session) -> np.ndarray:
    """Seconds each record stands for (see the module docstring: pauses, clock jumps), from
    the records' :func:`_gaps` and :func:`_still`."""
    dt = gaps
    elapsed, timer = _get(session, "total_elapsed_s"), _get(session, "total_timer_s")
    if math.isnan(elapsed) or math.isnan(timer) or timer <= 0:
        return np.where(dt > PAUSE_GAP_S, 0.0, dt)
    dt = np.where(dt > max(elapsed, PAUSE_GAP_S) + SESSION_END_SLACK_S, 0.0, dt)  # clock jumps
    excess = dt.sum() - timer
    left = dt > MIN_PAUSE_S
    while left.any():  # the longest gaps are the pauses, until they account for the stopped time
        i = int(np.argmax(np.where(left, dt, -1.0)))
        near = left & still & (dt >= dt[i] - TIE_S)
        if not still[i] and near.any():  # as long, and no distance: that one is the pause
            i = int(np.argmax(np.where(near, dt, -1.0)))
        gap = dt[i]
        if excess < gap / 2:  # dropping it would not get closer
            break
        dt[i], left[i] = 0.0, False
        excess -= gap
    return dt


def _get(session, key: str) -> float:
    """``session[key]`` as a float; NaN when absent, None or not a number."""
    if session is None:
        return math.nan
    value = session.get(key)
    try:
        return math.nan if value is None else float(value)
    except (TypeError, ValueError):
        return math.nan


def _wmean(v: np.ndarray, w: np.ndarray) -> float:
    ok = ~np.isnan(v) & (w > 0)
    if not ok.any():
        return math.nan
    return float(np.sum(v[ok] * w[ok]) / np.sum(w[ok]))


def _naive_utc(stamp, zoned: bool) -> np.datetime64:
    """A time to compare with :attr:`_Records.times`: naive UTC for zoned records (pandas
    refuses to compare zoned with naive times, and so does this)."""
    stamp = pd.Timestamp(stamp)
    if (stamp.tzinfo is not None) != zoned:
        raise TypeError("cannot compare zoned and naive times")
    return (stamp.tz_convert("UTC").tz_localize(None) if zoned else stamp).to_datetime64()


def _window(recs: _Records, session: dict) -> np.ndarray | None:
    """The records inside the session's window (positions, in frame order; None: all)."""
    if not session or not len(recs):
        return None
    start = session.get("start_time")
    elapsed = session.get("total_elapsed_s")
    if start is None or pd.isna(start):
        return None
    times = recs.times
    keep = times >= _naive_utc(start, recs.zoned)
    if elapsed is not None and not pd.isna(elapsed):
        end = start + pd.Timedelta(seconds=math.ceil(float(elapsed)) + SESSION_END_SLACK_S)
        keep &= times <= _naive_utc(end, recs.zoned)
    if not keep.any() or keep.all():
        return None
    timer = _get(session, "total_timer_s")
    if math.isnan(timer) or timer <= 0:
        return np.flatnonzero(keep)
    still = _still(recs)
    inside = _weights(_gaps(times[keep]), still[keep], session).sum()
    every = _weights(_gaps(times), still, session).sum()
    if inside < WINDOW_MIN_SHARE * timer and abs(every - timer) <= WINDOW_MATCH * timer:
        return None
    return np.flatnonzero(keep)


def _quantise(value: float, step: float, how: str = "nearest") -> float:
    if not step or math.isnan(value):
        return value
    q = value / step
    if how == "ceil":
        return float(math.ceil(q - 1e-9) * step)
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
        Contract columns (:data:`analyzer.schema.RECORD_COLUMNS`) of one run, in time order,
        or a :class:`~analyzer.store.blocks.Block` of them.
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
    if session is not None:
        session = dict(session.items())  # (a dict's get costs far less than a Series')
    out = {f"avg_{m}": math.nan for m in AVERAGE_METRICS}
    sparse = False
    if (
        records is not None
        and len(records)
        and len(records.columns)
        and "timestamp" in records.columns
    ):
        out.update(_from_records(records, session, fam))
        sparse = out.pop("sparse")
    if sparse:  # the session's distance / timer time is its own speed (the pace column's)
        dist, timer = _get(session, "total_distance_m"), _get(session, "total_timer_s")
        if dist > 0 and timer > 0:
            out["avg_speed_mps"], out["avg_speed_mps_source"] = dist / timer, "watch"
    for m in AVERAGE_METRICS:
        if f"avg_{m}_source" in out:
            continue
        value = out[f"avg_{m}"]
        watch = _get(session, f"watch_avg_{m}")
        from_watch = m == "cadence_spm" and fam.cadence_from_watch
        if not math.isnan(watch) and (from_watch or sparse or math.isnan(value)):
            out[f"avg_{m}"], out[f"avg_{m}_source"] = watch, "watch"
        else:
            out[f"avg_{m}_source"] = None if math.isnan(value) else "records"
    return out


def _sparse(dt: np.ndarray, session) -> bool:
    """Whether the records (of gaps ``dt``, :func:`_gaps`) cover too little of the session's
    timer time to average (see :data:`SPARSE_GAP_S`)."""
    timer = _get(session, "total_timer_s")
    if math.isnan(timer) or timer <= 0:
        return False
    return float(dt[dt <= SPARSE_GAP_S].sum()) < SPARSE_MIN_SHARE * timer


def _from_records(records: pd.DataFrame, session, fam: Family) -> dict:
    recs = _Records(records)
    rows = _window(recs, session)
    if rows is not None:
        recs.take(rows)
    times = recs.times
    if np.isnat(times).any() or (np.diff(times.view(np.int64)) < 0).any():
        recs.take(np.argsort(times, kind="stable"))  # (NaT last, as sort_values puts it)
    gaps = _gaps(recs.times)
    out: dict = {"sparse": _sparse(gaps, session)}
    w = _weights(gaps, _still(recs), session)  # seconds counted per record (speed, steps)
    wa = 0.5 * (w + np.append(w[1:], 0.0)) if fam.weighting == "trapezoid" else w  # cadence
    for m in AVERAGE_METRICS:
        values = None if m in ("speed_mps", "step_length_mm") else recs.column(m)
        if values is None:
            continue
        if m == "cadence_spm" and not fam.cadence_zeros:
            values = np.where(values > 0, values, np.nan)
        out[f"avg_{m}"] = _wmean(values, wa if m == "cadence_spm" else w)
    if "avg_cadence_spm" in out:
        out["avg_cadence_spm"] = _quantise(
            out["avg_cadence_spm"], fam.cadence_step_spm, fam.cadence_round
        )
    # Speed: distance gained over counted intervals / their duration.
    dist = recs.column("distance_m")
    if dist is not None and np.isfinite(dist).sum() >= 2:
        gained = np.diff(dist, prepend=np.nan)
        ok = np.isfinite(gained) & (w > 0)
        if ok.any() and w[ok].sum() > 0:
            out["avg_speed_mps"] = float(np.sum(gained[ok]) / np.sum(w[ok]))
    elif recs.column("speed_mps") is not None:
        out["avg_speed_mps"] = _wmean(recs.column("speed_mps"), w)
    # Step length: session totals (per family), records, the watch's (run_averages), else
    # distance / steps.
    cycles, total = _get(session, "total_cycles"), _get(session, "total_distance_m")
    step_length = recs.column("step_length_mm")
    if fam.step_length_from_totals and cycles > 0 and total > 0:
        sl = total / (2.0 * cycles) * 1000.0
        out["avg_step_length_mm"] = _quantise(sl, fam.step_length_step_mm, "ceil")
    elif step_length is not None and not np.isnan(step_length).all():
        sl = _wmean(step_length, w)
        out["avg_step_length_mm"] = _quantise(sl, fam.step_length_step_mm)
    elif math.isnan(_get(session, "watch_avg_step_length_mm")) and dist is not None:
        cad = recs.column("cadence_spm")
        if cad is not None:
            gained = np.diff(dist, prepend=np.nan)
            ok = np.isfinite(gained) & np.isfinite(cad) & (w > 0)
            steps = np.sum(cad[ok] / 60.0 * w[ok])
            if steps > 0:
                out["avg_step_length_mm"] = float(np.sum(gained[ok]) / steps * 1000.0)
    return out


def version_tag() -> str:
    """Identifies the per-run averages algorithm (:data:`VERSION`), so the store recomputes
    stored averages when it changes."""
    return f"v{VERSION}"
