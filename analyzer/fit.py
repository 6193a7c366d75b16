"""Decode one FIT payload into an :class:`Activity` in the data contract's columns and units.

Decoders (:mod:`analyzer.fitparse_decoder`, the vectorised ``analyzer.fastfit``) produce
:class:`~analyzer.fitmessages.FitMessages`; :func:`build_activity` is the one place where FIT
fields become contract columns (:mod:`analyzer.schema`). Conversions, per record:

- ``cadence_spm`` = 2 x (cadence 4 + fractional_cadence 53, NaN -> 0) for records of a
  running, walking or hiking session (FIT writes one foot's cadence there); NaN for other sports
  and when the sport is unknown. A cadence of 0 (standing still) stays 0.
- ``stance_time_ms`` (41), ``vertical_oscillation_mm`` (39), ``stance_time_pct`` (40),
  ``step_length_mm`` (85), ``vertical_ratio_pct`` (83) and ``heart_rate_bpm`` (3): 0 -> NaN
  (the devices write 0 while stopped or when the sensor has no reading).
- ``gct_balance_left_pct`` = stance_time_balance (84) as the **left** foot's share; 0 and 100
  (outside what a running sensor can report, and the values written without a reading) -> NaN.
  The side was checked on FR920xt-with-runscribe-plus.fit, which also carries RunScribe's
  independent left and right contact times: the balance rises and falls with RunScribe's left
  share L / (L + R) (r = +0.5 on 30-record means; a right-foot share would correlate
  negatively). See ``tests/test_fit.py::test_gct_balance_side``.
- ``speed_mps`` = enhanced_speed (73), else speed (6); ``altitude_m`` = enhanced_altitude (78),
  else altitude (2) (decoders apply scale 5 / offset 500).
- ``power_w`` = power (7), else the Stryd developer field 0.
- Stryd columns (:data:`analyzer.schema.STRYD_COLUMNS`) from developer fields whose application
  id is one of :data:`STRYD_APP_IDS` (or any developer field of a file written by a Stryd
  device), matched on field number only (:data:`STRYD_FIELDS`), never on names.

Timestamps are FIT seconds counted from the FIT epoch (1989-12-31 UTC), also for the
device-relative times (< 0x10000000) of old ANT-FS devices (FR70): those land in 1990 and only
their differences mean anything.

Records are assigned to sessions by time: session *i* owns ``[start_i, start_{i+1})``; the first
session also owns earlier records and the last one later records (so a single-session file keeps
every record). A file with records but no session message gets one session built from its
records (sport from the ``sport`` message, no watch averages).
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analyzer.fitdevices import (
    STRYD_APP_IDS,
    STRYD_FIELDS,
    developer_fields,
    dynamics_source,
)
from analyzer.fitmessages import (
    DEVELOPER_DATA_ID,
    DEVICE_INFO,
    FILE_ID,
    FIT_EPOCH_S,
    LAP,
    RECORD,
    SESSION,
    SPORT,
    FitMessages,
)
from analyzer.profile_names import enum_name, product_name
from analyzer.schema import AVERAGE_METRICS, RECORD_COLUMNS

#: Sports in which FIT cadence counts one foot (so steps/min = 2 x cadence).
FOOT_SPORTS = frozenset({"running", "walking", "hiking"})

#: Watch summary fields: metric -> (session field, lap field) (FIT profile).
_SUMMARY = {
    "stance_time_ms": (91, 79),
    "vertical_oscillation_mm": (89, 77),
    "gct_balance_left_pct": (133, 119),
    "step_length_mm": (134, 120),
    "vertical_ratio_pct": (132, 118),
    "power_w": (20, 19),
    "heart_rate_bpm": (16, 15),
}


@dataclass
class Run:
    """One running session of an activity (a multisport file has one per running leg).

    Attributes
    ----------
    run_id : str
        ``"{activity_id}:{session_index}"``; stable across re-imports.
    activity_id : str
        sha256 of the file bytes.
    session_index : int
        Position of the session in the file (0-based).
    session : pandas.Series
        The session row of :attr:`Activity.sessions` (sport, start_time, totals, ``watch_avg_*``).
    records : pandas.DataFrame
        Contract columns (:data:`analyzer.schema.RECORD_COLUMNS` plus any Stryd columns) for the
        records inside this session's time window; ``elapsed_s`` counts from its first record.
    laps : pandas.DataFrame
        The session's laps.
    """

    run_id: str
    activity_id: str
    session_index: int
    session: pd.Series
    records: pd.DataFrame
    laps: pd.DataFrame


@dataclass
class Activity:
    """A decoded FIT payload.

    Attributes
    ----------
    activity_id : str
        sha256 hex digest of the payload bytes.
    source_name : str
        Where the payload came from (path, or ``archive.zip!member.fit``).
    file_type : str
        FIT ``file_id.type`` by name (``"activity"``, ``"monitoring_b"``, ``"settings"``...);
        ``"unknown"`` without a file_id message.
    meta : dict
        time_created, manufacturer, product (names where the profile knows them), serial_number,
        software_version, dynamics_source (one of :data:`analyzer.schema.DYNAMICS_SOURCES`),
        dynamics_sensor (a readable sensor name), developer_apps (list of application ids).
    sessions : pandas.DataFrame
        One row per session: session_index, sport, sub_sport, start_time, end_time,
        total_elapsed_s, total_timer_s, total_distance_m, and the watch's own averages as
        ``watch_avg_<metric>`` in contract units (NaN where the watch wrote none or a 0
        placeholder), plus watch_avg_power_w and watch_avg_heart_rate_bpm.
    laps : pandas.DataFrame
        One row per lap with lap_index, session_index, start_time, end_time, totals and the
        watch's lap averages (``watch_avg_*``) in contract units.
    records : pandas.DataFrame
        All records in contract columns plus ``session_index`` (-1 only when there is no session).
    developer_fields : pandas.DataFrame
        Field descriptions: developer_data_index, application_id, field_number, name, units,
        and ``column`` (the contract column it maps to, or None).
    decoder : str
        Which decoder produced it (``"fitparse"`` or ``"fast"``).
    """

    activity_id: str
    source_name: str
    file_type: str
    meta: dict
    sessions: pd.DataFrame
    laps: pd.DataFrame
    records: pd.DataFrame
    developer_fields: pd.DataFrame = field(default_factory=pd.DataFrame)
    decoder: str = "fitparse"

    def runs(self) -> list[Run]:
        """The running sessions, each with its own records and laps."""
        out = []
        if self.sessions.empty:
            return out
        for _, sess in self.sessions.iterrows():
            if sess["sport"] != "running":
                continue
            i = int(sess["session_index"])
            recs = self.records[self.records["session_index"] == i].reset_index(drop=True)
            recs["elapsed_s"] = _elapsed(recs["timestamp"])
            laps = self.laps
            if not laps.empty:
                laps = laps[laps["session_index"] == i].reset_index(drop=True)
            out.append(Run(f"{self.activity_id}:{i}", self.activity_id, i, sess, recs, laps))
        return out


# ----------------------------------------------------------------------------- helpers


def _col(df: pd.DataFrame, key) -> pd.Series:
    """A numeric column as float64, all-NaN when absent."""
    if key in df.columns:
        return pd.to_numeric(df[key], errors="coerce").astype("float64")
    return pd.Series(np.nan, index=df.index, dtype="float64")


def _first(df: pd.DataFrame, key):
    if df.empty or key not in df.columns:
        return None
    vals = df[key].dropna()
    return vals.iloc[0] if len(vals) else None


def _times(seconds: pd.Series) -> pd.Series:
    """FIT seconds -> UTC timestamps."""
    return pd.to_datetime(seconds + FIT_EPOCH_S, unit="s", utc=True)


def _elapsed(ts: pd.Series) -> pd.Series:
    if ts.empty:
        return pd.Series(dtype="float64")
    return (ts - ts.min()).dt.total_seconds().astype("float64")


def _nonzero(s: pd.Series) -> pd.Series:
    return s.where(s != 0)


def _names(values: pd.Series, type_name: str) -> pd.Series:
    return values.map(lambda v: enum_name(type_name, v)).astype(object)


def _summary(df: pd.DataFrame, sports: pd.Series, which: int) -> dict[str, pd.Series]:
    """watch_avg_* columns of session (which=0) or lap (which=1) messages."""
    out: dict[str, pd.Series] = {}
    speed = _col(df, 124 if which == 0 else 110).fillna(_col(df, 14 if which == 0 else 13))
    cad = _col(df, 18 if which == 0 else 17) + _col(df, 92 if which == 0 else 80).fillna(0)
    cad = (2 * cad).where(sports.isin(FOOT_SPORTS).to_numpy())
    for m in AVERAGE_METRICS:
        if m == "speed_mps":
            out["watch_avg_speed_mps"] = _nonzero(speed)
        elif m == "cadence_spm":
            out["watch_avg_cadence_spm"] = _nonzero(cad)
        else:
            out[f"watch_avg_{m}"] = _nonzero(_col(df, _SUMMARY[m][which]))
    out["watch_avg_power_w"] = _nonzero(_col(df, _SUMMARY["power_w"][which]))
    out["watch_avg_heart_rate_bpm"] = _nonzero(_col(df, _SUMMARY["heart_rate_bpm"][which]))
    return out


def _session_table(msgs: FitMessages, rec_ts: pd.Series) -> pd.DataFrame:
    sess = msgs.table(SESSION)
    if sess.empty:
        if rec_ts.dropna().empty:
            return pd.DataFrame(columns=["session_index", "sport", "sub_sport", "start_time"])
        sport_msg = msgs.table(SPORT)
        sess = pd.DataFrame(
            {
                5: [_first(sport_msg, 0)],
                6: [_first(sport_msg, 1)],
                2: [rec_ts.min()],
                7: [rec_ts.max() - rec_ts.min()],
            }
        )
    sport = _names(_col(sess, 5), "sport")
    start = _col(sess, 2).fillna(_col(sess, 253) - _col(sess, 7))
    if start.isna().any() and not rec_ts.dropna().empty:
        start = start.fillna(rec_ts.min())
    end = (start + _col(sess, 7)).fillna(_col(sess, 253))
    out = pd.DataFrame(
        {
            "session_index": np.arange(len(sess), dtype="int64"),
            "sport": sport.fillna("unknown"),
            "sub_sport": _names(_col(sess, 6), "sub_sport"),
            "start_time": _times(start),
            "end_time": _times(end),
            "total_elapsed_s": _col(sess, 7),
            "total_timer_s": _col(sess, 8),
            "total_distance_m": _col(sess, 9),
        }
    )
    for k, v in _summary(sess, out["sport"], 0).items():
        out[k] = v.to_numpy()
    return out


def _assign(ts: pd.Series, starts: pd.Series) -> np.ndarray:
    """Session index of each timestamp (see module docstring)."""
    if len(starts) == 0:
        return np.full(len(ts), -1, dtype="int64")
    order = np.argsort(starts.to_numpy(dtype="float64"), kind="stable")
    sorted_starts = starts.to_numpy(dtype="float64")[order]
    t = ts.to_numpy(dtype="float64")
    pos = np.searchsorted(sorted_starts, np.nan_to_num(t, nan=np.inf), side="right") - 1
    pos = np.clip(pos, 0, len(order) - 1)
    return order[pos].astype("int64")


def _records(msgs: FitMessages, sessions: pd.DataFrame, devf: pd.DataFrame) -> pd.DataFrame:
    rec = msgs.table(RECORD)
    ts = _col(rec, 253)
    starts = (
        (sessions["start_time"] - pd.Timestamp(FIT_EPOCH_S, unit="s", tz="UTC")).dt.total_seconds()
        if len(sessions)
        else pd.Series(dtype="float64")
    )
    sidx = _assign(ts, starts)
    if len(sessions):
        sport = sessions["sport"].to_numpy()[np.clip(sidx, 0, None)]
    else:
        sport = np.full(len(rec), None, dtype=object)
    foot = np.isin(sport, list(FOOT_SPORTS))
    cadence = 2 * (_col(rec, 4) + _col(rec, 53).fillna(0))
    balance = _col(rec, 84)
    out = pd.DataFrame(
        {
            "timestamp": _times(ts),
            "elapsed_s": (ts - ts.min()).astype("float64"),
            "distance_m": _col(rec, 5),
            "speed_mps": _col(rec, 73).fillna(_col(rec, 6)),
            "heart_rate_bpm": _nonzero(_col(rec, 3)),
            "cadence_spm": cadence.where(foot),
            "vertical_oscillation_mm": _nonzero(_col(rec, 39)),
            "stance_time_ms": _nonzero(_col(rec, 41)),
            "stance_time_pct": _nonzero(_col(rec, 40)),
            "gct_balance_left_pct": balance.where((balance > 0) & (balance < 100)),
            "step_length_mm": _nonzero(_col(rec, 85)),
            "vertical_ratio_pct": _nonzero(_col(rec, 83)),
            "power_w": _col(rec, 7),
            "altitude_m": _col(rec, 78).fillna(_col(rec, 2)),
        }
    )
    for _, d in devf.iterrows():
        key = f"dev:{d['developer_data_index']}:{d['field_number']}"
        # pandas may store a missing column name as None or NaN, depending on the dtype it infers.
        if not isinstance(d["column"], str) or key not in rec.columns:
            continue
        values = _col(rec, key)
        if d["column"] == "power_w":
            out["power_w"] = out["power_w"].fillna(values)
        else:
            out[d["column"]] = values
    assert list(out.columns)[: len(RECORD_COLUMNS)] == list(RECORD_COLUMNS)
    out["session_index"] = sidx if len(sessions) else np.full(len(rec), -1, dtype="int64")
    return out


def _laps(msgs: FitMessages, sessions: pd.DataFrame) -> pd.DataFrame:
    lap = msgs.table(LAP)
    if lap.empty:
        return pd.DataFrame(columns=["lap_index", "session_index", "start_time"])
    start = _col(lap, 2).fillna(_col(lap, 253) - _col(lap, 7))
    starts = (
        (sessions["start_time"] - pd.Timestamp(FIT_EPOCH_S, unit="s", tz="UTC")).dt.total_seconds()
        if len(sessions)
        else pd.Series(dtype="float64")
    )
    sidx = _assign(start, starts)
    if len(sessions):
        sport = pd.Series(sessions["sport"].to_numpy()[np.clip(sidx, 0, None)])
    else:
        sport = pd.Series([None] * len(lap), dtype=object)
    out = pd.DataFrame(
        {
            "lap_index": np.arange(len(lap), dtype="int64"),
            "session_index": sidx,
            "start_time": _times(start),
            "end_time": _times((start + _col(lap, 7)).fillna(_col(lap, 253))),
            "total_elapsed_s": _col(lap, 7),
            "total_timer_s": _col(lap, 8),
            "total_distance_m": _col(lap, 9),
        }
    )
    for k, v in _summary(lap, sport, 1).items():
        out[k] = v.to_numpy()
    return out


# ----------------------------------------------------------------------------- public API


def decode(data: bytes, name: str, *, decoder: str = "auto") -> FitMessages:
    """Decode a FIT payload with the chosen decoder.

    Parameters
    ----------
    data : bytes
        The payload.
    name : str
        Where it came from (for error messages).
    decoder : {"auto", "fitparse", "fast"}
        ``"auto"`` tries :mod:`analyzer.fastfit` and falls back to fitparse when the fast decoder
        declines the file (or is not installed); the other two force one decoder.
    """
    from analyzer import fitparse_decoder
    from analyzer.errors import DecoderDeclined

    if decoder == "fitparse":
        return fitparse_decoder.decode(data, name)
    if decoder not in ("auto", "fast"):
        raise ValueError(f"unknown decoder {decoder!r}")
    try:
        from analyzer.fastfit import decode as fast_decode
    except ImportError:
        if decoder == "fast":
            raise
        return fitparse_decoder.decode(data, name)
    if decoder == "fast":
        return fast_decode(data, name)
    try:
        return fast_decode(data, name)
    except DecoderDeclined:
        return fitparse_decoder.decode(data, name)


def build_activity(msgs: FitMessages, *, activity_id: str, source_name: str) -> Activity:
    """Turn decoded messages into an :class:`Activity` (all unit conversion happens here)."""
    fid = msgs.table(FILE_ID)
    file_type = enum_name("file", _first(fid, 0)) or "unknown"
    manufacturer = enum_name("manufacturer", _first(fid, 1))
    product = product_name(manufacturer, _first(fid, 2), _first(fid, 8))
    rec_ts = _col(msgs.table(RECORD), 253)
    sessions = _session_table(msgs, rec_ts)
    stryd_device = manufacturer == "stryd"
    devf = developer_fields(msgs, stryd_device)
    records = _records(msgs, sessions, devf)
    laps = _laps(msgs, sessions)
    apps = [
        a
        for a in msgs.table(DEVELOPER_DATA_ID).get(1, pd.Series(dtype=object)).tolist()
        if isinstance(a, str)
    ]
    stryd_apps = bool(devf["column"].notna().any()) if len(devf) else False
    source, sensor = dynamics_source(msgs, records, manufacturer, stryd_apps, product)
    dev = msgs.table(DEVICE_INFO)
    creator = dev[_col(dev, 0) == 0] if not dev.empty else dev
    created = _first(fid, 4)
    serial = _first(fid, 3)
    meta = {
        "time_created": None if created is None else _times(pd.Series([created])).iloc[0],
        "manufacturer": manufacturer,
        "product": product,
        "serial_number": None if serial is None else int(serial),
        "software_version": _first(creator, 5),
        "dynamics_source": source,
        "dynamics_sensor": sensor,
        "developer_apps": list(dict.fromkeys(apps)),
    }
    return Activity(
        activity_id=activity_id,
        source_name=source_name,
        file_type=file_type,
        meta=meta,
        sessions=sessions,
        laps=laps,
        records=records,
        developer_fields=devf,
        decoder=msgs.decoder,
    )


def read_fit(
    source: str | Path | bytes, *, name: str | None = None, decoder: str = "auto"
) -> Activity:
    """Decode a FIT file (path or bytes; ``.fit.gz`` paths are decompressed) into an Activity.

    The activity id is the sha256 of the (decompressed) FIT bytes.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        name = name or "<bytes>"
    else:
        path = Path(source)
        data = path.read_bytes()
        name = name or str(path)
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    msgs = decode(data, name, decoder=decoder)
    return build_activity(msgs, activity_id=hashlib.sha256(data).hexdigest(), source_name=name)


__all__ = [
    "STRYD_APP_IDS",
    "STRYD_FIELDS",
    "Activity",
    "Run",
    "build_activity",
    "decode",
    "read_fit",
]
