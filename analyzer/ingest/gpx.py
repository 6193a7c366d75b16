"""Read a GPX file into an :class:`~analyzer.fit.activity.Activity`, with gpxpy.

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
(no DTD, no entities: :func:`analyzer.ingest.xmlrun.parse_xml`), then parsed by gpxpy.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analyzer.errors import InvalidActivityXml
from analyzer.fit.activity import Activity
from analyzer.ingest.xmlrun import build_activity, local, number, parse_xml, steps_per_min

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
    for ext in point.extensions or []:
        for el in ext.iter():
            tag = local(el.tag).lower()
            if tag in ("hr", "heartrate"):
                out["heart_rate_bpm"] = number(el.text)
            elif tag in ("cad", "cadence", "runcadence"):
                out["cadence"] = number(el.text)
            elif tag in ("power", "powerinwatts", "watts"):
                out["power_w"] = number(el.text)
    return out


def read_gpx(data: bytes, name: str) -> Activity:
    """Parse GPX bytes into an Activity (one session per track with timed points).

    Raises
    ------
    InvalidActivityXml
        Unreadable or unsafe XML, or not GPX. A GPX without timed points (a route) is an
        Activity of file type "route ..." without sessions.
    """
    import gpxpy
    import gpxpy.gpx

    root = parse_xml(data, name, "GPX")  # the safety screen; gpxpy parses the same text
    if local(root.tag) != "gpx":
        raise InvalidActivityXml(f"{name}: not a GPX file (root element <{local(root.tag)}>)")
    try:
        gpx = gpxpy.parse(data.lstrip(b" \t\r\n\xef\xbb\xbf").decode("utf-8", errors="replace"))
    except (gpxpy.gpx.GPXException, ValueError) as exc:
        raise InvalidActivityXml(f"{name}: not a readable GPX file ({exc})") from None
    sessions = []
    for track in gpx.tracks:
        rows = []
        for seg in track.segments:
            for p in seg.points:
                if p.time is None:
                    continue
                rows.append(
                    {
                        "timestamp": p.time,
                        "lat": p.latitude,
                        "lon": p.longitude,
                        "altitude_m": math.nan if p.elevation is None else float(p.elevation),
                        **_extensions(p),
                    }
                )
        if not rows:
            continue
        df = pd.DataFrame(rows)
        df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True)
        df = df.sort_values("timestamp", kind="stable").drop_duplicates("timestamp")
        df = df.reset_index(drop=True)
        df["distance_m"] = track_distance(
            df.pop("lat").to_numpy(dtype=float), df.pop("lon").to_numpy(dtype=float)
        )
        run = _is_run(track.type)
        if "cadence" in df:
            cadence = df.pop("cadence").to_numpy(dtype=float)
            if run:
                df["cadence_spm"] = steps_per_min(cadence)
        df = df.drop(columns=[c for c in df.columns if c != "timestamp" and df[c].isna().all()])
        sport = "running" if run else ((track.type or "").strip().lower() or "no type given")
        sessions.append({"sport": sport, "points": df})
    kind = "activity" if sessions else "route (no timed track points)"
    meta = {"manufacturer": None, "product": (gpx.creator or "").strip() or None}
    if gpx.time is not None:
        meta["time_created"] = pd.Timestamp(gpx.time)
    return build_activity(
        data=data, name=name, file_format="gpx", sessions=sessions, meta=meta, file_type=kind
    )
