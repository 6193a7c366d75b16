"""One Apple Health running workout (a document of :mod:`analyzer.ingest.applehealth`) as an
:class:`~analyzer.fit.activity.Activity` in the data contract's columns and units.

Units are read from each sample's ``unit`` attribute and converted here, once
(:data:`SERIES`); a unit not in the table leaves the series out (with a note), never guessed.

- ``stance_time_ms`` from RunningGroundContactTime (ms), ``vertical_oscillation_mm`` from
  RunningVerticalOscillation (cm), ``power_w`` from RunningPower (W), ``heart_rate_bpm`` from
  HeartRate (count/min), ``speed_mps`` from RunningSpeed (watchOS writes km/hr).
- ``step_length_mm`` from RunningStrideLength (m): Apple's "stride length" is the distance
  covered by ONE step (foot strike to the other foot's strike), Garmin's step length, not a
  two-step stride.
- ``cadence_spm`` from the watch's StepCount samples: steps / sample duration, over the
  sample's interval (the wrist counts both feet: no doubling).
- ``distance_m`` accumulates DistanceWalkingRunning over each sample's interval; without it,
  from the route. ``altitude_m`` from the route GPX (``workout-routes/``), read by
  :func:`analyzer.ingest.gpx.read_gpx`.
- ``gct_balance_left_pct`` is NaN: a watch cannot tell the feet apart.

The samples come at irregular times (heart rate every few seconds, step counts over intervals),
so the records are a one-second grid over the workout: each sample holds its value until the
next sample of its series, for at most :func:`hold_seconds`; seconds inside a pause
(``WorkoutEvent`` pause/resume) and seconds where no series has a value are left out, so the
per-run averages see the pauses as gaps, as they do in a FIT file.

The workout's own figures are the watch's own: ``duration`` (moving time), the distance (the
DistanceWalkingRunning ``WorkoutStatistics`` sum, or the older ``totalDistance`` attribute) and
the statistics' averages (``watch_avg_*``), so the per-run averages are checked against them as
for a FIT session. Times are UTC; the local time (the zone of the ``HKTimeZone`` metadata when
Apple wrote one, else the offset of the ``startDate`` as written) is kept in the session as
``local_start_time`` and ``utc_offset_s``.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pandas as pd

from analyzer.errors import InvalidActivityXml
from analyzer.fit.activity import Activity
from analyzer.ingest.applehealth import DOC_FORMAT, epoch_seconds, utc_offset_s
from analyzer.ingest.xmlrun import build_activity, local, parse_xml

_Q = "HKQuantityTypeIdentifier"
#: Factors to the contract's unit, per dimension, by Apple's unit strings.
_LENGTH_MM = {"mm": 1.0, "cm": 10.0, "m": 1000.0, "km": 1e6, "in": 25.4, "ft": 304.8,
              "yd": 914.4, "mi": 1_609_344.0}  # fmt: skip
_UNITS = {
    "mm": _LENGTH_MM,
    "m": {k: v / 1000.0 for k, v in _LENGTH_MM.items()},
    "ms": {"ms": 1.0, "s": 1000.0},
    "mps": {"m/s": 1.0, "km/hr": 1 / 3.6, "km/h": 1 / 3.6, "mi/hr": 0.44704, "m/min": 1 / 60},
    "W": {"W": 1.0, "kW": 1000.0},
    "bpm": {"count/min": 1.0, "count/s": 60.0},
    "count": {"count": 1.0},
}
#: Record type -> (contract column, unit dimension, how the sample counts): ``level`` holds a
#: value, ``amount`` is spread over the sample's interval (distance, steps).
SERIES = {
    _Q + "HeartRate": ("heart_rate_bpm", "bpm", "level"),
    _Q + "RunningGroundContactTime": ("stance_time_ms", "ms", "level"),
    _Q + "RunningVerticalOscillation": ("vertical_oscillation_mm", "mm", "level"),
    _Q + "RunningStrideLength": ("step_length_mm", "mm", "level"),
    _Q + "RunningPower": ("power_w", "W", "level"),
    _Q + "RunningSpeed": ("speed_mps", "mps", "level"),
    _Q + "DistanceWalkingRunning": ("distance_m", "m", "amount"),
    _Q + "StepCount": ("cadence_spm", "count", "amount"),
}
#: WorkoutStatistics average -> watch_avg_* metric.
_AVERAGES = {
    _Q + "RunningGroundContactTime": "stance_time_ms",
    _Q + "RunningVerticalOscillation": "vertical_oscillation_mm",
    _Q + "RunningStrideLength": "step_length_mm",
    _Q + "RunningPower": "power_w",
    _Q + "HeartRate": "heart_rate_bpm",
    _Q + "RunningSpeed": "speed_mps",
}
_DURATION_S = {"s": 1.0, "min": 60.0, "hr": 3600.0, "h": 3600.0, "ms": 0.001}
_PAUSE = ("HKWorkoutEventTypePause", "HKWorkoutEventTypeMotionPaused")
_RESUME = ("HKWorkoutEventTypeResume", "HKWorkoutEventTypeMotionResumed")
#: A level sample holds at least this long, and at most this long, when its series is sparse [s].
MIN_HOLD_S = 5.0
MAX_HOLD_S = 60.0
#: The label of the watch's running dynamics (no balance sensor: the wrist).
SENSOR = "Apple Watch (wrist)"


def convert(dimension: str, unit: str) -> float | None:
    """The factor from Apple's ``unit`` to the contract's unit of ``dimension``; None when the
    unit is not one we know (the series is then left out)."""
    return _UNITS[dimension].get(unit.strip())


def hold_seconds(starts: np.ndarray) -> float:
    """How long a level sample holds [s]: 2.5 x the series' median spacing, within
    [:data:`MIN_HOLD_S`, :data:`MAX_HOLD_S`] (a sample stands for the interval to the next
    one; a longer silence is a gap, not the last value repeated)."""
    gaps = np.diff(np.unique(starts))
    spacing = float(np.median(gaps)) if gaps.size else MIN_HOLD_S
    return min(MAX_HOLD_S, max(MIN_HOLD_S, 2.5 * spacing))


def _number(text) -> float:
    try:
        v = float(text)
    except (TypeError, ValueError):
        return math.nan
    return v if math.isfinite(v) else math.nan


def _pauses(events: list[dict], start: int, end: int) -> list[tuple[int, int]]:
    out, paused = [], None
    for ev in sorted(events, key=lambda e: e.get("date") or e.get("startDate") or ""):
        try:
            t = epoch_seconds(ev.get("date") or ev.get("startDate") or "")
        except ValueError:
            continue
        kind = ev.get("type")
        if kind in _PAUSE and paused is None:
            paused = t
        elif kind in _RESUME and paused is not None:
            out.append((paused, t))
            paused = None
    if paused is not None:
        out.append((paused, end))
    return [(max(a, start), min(b, end)) for a, b in out if b > a]


def _level(grid: np.ndarray, t0: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each second of ``grid`` takes the latest sample at or before it, within its hold."""
    order = np.argsort(t0, kind="stable")
    t0, values = t0[order], values[order]
    idx = np.searchsorted(t0, grid, side="right") - 1
    out = np.full(grid.size, np.nan)
    ok = idx >= 0
    age = grid[ok] - t0[idx[ok]]
    val = values[idx[ok]]
    out[ok] = np.where(age < hold_seconds(t0), val, np.nan)
    return out


def _rate(grid: np.ndarray, t0: np.ndarray, t1: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """An amount per second over each sample's interval, on the grid (NaN outside samples)."""
    out = np.full(grid.size, np.nan)
    dur = np.maximum(t1 - t0, 1)
    for a, d, x in zip(t0, dur, amount, strict=True):
        lo, hi = np.searchsorted(grid, [a, a + d])
        out[lo:hi] = x / d
    return out


def _cumulative(grid: np.ndarray, t0: np.ndarray, t1: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Distance accumulated to each second of the grid, each sample spread evenly over its
    interval (the watch's samples do not overlap)."""
    order = np.argsort(t0, kind="stable")
    t0, t1, amount = t0[order], np.maximum(t1[order], t0[order] + 1), amount[order]
    knots_t = np.column_stack([t0, t1]).ravel().astype("float64")
    before = np.concatenate([[0.0], np.cumsum(amount)[:-1]])
    knots_d = np.column_stack([before, before + amount]).ravel()
    keep = np.concatenate([[True], np.diff(knots_t) > 0])  # (a sample starting where one ends)
    return np.interp(grid.astype("float64"), knots_t[keep], knots_d[keep])


def _statistics(doc: dict, timer_s: float) -> tuple[dict, float]:
    """(watch averages {metric: value in contract units}, distance [m] or NaN)."""
    watch, distance = {}, math.nan
    steps = math.nan
    for st in doc.get("statistics") or []:
        kind, unit = st.get("type"), st.get("unit") or ""
        if kind in _AVERAGES and kind in SERIES:
            factor = convert(SERIES[kind][1], unit)
            value = _number(st.get("average"))
            if factor is not None and not math.isnan(value):
                watch[_AVERAGES[kind]] = value * factor
        elif kind == _Q + "DistanceWalkingRunning":
            factor = convert("m", unit)
            if factor is not None:
                distance = _number(st.get("sum")) * factor
        elif kind == _Q + "StepCount" and unit == "count":
            steps = _number(st.get("sum"))
    w = doc["workout"]
    if math.isnan(distance) and w.get("totalDistance") is not None:
        factor = convert("m", w.get("totalDistanceUnit") or "")
        if factor is not None:
            distance = _number(w.get("totalDistance")) * factor
    if timer_s > 0:
        if not math.isnan(distance):
            watch["speed_mps"] = distance / timer_s  # as a watch's session: distance / timer
        if not math.isnan(steps):
            watch["cadence_spm"] = steps / (timer_s / 60.0)
    return watch, distance


def _local(text: str, metadata: dict, start_utc: datetime) -> dict:
    """The workout's local start: in its HKTimeZone when given, else the offset written."""
    offset = utc_offset_s(text)
    zone = metadata.get("HKTimeZone")
    if zone:
        try:
            from zoneinfo import ZoneInfo

            delta = start_utc.astimezone(ZoneInfo(zone)).utcoffset()
            offset = int(delta.total_seconds()) if delta is not None else offset
        except (ValueError, KeyError, OSError):
            zone = None
    local = None
    if offset is not None:
        local = start_utc.astimezone(timezone(timedelta(seconds=offset)))
    return {
        "local_start_time": local.isoformat() if local is not None else None,
        "utc_offset_s": offset,
        "time_zone": zone,
        "start_date_as_written": text,
    }


def _route(doc: dict, name: str) -> pd.DataFrame | None:
    """The route's points: timestamp (UTC), altitude_m, distance_m (along the track).

    Apple's route GPX holds one track of ``trkpt`` (lat, lon, ele, time) a second. It is parsed
    with defusedxml (:func:`analyzer.ingest.xmlrun.parse_xml`, no DTD) and the distance comes
    from :func:`analyzer.ingest.gpx.track_distance`; gpxpy, which
    :func:`~analyzer.ingest.gpx.read_gpx` uses for arbitrary GPX, took ~10x as long here.
    """
    gpx = doc.get("route_gpx")
    if not gpx:
        return None
    from analyzer.ingest.gpx import track_distance

    try:
        root = parse_xml(gpx.encode("utf-8"), f"{name} route {doc.get('route_path')}", "GPX")
    except InvalidActivityXml:
        return None
    rows = []
    for pt in root.iter():
        if local(pt.tag) != "trkpt":
            continue
        fields = {local(c.tag): c.text for c in pt}
        rows.append((fields.get("time"), pt.get("lat"), pt.get("lon"), fields.get("ele")))
    if not rows:
        return None
    df = pd.DataFrame(rows, columns=["time", "lat", "lon", "ele"])
    df["timestamp"] = pd.to_datetime(df.pop("time"), utc=True, errors="coerce", format="ISO8601")
    for col in ("lat", "lon", "ele"):
        df[col] = pd.to_numeric(df[col], errors="coerce")
    df = df.dropna(subset=["timestamp", "lat", "lon"]).sort_values("timestamp")
    df = df.drop_duplicates("timestamp").reset_index(drop=True)
    df["distance_m"] = track_distance(df["lat"].to_numpy(), df["lon"].to_numpy())
    return df.rename(columns={"ele": "altitude_m"})[["timestamp", "altitude_m", "distance_m"]]


def read_apple_workout(data: bytes, name: str) -> Activity:
    """An Activity (one running session) from one workout document.

    Raises
    ------
    InvalidActivityXml
        Not a workout document of this version.
    """
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidActivityXml(f"{name}: not an Apple Health workout ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != DOC_FORMAT:
        raise InvalidActivityXml(f"{name}: not an Apple Health workout document of {DOC_FORMAT}")
    w, metadata = doc["workout"], doc.get("metadata") or {}
    start, end = epoch_seconds(w["startDate"]), epoch_seconds(w["endDate"])
    pauses = _pauses(doc.get("events") or [], start, end)
    grid = np.arange(start, end + 1, dtype="int64")
    moving = np.ones(grid.size, dtype=bool)
    for a, b in pauses:
        moving[(grid >= a) & (grid < b)] = False
    duration = _number(w.get("duration")) * _DURATION_S.get(
        w.get("durationUnit") or "min", math.nan
    )
    if math.isnan(duration):
        duration = float(moving.sum())
    cols: dict[str, np.ndarray] = {}
    notes = []
    for s in doc.get("series") or []:
        spec = SERIES.get(s["type"])
        if spec is None:
            continue
        column, dim, how = spec
        factor = convert(dim, s.get("unit") or "")
        if factor is None:
            notes.append(f"{s['type'].removeprefix(_Q)} in unit {s.get('unit')!r} not read")
            continue
        t0 = np.asarray(s["start"], dtype="int64")
        t1 = np.asarray(s["end"], dtype="int64")
        v = np.asarray(s["value"], dtype="float64") * factor
        if not t0.size:
            continue
        if how == "level":
            series = _level(grid, t0, v)
        elif column == "distance_m":
            series = _cumulative(grid, t0, t1, v)
        else:  # steps -> steps/min over each sample's interval
            series = _rate(grid, t0, t1, v) * 60.0
        old = cols.get(column)
        cols[column] = series if old is None else np.where(np.isnan(old), series, old)
    times = pd.to_datetime(grid, unit="s", utc=True)
    points = pd.DataFrame({"timestamp": times, **cols})
    route = _route(doc, name)
    if route is not None:
        at = route.set_index("timestamp")
        nearest = at.reindex(times, method="nearest", tolerance=pd.Timedelta(seconds=2))
        points["altitude_m"] = nearest["altitude_m"].to_numpy()
        if "distance_m" not in points and nearest["distance_m"].notna().any():
            points["distance_m"] = nearest["distance_m"].to_numpy()
    values = points.drop(columns=["timestamp", "distance_m"], errors="ignore")
    known = (
        values.notna().any(axis=1).to_numpy() if values.shape[1] else np.zeros(len(points), bool)
    )
    points = points[moving & known].reset_index(drop=True)
    watch, distance = _statistics(doc, duration)
    start_utc = datetime.fromtimestamp(start, tz=UTC)
    indoor = metadata.get("HKIndoorWorkout") == "1"
    session = {
        "sport": "running",
        "sub_sport": "treadmill" if indoor else None,
        "points": points,
        "timer_s": duration,
        "distance_m": distance,
        "watch": watch,
        "start_time": pd.Timestamp(start_utc),
        "end_time": pd.Timestamp(datetime.fromtimestamp(end, tz=UTC)),
        "extra": {**_local(w["startDate"], metadata, start_utc), "indoor": indoor},
    }
    device = _device_fields(w.get("device"))
    dynamics = any(
        c in cols for c in ("stance_time_ms", "vertical_oscillation_mm", "step_length_mm")
    )
    meta = {
        "manufacturer": "apple",
        "product": device.get("name") or "Apple Watch",
        "software_version": device.get("software") or w.get("sourceVersion"),
        "dynamics_source": "wrist" if dynamics else "none",
        "dynamics_sensor": SENSOR if dynamics else None,
        "time_created": pd.Timestamp(
            datetime.fromtimestamp(epoch_seconds(w["creationDate"]), tz=UTC)
        )
        if w.get("creationDate")
        else None,
    }
    act = build_activity(
        data=data,
        name=name,
        file_format="apple-health",
        sessions=[session] if len(points) else [],
        meta=meta,
        file_type="activity" if len(points) else "workout without samples",
        activity_id=doc.get("id"),
    )
    act.notes = notes
    return act


def _device_fields(device: str | None) -> dict[str, str]:
    """``name:Apple Watch, manufacturer:Apple Inc., ...`` as a dict."""
    out = {}
    for part in (device or "").strip("<>").split(","):
        key, sep, value = part.partition(":")
        if sep and not key.strip().startswith("<"):
            out[key.strip()] = value.strip().rstrip(">")
    return out


__all__ = ["read_apple_workout", "SERIES", "convert"]
