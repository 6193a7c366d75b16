"""Decode one FIT payload into an :class:`Activity` in the data contract's columns and units.

Decoders (:mod:`analyzer.fit.reference`, the vectorised ``analyzer.fit.fast``) produce
:class:`~analyzer.fit.messages.FitMessages`; :func:`build_activity` is the one place where FIT
fields become contract columns (:mod:`analyzer.schema`), with the generic table -> array helpers
of :mod:`analyzer.fit.columns`. Conversions, per record:

- ``cadence_spm`` = 2 x (cadence 4 + fractional_cadence 53, NaN -> 0) for records of a
  running, walking or hiking session (FIT writes one foot's cadence there); NaN for other sports
  and when the sport is unknown. A cadence of 0 (standing still) stays 0.
- ``stance_time_ms`` (41), ``vertical_oscillation_mm`` (39), ``stance_time_pct`` (40),
  ``step_length_mm`` (85), ``vertical_ratio_pct`` (83) and ``heart_rate_bpm`` (3): 0 -> NaN
  (the devices write 0 while stopped or when the sensor has no reading).
- ``gct_balance_left_pct`` = stance_time_balance (84) as the **left** foot's share; 0 and 100
  (outside what a running sensor can report, and the values written without a reading) -> NaN.
  Checked on FR920xt-with-runscribe-plus.fit against RunScribe's own left share L / (L + R)
  (r = +0.5 on 30-record means; ``tests/test_fit.py::test_gct_balance_side``).
- ``speed_mps`` = enhanced_speed (73), else speed (6); ``altitude_m`` = enhanced_altitude (78),
  else altitude (2) (decoders apply scale 5 / offset 500).
- ``power_w`` = power (7), else the Stryd developer field 0.
- ``stance_time_ms`` and ``vertical_oscillation_mm`` from Stryd's Ground Time (3, ms) and
  Vertical Oscillation (4, cm x 10) developer fields when the file has no native values for the
  column (native first; :data:`analyzer.fit.devices.STRYD_DYNAMICS_FIELDS`), 0 -> NaN.
- Stryd columns (:data:`analyzer.schema.STRYD_COLUMNS`) from developer fields whose application
  id is one of :data:`STRYD_APP_IDS` (or any developer field of a file written by a Stryd
  device), matched on field number only (:data:`STRYD_FIELDS`), never on names.

Record values outside the physiological ranges of :mod:`analyzer.fit.plausible` (a running speed
of 65 m/s, a cadence of 508 steps/min) are set to NaN and counted in ``meta["masked_samples"]``.

Timestamps are FIT seconds from the FIT epoch (1989-12-31 UTC); the device-relative times
(< 0x10000000) of old ANT-FS devices (FR70) land in 1990: only their differences mean anything.

Records are assigned to sessions by time: session *i* owns ``[start_i, start_{i+1})``; the first
session also owns earlier records and the last one later records (so a single-session file keeps
every record). A file with records but no session message gets one session built from its records
(sport from the ``sport`` message, no watch averages). :attr:`Activity.laps` is built when read.
"""

from __future__ import annotations

import hashlib
import io
import zlib
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from analyzer._base.files import GZIP_MAGIC, gunzip
from analyzer.errors import FitHeaderError
from analyzer.fit.columns import (
    Columns,
    Deferred,
    Later,
    assign_sessions,
    col,
    elapsed_seconds,
    enum_names,
    fill,
    first_value,
    fit_timestamp,
    frame,
    nanmin,
    nonzero,
    start_seconds,
    times,
    whole_seconds,
)
from analyzer.fit.devices import (
    STRYD_APP_IDS,
    STRYD_DYNAMICS_FIELDS,
    STRYD_FIELDS,
    developer_fields,
    dynamics_source,
)
from analyzer.fit.localtime import fit_offset
from analyzer.fit.messages import (
    DEVELOPER_DATA_ID,
    DEVICE_INFO,
    FILE_ID,
    FIT_EPOCH_S,
    LAP,
    RECORD,
    SESSION,
    SPORT,
    FitMessages,
    Partial,
)
from analyzer.fit.names import as_int, enum_name, product_name
from analyzer.fit.plausible import mask_implausible
from analyzer.schema import AVERAGE_METRICS, DYNAMICS_COLUMNS, RECORD_COLUMNS

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
        dynamics_sensor (a readable sensor name), developer_apps (list of application ids),
        masked_samples (``{column: n}`` record values outside the physiological ranges of
        :mod:`analyzer.fit.plausible`, set to NaN; empty when none), utc_offset_s / _source.
    sessions : pandas.DataFrame
        One row per session: session_index, sport, sub_sport, start_time, end_time,
        total_elapsed_s, total_timer_s, total_distance_m, total_cycles (strides when running:
        total_cycles 10 + total_fractional_cycles 94), and the watch's own averages as
        ``watch_avg_<metric>`` in contract units (NaN where the watch wrote none or a 0
        placeholder), plus watch_avg_power_w and watch_avg_heart_rate_bpm.
    laps : pandas.DataFrame
        One row per lap: lap_index, session_index, start_time, end_time, totals, watch_avg_*.
    records : pandas.DataFrame
        All records in contract columns plus ``session_index`` (-1 only when there is no session).
    developer_fields : pandas.DataFrame
        Field descriptions: developer_data_index, application_id, field_number, name, units,
        and ``column`` (the contract column it maps to, or None).
    decoder : str
        Which decoder produced it (``"fitparse"`` or ``"fast"``).
    notes : list of str
        Fields read otherwise than the file declares (:attr:`FitMessages.notes`).
    partial : Partial or None
        Where and why a damaged file was read only in part (None for a whole file).
    """

    activity_id: str
    source_name: str
    file_type: str
    meta: dict
    sessions: pd.DataFrame
    laps: pd.DataFrame = Deferred()  # (build_activity builds it on first read)
    records: pd.DataFrame
    developer_fields: pd.DataFrame = field(default_factory=pd.DataFrame)
    decoder: str = "fitparse"
    notes: list[str] = field(default_factory=list)
    partial: Partial | None = None

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
            recs["elapsed_s"] = elapsed_seconds(recs["timestamp"])
            laps = self.laps
            if not laps.empty:
                in_session = laps["session_index"].to_numpy() == i
                laps = (laps if in_session.all() else laps[in_session]).reset_index(drop=True)
            out.append(Run(f"{self.activity_id}:{i}", self.activity_id, i, sess, recs, laps))
        return out


# ----------------------------------------------------------------------------- contract columns
#
# Built on numpy arrays with the helpers of :mod:`analyzer.fit.columns`; each step reproduces the
# pandas expression it replaces exactly (values, dtypes, index, element types).


def _summary(cols: Columns, foot: np.ndarray, which: int) -> dict[str, np.ndarray]:
    """watch_avg_* columns of session (which=0) or lap (which=1) messages; ``foot`` marks the
    rows of a running, walking or hiking session."""
    out: dict[str, np.ndarray] = {}
    speed = fill(cols(124 if which == 0 else 110), cols(14 if which == 0 else 13))
    cad = cols(18 if which == 0 else 17) + np.nan_to_num(cols(92 if which == 0 else 80), nan=0.0)
    cad = np.where(foot, 2 * cad, np.nan)
    for m in AVERAGE_METRICS:
        if m == "speed_mps":
            out["watch_avg_speed_mps"] = nonzero(speed)
        elif m == "cadence_spm":
            out["watch_avg_cadence_spm"] = nonzero(cad)
        else:
            out[f"watch_avg_{m}"] = nonzero(cols(_SUMMARY[m][which]))
    out["watch_avg_power_w"] = nonzero(cols(_SUMMARY["power_w"][which]))
    out["watch_avg_heart_rate_bpm"] = nonzero(cols(_SUMMARY["heart_rate_bpm"][which]))
    return out


def _is_foot(sports: list) -> np.ndarray:
    """Which sports count one foot's cadence (membership in :data:`FOOT_SPORTS`)."""
    return np.array([s in FOOT_SPORTS for s in sports], dtype=bool)


def _session_table(msgs: FitMessages, rec_ts: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """The sessions table, and each session's start in FIT seconds as :func:`start_seconds`
    reads it back from the table."""
    sess = msgs.table(SESSION)
    if sess.empty:
        if np.isnan(rec_ts).all():
            empty = pd.DataFrame(columns=["session_index", "sport", "sub_sport", "start_time"])
            return empty, np.empty(0, dtype="float64")
        sport_msg = msgs.table(SPORT)
        first, last = nanmin(rec_ts), np.fmax.reduce(rec_ts)
        sess = pd.DataFrame(
            {
                5: [first_value(sport_msg, 0)],
                6: [first_value(sport_msg, 1)],
                2: [first],
                7: [last - first],
            }
        )
    cols = Columns(sess)
    index = sess.index
    sport_names = [enum_name("sport", v) for v in cols(5).tolist()]
    # ``enum_names(...).fillna("unknown")``: every value is a string.
    sport = ["unknown" if n is None else n for n in sport_names]
    elapsed, stamp = cols(7), cols(253)
    start = fill(cols(2), stamp - elapsed)
    if np.isnan(start).any() and not np.isnan(rec_ts).all():
        start = fill(start, nanmin(rec_ts))
    end = fill(start + elapsed, stamp)
    unix = whole_seconds(start)
    out = {
        "session_index": np.arange(len(sess), dtype="int64"),
        "sport": pd.Series(sport, index=index, dtype=object),
        "sub_sport": enum_names(cols(6), "sub_sport", index),
        "start_time": times(start, unix),
        "end_time": times(end),
        "total_elapsed_s": elapsed,
        "total_timer_s": cols(8),
        "total_distance_m": cols(9),
        "total_cycles": cols(10) + np.nan_to_num(cols(94), nan=0.0),  # strides when running
    }
    out.update(_summary(cols, _is_foot(sport), 0))
    table = pd.DataFrame(out, index=index)
    if unix is None:
        return table, start_seconds(table)
    # Whole seconds go through the table unchanged: (unix - epoch) seconds, NaN where NaT.
    starts = (unix - FIT_EPOCH_S).astype("float64")
    starts[np.isnan(start)] = np.nan
    return table, starts


def _records(
    msgs: FitMessages, sessions: pd.DataFrame, starts: np.ndarray, devf: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, int], bool]:
    """The records in contract columns, the samples masked per column
    (:func:`~analyzer.fit.plausible.mask_implausible`), and whether the file had native
    running-dynamics values (before any Stryd developer field fills one)."""
    rec = msgs.table(RECORD)
    cols = Columns(rec)
    ts = cols(253)
    sidx = assign_sessions(ts, starts)
    if len(sessions):
        foot = _is_foot(sessions["sport"].tolist())[np.clip(sidx, 0, None)]
    else:
        foot = np.zeros(len(rec), dtype=bool)
    cadence = 2 * (cols(4) + np.nan_to_num(cols(53), nan=0.0))
    balance = cols(84)
    out = {
        "timestamp": times(ts),
        "elapsed_s": ts - nanmin(ts),
        "distance_m": cols(5),
        "speed_mps": fill(cols(73), cols(6)),
        "heart_rate_bpm": nonzero(cols(3)),
        "cadence_spm": np.where(foot, cadence, np.nan),
        "vertical_oscillation_mm": nonzero(cols(39)),
        "stance_time_ms": nonzero(cols(41)),
        "stance_time_pct": nonzero(cols(40)),
        "gct_balance_left_pct": np.where((balance > 0) & (balance < 100), balance, np.nan),
        "step_length_mm": nonzero(cols(85)),
        "vertical_ratio_pct": nonzero(cols(83)),
        "power_w": cols(7),
        "altitude_m": fill(cols(78), cols(2)),
    }
    assert list(out)[: len(RECORD_COLUMNS)] == list(RECORD_COLUMNS)
    masked = mask_implausible(out, foot)
    native = any(bool(np.isfinite(out[c]).any()) for c in DYNAMICS_COLUMNS)
    stryd_dynamics = {column: factor for column, factor in STRYD_DYNAMICS_FIELDS.values()}
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
            if column in stryd_dynamics:
                # Native first: Stryd's copy only for a column without any native value.
                if not np.isfinite(out[column]).any():
                    out[column] = nonzero(values * stryd_dynamics[column])
                continue
            # A column set twice keeps its first position (dict and DataFrame alike).
            out[column] = fill(out["power_w"], values) if column == "power_w" else values
    out["session_index"] = sidx
    return frame(out, rec.index), masked, native


def _laps(msgs: FitMessages, sessions: pd.DataFrame, starts: np.ndarray) -> pd.DataFrame:
    lap = msgs.table(LAP)
    if lap.empty:
        return pd.DataFrame(columns=["lap_index", "session_index", "start_time"])
    cols = Columns(lap)
    elapsed, stamp = cols(7), cols(253)
    start = fill(cols(2), stamp - elapsed)
    sidx = assign_sessions(start, starts)
    if len(sessions):
        foot = _is_foot(sessions["sport"].tolist())[np.clip(sidx, 0, None)]
    else:
        foot = np.zeros(len(lap), dtype=bool)
    out = {
        "lap_index": np.arange(len(lap), dtype="int64"),
        "session_index": sidx,
        "start_time": times(start),
        "end_time": times(fill(start + elapsed, stamp)),
        "total_elapsed_s": elapsed,
        "total_timer_s": cols(8),
        "total_distance_m": cols(9),
    }
    out.update(_summary(cols, foot, 1))
    return pd.DataFrame(out, index=lap.index)


# ----------------------------------------------------------------------------- public API


def decode(data: bytes, name: str, *, decoder: str = "auto", strict: bool = False) -> FitMessages:
    """Decode a FIT payload with the chosen decoder.

    Parameters
    ----------
    data : bytes
        The payload.
    name : str
        Where it came from (for error messages).
    decoder : {"auto", "fitparse", "fast"}
        ``"auto"`` tries :mod:`analyzer.fit.fast` and falls back to fitparse when the fast decoder
        declines the file (or is not installed); the other two force one decoder.
    strict : bool
        Refuse a damaged payload instead of keeping what precedes the damage (the policy of
        :mod:`analyzer.fit.recover`).
    """
    from analyzer.errors import DecoderDeclined
    from analyzer.fit import reference as fitparse_decoder
    from analyzer.fit.recover import decode_with

    if decoder == "fitparse":
        return decode_with(fitparse_decoder.decode, data, name, strict=strict)
    if decoder not in ("auto", "fast"):
        raise ValueError(f"unknown decoder {decoder!r}")
    from analyzer.fit.fast import decode as fast_decode

    if decoder == "fast":
        return decode_with(fast_decode, data, name, strict=strict)
    try:
        return decode_with(fast_decode, data, name, strict=strict)
    except DecoderDeclined:
        return decode_with(fitparse_decoder.decode, data, name, strict=strict)


def build_activity(msgs: FitMessages, *, activity_id: str, source_name: str) -> Activity:
    """Turn decoded messages into an :class:`Activity` (all unit conversion happens here)."""
    fid = Columns(msgs.table(FILE_ID))
    file_type = enum_name("file", fid.first(0)) or "unknown"
    manufacturer = enum_name("manufacturer", fid.first(1))
    product = product_name(manufacturer, fid.first(2), fid.first(8))
    rec_ts = col(msgs.table(RECORD), 253)
    sessions, starts = _session_table(msgs, rec_ts)
    stryd_device = manufacturer == "stryd"
    devf = developer_fields(msgs, stryd_device)
    records, masked, native = _records(msgs, sessions, starts, devf)
    apps = [
        a
        for a in msgs.table(DEVELOPER_DATA_ID).get(1, pd.Series(dtype=object)).tolist()
        if isinstance(a, str)
    ]
    stryd_apps = bool(devf["column"].notna().any()) if len(devf) else False
    source, sensor = dynamics_source(
        msgs, records, manufacturer, stryd_apps, product, native=native
    )
    dev = msgs.table(DEVICE_INFO)
    meta = {
        "time_created": fit_timestamp(fid.first(4)),
        "manufacturer": manufacturer,
        "product": product,
        "serial_number": as_int(fid.first(3)),
        "software_version": first_value(dev, 5, col(dev, 0) == 0),
        "dynamics_source": source,
        "dynamics_sensor": sensor,
        "developer_apps": list(dict.fromkeys(apps)),
        "masked_samples": masked,
        **fit_offset(msgs, sessions["start_time"].min() if len(sessions) else None),
    }
    return Activity(
        activity_id=activity_id,
        source_name=source_name,
        file_type=file_type,
        meta=meta,
        sessions=sessions,
        laps=Later(partial(_laps, msgs, sessions, starts)),
        records=records,
        developer_fields=devf,
        decoder=msgs.decoder,
        notes=list(msgs.notes),
        partial=msgs.partial,
    )


def read_fit(
    source: str | Path | bytes,
    *,
    name: str | None = None,
    decoder: str = "auto",
    strict: bool = False,
) -> Activity:
    """Decode a FIT file (path or bytes; ``.fit.gz`` paths are decompressed) into an Activity.

    The activity id is the sha256 of the (decompressed) FIT bytes. A damaged file is read in
    part (:attr:`Activity.partial` says where and why, :mod:`analyzer.fit.recover`); with
    ``strict=True`` it raises the damage's :class:`~analyzer.errors.InvalidFitFile` instead.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        name = name or "<bytes>"
    else:
        path = Path(source)
        data = path.read_bytes()
        name = name or str(path)
    if data[:2] == GZIP_MAGIC:  # (within the limits every decompression keeps)
        try:
            data = gunzip(io.BytesIO(data), len(data), name)
        except (OSError, EOFError, zlib.error) as exc:
            raise FitHeaderError(name, f"not a readable gzip file ({exc})") from None
    msgs = decode(data, name, decoder=decoder, strict=strict)
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
