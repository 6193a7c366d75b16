"""FIT files built byte by byte, and byte-level edits of real ones, for hostile-input tests.

garmin-fit-sdk's Encoder always writes a field with the profile's base type; these helpers write
whatever base type a test asks for (a product name as uint16, a manufacturer as a string...), so
tests can check what the decoders and the contract conversion do with files no SDK writes.

Imported as ``fitbytes`` (tests/ is on sys.path).
"""

from __future__ import annotations

import struct

from analyzer.fit.fast import crc16

#: FIT base type bytes and the size of one element [bytes].
BASE_SIZE = {
    0x00: 1,  # enum
    0x01: 1,  # sint8
    0x02: 1,  # uint8
    0x83: 2,  # sint16
    0x84: 2,  # uint16
    0x85: 4,  # sint32
    0x86: 4,  # uint32
    0x07: 1,  # string
    0x88: 4,  # float32
    0x89: 8,  # float64
    0x0A: 1,  # uint8z
    0x8B: 2,  # uint16z
    0x8C: 4,  # uint32z
    0x0D: 1,  # byte
    0x8E: 8,  # sint64
    0x8F: 8,  # uint64
    0x90: 8,  # uint64z
}
UINT8, UINT16, UINT32, STRING, FLOAT32, FLOAT64, ENUM = 0x02, 0x84, 0x86, 0x07, 0x88, 0x89, 0x00


def message(local: int, global_num: int, fields: list[tuple[int, int, bytes]]) -> bytes:
    """A definition message and one data message (little endian) for ``fields``:
    ``(field number, base type, raw value bytes)``."""
    definition = bytes([0x40 | local, 0, 0]) + struct.pack("<HB", global_num, len(fields))
    definition += b"".join(bytes([num, len(raw), base]) for num, base, raw in fields)
    return definition + bytes([local]) + b"".join(raw for _, _, raw in fields)


def fit_file(*messages: bytes) -> bytes:
    """A complete FIT file (14-byte header with its CRC, the messages, the file CRC)."""
    body = b"".join(messages)
    header = struct.pack("<BBHI4s", 14, 0x20, 2195, len(body), b".FIT")
    header += struct.pack("<H", crc16(header))
    data = header + body
    return data + struct.pack("<H", crc16(data))


def running_file(
    file_id: list[tuple[int, int, bytes]], records: list[list[tuple[int, int, bytes]]] | None = None
) -> bytes:
    """A tiny running activity (one session) whose file_id message has exactly the
    ``file_id`` fields given. ``records``: the fields of each record (all records with the
    same field layout; a timestamp is added to each); default three records with 3.0 m/s,
    170 steps/min and 250 ms contact time."""
    t0 = 1_100_000_000  # FIT seconds (2024-11-08)
    if records is None:
        steady = [
            (6, UINT16, struct.pack("<H", 3000)),  # 3.0 m/s
            (4, UINT8, bytes([85])),  # 170 spm
            (41, UINT16, struct.pack("<H", 2500)),  # 250 ms (scale 10)
        ]
        records = [steady] * 3
    body = b""
    for i, fields in enumerate(records):
        fields = [(253, UINT32, struct.pack("<I", t0 + i)), *fields]
        body += (
            message(1, 20, fields) if i == 0 else bytes([1]) + b"".join(raw for _, _, raw in fields)
        )
    n = len(records)
    session = message(
        2,
        18,
        [
            (253, UINT32, struct.pack("<I", t0 + n)),
            (2, UINT32, struct.pack("<I", t0)),
            (5, ENUM, bytes([1])),  # running
            (7, UINT32, struct.pack("<I", 1000 * n)),  # elapsed [ms] (scale 1000)
        ],
    )
    return fit_file(message(0, 0, file_id), body, session)


def walk_definitions(data: bytes):
    """Yield ``(offset, local, global, fields_at, n_fields, little_endian)`` for each
    definition message of a (single) FIT file, stopping at the first inconsistency."""
    header = data[0]
    end = min(len(data) - 2, header + struct.unpack_from("<I", data, 4)[0])
    sizes: dict[int, int] = {}
    pos = header
    while pos < end:
        rec = data[pos]
        if rec & 0x80:  # compressed timestamp header: a data message
            local = (rec >> 5) & 0x3
            if local not in sizes:
                return
            pos += 1 + sizes[local]
            continue
        local = rec & 0x0F
        if rec & 0x40:
            if pos + 6 > end:
                return
            little = data[pos + 2] == 0
            fmt = "<H" if little else ">H"
            global_num = struct.unpack_from(fmt, data, pos + 3)[0]
            n = data[pos + 5]
            fields_at = pos + 6
            size = sum(data[fields_at + 3 * i + 1] for i in range(n) if fields_at + 3 * i + 1 < end)
            after = fields_at + 3 * n
            if rec & 0x20:  # developer fields
                if after >= end:
                    return
                nd = data[after]
                size += sum(data[after + 2 + 3 * i] for i in range(nd) if after + 2 + 3 * i < end)
                after += 1 + 3 * nd
            yield pos, local, global_num, fields_at, n, little
            sizes[local] = size
            pos = after
        else:
            if local not in sizes:
                return
            pos += 1 + sizes[local]


def repair(data: bytearray) -> bytes:
    """Make the header's data size, header CRC and file CRC agree with the (edited) bytes."""
    if len(data) < 14 or data[0] not in (12, 14):
        return bytes(data)
    header = data[0]
    body = data[header:-2] if len(data) >= header + 2 else b""
    data[4:8] = struct.pack("<I", len(body))
    if header == 14:
        data[12:14] = struct.pack("<H", crc16(bytes(data[:12])))
    out = bytes(data[:header]) + bytes(body)
    return out + struct.pack("<H", crc16(out))
