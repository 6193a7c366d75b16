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
        owner = self.records["session_index"].to_numpy()
        for _, sess in self.sessions.iterrows():
            if sess["sport"] != "running":
                continue
            i = int(sess["session_index"])
            mine = owner == i
            # (all records of a single-session file: no need to copy them through a mask)
            recs = (self.records if mine.all() else self.records[mine]).reset_index(drop=True)
            recs["elapsed_s"] = _elapsed(recs["timestamp"])
            laps = self.laps
            if not laps.empty:
                in_session = laps["session_index"].to_numpy() == i
                laps = (laps if in_session.all() else laps[in_session]).reset_index(drop=True)
            out.append(Run(f"{self.activity_id}:{i}", self.activity_id, i, sess, recs, laps))
        return out


# ----------------------------------------------------------------------------- helpers
#
# The tables here are tiny (one session, a few laps) or plain float columns (records), so the work
# is done on numpy arrays: per-column pandas operations would cost more than the data they touch.
# Each step reproduces the pandas expression it replaces exactly (values, dtypes, index, element
# types); the pandas expression is quoted where that is not obvious.

#: Whole FIT seconds (plus the epoch offset) below this magnitude fit int64 microseconds.
_MAX_WHOLE_S = 9.0e12
#: Rows up to which a message table is converted to one array without looking at its dtypes.
_SMALL_TABLE = 64
#: int64 value of NaT.
_NAT = np.iinfo(np.int64).min


def _col(df: pd.DataFrame, key) -> np.ndarray:
    """A numeric column as a float64 array (read only), all-NaN when absent.

    ``pd.to_numeric(df[key], errors="coerce").astype("float64")``.
    """
    if key in df.columns:
        s = df[key]
        if s.dtype == np.float64:
            return s.to_numpy()
        return pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()
    return np.full(len(df), np.nan)


class _Columns:
    """Column getter of one message table: ``cols(key)`` is :func:`_col` ``(df, key)``.

    A table whose columns are all numeric (both decoders write float64 for numeric fields) is
    read as one float64 2-D array once, instead of building a Series per column. Large tables
    are checked first, so that one with string columns is not copied into an object array.
    """

    __slots__ = ("_df", "_block", "_pos")

    def __init__(self, df: pd.DataFrame):
        self._df = df
        self._block = None
        if not (len(df.columns) and df.columns.is_unique):
            return
        if len(df) > _SMALL_TABLE and not bool((df.dtypes == np.float64).all()):
            return
        block = df.to_numpy()
        if block.dtype == np.float64 and block.ndim == 2:
            self._block = block
            self._pos = {k: i for i, k in enumerate(df.columns)}

    def __call__(self, key) -> np.ndarray:
        if self._block is None:
            return _col(self._df, key)
        i = self._pos.get(key)
        return np.full(len(self._block), np.nan) if i is None else self._block[:, i]

    def first(self, key):
        """:func:`_first` ``(df, key)``."""
        if self._block is None:
            return _first(self._df, key)
        i = self._pos.get(key)
        if i is None:
            return None
        a = self._block[:, i]
        ok = np.flatnonzero(~np.isnan(a))
        return a[ok[0]] if ok.size else None


def _fill(a: np.ndarray, b) -> np.ndarray:
    """``a`` with its NaNs replaced by ``b`` (``Series.fillna`` of aligned series)."""
    return np.where(np.isnan(a), b, a)


def _nonzero(a: np.ndarray) -> np.ndarray:
    """``a`` with 0 as NaN (``s.where(s != 0)``)."""
    return np.where(a != 0, a, np.nan)


def _min(a: np.ndarray) -> float:
    """NaN-skipping minimum, NaN when there is no value (``Series.min``)."""
    return np.fmin.reduce(a) if a.size else np.nan


def _first(df: pd.DataFrame, key, mask: np.ndarray | None = None):
    """First non-missing value of a column (among the rows of ``mask``); None without one."""
    if df.empty or key not in df.columns:
        return None
    s = df[key]
    if mask is not None:
        s = s[mask]
    if s.dtype == np.float64:
        a = s.to_numpy()
        ok = np.flatnonzero(~np.isnan(a))
        return a[ok[0]] if ok.size else None
    vals = s.dropna()
    return vals.iloc[0] if len(vals) else None


def _whole_seconds(seconds: np.ndarray) -> np.ndarray | None:
    """``seconds + FIT_EPOCH_S`` as int64 Unix seconds (0 where NaN) when every value is a
    whole number of seconds in range; None otherwise."""
    v = seconds + FIT_EPOCH_S
    whole = np.where(np.isnan(v), 0.0, v)
    if np.all(np.abs(whole) < _MAX_WHOLE_S) and np.array_equal(whole, np.trunc(whole)):
        return whole.astype(np.int64)
    return None


def _times(seconds: np.ndarray, unix: np.ndarray | None = None):
    """FIT seconds -> UTC timestamps, as an array for a DataFrame column.

    ``pd.to_datetime(seconds + FIT_EPOCH_S, unit="s", utc=True)``: whole seconds (and NaN) give
    microsecond resolution, done here in integers (``unix``: :func:`_whole_seconds` when the
    caller has it); anything else is left to pandas (which then uses nanoseconds).
    """
    if unix is None:
        unix = _whole_seconds(seconds)
    if unix is None:
        return pd.to_datetime(pd.Series(seconds + FIT_EPOCH_S), unit="s", utc=True).array
    us = unix * 1_000_000
    us[np.isnan(seconds)] = _NAT
    return pd.DatetimeIndex(us.view("M8[us]"), tz="UTC").array


def _created(value) -> pd.Timestamp:
    """``file_id.time_created`` (FIT seconds) as a UTC timestamp."""
    if isinstance(value, float):
        return _times(np.array([value], dtype="float64"))[0]
    return pd.to_datetime(pd.Series([value]) + FIT_EPOCH_S, unit="s", utc=True).iloc[0]


def _elapsed(ts: pd.Series) -> np.ndarray:
    """Seconds since the first timestamp: ``(ts - ts.min()).dt.total_seconds()``."""
    if ts.empty:
        return np.empty(0, dtype="float64")
    values = ts.array
    if not isinstance(values, pd.arrays.DatetimeArray):
        return (ts - ts.min()).dt.total_seconds().astype("float64").to_numpy()
    unit, i8 = values.unit, values.asi8
    nat = i8 == _NAT
    if unit in _PER_SECOND and not nat.all():
        whole, part = np.divmod(i8 - i8[~nat].min(), _PER_SECOND[unit])
        if not part[~nat].any():
            out = whole.astype("float64")
            out[nat] = np.nan
            return out
    return (ts - ts.min()).dt.total_seconds().astype("float64").to_numpy()


#: Ticks per second of the datetime resolutions timestamps come in.
_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


def _names(values: np.ndarray, type_name: str, index: pd.Index) -> pd.Series:
    """Profile names of enum values, as ``Series.map(enum_name).astype(object)`` gives them:
    an object Series where a missing name is None, or NaN when other names are strings."""
    names = [enum_name(type_name, v) for v in values.tolist()]
    if None in names and any(isinstance(n, str) for n in names):
        names = [np.nan if n is None else n for n in names]
    return pd.Series(names, index=index, dtype=object)


def _summary(cols: _Columns, foot: np.ndarray, which: int) -> dict[str, np.ndarray]:
    """watch_avg_* columns of session (which=0) or lap (which=1) messages; ``foot`` marks the
    rows of a running, walking or hiking session."""
    out: dict[str, np.ndarray] = {}
    speed = _fill(cols(124 if which == 0 else 110), cols(14 if which == 0 else 13))
    cad = cols(18 if which == 0 else 17) + np.nan_to_num(cols(92 if which == 0 else 80), nan=0.0)
    cad = np.where(foot, 2 * cad, np.nan)
    for m in AVERAGE_METRICS:
        if m == "speed_mps":
            out["watch_avg_speed_mps"] = _nonzero(speed)
        elif m == "cadence_spm":
            out["watch_avg_cadence_spm"] = _nonzero(cad)
        else:
            out[f"watch_avg_{m}"] = _nonzero(cols(_SUMMARY[m][which]))
    out["watch_avg_power_w"] = _nonzero(cols(_SUMMARY["power_w"][which]))
    out["watch_avg_heart_rate_bpm"] = _nonzero(cols(_SUMMARY["heart_rate_bpm"][which]))
    return out


def _is_foot(sports: list) -> np.ndarray:
    """Which sports count one foot's cadence (membership in :data:`FOOT_SPORTS`)."""
    return np.array([s in FOOT_SPORTS for s in sports], dtype=bool)


def _session_table(msgs: FitMessages, rec_ts: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """The sessions table, and each session's start in FIT seconds as :func:`_start_seconds`
    reads it back from the table."""
    sess = msgs.table(SESSION)
    if sess.empty:
        if np.isnan(rec_ts).all():
            empty = pd.DataFrame(columns=["session_index", "sport", "sub_sport", "start_time"])
            return empty, np.empty(0, dtype="float64")
        sport_msg = msgs.table(SPORT)
        first, last = _min(rec_ts), np.fmax.reduce(rec_ts)
        sess = pd.DataFrame(
            {
                5: [_first(sport_msg, 0)],
                6: [_first(sport_msg, 1)],
                2: [first],
                7: [last - first],
            }
        )
    cols = _Columns(sess)
    index = sess.index
    sport_names = [enum_name("sport", v) for v in cols(5).tolist()]
    # ``_names(...).fillna("unknown")``: every value is a string.
    sport = ["unknown" if n is None else n for n in sport_names]
    elapsed, stamp = cols(7), cols(253)
    start = _fill(cols(2), stamp - elapsed)
    if np.isnan(start).any() and not np.isnan(rec_ts).all():
        start = _fill(start, _min(rec_ts))
    end = _fill(start + elapsed, stamp)
    unix = _whole_seconds(start)
    out = {
        "session_index": np.arange(len(sess), dtype="int64"),
        "sport": pd.Series(sport, index=index, dtype=object),
        "sub_sport": _names(cols(6), "sub_sport", index),
        "start_time": _times(start, unix),
        "end_time": _times(end),
        "total_elapsed_s": elapsed,
        "total_timer_s": cols(8),
        "total_distance_m": cols(9),
    }
    out.update(_summary(cols, _is_foot(sport), 0))
    table = pd.DataFrame(out, index=index)
    if unix is None:
        return table, _start_seconds(table)
    # Whole seconds go through the table unchanged: (unix - epoch) seconds, NaN where NaT.
    starts = (unix - FIT_EPOCH_S).astype("float64")
    starts[np.isnan(start)] = np.nan
    return table, starts


def _start_seconds(sessions: pd.DataFrame) -> np.ndarray:
    """Session start times back in FIT seconds:
    ``(sessions["start_time"] - FIT epoch).dt.total_seconds()``."""
    if not len(sessions):
        return np.empty(0, dtype="float64")
    since = sessions["start_time"] - pd.Timestamp(FIT_EPOCH_S, unit="s", tz="UTC")
    return since.dt.total_seconds().to_numpy(dtype="float64")


def _assign(ts: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Session index of each timestamp (see module docstring)."""
    if len(starts) == 0:
        return np.full(len(ts), -1, dtype="int64")
    order = np.argsort(starts, kind="stable")
    sorted_starts = starts[order]
    pos = np.searchsorted(sorted_starts, np.nan_to_num(ts, nan=np.inf), side="right") - 1
    pos = np.clip(pos, 0, len(order) - 1)
    return order[pos].astype("int64")


def _records(
    msgs: FitMessages, sessions: pd.DataFrame, starts: np.ndarray, devf: pd.DataFrame
) -> pd.DataFrame:
    rec = msgs.table(RECORD)
    cols = _Columns(rec)
    ts = cols(253)
    sidx = _assign(ts, starts)
    if len(sessions):
        foot = _is_foot(sessions["sport"].tolist())[np.clip(sidx, 0, None)]
    else:
        foot = np.zeros(len(rec), dtype=bool)
    cadence = 2 * (cols(4) + np.nan_to_num(cols(53), nan=0.0))
    balance = cols(84)
    out = {
        "timestamp": _times(ts),
        "elapsed_s": ts - _min(ts),
        "distance_m": cols(5),
        "speed_mps": _fill(cols(73), cols(6)),
        "heart_rate_bpm": _nonzero(cols(3)),
        "cadence_spm": np.where(foot, cadence, np.nan),
        "vertical_oscillation_mm": _nonzero(cols(39)),
        "stance_time_ms": _nonzero(cols(41)),
        "stance_time_pct": _nonzero(cols(40)),
        "gct_balance_left_pct": np.where((balance > 0) & (balance < 100), balance, np.nan),
        "step_length_mm": _nonzero(cols(85)),
        "vertical_ratio_pct": _nonzero(cols(83)),
        "power_w": cols(7),
        "altitude_m": _fill(cols(78), cols(2)),
    }
    assert list(out)[: len(RECORD_COLUMNS)] == list(RECORD_COLUMNS)
    if len(devf):
        for index, number, column in zip(
            devf["developer_data_index"].tolist(),
            devf["field_number"].tolist(),
            devf["column"].tolist(),
            strict=True,
        ):
            key = f"dev:{index}:{number}"
            # pandas may store a missing column name as None or NaN, depending on the dtype.
            if not isinstance(column, str) or key not in rec.columns:
                continue
            values = cols(key)
            # A column set twice keeps its first position (dict and DataFrame alike).
            out[column] = _fill(out["power_w"], values) if column == "power_w" else values
    out["session_index"] = sidx
    return pd.DataFrame(out, index=rec.index)


def _laps(msgs: FitMessages, sessions: pd.DataFrame, starts: np.ndarray) -> pd.DataFrame:
    lap = msgs.table(LAP)
    if lap.empty:
        return pd.DataFrame(columns=["lap_index", "session_index", "start_time"])
    cols = _Columns(lap)
    elapsed, stamp = cols(7), cols(253)
    start = _fill(cols(2), stamp - elapsed)
    sidx = _assign(start, starts)
    if len(sessions):
        foot = _is_foot(sessions["sport"].tolist())[np.clip(sidx, 0, None)]
    else:
        foot = np.zeros(len(lap), dtype=bool)
    out = {
        "lap_index": np.arange(len(lap), dtype="int64"),
        "session_index": sidx,
        "start_time": _times(start),
        "end_time": _times(_fill(start + elapsed, stamp)),
        "total_elapsed_s": elapsed,
        "total_timer_s": cols(8),
        "total_distance_m": cols(9),
    }
    out.update(_summary(cols, foot, 1))
    return pd.DataFrame(out, index=lap.index)


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
    fid = _Columns(msgs.table(FILE_ID))
    file_type = enum_name("file", fid.first(0)) or "unknown"
    manufacturer = enum_name("manufacturer", fid.first(1))
    product = product_name(manufacturer, fid.first(2), fid.first(8))
    rec_ts = _col(msgs.table(RECORD), 253)
    sessions, starts = _session_table(msgs, rec_ts)
    stryd_device = manufacturer == "stryd"
    devf = developer_fields(msgs, stryd_device)
    records = _records(msgs, sessions, starts, devf)
    laps = _laps(msgs, sessions, starts)
    apps = [
        a
        for a in msgs.table(DEVELOPER_DATA_ID).get(1, pd.Series(dtype=object)).tolist()
        if isinstance(a, str)
    ]
    stryd_apps = bool(devf["column"].notna().any()) if len(devf) else False
    source, sensor = dynamics_source(msgs, records, manufacturer, stryd_apps, product)
    dev = msgs.table(DEVICE_INFO)
    created = fid.first(4)
    serial = fid.first(3)
    meta = {
        "time_created": None if created is None else _created(created),
        "manufacturer": manufacturer,
        "product": product,
        "serial_number": None if serial is None else int(serial),
        "software_version": _first(dev, 5, _col(dev, 0) == 0),
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
