"""Read a GPX file into an :class:`~analyzer.fit.activity.Activity`.

GPX (1.0 / 1.1) holds tracks (``trk``) of segments of points with time, latitude, longitude and
elevation; heart rate and cadence sit in extensions, usually Garmin's TrackPointExtension
(``gpxtpx:hr``, ``gpxtpx:cad``; cadence per foot as in FIT, so steps/min = 2 x value) and
sometimes ``power``. Each track becomes a session; its sport comes from the track's ``type``:
``running``/``run``/``trail_running``... or Strava's numeric ``9`` are runs. A track without a
type is not taken for a run (Apple Health's workout routes, for one, have none and carry no
heart rate or cadence either).

Distance is the cumulative great-circle distance between points (haversine on a sphere of the
Earth's mean radius, elevation ignored, as watches and Strava report it); speed is its central
difference (:func:`analyzer.ingest.xmlrun.speed_from_distance`); moving time leaves out gaps over
:data:`analyzer.ingest.xmlrun.PAUSE_GAP_S` (auto-pause). The file is first screened by defusedxml
(no DTD, no entities: :func:`analyzer.ingest.xmlrun.parse_xml`), and the tree it builds is read.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analyzer.errors import InvalidActivityXml
from analyzer.fit.activity import Activity
from analyzer.fit.localtime import first_position
from analyzer.ingest.xmlrun import (
    build_activity,
    check_sessions,
    local,
    number,
    parse_xml,
    steps_per_min,
    utc_times,
)

#: Mean Earth radius [m] (IUGG mean radius R1).
EARTH_RADIUS_M = 6_371_008.8
#: Strava's numeric GPX activity types that mean a run (Strava's activity type 9 = Run).
STRAVA_RUN_TYPES = frozenset({"9"})


def _is_run(kind: str | None) -> bool:
    k = (kind or "").strip().lower()
    return k in STRAVA_RUN_TYPES or "run" in k


def track_distance(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Cumulative distance along the points [m] (0 at the first)."""
    if lat.size == 0:
        return np.zeros(0)
    la, lo = np.radians(lat), np.radians(lon)
    dla, dlo = np.diff(la), np.diff(lo)
    a = np.sin(dla / 2) ** 2 + np.cos(la[:-1]) * np.cos(la[1:]) * np.sin(dlo / 2) ** 2
    step = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return np.concatenate([[0.0], np.cumsum(np.nan_to_num(step))])


def _extensions(point) -> dict:
    out = {}
    for el in point.iter():
        tag = local(el.tag).lower()
        if tag in ("hr", "heartrate"):
            out["heart_rate_bpm"] = number(el.text)
        elif tag in ("cad", "cadence", "runcadence"):
            out["cadence"] = number(el.text)
        elif tag in ("power", "powerinwatts", "watts"):
            out["power_w"] = number(el.text)
    return out


def _child_text(el, name: str) -> str | None:
    for child in el:
        if local(child.tag) == name:
            return (child.text or "").strip() or None
    return None


def _points(track) -> list[dict]:
    rows = []
    for seg in track:
        if local(seg.tag) != "trkseg":
            continue
        for p in seg:
            if local(p.tag) != "trkpt":
                continue
            time = _child_text(p, "time")
            if time is None:
                continue
            row = {"time": time, "lat": number(p.get("lat")), "lon": number(p.get("lon"))}
            row["altitude_m"] = number(_child_text(p, "ele"))
            for child in p:
                if local(child.tag) == "extensions":
                    row.update(_extensions(child))
            rows.append(row)
    return rows


def read_gpx(data: bytes, name: str) -> Activity:
    """Parse GPX bytes into an Activity (one session per track with timed points).

    The tree defusedxml builds is read directly (expat's cost is linear in the input; gpxpy's
    own parsing of the same text went quadratic on crafted comments). Times without a zone are
    UTC, as the GPX schema defines them.

    Raises
    ------
    InvalidActivityXml
        Unreadable or unsafe XML, or not GPX, or more tracks than
        :data:`~analyzer.ingest.xmlrun.MAX_SESSIONS` (one file is one activity). A GPX
        without timed points (a route) is an Activity of file type "route ..." without sessions.
    """
    root = parse_xml(data, name, "GPX")
    if local(root.tag) != "gpx":
        raise InvalidActivityXml(f"{name}: not a GPX file (root element <{local(root.tag)}>)")
    tracks = [t for t in root if local(t.tag) == "trk"]
    check_sessions(len(tracks), name)
    sessions, unusable = [], None
    for track in tracks:
        rows = _points(track)
        if not rows:
            continue
        df = pd.DataFrame(rows)
        texts = df.pop("time")
        df["timestamp"] = utc_times(texts)
        if df["timestamp"].isna().any():
            unusable = unusable or str(texts[df["timestamp"].isna()].iloc[0])[:40]
        df = df[df["timestamp"].notna()]
        if df.empty:
            continue
        df = df.sort_values("timestamp", kind="stable").drop_duplicates("timestamp")
        df = df.reset_index(drop=True)
        lat, lon = df.pop("lat").to_numpy(dtype=float), df.pop("lon").to_numpy(dtype=float)
        df["distance_m"] = track_distance(lat, lon)
        kind = _child_text(track, "type")
        run = _is_run(kind)
        if "cadence" in df:
            cadence = df.pop("cadence").to_numpy(dtype=float)
            if run:
                df["cadence_spm"] = steps_per_min(cadence)
        df = df.drop(columns=[c for c in df.columns if c != "timestamp" and df[c].isna().all()])
        sport = "running" if run else ((kind or "").strip().lower() or "no type given")
        sessions.append({"sport": sport, "points": df, "position": first_position(lat, lon)})
    if not sessions and unusable:
        raise InvalidActivityXml(
            f"{name}: no usable time: {unusable!r} is not a time a run can have (a date from "
            "1678 to 2262 in ISO 8601)"
        )
    kind = "activity" if sessions else "route (no timed track points)"
    meta = {"manufacturer": None, "product": (root.get("creator") or "").strip() or None}
    created = _child_text(root, "time")  # GPX 1.0
    for child in root:
        if local(child.tag) == "metadata":  # GPX 1.1
            created = _child_text(child, "time") or created
    if created is not None:
        stamp = utc_times(pd.Series([created])).iloc[0]
        if pd.notna(stamp):
            meta["time_created"] = stamp
    return build_activity(
        data=data, name=name, file_format="gpx", sessions=sessions, meta=meta, file_type=kind
    )
