"""Refuse zip archives whose entries share bytes: the amplification zip bomb."""

from __future__ import annotations

import zipfile

from analyzer.errors import UnsafeArchive

#: Size of a zip local file header before its name and extra field [bytes] (APPNOTE 4.3.7).
_LOCAL_HEADER = 30


def check_overlap(infos: list[zipfile.ZipInfo], name: str) -> None:
    """Refuse an archive whose entries share bytes (Python's zipfile does not).

    Each entry occupies at least its local header, its name and its compressed data from its
    header offset on; in a well-formed zip these spans are disjoint. Several central-directory
    entries pointing at one member are the trick of an amplification bomb.
    """
    spans = sorted(
        (
            (i.header_offset, i.header_offset + _LOCAL_HEADER + _name_size(i) + i.compress_size, i)
            for i in infos
        ),
        key=lambda span: span[0],
    )  # (sorted by offset; equal offsets stay in directory order)
    for (_, end, first), (start, _, second) in zip(spans, spans[1:], strict=False):
        if start < end:
            raise UnsafeArchive(
                f"{name}: unsafe archive: entries {first.filename!r} and {second.filename!r} "
                f"overlap at byte {start} (one member listed more than once: an amplification "
                "zip bomb); not read"
            )


def _name_size(info: zipfile.ZipInfo) -> int:
    """Bytes of the member's name in its header (UTF-8 when flagged, else cp437)."""
    encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
    return len(info.orig_filename.encode(encoding, errors="replace"))
