"""Reference FIT decoder: fitparse reads the bytes, this module shapes them into FitMessages.

fitparse (1.2.0) does the framing: headers, definitions, compressed-timestamp headers, chained
files, CRCs and the accumulated ``compressed_speed_distance`` components. Its own value
conversions are not used: every value is taken as fitparse's *raw* value (invalid values
already ``None``) and converted with :func:`analyzer.fit.messages.profile_scale_offset`, so the
result follows the spec in :mod:`analyzer.fit.messages` to the letter and can be compared
table-by-table with the vectorised decoder.

fitparse keeps developer-field descriptions in a module-level dictionary; decodes are therefore
serialised with a lock and that dictionary is cleared before each payload, so one file's
descriptions never leak into the next.
"""

from __future__ import annotations

import io
import math
import re
import struct
import threading
import uuid

import pandas as pd

from analyzer.errors import (
    FitCRCError,
    FitFormatError,
    FitHeaderError,
    FitTruncatedError,
    InvalidFitFile,
)
from analyzer.fit.messages import (
    DEVELOPER_DATA_ID,
    FIELD_DESCRIPTION,
    RECORD,
    WANTED_MESSAGES,
    FitMessages,
    profile_scale_offset,
)

#: Size of the shortest legal FIT file header [bytes].
MIN_HEADER_SIZE = 12

_LOCK = threading.Lock()

#: Record fields fitparse produces as components of compressed_speed_distance (8).
_RECORD_COMPONENTS = frozenset({5, 6})


class _RawMessage:
    """A data message as raw values only (fitparse's FieldData objects are skipped)."""

    __slots__ = ("mesg_num", "mesg_type", "def_mesg", "raw_values", "timestamp")
    type = "data"

    def __init__(self, def_mesg, raw_values, timestamp):
        self.mesg_num = def_mesg.mesg_num
        self.mesg_type = def_mesg.mesg_type
        self.def_mesg = def_mesg
        self.raw_values = raw_values
        self.timestamp = timestamp


def _fit_file_class():
    """fitparse.FitFile with a faster data-message path (same bytes, same raw values).

    Messages that need fitparse's own processing (developer_data_id and field_description, which
    register developer fields, and records with compressed_speed_distance, whose accumulated
    components fitparse expands) go through fitparse unchanged; every other message is read as raw
    values, keeping fitparse's compressed-timestamp bookkeeping.
    """
    import fitparse
    from fitparse.utils import FitParseError

    class _FastFitFile(fitparse.FitFile):
        def _parse_data_message(self, header):
            def_mesg = self._local_mesgs.get(header.local_mesg_num)
            if (
                def_mesg is None
                or def_mesg.mesg_num in (DEVELOPER_DATA_ID, FIELD_DESCRIPTION)
                or (
                    def_mesg.mesg_num == RECORD
                    and any(fd.def_num == 8 for fd in def_mesg.field_defs)
                )
            ):
                if def_mesg is None:
                    raise FitParseError(
                        f"Got data message with invalid local message type {header.local_mesg_num}"
                    )
                return super()._parse_data_message(header)
            raw_values = self._parse_raw_values_from_data_message(def_mesg)
            for field_def, raw in zip(
                def_mesg.field_defs + def_mesg.dev_field_defs, raw_values, strict=True
            ):
                if field_def.def_num == 253 and raw is not None:
                    self._compressed_ts_accumulator = raw
            timestamp = None
            if header.time_offset is not None:
                timestamp = self._compressed_ts_accumulator = self._apply_compressed_accumulation(
                    header.time_offset, self._compressed_ts_accumulator, 5
                )
            return _RawMessage(def_mesg, raw_values, timestamp)

    return _FastFitFile


class _NoProcessing:
    """A fitparse data processor that does nothing (we only use raw values)."""

    def run_type_processor(self, field_data):  # noqa: D102
        pass

    run_field_processor = run_unit_processor = run_message_processor = run_type_processor


def _uuid(value) -> str | None:
    raw = bytes(v if v is not None else 0xFF for v in value)
    if len(raw) != 16:
        return raw.hex()
    return str(uuid.UUID(bytes=raw))


def _scaled(value, scale, offset):
    if scale == 1 and offset == 0:
        return float(value)
    return float(value) / scale - offset


def _raw_row(message: _RawMessage, mesg_num: int, dev_scale: dict) -> dict:
    """A message read on the fast path as ``{column: value}`` (same rules as :func:`_row`)."""
    row: dict = {}
    def_mesg = message.def_mesg
    for field_def, raw in zip(def_mesg.field_defs, message.raw_values, strict=False):
        if raw is None:
            continue
        num = field_def.def_num
        if isinstance(raw, str):
            row[num] = raw
        elif isinstance(raw, (int, float)):
            scale, offset = profile_scale_offset(mesg_num, num)
            row[num] = _scaled(raw, scale, offset)
    dev_raw = message.raw_values[len(def_mesg.field_defs) :]
    for field_def, raw in zip(def_mesg.dev_field_defs, dev_raw, strict=True):
        if raw is None:
            continue
        key = f"dev:{field_def.dev_data_index}:{field_def.def_num}"
        if isinstance(raw, str):
            row[key] = raw
        elif isinstance(raw, (int, float)):
            scale, offset = dev_scale.get((field_def.dev_data_index, field_def.def_num), (1, 0))
            row[key] = _scaled(raw, scale, offset)
    if message.timestamp is not None:
        row[253] = float(message.timestamp)
    return row


def _row(message, mesg_num: int, dev_scale: dict) -> dict:
    """One message as ``{column: value}`` following the FitMessages spec."""
    if isinstance(message, _RawMessage):
        return _raw_row(message, mesg_num, dev_scale)
    row: dict = {}
    components: dict = {}
    for fd in message.fields:
        raw = fd.raw_value
        field_def = fd.field_def
        if field_def is None:
            # A component expanded by fitparse, or the compressed-timestamp header.
            num = fd.field.def_num if fd.field is not None else None
            if num == 253 and raw is not None:
                row[253] = float(raw)
            elif mesg_num == RECORD and num in _RECORD_COMPONENTS and raw is not None:
                components[num] = float(raw)
            continue
        if raw is None:
            continue
        if hasattr(field_def, "dev_data_index"):
            key = f"dev:{field_def.dev_data_index}:{field_def.def_num}"
            if isinstance(raw, str):
                row[key] = raw
            elif isinstance(raw, (int, float)) and not isinstance(raw, bool):
                scale, offset = dev_scale.get((field_def.dev_data_index, field_def.def_num), (1, 0))
                row[key] = _scaled(raw, scale, offset)
            continue
        num = field_def.def_num
        if isinstance(raw, str):
            row[num] = raw
        elif isinstance(raw, tuple):
            if mesg_num == DEVELOPER_DATA_ID and num == 1:
                row[num] = _uuid(raw)
        elif isinstance(raw, (int, float)):
            scale, offset = profile_scale_offset(mesg_num, num)
            row[num] = _scaled(raw, scale, offset)
    for num, value in components.items():
        row.setdefault(num, value)
    return row


def _frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame.from_records(rows) if rows else pd.DataFrame()
    for col in df.columns:
        if pd.api.types.is_numeric_dtype(df[col].dtype) and df[col].dtype != bool:
            if df[col].dtype != "float64":
                df[col] = df[col].astype("float64")
        else:
            values = df[col].astype(object)
            df[col] = values.where(values.notna(), None).astype(object)
    return df


def _translate(exc: Exception, name: str, offset: int | None) -> InvalidFitFile:
    import fitparse.utils as fu

    text = str(exc) or type(exc).__name__
    if isinstance(exc, fu.FitHeaderError):
        return FitHeaderError(name, f"not a FIT file header ({text})", offset)
    if isinstance(exc, fu.FitCRCError):
        # Same wording as the fast decoder, so a failure reads the same whichever decoder ran.
        m = re.search(r"computed: (0x[0-9A-Fa-f]+), read: (0x[0-9A-Fa-f]+)", text)
        if m:
            which = "header" if offset is not None and offset <= 14 else "file"
            computed, stored = (int(v, 16) for v in m.groups())
            text = f"{which} CRC mismatch (computed 0x{computed:04X}, stored 0x{stored:04X})"
        return FitCRCError(name, text, offset)
    if isinstance(exc, fu.FitEOFError):
        return FitTruncatedError(name, f"file ends early ({text})", offset)
    return FitFormatError(name, f"malformed FIT data ({text})", offset)


def decode(data: bytes, name: str) -> FitMessages:
    """Decode one FIT payload with fitparse.

    Parameters
    ----------
    data : bytes
        The whole payload (possibly several chained FIT files).
    name : str
        Where the payload came from; used in error messages.

    Returns
    -------
    FitMessages
        Tables of the messages in :data:`analyzer.fit.messages.WANTED_MESSAGES`.

    Raises
    ------
    FitHeaderError
        Empty payload, fewer than 12 bytes, or a header without the ``.FIT`` signature
        (also for a corrupt header of a chained file).
    FitCRCError
        A header or file CRC does not match.
    FitTruncatedError
        The payload ends before its header's declared size or mid-message.
    FitFormatError
        Anything else that breaks the protocol (undefined local message type, bad field size,
        developer field without description).
    """
    import fitparse.records as fr
    import fitparse.utils as fu

    if len(data) == 0:
        raise FitHeaderError(name, "empty file (0 bytes), not a FIT file")
    if len(data) < MIN_HEADER_SIZE:
        raise FitHeaderError(name, f"only {len(data)} bytes, too short for a FIT header", 0)
    if data[8:12] != b".FIT":
        raise FitHeaderError(name, "no '.FIT' signature in the header, not a FIT file", 0)

    buf = io.BytesIO(data)
    rows: dict[int, list[dict]] = {}
    dev_scale: dict[tuple[int, int], tuple[float, float]] = {}
    with _LOCK:
        fr.DEV_TYPES.clear()
        try:
            ff = _fit_file_class()(buf, check_crc=True, data_processor=_NoProcessing())
            for message in ff.get_messages():
                num = message.mesg_num
                if num not in WANTED_MESSAGES:
                    continue
                row = _row(message, num, dev_scale)
                rows.setdefault(num, []).append(row)
                if num == FIELD_DESCRIPTION and 0 in row and 1 in row:
                    scale = row.get(6)
                    offset = row.get(7)
                    dev_scale[(int(row[0]), int(row[1]))] = (
                        scale if scale else 1,
                        offset if offset is not None and not math.isnan(offset) else 0,
                    )
        except (
            fu.FitParseError,
            struct.error,
            KeyError,
            IndexError,
            ValueError,
            TypeError,
            AttributeError,
        ) as exc:
            offset = buf.tell() if not buf.closed else None
            error = _translate(exc, name, offset)
            if not str(exc).startswith("Invalid field size"):
                raise error from None
        else:
            error = None
        finally:
            fr.DEV_TYPES.clear()
    if error is not None:
        return _misaligned(data, name, error)
    tables = {num: _frame(r) for num, r in rows.items()}
    return FitMessages(name=name, tables=tables, decoder="fitparse")


def _misaligned(data: bytes, name: str, error: InvalidFitFile) -> FitMessages:
    """fitparse 1.2 refuses a field whose size is not a multiple of its base type; the FIT SDK
    and fitdecode read it as bytes (see :mod:`analyzer.fit.messages`). The payload is rewritten
    with those base types set to ``byte`` (same layout, CRCs recomputed) and read again, so
    fitparse is used through its public API only. Other damage raises its error here, as the
    fast decoder does; :mod:`analyzer.fit.recover` decides what to keep of it."""
    from analyzer.fit.recover import scan

    rep = scan(data, name)
    if rep.damage:
        raise rep.damage[0][0] from None
    if not rep.notes or not rep.changed:
        raise error
    msgs = decode(rep.data, name)
    msgs.notes = list(rep.notes)
    return msgs
