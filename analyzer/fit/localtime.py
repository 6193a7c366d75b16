"""A run's local clock: how many seconds it was ahead of UTC (DESIGN §10).

Two sources, best first: the watch's own local time (FIT ``activity.local_timestamp`` minus its
``timestamp``), else the time zone at the run's first position (the offline zone map of
``tzfpy``, then the zone's rules at the run's start, so summer time counts). Files with neither
(some watches, TCX or GPX without positions) get no offset here; the athlete's usual one is
filled in when runs are read (:func:`analyzer.schema.resolve_offsets`).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from analyzer.fit.columns import Columns
from analyzer.fit.messages import ACTIVITY, FIT_EPOCH_S, RECORD, FitMessages
from analyzer.schema import utc

#: Offsets in use on Earth run from UTC-12 to UTC+14 [s].
OFFSET_RANGE_S = (-12 * 3600, 14 * 3600)
#: Every offset in use is a multiple of 15 minutes [s]; a device's difference is rounded to it.
OFFSET_STEP_S = 900
#: FIT position fields are semicircles: degrees = value * 180 / 2**31.
SEMICIRCLE_DEG = 180.0 / 2**31
LOCAL_TIMESTAMP, TIMESTAMP, POSITION_LAT, POSITION_LONG = 5, 253, 0, 1


def plausible(offset_s: Any) -> int | None:
    """``offset_s`` rounded to 15 minutes when it is an offset in use on Earth, else None."""
    try:
        off = float(offset_s)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(off):
        return None
    off = round(off / OFFSET_STEP_S) * OFFSET_STEP_S
    return int(off) if OFFSET_RANGE_S[0] <= off <= OFFSET_RANGE_S[1] else None


def device_offset(activity: pd.DataFrame) -> int | None:
    """``local_timestamp - timestamp`` of the first FIT ``activity`` message holding both."""
    if activity is None or LOCAL_TIMESTAMP not in activity or TIMESTAMP not in activity:
        return None
    diff = (activity[LOCAL_TIMESTAMP] - activity[TIMESTAMP]).dropna()
    return plausible(diff.iloc[0]) if len(diff) else None


@lru_cache(maxsize=4096)
def _zone_name(lat: float, lon: float) -> str | None:
    import tzfpy

    return tzfpy.get_tz(lon, lat) or None


def zone_offset(lat_deg: Any, lon_deg: Any, when: Any) -> int | None:
    """The UTC offset [s] at ``when`` of the time zone at (``lat_deg``, ``lon_deg``), or None
    when the position or the time is unusable."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        lat, lon = float(lat_deg), float(lon_deg)
    except (TypeError, ValueError):
        return None
    ts = utc(when)
    if ts is None or not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None  # (0, 0) is what a watch writes before its first fix
    name = _zone_name(round(lat, 3), round(lon, 3))
    try:
        offset = ts.tz_convert(ZoneInfo(name)).utcoffset() if name else None
    except (ZoneInfoNotFoundError, ValueError, OverflowError):
        return None
    return None if offset is None else plausible(offset.total_seconds())


def first_position(lat_deg: Any, lon_deg: Any) -> tuple[float, float] | None:
    """The first (lat, lon) pair of two aligned sequences [deg] that is a real position."""
    lat = pd.to_numeric(pd.Series(list(lat_deg)), errors="coerce")
    lon = pd.to_numeric(pd.Series(list(lon_deg)), errors="coerce")
    ok = lat.between(-90, 90) & lon.between(-180, 180) & ~((lat == 0) & (lon == 0))
    if not ok.any():
        return None
    i = int(ok.to_numpy().argmax())
    return float(lat.iloc[i]), float(lon.iloc[i])


def position_offset(lat_deg: Any, lon_deg: Any, when: Any) -> int | None:
    """:func:`zone_offset` at the first real position of the sequences."""
    pos = first_position(lat_deg, lon_deg)
    return None if pos is None else zone_offset(pos[0], pos[1], when)


def local_offset(device: int | None, position: int | None) -> dict[str, Any]:
    """``{"utc_offset_s", "utc_offset_source"}`` of a file: the device's offset, else the
    position's, else none (filled from the athlete's usual offset when runs are read)."""
    if device is not None:
        return {"utc_offset_s": device, "utc_offset_source": "device"}
    if position is not None:
        return {"utc_offset_s": position, "utc_offset_source": "position"}
    return {"utc_offset_s": None, "utc_offset_source": None}


def fit_offset(msgs: FitMessages, start: Any) -> dict[str, Any]:
    """:func:`local_offset` of a FIT payload starting at ``start`` (UTC)."""
    act = Columns.of(msgs, ACTIVITY)
    local, stamp = act.get(LOCAL_TIMESTAMP), act.get(TIMESTAMP)
    if local is None or stamp is None:
        device = None
    elif act.numeric(LOCAL_TIMESTAMP) and act.numeric(TIMESTAMP):
        diff = local - stamp  # (device_offset without building the table)
        known = np.flatnonzero(~np.isnan(diff))
        device = plausible(diff[known[0]]) if known.size else None
    else:
        device = device_offset(msgs.table(ACTIVITY))
    if device is not None:
        return local_offset(device, None)
    cols = Columns.of(msgs, RECORD)
    if POSITION_LAT not in cols or POSITION_LONG not in cols:
        return local_offset(None, None)
    if all(cols.numeric(k) for k in (POSITION_LAT, POSITION_LONG)) and (
        TIMESTAMP not in cols or cols.numeric(TIMESTAMP)
    ):
        # (what the pandas path below does, on the float columns)
        lat, lon = cols(POSITION_LAT) * SEMICIRCLE_DEG, cols(POSITION_LONG) * SEMICIRCLE_DEG
        with np.errstate(invalid="ignore"):
            ok = (np.abs(lat) <= 90) & (np.abs(lon) <= 180) & ~((lat == 0) & (lon == 0))
        if not ok.any():
            return local_offset(None, None)
        if utc(start) is None:
            stamps = cols(TIMESTAMP)
            known = np.flatnonzero(~np.isnan(stamps))
            if known.size:
                start = pd.Timestamp(stamps[known[0]] + FIT_EPOCH_S, unit="s", tz="UTC")
        i = int(ok.argmax())
        return local_offset(None, zone_offset(float(lat[i]), float(lon[i]), start))
    rec = msgs.table(RECORD)
    if POSITION_LAT not in rec or POSITION_LONG not in rec:
        return local_offset(None, None)
    lat, lon = rec[POSITION_LAT] * SEMICIRCLE_DEG, rec[POSITION_LONG] * SEMICIRCLE_DEG
    if utc(start) is None and TIMESTAMP in rec and rec[TIMESTAMP].notna().any():
        start = pd.Timestamp(rec[TIMESTAMP].dropna().iloc[0] + FIT_EPOCH_S, unit="s", tz="UTC")
    return local_offset(None, position_offset(lat, lon, start))
