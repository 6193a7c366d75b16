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
(sport from the ``sport`` message, no watch averages).

:attr:`Activity.sessions`, :attr:`~Activity.laps`, :attr:`~Activity.developer_fields`, the
records table and, from :func:`read_fit`, :attr:`~Activity.activity_id` are built on first read
(the records and ``meta`` read the few message values they need with ``Columns.of``).
:meth:`Activity.runs` cuts each run from the arrays behind the tables (:class:`ActivityArrays`).
"""

from __future__ import annotations

import hashlib
import io
import zlib
from collections.abc import Callable
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
    Once,
    assign_sessions,
    elapsed_seconds,
    fill,
    fit_timestamp,
    frame,
    nanmin,
    nonzero,
    times,
)
from analyzer.fit.devices import (
    STRYD_APP_IDS,
    STRYD_DYNAMICS_FIELDS,
    STRYD_FIELDS,
    developer_field_rows,
    developer_fields_frame,
    dynamics_source,
    latest_descriptions,
)
from analyzer.fit.localtime import fit_offset
from analyzer.fit.messages import (
    DEVELOPER_DATA_ID,
    DEVICE_INFO,
    FILE_ID,
    RECORD,
    FitMessages,
    Partial,
)
from analyzer.fit.names import as_int, enum_name, product_name
from analyzer.fit.plausible import mask_implausible
from analyzer.fit.sessions import FOOT_SPORTS, is_foot, lap_columns, laps_table, read_sessions
from analyzer.schema import DYNAMICS_COLUMNS, RECORD_COLUMNS


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
    record_columns, lap_columns : dict or None
        The columns of ``records`` and ``laps`` as arrays ({} for no laps), where the activity
        has its records as arrays (:class:`ActivityArrays`); the tables are then built when
        first read. None: only the tables are known.
    """

    run_id: str
    activity_id: str
    session_index: int
    session: pd.Series
    records: pd.DataFrame = Deferred()
    laps: pd.DataFrame = Deferred()
    record_columns: dict | None = None
    lap_columns: dict | None = None

    @property
    def n_records(self) -> int:
        """How many records the run has (off its arrays where it has them: no table built)."""
        if self.record_columns is not None:
            return len(next(iter(self.record_columns.values()), ()))
        return len(self.records)


@dataclass(frozen=True)
class ActivityArrays:
    """The arrays behind an activity's records and laps tables, from which
    :meth:`Activity.runs` cuts each run's columns without the tables (building and slicing a
    DataFrame costs more than a run's arithmetic).

    Attributes
    ----------
    records : dict
        The columns of :attr:`Activity.records` as arrays.
    laps : callable
        Gives :func:`~analyzer.fit.sessions.lap_columns` (built once, shared with the table).
    """

    records: dict
    laps: Callable[[], tuple[dict, pd.Index] | None]


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
    developer_field_rows : list of tuple or None
        The rows of ``developer_fields`` as tuples of those values (None for a missing one),
        for callers that need no table (building it costs more than decoding a small file);
        None when the activity was given only the table.
    arrays : ActivityArrays or None
        The records and laps as arrays (:func:`build_activity`; None: only the tables).
    decoder : str
        Which decoder produced it (``"fitparse"`` or ``"fast"``).
    notes : list of str
        Fields read otherwise than the file declares (:attr:`FitMessages.notes`).
    partial : Partial or None
        Where and why a damaged file was read only in part (None for a whole file).
    """

    # (Deferred: read_fit and build_activity give these as builders, run on first read)
    activity_id: str = Deferred()
    source_name: str
    file_type: str
    meta: dict
    sessions: pd.DataFrame = Deferred()
    laps: pd.DataFrame = Deferred()
    records: pd.DataFrame = Deferred()
    developer_fields: pd.DataFrame = Deferred(pd.DataFrame)
    developer_field_rows: list[tuple] | None = None
    arrays: ActivityArrays | None = None
    decoder: str = "fitparse"
    notes: list[str] = field(default_factory=list)
    partial: Partial | None = None

    def runs(self) -> list[Run]:
        """The running sessions, each with its own records and laps."""
        out = []
        if self.sessions.empty:
            return out
        arrays = self.arrays
        if arrays is None:
            owner = self.records["session_index"].to_numpy()
        else:
            owner = arrays.records["session_index"]
        for _, sess in self.sessions.iterrows():
            if sess["sport"] != "running":
                continue
            i = int(sess["session_index"])
            run_id = f"{self.activity_id}:{i}"
            if arrays is not None:
                out.append(Run(run_id, self.activity_id, i, sess, **_cut(arrays, owner == i, i)))
                continue
            mine = owner == i
            # (all records of a single-session file: no need to copy them through a mask)
            recs = (self.records if mine.all() else self.records[mine]).reset_index(drop=True)
            recs["elapsed_s"] = elapsed_seconds(recs["timestamp"])
            laps = self.laps
            if not laps.empty:
                in_session = laps["session_index"].to_numpy() == i
                laps = (laps if in_session.all() else laps[in_session]).reset_index(drop=True)
            out.append(Run(run_id, self.activity_id, i, sess, recs, laps))
        return out


def _cut(arrays: ActivityArrays, mine: np.ndarray, i: int) -> dict:
    """The records and laps of session ``i`` (records ``mine``) as :class:`Run` takes them:
    their columns, and the tables as the DataFrame path of :meth:`Activity.runs` makes them
    (rows of the session, a fresh RangeIndex, ``elapsed_s`` from the session's first record),
    built on first read."""
    records = dict(arrays.records)
    if not mine.all():
        records = {k: v[mine] for k, v in records.items()}
    records["elapsed_s"] = elapsed_seconds(records["timestamp"])
    n = len(records["timestamp"])
    laps = arrays.laps()
    if laps is None:
        lap_cols, lap_table = {}, Later(partial(laps_table, None))
    else:
        lap_cols = laps[0]
        in_session = lap_cols["session_index"] == i
        if not in_session.all():
            lap_cols = {k: v[in_session] for k, v in lap_cols.items()}
        m = int(in_session.sum())
        lap_table = Later(partial(laps_table, (lap_cols, pd.RangeIndex(m))))
    return {
        "records": Later(partial(frame, records, pd.RangeIndex(n))),
        "laps": lap_table,
        "record_columns": records,
        "lap_columns": lap_cols,
    }


# ----------------------------------------------------------------------------- contract columns
#
# Built on numpy arrays with the helpers of :mod:`analyzer.fit.columns`; each step reproduces the
# pandas expression it replaces exactly (values, dtypes, index, element types).


def _records(
    cols: Columns, sports: list, starts: np.ndarray, devf: list[tuple]
) -> tuple[dict[str, np.ndarray], dict[str, int], bool]:
    """The records (``cols``: of the record messages) in contract columns (as arrays; the
    table is :func:`~analyzer.fit.columns.frame` of them), the samples masked per column
    (:func:`~analyzer.fit.plausible.mask_implausible`), and whether the file had native
    running-dynamics values (before any Stryd developer field fills one). ``sports`` and
    ``starts`` are the sessions' (:class:`~analyzer.fit.sessions.Sessions`), ``devf`` the
    developer fields (:func:`~analyzer.fit.devices.latest_descriptions`)."""
    ts = cols(253)
    sidx = assign_sessions(ts, starts)
    if len(sports):
        foot = is_foot(sports)[np.clip(sidx, 0, None)]
    else:
        foot = np.zeros(len(cols), dtype=bool)
    # An absent field is one all-NaN array, shared by the columns it gives (nonzero and
    # fill of NaN are NaN): fewer temporary arrays for the many fields a file lacks.
    nan = np.full(len(cols), np.nan)
    nan.flags.writeable = False

    def value_of(key) -> np.ndarray:
        a = cols.get(key)
        return nan if a is None else a

    def nonzero_of(key) -> np.ndarray:
        a = cols.get(key)
        return nan if a is None else nonzero(a)

    def fill_of(key, other) -> np.ndarray:
        a, b = cols.get(key), cols.get(other)
        if a is None:
            return nan if b is None else b
        return a if b is None else fill(a, b)

    cadence, fraction = cols.get(4), cols.get(53)
    if cadence is None:
        cadence = nan
    else:
        cadence = 2 * (cadence + (0.0 if fraction is None else np.nan_to_num(fraction, nan=0.0)))
        cadence = np.where(foot, cadence, np.nan)
    balance = cols.get(84)
    if balance is not None:
        balance = np.where((balance > 0) & (balance < 100), balance, np.nan)
    out = {
        "timestamp": times(ts),
        "elapsed_s": ts - nanmin(ts),
        "distance_m": value_of(5),
        "speed_mps": fill_of(73, 6),
        "heart_rate_bpm": nonzero_of(3),
        "cadence_spm": cadence,
        "vertical_oscillation_mm": nonzero_of(39),
        "stance_time_ms": nonzero_of(41),
        "stance_time_pct": nonzero_of(40),
        "gct_balance_left_pct": nan if balance is None else balance,
        "step_length_mm": nonzero_of(85),
        "vertical_ratio_pct": nonzero_of(83),
        "power_w": value_of(7),
        "altitude_m": fill_of(78, 2),
    }
    assert list(out)[: len(RECORD_COLUMNS)] == list(RECORD_COLUMNS)
    masked = mask_implausible(out, foot)
    native = any(out[c] is not nan and bool(np.isfinite(out[c]).any()) for c in DYNAMICS_COLUMNS)
    stryd_dynamics = {column: factor for column, factor in STRYD_DYNAMICS_FIELDS.values()}
    for index, _, number, _, _, column in devf:
        key = f"dev:{index}:{number}"
        if not isinstance(column, str) or key not in cols:
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
    return out, masked, native


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


def build_activity(msgs: FitMessages, *, activity_id: str | Later, source_name: str) -> Activity:
    """Turn decoded messages into an :class:`Activity` (all unit conversion happens here).

    The sessions, laps and developer fields tables are built when first read; so is the
    activity id when given as a :class:`~analyzer.fit.columns.Later`.
    """
    fid = Columns.of(msgs, FILE_ID)
    file_type = enum_name("file", fid.first(0)) or "unknown"
    manufacturer = enum_name("manufacturer", fid.first(1))
    product = product_name(manufacturer, fid.first(2), fid.first(8))
    rec = Columns.of(msgs, RECORD)
    sessions = read_sessions(msgs, rec(253))
    stryd_device = manufacturer == "stryd"
    described = developer_field_rows(msgs, stryd_device)
    devf = latest_descriptions(described)
    records, masked, native = _records(rec, sessions.sports, sessions.starts, devf)
    lap_cols = Once(partial(lap_columns, msgs, sessions.sports, sessions.starts))
    apps = [a for a in Columns.of(msgs, DEVELOPER_DATA_ID).values(1) if isinstance(a, str)]
    stryd_apps = any(column is not None for *_, column in devf)
    source, sensor = dynamics_source(
        msgs, records, manufacturer, stryd_apps, product, native=native
    )
    dev = Columns.of(msgs, DEVICE_INFO)
    meta = {
        "time_created": fit_timestamp(fid.first(4)),
        "manufacturer": manufacturer,
        "product": product,
        "serial_number": as_int(fid.first(3)),
        "software_version": dev.first(5, dev(0) == 0),
        "dynamics_source": source,
        "dynamics_sensor": sensor,
        "developer_apps": list(dict.fromkeys(apps)),
        "masked_samples": masked,
        **fit_offset(msgs, sessions.first_start),
    }
    return Activity(
        activity_id=activity_id,
        source_name=source_name,
        file_type=file_type,
        meta=meta,
        sessions=sessions.table,
        laps=Later(partial(_laps_table, lap_cols)),
        records=Later(partial(frame, records, rec.index)),
        developer_fields=Later(partial(developer_fields_frame, described)),
        developer_field_rows=devf,
        arrays=ActivityArrays(records, lap_cols),
        decoder=msgs.decoder,
        notes=list(msgs.notes),
        partial=msgs.partial,
    )


def _laps_table(columns: Callable) -> pd.DataFrame:
    """The laps table of the shared :func:`~analyzer.fit.sessions.lap_columns` builder."""
    return laps_table(columns())


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
    return build_activity(msgs, activity_id=Later(partial(payload_id, data)), source_name=name)


def payload_id(data: bytes) -> str:
    """The activity id of a FIT payload: the sha256 hex digest of its bytes."""
    return hashlib.sha256(data).hexdigest()


__all__ = [
    "FOOT_SPORTS",
    "STRYD_APP_IDS",
    "STRYD_FIELDS",
    "Activity",
    "Run",
    "build_activity",
    "decode",
    "payload_id",
    "read_fit",
]
