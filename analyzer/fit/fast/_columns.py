"""Decode the bodies of every definition in bulk and assemble the FitMessages tables.

Each definition's data messages are gathered into one ``(n, 1 + size)`` byte matrix (header
byte included, so a run of consecutive messages is a zero-copy ``np.frombuffer`` view) and read
through a numpy structured dtype. Invalid values become NaN, the profile's scale and offset are
applied, the accumulated ``compressed_speed_distance`` components and compressed timestamps are
reconstructed, and rows of several definitions of one message type are merged in file order.
The result follows :mod:`analyzer.fit.messages` value for value, row for row and column for
column (the column order is the order in which the reference decoder first meets each column).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from analyzer.errors import DecoderDeclined
from analyzer.fit.fast._bulk import bulk_table, message_starts, strings, uuids
from analyzer.fit.fast._compiled import compiled_columns
from analyzer.fit.fast._walk import Definition, FieldSpec, Walk
from analyzer.fit.messages import DEVELOPER_DATA_ID, LAP, SPORT, WANTED_MESSAGES, Raw, Tables
from analyzer.fit.profile import (
    BASE_TYPES,
    COMPRESSED_SPEED_DISTANCE,
    COMPRESSED_TIME_BITS,
    CSD_DISTANCE_BITS,
    CSD_DISTANCE_FIELD,
    CSD_DISTANCE_SCALE,
    CSD_SPEED_FIELD,
    CSD_SPEED_SCALE,
    RECORD_MESG,
    TIMESTAMP_FIELD,
    scale_offset,
)


@dataclass
class _Col:
    """One column's values for the rows of one definition."""

    values: np.ndarray  # float64 (NaN = absent) or object (None = absent)
    sources: list[tuple[np.ndarray, int]] = field(default_factory=list)  # (present, slot)

    @property
    def is_object(self) -> bool:
        return self.values.dtype == object


def _dtype(d: Definition, fields: list[tuple[int, FieldSpec]]) -> np.dtype:
    endian = ">" if d.big else "<"
    names, formats, offsets = [], [], []
    for i, f in fields:
        _, bsize, kind, _ = BASE_TYPES[f.base]
        names.append(f"f{i}")
        formats.append(f"{endian}{kind}{bsize}")
        offsets.append(1 + f.offset)
    return np.dtype(
        {"names": names, "formats": formats, "offsets": offsets, "itemsize": d.size + 1}
    )


def _matrix(u8: np.ndarray, data: bytes, d: Definition, starts: np.ndarray) -> np.ndarray:
    """``(n, 1 + size)`` uint8 matrix of the messages (header byte first), rows as ``starts``."""
    step = d.size + 1
    runs = np.frombuffer(d.runs, np.int64).reshape(-1, 3)
    if len(runs) == 1 and not d.cts_pos and runs[0, 2] == step:
        first, count = int(runs[0, 0]), int(runs[0, 1])
        # One run of back-to-back messages: a zero-copy view of the payload.
        return np.frombuffer(data, np.uint8, count * step, first - 1).reshape(count, step)
    # Row gather from a sliding-window view copies each message's bytes in one piece.
    return np.lib.stride_tricks.sliding_window_view(u8, step)[starts - 1]


def _numeric(rec: np.ndarray, i: int, f: FieldSpec) -> np.ndarray:
    _, _, kind, invalid = BASE_TYPES[f.base]
    raw = rec[f"f{i}"]
    values = raw.astype(np.float64)
    if kind != "f":
        values[raw == invalid] = np.nan
    return values


def _dev_scales(walk: Walk, key: str, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    events = [(pos, s, o) for k, pos, s, o in walk.dev_scale_events if k == key]
    if not events:
        return None
    pos = np.array([e[0] for e in events])
    scale = np.array([1.0] + [e[1] for e in events])
    offset = np.array([0.0] + [e[2] for e in events])
    idx = np.searchsorted(pos, starts, side="right")
    return scale[idx], offset[idx]


def _def_columns(
    walk: Walk, d: Definition, starts: np.ndarray, mat: np.ndarray, cts: np.ndarray | None
) -> dict[object, _Col]:
    """Column values of one definition's rows (native, developer, derived)."""
    cols: dict[object, _Col] = {}
    numeric = [
        (i, f) for i, f in enumerate(d.fields) if f.count == 1 and BASE_TYPES[f.base][2] in "uif"
    ]
    rec = mat.view(_dtype(d, numeric))[:, 0] if numeric else None
    numeric_idx = {i for i, _ in numeric}
    n = len(starts)
    for i, f in enumerate(d.fields):
        kind = BASE_TYPES[f.base][2]
        key = f.key
        if i in numeric_idx:
            values = _numeric(rec, i, f)
            if f.dev_index is None:
                scale, offset = scale_offset(d.gnum, f.num)
                if (scale, offset) != (1, 0):
                    values = values / scale - offset
            else:
                so = _dev_scales(walk, key, starts)
                if so is not None:
                    values = values / so[0] - so[1]
        elif kind == "S":
            values = strings(mat[:, 1 + f.offset : 1 + f.offset + f.size])
        elif d.gnum == DEVELOPER_DATA_ID and f.num == 1 and f.dev_index is None:
            if kind != "B":
                raise DecoderDeclined("", "developer_data_id.application_id is not a byte array")
            values = uuids(mat[:, 1 + f.offset : 1 + f.offset + f.size])
        else:
            continue  # multi-element and byte fields are not part of the tables
        present = _present(values)
        col = cols.get(key)
        if col is None:
            cols[key] = _Col(values, [(present, i)])
        else:
            # The last valid occurrence of a repeated field number wins.
            col.values = _where(present, values, col.values)
            col.sources = [(col.sources[0][0] | present, col.sources[0][1])]
    end = len(d.fields)
    if cts is not None and len(d.cts_pos):
        ts = np.full(n, np.nan)
        ts[n - len(d.cts_pos) :] = cts
        _overlay(cols, TIMESTAMP_FIELD, ts, end, wins=True)
    if d.gnum == RECORD_MESG:
        for f in d.fields:
            if f.num == COMPRESSED_SPEED_DISTANCE and f.dev_index is None:
                speed, distance = _csd_raw(mat[:, 1 + f.offset : 1 + f.offset + f.size])
                _overlay(cols, CSD_SPEED_FIELD, speed / CSD_SPEED_SCALE, end + 1, wins=False)
                # distance: raw 12-bit values here; accumulated later across definitions
                _overlay(cols, ("csd", CSD_DISTANCE_FIELD), distance, end + 2, wins=True)
    return cols


def _present(values: np.ndarray) -> np.ndarray:
    if values.dtype == object:
        return np.array([v is not None for v in values], dtype=bool)
    return ~np.isnan(values)


def _where(mask: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.dtype == object or b.dtype == object:
        out = np.where(mask, a.astype(object), b.astype(object))
        return out
    return np.where(mask, a, b)


def _overlay(cols: dict, key: object, values: np.ndarray, slot: int, *, wins: bool) -> None:
    """Add a derived value: ``wins`` overrides the native value, otherwise only fills gaps."""
    present = _present(values)
    col = cols.get(key)
    if col is None:
        cols[key] = _Col(values, [(present, slot)])
        return
    native = _present(col.values)
    if wins:
        col.values = _where(present, values, col.values)
        # A dict keeps a key where it was first inserted, even when the value is replaced.
        col.sources.append((present & ~native, slot))
    else:
        col.values = _where(native, col.values, values)
        col.sources.append((present & ~native, slot))


def _csd_raw(block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Speed and distance bit fields of compressed_speed_distance bytes (little endian)."""
    n, k = block.shape
    invalid = (block == 0xFF).all(axis=1)
    b = block.astype(np.int64)
    zero = np.zeros(n, np.int64)
    b0 = b[:, 0] if k > 0 else zero
    b1 = b[:, 1] if k > 1 else zero
    b2 = b[:, 2] if k > 2 else zero
    word = b0 | b1 << 8 | b2 << 16
    speed = (word & 0xFFF).astype(np.float64)
    distance = ((word >> 12) & 0xFFF).astype(np.float64)
    speed[invalid] = np.nan
    distance[invalid] = np.nan
    if k * 8 <= 12:
        # fitparse skips a component whose bit offset lies beyond the field.
        distance[:] = np.nan
    return speed, distance


def _accumulate_distance(raw: np.ndarray, starts: np.ndarray, resets: list[int]) -> np.ndarray:
    """Accumulate 12-bit distance counts in file order, restarting at each definition."""
    out = np.full(len(raw), np.nan)
    ok = ~np.isnan(raw)
    if not ok.any():
        return out
    v = raw[ok].astype(np.int64)
    seg = np.searchsorted(np.asarray(resets, dtype=np.int64), starts[ok], side="right")
    new_seg = np.ones(len(v), dtype=bool)
    new_seg[1:] = seg[1:] != seg[:-1]
    prev = np.empty_like(v)
    prev[0] = 0
    prev[1:] = v[:-1]
    prev[new_seg] = 0
    delta = (v - prev) & ((1 << CSD_DISTANCE_BITS) - 1)
    total = np.cumsum(delta)
    first = np.maximum.accumulate(np.where(new_seg, np.arange(len(v)), 0))
    acc = total - (total - delta)[first]
    out[ok] = acc / CSD_DISTANCE_SCALE
    return out


def compressed_timestamps(
    walk: Walk, u8: np.ndarray, data: bytes, name: str
) -> dict[int, np.ndarray]:
    """Timestamps of compressed-timestamp messages, per definition (``id(def)``), in cts order."""
    events: list[tuple[int, int, int]] = [(pos, 0, 0) for pos in walk.chunk_starts]  # reset
    for d in walk.defs:
        ts_fields = [(i, f) for i, f in enumerate(d.fields) if f.num == TIMESTAMP_FIELD]
        if ts_fields and d.count:
            starts = message_starts(d)
            mat = _matrix(u8, data, d, starts)
            last = np.full(len(starts), -1, dtype=np.int64)
            for i, f in ts_fields:
                kind = BASE_TYPES[f.base][2]
                if f.count != 1 or kind not in "ui":
                    raise DecoderDeclined(name, "timestamp field that is not a single integer")
                values = _numeric(mat.view(_dtype(d, [(i, f)]))[:, 0], i, f)
                ok = ~np.isnan(values)
                last[ok] = values[ok].astype(np.int64)
            for pos, value in zip(
                starts[last >= 0].tolist(), last[last >= 0].tolist(), strict=True
            ):
                events.append((pos, 1, value))
        for pos, off in zip(d.cts_pos, d.cts_off, strict=True):
            events.append((pos, 2, off))
    events.sort(key=lambda e: (e[0], e[1]))
    acc = 0
    mask = (1 << COMPRESSED_TIME_BITS) - 1
    by_pos: dict[int, int] = {}
    for pos, what, value in events:
        if what == 0:
            acc = 0
        elif what == 1:
            acc = value
        else:
            ts = value + (acc & ~mask)
            if value < (acc & mask):
                ts += mask + 1
            acc = ts
            by_pos[pos] = ts
    return {
        id(d): np.array([by_pos[p] for p in d.cts_pos], dtype=np.float64)
        for d in walk.defs
        if d.cts_pos
    }


#: Messages whose tables the compiled path builds on first access (:class:`Tables`): what
#: :func:`analyzer.fit.activity.read_fit` reads only for some files (``sport`` without a
#: session message) or when its laps are read. (Neither can decline: only
#: ``developer_data_id`` can, and a decline must come at decode time, for the fallback.)
LATER_MESSAGES = frozenset({SPORT, LAP})


def tables(walk: Walk, data: bytes, name: str) -> Tables:
    """The FitMessages tables of the wanted messages (:data:`LATER_MESSAGES` decoded when
    first read; the compiled path's tables made DataFrames when first read)."""
    u8 = np.frombuffer(data, np.uint8)
    cts = compressed_timestamps(walk, u8, data, name) if walk.has_cts else {}
    by_mesg: dict[int, list[Definition]] = {}
    for d in walk.defs:
        if d.gnum in WANTED_MESSAGES and d.count:
            by_mesg.setdefault(d.gnum, []).append(d)
    out = {}
    later = {}
    columns = compiled_columns()
    for gnum, defs in by_mesg.items():
        if columns is not None and gnum in LATER_MESSAGES:
            later[gnum] = partial(_built, walk, u8, data, defs, cts, columns)
            continue
        try:
            out[gnum] = _built(walk, u8, data, defs, cts, columns)
        except DecoderDeclined as exc:
            raise DecoderDeclined(name, exc.reason) from None
    return Tables(out, later)


def _built(
    walk: Walk, u8: np.ndarray, data: bytes, defs: list[Definition], cts: dict, columns
) -> pd.DataFrame | Raw:
    """One message type's table: the compiled bulk decoder's columns, else the numpy path's
    table."""
    frame = None if columns is None else bulk_table(walk, u8, data, defs, columns)
    return _table(walk, u8, data, defs, cts) if frame is None else frame


def _table(
    walk: Walk, u8: np.ndarray, data: bytes, defs: list[Definition], cts: dict
) -> pd.DataFrame:
    parts = []
    for d in defs:
        starts = message_starts(d)
        mat = _matrix(u8, data, d, starts)
        parts.append((starts, _def_columns(walk, d, starts, mat, cts.get(id(d)))))
    all_starts = np.concatenate([p[0] for p in parts])
    total = len(all_starts)
    if len(parts) == 1 and (total < 2 or bool((np.diff(all_starts) > 0).all())):
        rank = np.arange(total)
        sorted_starts = all_starts
    else:
        order = np.argsort(all_starts, kind="stable")
        rank = np.empty(total, dtype=np.int64)
        rank[order] = np.arange(total)
        sorted_starts = all_starts[order]
    # Every column as pieces (final row numbers, values), and where it first appears.
    pieces: dict[object, list[tuple[np.ndarray, np.ndarray]]] = {}
    is_object: dict[object, bool] = {}
    first_seen: dict[object, tuple[int, int]] = {}
    base = 0
    for starts, cols in parts:
        rows = rank[base : base + len(starts)]
        for key, col in cols.items():
            pieces.setdefault(key, []).append((rows, col.values))
            is_object[key] = is_object.get(key, False) or col.is_object
            for present, slot in col.sources:
                if present.any():
                    cand = (int(rows[present].min()), slot)
                    if key not in first_seen or cand < first_seen[key]:
                        first_seen[key] = cand
        base += len(starts)
    csd_key = ("csd", CSD_DISTANCE_FIELD)
    if csd_key in pieces:
        # Accumulate over all record definitions in file order; a native distance wins.
        raw = _merged(pieces.pop(csd_key), total, False)
        acc = _accumulate_distance(raw, sorted_starts, walk.csd_resets)
        seen = first_seen.pop(csd_key, None)
        if CSD_DISTANCE_FIELD in pieces:
            native = _merged(pieces[CSD_DISTANCE_FIELD], total, False)
            gaps = np.isnan(native) & ~np.isnan(acc)
            acc = np.where(gaps, acc, native)
            seen = (int(np.argmax(gaps)), seen[1] if seen else 1 << 20) if gaps.any() else None
            if seen is not None and CSD_DISTANCE_FIELD in first_seen:
                seen = min(seen, first_seen[CSD_DISTANCE_FIELD])
        pieces[CSD_DISTANCE_FIELD] = [(np.arange(total), acc)]
        is_object.setdefault(CSD_DISTANCE_FIELD, False)
        if seen is not None:
            first_seen[CSD_DISTANCE_FIELD] = seen
    # Columns never present are not columns at all (the reference builds rows from dicts).
    ordered = sorted(first_seen, key=first_seen.__getitem__)
    if not ordered:
        return pd.DataFrame()
    # One float block in final column order, handed to pandas without another copy.
    block = np.full((len(ordered), total), np.nan)
    for j, key in enumerate(ordered):
        if not is_object[key]:
            for rows, values in pieces[key]:
                block[j, rows] = values
    frame = pd.DataFrame(block.T, columns=ordered, copy=False)
    for key in ordered:
        if is_object[key]:
            arr = _merged(pieces[key], total, True)
            nan = np.array([isinstance(v, float) and v != v for v in arr], dtype=bool)
            arr[nan] = None
            frame[key] = pd.Series(arr, dtype=object)
    return frame


def _merged(parts: list[tuple[np.ndarray, np.ndarray]], total: int, obj: bool) -> np.ndarray:
    out = np.full(total, None, dtype=object) if obj else np.full(total, np.nan)
    for rows, values in parts:
        out[rows] = values
    return out
