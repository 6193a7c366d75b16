"""Walk the message headers of a FIT payload in Python; leave the bodies to numpy.

The walk only looks at one header byte per data message: consecutive data messages of one
local type share that byte and a fixed size, so a run of them is skipped with a tight loop and
kept as ``(first body offset, count, stride)``. Files that interleave message types one by one
(record, HRV, record, ...) repeat a short cycle of header bytes; once a cycle has repeated
twice, numpy checks how many more repetitions follow and they are skipped at once. Identical
definition messages (some devices repeat one before every record) share one
:class:`Definition`, so they are decoded together. Definition messages, developer-data messages
(whose contents later definitions depend on), file headers and CRCs are handled here, in file
order, with the same checks and the same outcome as fitparse (see :mod:`analyzer.fit.messages`).
"""

from __future__ import annotations

import struct

import numpy as np

from analyzer.errors import (
    DecoderDeclined,
    FitCRCError,
    FitFormatError,
    FitHeaderError,
    FitTruncatedError,
)
from analyzer.fit.fast._compiled import compiled_scan
from analyzer.fit.fast._crc import crc16
from analyzer.fit.messages import DEVELOPER_DATA_ID, FIELD_DESCRIPTION, misaligned_note
from analyzer.fit.profile import BASE_TYPES, BYTE, COMPRESSED_SPEED_DISTANCE, RECORD_MESG

#: Length of the FIT file header without / with its CRC [bytes] (FIT protocol, "File Header").
HEADER_SIZE_NO_CRC = 12
HEADER_SIZE_WITH_CRC = 14
#: Bytes of a definition message before its field list: header, reserved, architecture,
#: global message number (2), field count.
_DEF_FIXED = 6

_STRUCT_CHARS = {"u": "BHIQ", "i": "bhiq", "f": "  fd"}
_RUN = struct.Struct("=3q")  # one entry of Definition.runs


class FieldSpec:
    """One field of a definition: where it sits in the body and how to read it."""

    __slots__ = ("num", "offset", "size", "base", "count", "dev_index")

    def __init__(self, num: int, offset: int, size: int, base: int, dev_index: int | None):
        self.num = num
        self.offset = offset
        self.size = size
        self.base = base
        self.count = size // BASE_TYPES[base][1]
        self.dev_index = dev_index

    @property
    def key(self) -> int | str:
        """Column name of the field in a FitMessages table."""
        if self.dev_index is None:
            return self.num
        return f"dev:{self.dev_index}:{self.num}"


class Definition:
    """A definition layout and the data messages that used it (in file order)."""

    __slots__ = (
        "gnum",
        "big",
        "fields",
        "size",
        "pos",
        "runs",
        "cts_pos",
        "cts_off",
        "bad",
        "resets_csd",
    )

    def __init__(self, gnum: int, big: bool, fields: list[FieldSpec], pos: int):
        self.gnum = gnum
        self.big = big
        self.fields = fields
        self.size = sum(f.size for f in fields)
        self.pos = pos
        self.runs = bytearray()  # (first body offset, count, stride): native int64 triples
        self.cts_pos: list[int] = []  # body offsets of compressed-timestamp messages
        self.cts_off: list[int] = []  # their 5-bit time offsets
        # fitparse cannot read a zero-sized field; it fails on the first message using it.
        self.bad = any(f.size == 0 for f in fields)
        # fitparse restarts the distance accumulator at every record definition with field 8.
        self.resets_csd = gnum == RECORD_MESG and any(
            f.num == COMPRESSED_SPEED_DISTANCE and f.dev_index is None for f in fields
        )

    @property
    def count(self) -> int:
        return int(np.frombuffer(self.runs, np.int64)[1::3].sum()) + len(self.cts_pos)


class Walk:
    """Everything the column decoder needs from the walk."""

    def __init__(self) -> None:
        self.defs: list[Definition] = []
        #: Body offsets at which the compressed_speed_distance accumulator restarts at 0.
        self.csd_resets: list[int] = []
        #: Offsets of chained FIT file starts (the timestamp accumulator restarts there).
        self.chunk_starts: list[int] = []
        #: Developer field scale/offset updates: (key, body offset, scale, offset).
        self.dev_scale_events: list[tuple[str, int, float, float]] = []
        self.has_cts = False
        #: Increments with every developer-data message (definitions depend on that state).
        self.dev_version = 0
        #: Fields read otherwise than declared (:func:`analyzer.fit.messages.misaligned_note`).
        self.notes: list[str] = []


def _read_one(data: bytes, d: Definition, start: int) -> dict[int, object]:
    """fitparse-style raw values of one message (first occurrence of each field number)."""
    out: dict[int, object] = {}
    endian = ">" if d.big else "<"
    for f in d.fields:
        if f.num in out or f.dev_index is not None:
            continue
        name, bsize, kind, invalid = BASE_TYPES[f.base]
        raw = data[start + f.offset : start + f.offset + f.size]
        if kind == "S":
            cut = raw.split(b"\x00", 1)[0]
            out[f.num] = cut.decode("utf-8", errors="replace") or None
        elif kind == "B":
            out[f.num] = None if all(b == 0xFF for b in raw) else tuple(raw)
        else:
            vals = struct.unpack(
                f"{endian}{f.count}{_STRUCT_CHARS[kind][bsize.bit_length() - 1]}", raw
            )
            vals = tuple(None if (v != v if kind == "f" else v == invalid) else v for v in vals)
            out[f.num] = vals[0] if len(vals) == 1 else vals
    return out


def _last_valid(data: bytes, d: Definition, start: int, num: int) -> float | None:
    """The last non-invalid single value of a native field (the reference decoder's row value)."""
    value = None
    endian = ">" if d.big else "<"
    for f in d.fields:
        if f.num != num or f.dev_index is not None or f.count != 1:
            continue
        name, bsize, kind, invalid = BASE_TYPES[f.base]
        if kind not in "uif":
            continue
        (v,) = struct.unpack(
            f"{endian}{_STRUCT_CHARS[kind][bsize.bit_length() - 1]}",
            data[start + f.offset : start + f.offset + f.size],
        )
        if not (v != v if kind == "f" else v == invalid):
            value = float(v)
    return value


class _DevState:
    """fitparse's developer-data bookkeeping, reproduced (cleared once per payload)."""

    def __init__(self, name: str, walk: Walk):
        self.name = name
        self.walk = walk
        self.types: dict[object, dict[object, int]] = {}  # dev index -> {field num: base}

    def message(self, data: bytes, d: Definition, start: int) -> None:
        self.walk.dev_version += 1
        raw = _read_one(data, d, start)
        if d.gnum == DEVELOPER_DATA_ID:
            index = raw.get(3)
            if index is not None and not isinstance(index, int):
                raise DecoderDeclined(self.name, "developer_data_index is not a single integer")
            self.types[index] = {}
            return
        index, num, base = raw.get(0), raw.get(1), raw.get(2)
        for value in (index, num, base):
            if value is not None and not isinstance(value, int):
                raise DecoderDeclined(self.name, "field_description key is not a single integer")
        if index not in self.types:
            raise FitFormatError(
                self.name, f"field description for unknown developer_data_index {index}", start - 1
            )
        if base not in BASE_TYPES:
            raise FitFormatError(
                self.name, f"developer field with unknown base type {base}", start - 1
            )
        self.types[index][num] = base
        # The reference decoder keys the scale by the row's (last valid) values.
        row_index, row_num = _last_valid(data, d, start, 0), _last_valid(data, d, start, 1)
        if row_index is not None and row_num is not None:
            scale = _last_valid(data, d, start, 6)
            offset = _last_valid(data, d, start, 7)
            key = f"dev:{int(row_index)}:{int(row_num)}"
            self.walk.dev_scale_events.append(
                (key, start, scale if scale else 1, offset if offset is not None else 0)
            )


def walk(data: bytes, name: str) -> Walk:
    """Check headers and CRCs and find every data message of a (possibly chained) payload.

    Raises
    ------
    FitHeaderError, FitCRCError, FitTruncatedError, FitFormatError
        As the reference decoder does, with the byte offset of the problem.
    DecoderDeclined
        For oddities the vectorised decoder does not reproduce.
    """
    n = len(data)
    if n == 0:
        raise FitHeaderError(name, "empty file (0 bytes), not a FIT file", 0)
    if n < HEADER_SIZE_NO_CRC:
        raise FitHeaderError(name, f"only {n} bytes, too short for a FIT header", 0)
    result = Walk()
    dev = _DevState(name, result)
    mv = memoryview(data)
    pos = 0
    while True:
        chunk = pos
        result.chunk_starts.append(chunk)
        if n - pos < HEADER_SIZE_NO_CRC:
            raise FitTruncatedError(name, "file ends inside a FIT file header", pos)
        if data[pos + 8 : pos + 12] != b".FIT":
            raise FitHeaderError(name, "no '.FIT' signature in the header, not a FIT file", pos)
        header_size = data[pos]
        data_size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        pos += HEADER_SIZE_NO_CRC
        if header_size > HEADER_SIZE_NO_CRC:
            if header_size < HEADER_SIZE_WITH_CRC:
                raise FitHeaderError(name, f"irregular file header size {header_size}", chunk)
            if n - pos < 2:
                raise FitTruncatedError(name, "file ends inside the header CRC", pos)
            stored = data[pos] | data[pos + 1] << 8
            if stored:
                computed = crc16(mv[chunk:pos])
                if computed != stored:
                    raise FitCRCError(
                        name,
                        f"header CRC mismatch (computed 0x{computed:04X}, stored 0x{stored:04X})",
                        pos,
                    )
            pos += 2
            extra = header_size - HEADER_SIZE_WITH_CRC
            if extra > 0:
                if n - pos < extra:
                    raise FitTruncatedError(name, "file ends inside the file header", pos)
                pos += extra
        pos = _walk_messages(data, name, pos, pos + data_size, result, dev)
        if n - pos < 2:
            raise FitTruncatedError(name, "file ends before the file CRC", pos)
        stored = data[pos] | data[pos + 1] << 8
        computed = crc16(mv[chunk:pos])
        if computed != stored:
            raise FitCRCError(
                name, f"file CRC mismatch (computed 0x{computed:04X}, stored 0x{stored:04X})", pos
            )
        pos += 2
        if pos >= n:
            return result


def _definition(
    data: bytes, name: str, pos: int, h: int, dev: _DevState, cache: dict
) -> tuple[Definition, int]:
    """Parse a definition message; identical layouts share one :class:`Definition`."""
    n = len(data)
    if n - pos < _DEF_FIXED:
        raise FitTruncatedError(name, "file ends inside a definition message", pos)
    end = pos + _DEF_FIXED + 3 * data[pos + 5]
    if not h & 0x20 and end <= n:
        key = data[pos + 2 : end]
        hit = cache.get(key)
        if hit is not None:
            return hit, end
        d, p = _parse_definition(data, name, pos, h, dev)
        cache[key] = d
        return d, p
    if h & 0x20 and end < n and end + 1 + 3 * data[end] <= n:
        key = (dev.walk.dev_version, data[pos + 2 : end + 1 + 3 * data[end]])
        hit = cache.get(key)
        if hit is not None:
            return hit, end + 1 + 3 * data[end]
        d, p = _parse_definition(data, name, pos, h, dev)
        cache[key] = d
        return d, p
    return _parse_definition(data, name, pos, h, dev)


def _parse_definition(
    data: bytes, name: str, pos: int, h: int, dev: _DevState
) -> tuple[Definition, int]:
    n = len(data)
    big = data[pos + 2] != 0
    gnum = int.from_bytes(data[pos + 3 : pos + 5], "big" if big else "little")
    nfields = data[pos + 5]
    p = pos + _DEF_FIXED
    if n - p < 3 * nfields:
        raise FitTruncatedError(name, "file ends inside a definition message", pos)
    fields: list[FieldSpec] = []
    offset = 0
    for i in range(p, p + 3 * nfields, 3):
        num, size, base = data[i], data[i + 1], data[i + 2]
        if base not in BASE_TYPES:
            base = BYTE
        bsize = BASE_TYPES[base][1]
        if size % bsize:
            # The FIT SDK and fitdecode read such a field as plain bytes (see messages.py).
            note = misaligned_note(num, gnum, size, BASE_TYPES[base][0])
            if note not in dev.walk.notes:
                dev.walk.notes.append(note)
            base = BYTE
        fields.append(FieldSpec(num, offset, size, base, None))
        offset += size
    p += 3 * nfields
    if h & 0x20:
        if n - p < 1:
            raise FitTruncatedError(name, "file ends inside a definition message", pos)
        ndev = data[p]
        p += 1
        if n - p < 3 * ndev:
            raise FitTruncatedError(name, "file ends inside a definition message", pos)
        for i in range(p, p + 3 * ndev, 3):
            num, size, index = data[i], data[i + 1], data[i + 2]
            if index not in dev.types:
                raise FitFormatError(
                    name, f"developer field {num} of unknown developer {index}", pos
                )
            base = dev.types[index].get(num)
            if base is None:
                raise FitFormatError(
                    name, f"developer field {index}:{num} used before its description", pos
                )
            bsize = BASE_TYPES[base][1]
            # fitparse reads size // base size elements, whatever the declared size says.
            fields.append(FieldSpec(num, offset, (size // bsize) * bsize, base, index))
            offset += (size // bsize) * bsize
        p += 3 * ndev
    d = Definition(gnum, big, fields, pos)
    csd = [f for f in fields if f.num == COMPRESSED_SPEED_DISTANCE and f.dev_index is None]
    if gnum == RECORD_MESG and csd and (len(csd) > 1 or BASE_TYPES[csd[0].base][2] != "B"):
        raise DecoderDeclined(name, "unusual compressed_speed_distance field")
    return d, p


def _walk_messages(data: bytes, name: str, pos: int, end: int, result: Walk, dev: _DevState) -> int:
    """Walk one FIT file's messages from ``pos`` until ``end``; return the offset after them."""
    n = len(data)
    u8 = np.frombuffer(data, np.uint8)
    local: list[Definition | None] = [None] * 16
    defs = result.defs
    known = set()
    cache: dict = {}
    csd_resets = result.csd_resets
    limit = min(end, n)
    hist: list[tuple[int, Definition]] = []  # recent single data messages, for cycle skipping
    resume: list[tuple[int, Definition]] | None = None  # the last cycle skipped
    cooldown = 0
    scan = compiled_scan()
    while pos < end:
        if scan is not None:
            # the common messages in C, until one this loop handles (new layouts, developer
            # data, compressed timestamps, errors); its definitions may have changed meanwhile
            was, pos = pos, scan(data, pos, end, local, cache, defs, known, csd_resets)
            if pos != was:
                hist.clear()
                resume = None
            if pos >= end:
                break
        if pos >= n:
            raise FitTruncatedError(name, "file ends before the size its header declares", pos)
        h = data[pos]
        if h & 0x80:
            hist.clear()
            d = local[(h >> 5) & 0x3]
            if d is None:
                raise FitFormatError(
                    name, f"data message of undefined local message type {(h >> 5) & 0x3}", pos
                )
            if d.bad:
                raise FitFormatError(name, "data message of a definition with a 0-byte field", pos)
            nxt = pos + 1 + d.size
            if nxt > n:
                raise FitTruncatedError(name, "file ends inside a data message", pos)
            d.cts_pos.append(pos + 1)
            d.cts_off.append(h & 0x1F)
            result.has_cts = True
            if d.gnum == DEVELOPER_DATA_ID or d.gnum == FIELD_DESCRIPTION:
                dev.message(data, d, pos + 1)
            pos = nxt
        elif h & 0x40:
            hist.clear()
            resume = None  # a header byte may now stand for another definition
            d, nxt = _definition(data, name, pos, h, dev, cache)
            local[h & 0xF] = d
            if id(d) not in known:
                known.add(id(d))
                defs.append(d)
            if d.resets_csd:
                csd_resets.append(pos)
            pos = nxt
        else:
            d = local[h & 0xF]
            if d is None:
                raise FitFormatError(
                    name, f"data message of undefined local message type {h & 0xF}", pos
                )
            if d.bad:
                raise FitFormatError(name, "data message of a definition with a 0-byte field", pos)
            step = d.size + 1
            first = pos
            pos += step
            while pos < limit and data[pos] == h:
                pos += step
            if pos > n:
                raise FitTruncatedError(name, "file ends inside a data message", pos - step)
            count = (pos - first) // step
            d.runs += _RUN.pack(first + 1, count, step)
            if d.gnum == DEVELOPER_DATA_ID or d.gnum == FIELD_DESCRIPTION:
                hist.clear()
                for start in range(first + 1, pos, step):
                    dev.message(data, d, start)
                continue
            if _RESUME and resume is not None and pos < limit and data[pos] == resume[0][0]:
                # An odd message interrupted a cycle; the cycle usually goes on after it.
                skipped = _skip_cycles(u8, name, pos, limit, resume)
                if skipped:
                    pos = skipped
                    hist.clear()
                    continue
                resume = None
            if count > 1:
                hist.clear()
            hist.append((h, d))
            if cooldown:
                cooldown -= 1
                continue
            if len(hist) < 4:
                continue
            for k in (2, 3, 4):
                if len(hist) >= 2 * k and all(
                    hist[-i][0] == hist[-i - k][0] for i in range(1, k + 1)
                ):
                    cycle = hist[-k:]
                    skipped = _skip_cycles(u8, name, pos, limit, cycle)
                    if skipped:
                        pos = skipped
                        hist.clear()
                        resume = cycle
                    else:
                        cooldown = 32
                    break
            if len(hist) > 8:
                del hist[:-8]
    return pos


#: Repetitions of a message cycle checked at once when skipping (doubles while they match).
_CYCLE_WINDOW = 32
_RESUME = True


def _skip_cycles(
    u8: np.ndarray, name: str, pos: int, limit: int, cycle: list[tuple[int, Definition]]
) -> int:
    """Skip whole repetitions of a cycle of data messages starting at ``pos``.

    Files often interleave two or three message types message by message (a record, an HRV
    message, a record...); one numpy comparison per cycle member finds how many repetitions
    follow. Returns the offset after them, or 0 when fewer than two follow.
    """
    steps = [d.size + 1 for _, d in cycle]
    offsets = [sum(steps[:j]) for j in range(len(steps))]
    period = sum(steps)
    total = 0
    window = _CYCLE_WINDOW
    cur = pos
    while True:
        room = (limit - 1 - cur - offsets[-1]) // period + 1
        m = min(window, room)
        if m <= 0:
            break
        ok = np.ones(m, dtype=bool)
        for (h, _), off in zip(cycle, offsets, strict=True):
            ok &= u8[cur + off : cur + off + period * m : period] == h
        c = m if ok.all() else int(np.argmin(ok))
        total += c
        cur += c * period
        if c < m or m == room:
            break
        window *= 4
    if total < 2:
        return 0
    if cur > len(u8):
        raise FitTruncatedError(name, "file ends inside a data message", cur - period)
    for (_, d), off in zip(cycle, offsets, strict=True):
        d.runs += _RUN.pack(pos + off + 1, total, period)
    return cur
