"""The FIT CRC-16 over megabytes, without a per-byte Python loop.

The FIT protocol's CRC is the reflected CRC-16 with polynomial 0xA001 and start value 0 (the
"CRC-16/ARC" of CRC catalogues; the FIT SDK gives it as a 16-entry nibble table). It is linear
over GF(2) and a zero start value makes leading zero bytes invisible, so the CRC of a
concatenation is ``crc(A + B) = shift(crc(A), len(B)) ^ crc(B)``, where ``shift`` runs ``len(B)``
zero bytes through the register. That turns the serial loop into a tree reduction: the CRCs of
all 2-byte blocks come from one 65,536-entry table lookup, then neighbouring blocks are merged
pairwise, level after level, each level a few vectorised numpy operations on half as many
values. A zero-shift of ``L`` bytes is a linear map of the 16-bit register, so it is applied with
two 256-entry tables (low byte, high byte) built once per level by repeated squaring.

``binascii.crc_hqx`` is no shortcut: it is CRC-CCITT (polynomial 0x1021, not reflected).
"""

from __future__ import annotations

import numpy as np

from analyzer.fit.fast._compiled import compiled_crc

#: Reflected CRC-16 polynomial used by the FIT protocol (FIT SDK, "CRC" section).
FIT_CRC_POLY = 0xA001

_U16 = np.uint16


def _byte_table() -> np.ndarray:
    """CRC register after feeding one byte into a zero register, for each byte value."""
    crc = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        crc = np.where(crc & 1, (crc >> 1) ^ FIT_CRC_POLY, crc >> 1)
    return crc.astype(_U16)


_T1 = _byte_table()


def _feed_zero_byte(crc: np.ndarray) -> np.ndarray:
    return (crc >> 8) ^ _T1[crc & 0xFF]


def _pair_table() -> np.ndarray:
    """CRC of every 2-byte block (index = first byte | second byte << 8), zero start."""
    first = np.arange(65536, dtype=np.uint32) & 0xFF
    second = np.arange(65536, dtype=np.uint32) >> 8
    crc = _T1[first].astype(np.uint32)
    crc = (crc >> 8) ^ _T1[(crc ^ second) & 0xFF]
    return crc.astype(_U16)


_T2 = _pair_table()


class _ShiftTables:
    """Lazily built (low, high) tables of the zero-byte shift by 2, 4, 8, ... bytes."""

    def __init__(self) -> None:
        lo = np.arange(256, dtype=np.uint32)
        hi = lo << 8
        # Shift by 2 bytes: feed two zero bytes.
        self.levels = [
            (
                _feed_zero_byte(_feed_zero_byte(lo)).astype(np.uint32),
                _feed_zero_byte(_feed_zero_byte(hi)).astype(np.uint32),
            )
        ]

    def get(self, level: int) -> tuple[np.ndarray, np.ndarray]:
        while len(self.levels) <= level:
            lo, hi = self.levels[-1]
            # Square the map: apply it twice to the basis values.
            self.levels.append((lo[lo & 0xFF] ^ hi[lo >> 8], lo[hi & 0xFF] ^ hi[hi >> 8]))
        return self.levels[level]


_SHIFTS = _ShiftTables()

#: Pairs of bytes per leaf block of the tree (a power of two); the leaf CRCs come straight from
#: one 65,536-entry table per pair position (slicing-by-N on 16-bit symbols).
_PAIRS = 8
_BLOCK = 2 * _PAIRS
_BLOCK_LEVEL = _PAIRS.bit_length() - 1
_PAIR_TABLES: list[np.ndarray] = []


def _pair_position_tables() -> list[np.ndarray]:
    """Table k: CRC of a byte pair followed by the remaining pairs of its block as zeros."""
    if not _PAIR_TABLES:
        lo, hi = _SHIFTS.get(0)
        tables = [_T2.astype(np.uint32)]
        for _ in range(1, _PAIRS):
            prev = tables[-1]
            tables.append(lo[prev & 0xFF] ^ hi[prev >> 8])
        # Table 0 applies to the first pair, which is followed by the most zeros.
        _PAIR_TABLES.extend(t.astype(np.uint32) for t in reversed(tables))
    return _PAIR_TABLES


#: Below this many bytes a plain table loop is quicker than setting up the numpy tree.
_SMALL = 512


def _crc_small(data: bytes | memoryview, crc: int = 0) -> int:
    table = _T1
    for byte in bytes(data):
        crc = (crc >> 8) ^ int(table[(crc ^ byte) & 0xFF])
    return crc


def crc16(data: bytes | bytearray | memoryview | np.ndarray) -> int:
    """FIT CRC-16 of a byte string (start value 0).

    Parameters
    ----------
    data : bytes-like or numpy.ndarray of uint8
        The bytes to check.

    Returns
    -------
    int
        The CRC [0, 65535]; a FIT file section followed by its stored CRC gives 0.
    """
    compiled = compiled_crc()
    if compiled is not None and not isinstance(data, np.ndarray):
        return compiled(data)
    if isinstance(data, np.ndarray):
        arr = np.ascontiguousarray(data, dtype=np.uint8)
    else:
        arr = np.frombuffer(data, dtype=np.uint8)
    n = arr.size
    if n < _SMALL:
        return _crc_small(arr.tobytes())
    pad = -n % _BLOCK
    if pad:
        # Leading zero bytes do not change a zero-start CRC.
        arr = np.concatenate((np.zeros(pad, np.uint8), arr))
    pairs = arr.view("<u2").reshape(-1, _PAIRS)
    tables = _pair_position_tables()
    crc = np.take(tables[0], pairs[:, 0]).astype(np.uint32)
    for k in range(1, _PAIRS):
        crc ^= np.take(tables[k], pairs[:, k])
    level = _BLOCK_LEVEL
    while crc.size > 1:
        if crc.size & 1:
            # A zero block in front: its CRC is 0 and it shifts nothing in.
            crc = np.concatenate((np.zeros(1, np.uint32), crc))
        lo, hi = _SHIFTS.get(level)
        pairs2 = crc.reshape(-1, 2)
        left = pairs2[:, 0]
        crc = np.take(lo, left & 0xFF) ^ np.take(hi, left >> 8) ^ pairs2[:, 1]
        level += 1
    return int(crc[0])
