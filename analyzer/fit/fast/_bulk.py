"""One message type's table decoded in bulk by the compiled ``columns`` (``_cwalk.c``).

:func:`bulk_table` builds the same table as the numpy path of
:mod:`analyzer.fit.fast._columns` (values, dtypes, row and column order) for the common case:
the single numeric fields of every definition of the message type are written by C straight
into one float64 block at their final rows (file order), strings and application ids are read
as in the numpy path. Anything else (compressed timestamps, ``compressed_speed_distance``, a
developer field whose scale changes between its messages, a column that is a string in one
place and a number in another, a string field repeated in one definition) returns None and the
numpy path builds the table. The helpers shared by both paths (message offsets, strings,
application ids) live here.
"""

from __future__ import annotations

import bisect
import struct
import uuid
from collections.abc import Callable

import numpy as np

from analyzer.errors import DecoderDeclined
from analyzer.fit.fast._walk import Definition, Walk
from analyzer.fit.messages import DEVELOPER_DATA_ID, Raw
from analyzer.fit.profile import BASE_TYPES, SCALE_OFFSET

#: ``columns``' code of a numeric base type kind.
_KIND_CODE = {"u": 0, "i": 1, "f": 2}
#: Numeric base types: (size, ``columns``' kind code, invalid value).
_NUMERIC = {
    base: (size, _KIND_CODE[kind], invalid)
    for base, (_, size, kind, invalid) in BASE_TYPES.items()
    if kind in _KIND_CODE
}
_SO = struct.Struct("=dd")  # a developer field's (scale, offset)


def message_starts(d: Definition) -> np.ndarray:
    """Body offsets of the definition's data messages (runs first, then compressed ones)."""
    runs = np.frombuffer(d.runs, np.int64).reshape(-1, 3)
    if len(runs) == 1:
        first, count, stride = runs[0].tolist()
        starts = np.arange(first, first + count * stride, stride, dtype=np.int64)
    elif len(runs):
        counts = runs[:, 1]
        first = np.repeat(runs[:, 0], counts)
        within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        starts = first + within * np.repeat(runs[:, 2], counts)
    else:
        starts = np.zeros(0, np.int64)
    if d.cts_pos:
        starts = np.concatenate((starts, np.asarray(d.cts_pos, dtype=np.int64)))
    return starts


def _parse_string(raw: bytes) -> str | None:
    return raw.split(b"\x00", 1)[0].decode("utf-8", errors="replace") or None


def strings(block: np.ndarray) -> np.ndarray:
    """fitparse's string parse of every row of a ``(n, k)`` uint8 block."""
    n, k = block.shape
    out = np.empty(n, dtype=object)
    if n == 0:
        return out
    rows = np.ascontiguousarray(block).view(f"V{k}").ravel()
    uniq, inverse = np.unique(rows, return_inverse=True)
    parsed = np.array([_parse_string(u.tobytes()) for u in uniq] + [None], dtype=object)[:-1]
    out[:] = parsed[inverse.ravel()]
    return out


def uuids(block: np.ndarray) -> np.ndarray:
    """``developer_data_id.application_id`` of every row of a ``(n, k)`` uint8 block."""
    out = np.empty(len(block), dtype=object)
    for i, row in enumerate(block):
        raw = row.tobytes()
        if raw.count(0xFF) == len(raw):
            out[i] = None
        elif len(raw) == 16:
            out[i] = str(uuid.UUID(bytes=raw))
        else:
            out[i] = raw.hex()
    return out


class _DevScales:
    """Developer field scales and offsets as the field descriptions set them, in file order."""

    def __init__(self, walk: Walk) -> None:
        self._events: dict[str, tuple[list[int], list[bytes]]] = {}
        for key, pos, scale, offset in walk.dev_scale_events:
            positions, values = self._events.setdefault(key, ([], [_SO.pack(1.0, 0.0)]))
            positions.append(pos)
            values.append(_SO.pack(scale, offset))

    def over(self, key: str, first: int, last: int) -> tuple[float, float] | None:
        """The one (scale, offset) of a developer field for messages from body offset
        ``first`` to ``last``; None when a description changes it in between."""
        events = self._events.get(key)
        if events is None:
            return 1.0, 0.0
        positions, values = events
        lo = bisect.bisect_right(positions, first)
        hi = bisect.bisect_right(positions, last)
        # (compared bit for bit: an offset of -0.0 is not one of 0.0)
        if any(v != values[lo] for v in values[lo + 1 : hi + 1]):
            return None
        return _SO.unpack(values[lo])


class _Plan:
    """What one definition contributes: C specs and the keys they fill, object fields."""

    __slots__ = ("specs", "spec_keys", "objects")

    def __init__(self) -> None:
        self.specs: list[tuple] = []
        self.spec_keys: list[tuple[object, int]] = []  # (key, slot) per spec
        self.objects: list[tuple[object, int, Callable, int, int]] = []  # key, slot, fn, off, size


def _plan(
    scales: _DevScales, d: Definition, starts: np.ndarray, index: dict, kinds: dict
) -> _Plan | None:
    plan = _Plan()
    slots: dict[object, int] = {}
    native_scales = SCALE_OFFSET.get(d.gnum, {})
    big = int(d.big)
    span = None
    specs, spec_keys = plan.specs, plan.spec_keys
    for i, f in enumerate(d.fields):
        dev = f.dev_index
        key = f.num if dev is None else f"dev:{dev}:{f.num}"
        numeric = _NUMERIC.get(f.base)
        if numeric is not None and f.size == numeric[0]:
            if dev is None:
                scale, offset = native_scales.get(f.num, (1, 0))
            else:
                if span is None:
                    span = int(starts.min()), int(starts.max())
                so = scales.over(key, *span)
                if so is None:
                    return None
                scale, offset = so
            if kinds.setdefault(key, "f") != "f":
                return None
            j = index.setdefault(key, len(index))
            specs.append((j, f.offset, numeric[0], numeric[1], big, numeric[2], scale, offset))
            spec_keys.append((key, slots.setdefault(key, i)))
            continue
        kind = BASE_TYPES[f.base][2]
        if kind == "S" or (d.gnum == DEVELOPER_DATA_ID and f.num == 1 and dev is None):
            if kind != "S" and kind != "B":
                raise DecoderDeclined("", "developer_data_id.application_id is not a byte array")
            if key in slots or kinds.setdefault(key, "o") != "o":
                return None  # a repeated string field, or one that is a number elsewhere
            index.setdefault(key, len(index))
            slots[key] = i
            plan.objects.append((key, i, strings if kind == "S" else uuids, f.offset, f.size))
    return plan


def permute_rows(block: np.ndarray, perm: list[int]) -> None:
    """``block[:] = block[perm]`` in place, one row of scratch memory instead of a new block
    (a new block's pages cost more than copying rows in some virtual machines)."""
    done = [False] * len(perm)
    scratch = None
    for i in range(len(perm)):
        if done[i] or perm[i] == i:
            continue
        if scratch is None:
            scratch = np.empty_like(block[0])
        scratch[:] = block[i]
        j = i
        while True:
            done[j] = True
            k = perm[j]
            if k == i:
                block[j] = scratch
                break
            block[j] = block[k]
            j = k


def bulk_table(
    walk: Walk, u8: np.ndarray, data: bytes, defs: list[Definition], columns: Callable
) -> Raw | None:
    """The table of one message type's definitions (as :class:`~analyzer.fit.messages.Raw`
    columns), or None where the numpy path must build it.

    Parameters
    ----------
    walk : Walk
        The header walk (developer field scales).
    u8, data : numpy.ndarray, bytes
        The payload, as an array and as bytes.
    defs : list of Definition
        The message type's definitions with data messages, in file order.
    columns : callable
        The compiled ``_cwalk.columns``.
    """
    if any(d.cts_pos or d.resets_csd for d in defs):
        return None
    index: dict[object, int] = {}
    kinds: dict[object, str] = {}
    scales = _DevScales(walk)
    parts = []
    for d in defs:
        starts = message_starts(d)
        plan = _plan(scales, d, starts, index, kinds)
        if plan is None:
            return None
        parts.append((starts, plan))
    all_starts = parts[0][0] if len(parts) == 1 else np.concatenate([p[0] for p in parts])
    total = len(all_starts)
    if total < 2 or bool((all_starts[1:] > all_starts[:-1]).all()):
        rank = np.arange(total, dtype=np.int64)
    else:
        order = np.argsort(all_starts, kind="stable")
        rank = np.empty(total, dtype=np.int64)
        rank[order] = np.arange(total, dtype=np.int64)
    block = np.full((len(index), total), np.nan)
    first_seen: dict[object, tuple[int, int]] = {}
    objects: dict[object, np.ndarray] = {}
    base = 0
    for starts, plan in parts:
        rows = rank[base : base + len(starts)]
        base += len(starts)
        firsts = columns(data, starts, rows, block, total, plan.specs) if plan.specs else []
        seen: dict[object, tuple[int, int]] = {}
        for (key, slot), row in zip(plan.spec_keys, firsts, strict=True):
            if row >= 0 and (key not in seen or row < seen[key][0]):
                seen[key] = (row, slot)
        for key, slot, parse, offset, size in plan.objects:
            window = np.lib.stride_tricks.sliding_window_view(u8, size)
            values = parse(window[starts + offset])
            present = np.array([v is not None for v in values], dtype=bool)
            if present.any():
                seen[key] = (int(rows[present].min()), slot)
            out = objects.get(key)
            if out is None:
                out = objects[key] = np.full(total, None, dtype=object)
            out[rows] = values
        for key, cand in seen.items():
            if key not in first_seen or cand < first_seen[key]:
                first_seen[key] = cand
    ordered = sorted(first_seen, key=first_seen.__getitem__)
    if not ordered:
        return Raw([], np.empty((0, 0)), {}, 0)  # (pd.DataFrame(): no rows either)
    perm = [index[k] for k in ordered]
    if len(perm) < len(index):
        block = block[perm]
    else:
        permute_rows(block, perm)
    return Raw(ordered, block, {k: v for k, v in objects.items() if k in first_seen}, total)
