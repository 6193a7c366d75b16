"""What the TCX and GPX readers share: safe XML parsing and building an :class:`Activity`.

Both formats come from untrusted files, so XML is only ever parsed through defusedxml with DTDs
forbidden (TCX and GPX never need one; a DTD is what entity-expansion bombs and external
entities need). :func:`build_activity` turns per-point arrays into the same
:class:`analyzer.fit.activity.Activity` the FIT decoder makes (contract columns and units of
:mod:`analyzer.schema`), so the worker, the averages, the gait summary and the store treat a
TCX or GPX run like a FIT run without running dynamics.
"""

from __future__ import annotations

import hashlib
import math
import xml.etree.ElementTree as ET  # only for the ParseError type; parsing goes through defusedxml

import numpy as np
import pandas as pd

from analyzer.errors import InvalidActivityXml
from analyzer.fit.activity import Activity
from analyzer.fit.localtime import local_offset, zone_offset
from analyzer.schema import AVERAGE_METRICS, RECORD_COLUMNS

#: Gaps between points longer than this are pauses (auto-pause, timer stopped) [s]; the same
#: rule as :data:`analyzer.metrics.averages.PAUSE_GAP_S` for files without a timer total.
PAUSE_GAP_S = 10.0
#: Points on each side of a point in the central difference that gives speed from distance.
SPEED_HALF_WINDOW = 2
#: Per-foot running cadence stays under this [strides/min]; larger values are already
#: steps/min (a few apps write them so, against the TCX/Garmin convention of one foot).
MAX_STRIDES_PER_MIN = 125.0
#: Most activities (TCX) or tracks (GPX) one file may hold, and most runs one payload of any
#: format may give (:mod:`analyzer.ingest.worker`).
MAX_SESSIONS = 100
#: The instants a nanosecond timestamp holds (pandas' range: 1677-09-21 ... 2262-04-11).
_NS_MIN, _NS_MAX = (pd.Timestamp(t, tz="UTC") for t in ("1677-09-22", "2262-04-10"))


def parse_xml(data: bytes, name: str, what: str):
    """The root element of ``data``, parsed with defusedxml (no DTD, no entities).

    Raises
    ------
    InvalidActivityXml
        Not well-formed XML, or XML with a DTD / entity declarations.
    """
    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    # Strava's TCX files start with spaces before the XML declaration, which XML forbids.
    text = data.lstrip(b" \t\r\n\xef\xbb\xbf")
    try:
        return SafeET.fromstring(text, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise InvalidActivityXml(
            f"{name}: unsafe {what} file: {type(exc).__name__} (DTDs and entities are refused)"
        ) from None
    except (ET.ParseError, ValueError) as exc:
        raise InvalidActivityXml(f"{name}: not a readable {what} file ({exc})") from None


def check_sessions(n: int, name: str) -> None:
    """Refuse a file of more than :data:`MAX_SESSIONS` activities/tracks (one file is one
    activity, a multisport one a handful: thousands of tiny tracks are an attack on the
    duplicate search and the store, not a history)."""
    if n > MAX_SESSIONS:
        raise InvalidActivityXml(
            f"{name}: holds {n:,} activities or tracks, more than the {MAX_SESSIONS} one file "
            "may have; export the runs as separate files"
        )


def utc_times(texts: pd.Series) -> pd.Series:
    """ISO 8601 times as UTC timestamps: a time without a zone is UTC (the GPX and TCX schemas
    define xsd:dateTime in UTC); unreadable times, and years pandas cannot hold (before 1677,
    after 2262), are NaT."""
    times = pd.to_datetime(texts, utc=True, errors="coerce", format="ISO8601")
    inside = (times >= _NS_MIN) & (times <= _NS_MAX)
    return times.where(inside).astype("datetime64[ns, UTC]")


def local(tag: str) -> str:
    """An element's tag without its namespace (``{ns}Trackpoint`` -> ``Trackpoint``)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def number(text: str | None) -> float:
    """``text`` as a float; NaN when missing or not a number."""
    try:
        value = float(text) if text is not None else math.nan
    except ValueError:
        return math.nan
    return value if math.isfinite(value) else math.nan


def steps_per_min(cadence: np.ndarray) -> np.ndarray:
    """Running cadence as steps/min from per-foot values (x 2), unless already steps/min."""
    finite = cadence[np.isfinite(cadence) & (cadence > 0)]
    if finite.size and np.median(finite) > MAX_STRIDES_PER_MIN:
        return cadence
    return 2.0 * cadence


def moving_seconds(ts: pd.Series) -> float:
    """Seconds between points, gaps over :data:`PAUSE_GAP_S` left out [s]."""
    dt = ts.diff().dt.total_seconds().to_numpy()[1:]
    return float(dt[(dt > 0) & (dt <= PAUSE_GAP_S)].sum())


def speed_from_distance(ts: pd.Series, dist: np.ndarray) -> np.ndarray:
    """Speed [m/s] as a central difference of distance over ±:data:`SPEED_HALF_WINDOW` points."""
    n = len(dist)
    if n < 2:
        return np.full(n, np.nan)
    t = (ts - ts.iloc[0]).dt.total_seconds().to_numpy()
    k = SPEED_HALF_WINDOW
    hi = np.minimum(np.arange(n) + k, n - 1)
    lo = np.maximum(np.arange(n) - k, 0)
    dt = t[hi] - t[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        v = (dist[hi] - dist[lo]) / dt
    return np.where((dt > 0) & (dt <= 2 * k * PAUSE_GAP_S), v, np.nan)


def build_activity(
    *,
    data: bytes,
    name: str,
    file_format: str,
    sessions: list[dict],
    meta: dict,
    file_type: str = "activity",
    activity_id: str | None = None,
) -> Activity:
    """An :class:`Activity` from parsed sessions.

    Parameters
    ----------
    data : bytes
        The file's bytes (the activity id is their sha256).
    name : str
        Where the file came from.
    file_format : str
        ``"tcx"`` or ``"gpx"`` (kept as the activity's decoder).
    sessions : list of dict
        One per activity/track: ``sport``, ``points`` (DataFrame with ``timestamp`` (UTC) and
        any of distance_m, speed_mps, heart_rate_bpm, cadence_spm, power_w, altitude_m), and
        optional ``timer_s``, ``distance_m``, ``laps`` (list of dicts: start_time, timer_s,
        distance_m), ``watch`` (``{metric: value}`` of the file's own summary), optional
        ``start_time`` / ``end_time`` (UTC; default: the first and last point), ``sub_sport``,
        ``extra`` (more session fields, e.g. the local time of an Apple Health workout: its
        ``utc_offset_s`` is the device's own offset) and ``position`` (the first real
        (lat, lon) [deg], or None: the time zone there at the start gives the local clock,
        :mod:`analyzer.fit.localtime`).
    meta : dict
        manufacturer / product (the app or device the file names), time_created; optionally
        software_version, dynamics_source and dynamics_sensor (default ``"none"``, None).
    file_type : str
        What the file is (``"activity"``; for a file without timed points, e.g. ``"route"``:
        then there is no session and the import logs it as not an activity).
    activity_id : str, optional
        The activity's id when it is not the sha256 of ``data`` (an Apple Health workout).
    """
    rec_parts, sess_rows, lap_rows = [], [], []
    offset = device = None
    for i, sess in enumerate(sessions):
        pts = sess["points"].sort_values("timestamp", kind="stable").reset_index(drop=True)
        rec = pd.DataFrame({"timestamp": pts["timestamp"]})
        for col in list(RECORD_COLUMNS)[1:]:
            rec[col] = pts[col].astype("float64") if col in pts else np.nan
        if rec["speed_mps"].isna().all() and rec["distance_m"].notna().sum() >= 2:
            rec["speed_mps"] = speed_from_distance(rec["timestamp"], rec["distance_m"].to_numpy())
        rec["session_index"] = i
        rec_parts.append(rec)
        start = sess.get("start_time", rec["timestamp"].iloc[0])
        end = sess.get("end_time", rec["timestamp"].iloc[-1])
        told = (sess.get("extra") or {}).get("utc_offset_s")
        if told is not None and device is None:
            device = int(told)  # the workout's own clock (Apple Health writes its offset)
        if offset is None and sess.get("position") is not None:
            offset = zone_offset(*sess["position"], start)
        timer = sess.get("timer_s")
        timer = moving_seconds(rec["timestamp"]) if timer is None or math.isnan(timer) else timer
        dist = sess.get("distance_m")
        if dist is None or math.isnan(dist):
            dist = float(rec["distance_m"].max()) if rec["distance_m"].notna().any() else math.nan
        row = {
            "session_index": i,
            "sport": sess["sport"],
            "sub_sport": sess.get("sub_sport"),
            "start_time": start,
            "end_time": end,
            "total_elapsed_s": (end - start).total_seconds(),
            "total_timer_s": timer,
            "total_distance_m": dist,
        }
        watch = sess.get("watch") or {}
        for m in AVERAGE_METRICS:
            row[f"watch_avg_{m}"] = watch.get(m, math.nan)
        row["watch_avg_power_w"] = watch.get("power_w", math.nan)
        row["watch_avg_heart_rate_bpm"] = watch.get("heart_rate_bpm", math.nan)
        row.update(sess.get("extra") or {})
        sess_rows.append(row)
        for lap in sess.get("laps") or []:
            lap_rows.append({"lap_index": len(lap_rows), "session_index": i, **lap})
    if not rec_parts:
        empty = {c: pd.Series(dtype="float64") for c in RECORD_COLUMNS}
        empty["timestamp"] = pd.Series(dtype="datetime64[ns, UTC]")
        rec_parts = [pd.DataFrame({**empty, "session_index": pd.Series(dtype="int64")})]
    records = pd.concat(rec_parts, ignore_index=True)
    records["elapsed_s"] = (records["timestamp"] - records["timestamp"].min()).dt.total_seconds()
    laps = pd.DataFrame(lap_rows, columns=None if lap_rows else ["lap_index", "session_index"])
    full_meta = {
        "time_created": meta.get("time_created"),
        "manufacturer": meta.get("manufacturer"),
        "product": meta.get("product"),
        "serial_number": None,
        "software_version": meta.get("software_version"),
        "dynamics_source": meta.get("dynamics_source", "none"),
        "dynamics_sensor": meta.get("dynamics_sensor"),
        "developer_apps": [],
        "format": file_format,
        **local_offset(device, offset),
    }
    return Activity(
        activity_id=activity_id or hashlib.sha256(data).hexdigest(),
        source_name=name,
        file_type=file_type,
        meta=full_meta,
        sessions=pd.DataFrame(sess_rows),
        laps=laps,
        records=records,
        decoder=file_format,
    )
