"""Read a Training Center XML (TCX) file into an :class:`~analyzer.fit.activity.Activity`.

TCX (Garmin's TrainingCenterDatabase v2 schema) holds ``Activities/Activity`` elements with a
``Sport`` attribute (``Running``, ``Biking``, ``Other``), each with ``Lap`` elements (StartTime,
TotalTimeSeconds, DistanceMeters, AverageHeartRateBpm) holding ``Track/Trackpoint`` elements:
Time, DistanceMeters, AltitudeMeters, HeartRateBpm/Value, Cadence, and in Garmin's
ActivityExtension v2 ``TPX``: Speed [m/s], RunCadence, Watts. Cadence in TCX is the schema's
``CadenceValue_t`` in rpm: for running that is one foot's strides per minute, as in FIT
(Garmin Connect writes RunCadence ~85-95 for runs of 170-190 steps/min), so steps/min = 2 x the
value (:func:`analyzer.ingest.xmlrun.steps_per_min`; values already in steps/min are kept).
Strava's exports write a run's cadence in ``Cadence`` the same way.

Each Activity becomes a session; only ``Running`` ones become runs. The file is parsed with
defusedxml (:func:`analyzer.ingest.xmlrun.parse_xml`); elements are matched by local name, so
any namespace prefix works. There are no running dynamics in TCX.
"""

from __future__ import annotations

import math

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

#: TCX Sport attribute -> the FIT sport names used everywhere else.
SPORTS = {"running": "running", "biking": "cycling", "other": "other"}


def _child(el, name: str):
    for c in el:
        if local(c.tag) == name:
            return c
    return None


def _text(el, *path: str) -> str | None:
    for name in path:
        if el is None:
            return None
        el = _child(el, name)
    return None if el is None else (el.text or "").strip()


def _points(lap) -> list[dict]:
    out = []
    for tp in lap.iter():
        if local(tp.tag) != "Trackpoint":
            continue
        row = {
            "time": _text(tp, "Time"),
            "distance_m": number(_text(tp, "DistanceMeters")),
            "altitude_m": number(_text(tp, "AltitudeMeters")),
            "heart_rate_bpm": number(_text(tp, "HeartRateBpm", "Value")),
            "cadence": number(_text(tp, "Cadence")),
            "lat": number(_text(tp, "Position", "LatitudeDegrees")),
            "lon": number(_text(tp, "Position", "LongitudeDegrees")),
        }
        for el in tp.iter():
            tag = local(el.tag)
            if tag == "Speed":
                row["speed_mps"] = number(el.text)
            elif tag == "RunCadence" and math.isnan(row["cadence"]):
                row["cadence"] = number(el.text)
            elif tag == "Watts":
                row["power_w"] = number(el.text)
        out.append(row)
    return out


def read_tcx(data: bytes, name: str) -> Activity:
    """Parse TCX bytes into an Activity (one session per TCX Activity).

    Raises
    ------
    InvalidActivityXml
        Unreadable or unsafe XML, or not a TCX document.
    """
    root = parse_xml(data, name, "TCX")
    if local(root.tag) != "TrainingCenterDatabase":
        raise InvalidActivityXml(f"{name}: not a TCX file (root element <{local(root.tag)}>)")
    sessions = []
    activities = [el for el in root.iter() if local(el.tag) == "Activity"]
    check_sessions(len(activities), name)
    for act in activities:
        sport_attr = (act.get("Sport") or "").strip().lower()
        laps, points = [], []
        hr_time = [0.0, 0.0]
        for lap in act:
            if local(lap.tag) != "Lap":
                continue
            timer = number(_text(lap, "TotalTimeSeconds"))
            hr = number(_text(lap, "AverageHeartRateBpm", "Value"))
            if not math.isnan(hr) and not math.isnan(timer):
                hr_time[0] += hr * timer
                hr_time[1] += timer
            laps.append(
                {
                    # optional: a bad one loses the lap's start, not the file
                    "start_time": utc_times(pd.Series([lap.get("StartTime")])).iloc[0],
                    "total_timer_s": timer,
                    "total_distance_m": number(_text(lap, "DistanceMeters")),
                }
            )
            points += _points(lap)
        frame = _frame(points)
        if frame.empty:
            continue
        lat, lon = (frame.pop(c) if c in frame else pd.Series(dtype=float) for c in ("lat", "lon"))
        timer = sum(lap["total_timer_s"] for lap in laps if not math.isnan(lap["total_timer_s"]))
        dist = sum(
            lap["total_distance_m"] for lap in laps if not math.isnan(lap["total_distance_m"])
        )
        sport = SPORTS.get(sport_attr, sport_attr or "unknown")
        if sport == "running" and "cadence" in frame:
            frame["cadence_spm"] = steps_per_min(frame.pop("cadence").to_numpy())
        watch = {}
        if timer > 0 and dist > 0:
            watch["speed_mps"] = dist / timer
        if hr_time[1] > 0:
            watch["heart_rate_bpm"] = hr_time[0] / hr_time[1]
        sessions.append(
            {
                "sport": sport,
                "points": frame.drop(columns=["cadence"], errors="ignore"),
                "timer_s": timer if timer > 0 else math.nan,
                "distance_m": dist if dist > 0 else math.nan,
                "laps": laps,
                "watch": watch,
                "position": first_position(lat, lon) if len(lat) == len(lon) else None,
            }
        )
    creator = _creator(root)
    meta = {"manufacturer": creator[0], "product": creator[1]}
    # A TCX of courses or workouts has no timed trackpoints: logged as not an activity.
    kind = "activity" if sessions else "course or workout (no timed trackpoints)"
    return build_activity(
        data=data, name=name, file_format="tcx", sessions=sessions, meta=meta, file_type=kind
    )


def _frame(points: list[dict]) -> pd.DataFrame:
    if not points:
        return pd.DataFrame()
    df = pd.DataFrame(points)
    df["timestamp"] = utc_times(df.pop("time"))
    df = df[df["timestamp"].notna()]
    df = df.drop(columns=[c for c in df.columns if c != "timestamp" and df[c].isna().all()])
    # A trackpoint may repeat a time (lap boundaries): keep the first.
    return df.drop_duplicates("timestamp").reset_index(drop=True)


def _creator(root) -> tuple[str | None, str | None]:
    """(manufacturer, product) from the first ``Creator/Name``: the name is the product as
    written ("Forerunner 235"); the manufacturer only when the name contains it."""
    for el in root.iter():
        if local(el.tag) == "Creator":
            name = _text(el, "Name")
            if name:
                lower = name.lower()
                man = next((m for m in ("garmin", "coros", "suunto", "polar") if m in lower), None)
                return man, name
    return None, None


__all__ = ["read_tcx"]
