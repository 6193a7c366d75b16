"""Damaged FIT payloads: what is kept, what is refused, and where the damage was.

The policy follows fitdecode's ``ErrorHandling`` (``WARN``, its default, carries on where the
framing allows it and reports; ``RAISE`` stops) and what garmin-fit-sdk's ``Decoder.read()``
returns (the messages read before an error, and the error):

- **Recoverable, noted** (both modes): a native field whose size is not a multiple of its base
  type's size is read as bytes (:func:`analyzer.fit.messages.misaligned_note`); garmin-fit-sdk
  reads it without any error, fitdecode warns and reads it as ``BYTE``.
- **Recoverable, the run is partial** (default mode; refused in strict mode): a developer field
  whose developer data index or field description was never given is skipped (its size is in
  the definition, so the framing holds; garmin-fit-sdk skips it silently, fitdecode reads it as
  ``BYTE``); a field description naming an undefined developer data index is skipped (the SDK
  ignores it); a header or file CRC that does not match keeps the data, which is then
  unverified (fitdecode's default ``CrcCheck.WARN``).
- **Unrecoverable** (truncation, an undefined local message type, a chained file's corrupt
  header...): the messages before the damage are kept, the rest of the payload is not read
  (garmin-fit-sdk returns what it read before the error; fitdecode yields the frames before it).
- **Nothing decodable** (no data message before the damage, an empty or non-FIT payload): the
  error is raised in both modes.

Clean payloads never come here: :func:`decode_with` first runs the decoder on the payload as
it is and only scans it (a plain Python walk of the message headers) when the decoder raises.
The scan then writes a *repaired payload* that every decoder reads without error: the damaged
tail cut off after the last whole message and each chained file re-framed (data size, header
and file CRC recomputed), undescribed developer fields and descriptions removed, misaligned
base types rewritten to ``byte``. Both decoders read that same payload, so they still agree
value for value; fitparse is used through its public API only.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from analyzer.errors import (
    FitCRCError,
    FitFormatError,
    FitHeaderError,
    FitTruncatedError,
    InvalidFitFile,
)
from analyzer.fit.fast._crc import crc16
from analyzer.fit.messages import (
    DEVELOPER_DATA_ID,
    FIELD_DESCRIPTION,
    FitMessages,
    Partial,
    misaligned_note,
)
from analyzer.fit.profile import BASE_TYPES, BYTE

#: What was done about each kind of damage (the end of a partial run's reason).
CUT = "the messages before it were kept, the rest of the file was not read"
SKIPPED = "its values were skipped, everything else was kept"
UNVERIFIED = "all messages were kept but cannot be verified"

_HEADER_MIN = 12
_HEADER_CRC = 14


@dataclass
class Repair:
    """The outcome of :func:`scan`: a payload every decoder reads, and what was done to it."""

    data: bytes
    notes: list[str] = field(default_factory=list)
    #: Each damage found, in file order: (error, what was done about it).
    damage: list[tuple[InvalidFitFile, str]] = field(default_factory=list)
    #: Data messages kept.
    messages: int = 0
    changed: bool = False

    def partial(self) -> Partial | None:
        """The first damage as a :class:`~analyzer.fit.messages.Partial` (None when none)."""
        if not self.damage:
            return None
        err, consequence = self.damage[0]
        more = len(self.damage) - 1
        if more:
            consequence += f" (and {more} more problem{'s' if more > 1 else ''} after it)"
        return Partial(err.reason, int(err.offset or 0), err.kind, consequence)


class _Def:
    """A definition as the scan needs it: sizes, where its values are, what to keep."""

    __slots__ = ("gnum", "big", "size", "fields", "keep", "bad")

    def __init__(self, gnum: int, big: bool, fields: list[tuple[int, int, int]], bad: bool):
        self.gnum = gnum
        self.big = big
        self.fields = fields  # native (num, offset, base) of single-element integers
        self.size = 0
        self.keep: list[tuple[int, int]] = []  # (offset, size) of body slices kept
        self.bad = bad  # a 0-byte field: the decoders refuse its data messages

    def value(self, body: bytes, num: int) -> int | None:
        """First single-element integer value of field ``num`` (None when invalid or absent)."""
        for fnum, off, base in self.fields:
            if fnum != num:
                continue
            name, bsize, kind, invalid = BASE_TYPES[base]
            fmt = (">" if self.big else "<") + {1: "B", 2: "H", 4: "I", 8: "Q"}[bsize]
            (v,) = struct.unpack_from(fmt.lower() if kind == "i" else fmt, body, off)
            return None if v == invalid else v
        return None


def scan(data: bytes, name: str) -> Repair:
    """Walk a damaged payload and build the repaired one (see the module docstring).

    Raises
    ------
    FitHeaderError
        Empty payload, shorter than a header, or no ``.FIT`` signature at the start.
    """
    n = len(data)
    if n == 0:
        raise FitHeaderError(name, "empty file (0 bytes), not a FIT file", 0)
    if n < _HEADER_MIN:
        raise FitHeaderError(name, f"only {n} bytes, too short for a FIT header", 0)
    if data[8:12] != b".FIT":
        raise FitHeaderError(name, "no '.FIT' signature in the header, not a FIT file", 0)
    rep = Repair(data=b"")
    out = bytearray()
    dev: dict[object, dict[int, int]] = {}
    pos = 0
    while pos < n:
        chunk = pos
        stop = _header_problem(data, name, pos)
        if stop is not None:
            rep.damage.append((stop, CUT))
            break
        hsize = data[pos]
        header = bytearray(data[pos : pos + hsize])
        if hsize >= _HEADER_CRC:
            stored = header[12] | header[13] << 8
            computed = crc16(bytes(header[:12]))
            if stored and computed != stored:
                err = FitCRCError(name, _crc_text("header", computed, stored), pos + 12)
                rep.damage.append((err, UNVERIFIED))
        end = pos + hsize + int.from_bytes(header[4:8], "little")
        body, p, count, stop = _messages(data, name, pos + hsize, end, dev, rep)
        rep.messages += count
        if stop is None:
            if n - p < 2:
                stop = FitTruncatedError(name, "file ends before the file CRC", p)
            else:
                stored = data[p] | data[p + 1] << 8
                computed = crc16(data[chunk:p])
                if computed != stored:
                    err = FitCRCError(name, _crc_text("file", computed, stored), p)
                    rep.damage.append((err, UNVERIFIED))
        if count or stop is None:
            out += _frame(header, body)
        if stop is not None:
            rep.damage.append((stop, CUT))
            break
        pos = p + 2
    rep.data = bytes(out)
    rep.changed = rep.data != data
    return rep


def _crc_text(which: str, computed: int, stored: int) -> str:
    return f"{which} CRC mismatch (computed 0x{computed:04X}, stored 0x{stored:04X})"


def _header_problem(data: bytes, name: str, pos: int) -> InvalidFitFile | None:
    n = len(data)
    if n - pos < _HEADER_MIN:
        return FitTruncatedError(name, "file ends inside a FIT file header", pos)
    if data[pos + 8 : pos + 12] != b".FIT":
        return FitHeaderError(name, "no '.FIT' signature in the header, not a FIT file", pos)
    hsize = data[pos]
    if hsize < _HEADER_MIN or _HEADER_MIN < hsize < _HEADER_CRC:
        return FitHeaderError(name, f"irregular file header size {hsize}", pos)
    if n - pos < hsize:
        return FitTruncatedError(name, "file ends inside the file header", pos)
    return None


def _frame(header: bytearray, body: bytes) -> bytes:
    """One chained FIT file around ``body``: data size, header CRC and file CRC made right."""
    header[4:8] = len(body).to_bytes(4, "little")
    if len(header) >= _HEADER_CRC and (header[12] or header[13]):
        header[12:14] = crc16(bytes(header[:12])).to_bytes(2, "little")
    whole = bytes(header) + body
    return whole + crc16(whole).to_bytes(2, "little")


def _messages(
    data: bytes, name: str, pos: int, end: int, dev: dict, rep: Repair
) -> tuple[bytes, int, int, InvalidFitFile | None]:
    """Walk one FIT file's messages from ``pos`` to ``end``; returns (kept bytes, offset after
    them, data messages kept, the unrecoverable error or None)."""
    n = len(data)
    local: list[_Def | None] = [None] * 16
    out = bytearray()
    count = 0
    while pos < end:
        if pos >= n:
            err = FitTruncatedError(name, "file ends before the size its header declares", pos)
            return bytes(out), pos, count, err
        h = data[pos]
        if h & 0x40 and not h & 0x80:
            d, p, kept, err = _definition(data, name, pos, h, dev, rep)
            if err is not None:
                return bytes(out), pos, count, err
            local[h & 0xF] = d
            out += kept
            pos = p
            continue
        t = (h >> 5) & 0x3 if h & 0x80 else h & 0xF
        d = local[t]
        if d is None:
            err = FitFormatError(name, f"data message of undefined local message type {t}", pos)
            return bytes(out), pos, count, err
        if d.bad:
            err = FitFormatError(name, "data message of a definition with a 0-byte field", pos)
            return bytes(out), pos, count, err
        if pos + 1 + d.size > n:
            err = FitTruncatedError(name, "file ends inside a data message", pos)
            return bytes(out), pos, count, err
        body = data[pos + 1 : pos + 1 + d.size]
        keep = True
        if d.gnum == DEVELOPER_DATA_ID:
            dev[d.value(body, 3)] = {}
        elif d.gnum == FIELD_DESCRIPTION:
            keep = _describe(d, body, name, pos, dev, rep)
        if keep:
            out.append(h)
            for off, size in d.keep:
                out += body[off : off + size]
            count += 1
        pos += 1 + d.size
    return bytes(out), pos, count, None


def _describe(d: _Def, body: bytes, name: str, pos: int, dev: dict, rep: Repair) -> bool:
    """Register a field description; False (drop the message) when it cannot be used."""
    index, num, base = d.value(body, 0), d.value(body, 1), d.value(body, 2)
    if index not in dev:
        err = FitFormatError(
            name, f"field description for unknown developer_data_index {index}", pos
        )
        rep.damage.append((err, SKIPPED))
        return False
    if base not in BASE_TYPES:
        err = FitFormatError(name, f"developer field with unknown base type {base}", pos)
        rep.damage.append((err, SKIPPED))
        return False
    dev[index][num] = base
    return True


def _definition(
    data: bytes, name: str, pos: int, h: int, dev: dict, rep: Repair
) -> tuple[_Def | None, int, bytes, InvalidFitFile | None]:
    n = len(data)
    truncated = FitTruncatedError(name, "file ends inside a definition message", pos)
    if n - pos < 6:
        return None, pos, b"", truncated
    big = data[pos + 2] != 0
    gnum = int.from_bytes(data[pos + 3 : pos + 5], "big" if big else "little")
    nfields = data[pos + 5]
    p = pos + 6
    if n - p < 3 * nfields:
        return None, pos, b"", truncated
    kept = bytearray(data[pos:p])
    singles: list[tuple[int, int, int]] = []
    keep: list[tuple[int, int]] = []
    offset = 0
    bad = False
    for i in range(p, p + 3 * nfields, 3):
        num, size, base = data[i], data[i + 1], data[i + 2]
        written = base
        if base not in BASE_TYPES:
            base = BYTE
        bname, bsize, kind, _ = BASE_TYPES[base]
        if size % bsize:
            note = misaligned_note(num, gnum, size, bname)
            if note not in rep.notes:
                rep.notes.append(note)
            base = written = BYTE
        bad = bad or size == 0
        if size == bsize and kind in "ui":
            singles.append((num, offset, base))
        kept += bytes((num, size, written))
        keep.append((offset, size))
        offset += size
    p += 3 * nfields
    if h & 0x20:
        if n - p < 1:
            return None, pos, b"", truncated
        ndev = data[p]
        p += 1
        if n - p < 3 * ndev:
            return None, pos, b"", truncated
        described = bytearray()
        for i in range(p, p + 3 * ndev, 3):
            num, size, index = data[i], data[i + 1], data[i + 2]
            base = dev.get(index, {}).get(num)
            if base is None:
                reason = (
                    f"developer field {num} of unknown developer {index}"
                    if index not in dev
                    else f"developer field {index}:{num} used before its description"
                )
                rep.damage.append((FitFormatError(name, reason, pos), SKIPPED))
                offset += size  # its bytes are in every data message; they are dropped
                continue
            bsize = BASE_TYPES[base][1]
            # The decoders read size // base size elements, whatever the declared size says.
            used = (size // bsize) * bsize
            described += data[i : i + 3]
            keep.append((offset, used))
            offset += used
        kept += bytes((len(described) // 3,)) + described
        p += 3 * ndev
    d = _Def(gnum, big, singles, bad)
    d.size = offset
    d.keep = _merge(keep)
    return d, p, bytes(kept), None


def _merge(slices: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Adjacent (offset, size) slices joined, so a message is copied in few pieces."""
    out: list[tuple[int, int]] = []
    for off, size in slices:
        if out and out[-1][0] + out[-1][1] == off:
            out[-1] = (out[-1][0], out[-1][1] + size)
        elif size:
            out.append((off, size))
    return out


def decode_with(
    decoder: Callable[[bytes, str], FitMessages], data: bytes, name: str, *, strict: bool
) -> FitMessages:
    """Decode with ``decoder``; on a damaged payload keep what can be kept (see above).

    Parameters
    ----------
    decoder : callable
        ``decoder(data, name) -> FitMessages`` (the fast or the reference decoder).
    data : bytes
        The payload.
    name : str
        Where it came from (for messages).
    strict : bool
        Refuse any damage (raise its error) instead of reading the payload in part. Misaligned
        fields are read as bytes in both modes.

    Raises
    ------
    InvalidFitFile
        In strict mode for any damage; in both modes when nothing is decodable.
    """
    try:
        return decoder(data, name)
    except InvalidFitFile as exc:
        first = exc
    rep = scan(data, name)
    if rep.damage and (strict or rep.messages == 0):
        raise rep.damage[0][0] from None
    if not rep.changed:
        raise first
    try:
        msgs = decoder(rep.data, name)
    except InvalidFitFile:
        raise first from None
    msgs.notes = list(dict.fromkeys(rep.notes + msgs.notes))
    msgs.partial = rep.partial()
    return msgs
