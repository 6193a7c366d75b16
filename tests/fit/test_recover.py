"""Damage patterns built as real files (byte edits of a sample file written by the project's
Encoder-driven writer), read by both decoders, garmin-fit-sdk and fitdecode.

Each edit keeps a valid file apart from the one damage (CRCs are recomputed with fitdecode's
own CRC function where the edit is not the CRC itself).
"""

from __future__ import annotations

import io
import warnings

import fitdecode
import fitparse
import pandas as pd
import pytest
from conftest import SAMPLE_DATA
from fitcache import payload
from fitdecode.utils import compute_crc
from garmin_fit_sdk import Decoder, Stream

from analyzer.errors import FitCRCError, FitFormatError, FitTruncatedError
from analyzer.fit.activity import decode, read_fit
from analyzer.fit.recover import CUT, SKIPPED, UNVERIFIED

SOURCES = sorted((SAMPLE_DATA / "balanced").glob("*.fit"))
pytestmark = pytest.mark.skipif(not SOURCES, reason="sample_data/ absent (make sample-data)")
NAME = "damaged.fit"
DECODERS = ("fast", "fitparse")


def _source() -> bytes:
    return SOURCES[0].read_bytes()


def _frames(data: bytes, *, quiet: bool = True) -> list:
    """fitdecode's frames of ``data`` with their byte offsets (``frame.chunk.offset``)."""
    with warnings.catch_warnings():
        if quiet:
            warnings.simplefilter("ignore")
        reader = fitdecode.FitReader(
            io.BytesIO(data), keep_raw_chunks=True, check_crc=fitdecode.CrcCheck.DISABLED
        )
        out = []
        try:
            for frame in reader:
                out.append(frame)
        except fitdecode.FitError:
            pass
        return out


def _record_definition(data: bytes):
    return next(
        f
        for f in _frames(data)
        if isinstance(f, fitdecode.FitDefinitionMessage) and f.global_mesg_num == 20
    )


def _refit(data: bytearray) -> bytes:
    """The file CRC recomputed after an edit (single FIT file, header untouched)."""
    data[-2:] = compute_crc(data, start=0, end=len(data) - 2).to_bytes(2, "little")
    return bytes(data)


def _sdk(data: bytes) -> tuple[dict, list]:
    return Decoder(Stream.from_byte_array(bytearray(data))).read()


def _both(data: bytes, **kw):
    acts = [read_fit(data, name=NAME, decoder=d, **kw) for d in DECODERS]
    fast, ref = acts
    for attr in ("records", "sessions", "laps", "developer_fields"):
        pd.testing.assert_frame_equal(getattr(fast, attr), getattr(ref, attr), check_exact=True)
    assert fast.notes == ref.notes and fast.partial == ref.partial
    return fast


def test_coros_file_as_each_tool_reads_it(corpus_dir):
    """The evidence for the rule: fitparse refuses the file, garmin-fit-sdk reads it without an
    error, fitdecode warns and reads the field as ``byte``; we read it as bytes, like both."""
    name = "coros-pace-2-cycling-misaligned-fields.fit"
    data = payload(name)
    with pytest.raises(fitparse.FitParseError, match="Invalid field size 1 for type 'uint32'"):
        fitparse.FitFile(io.BytesIO(data)).parse()
    messages, errors = _sdk(data)
    assert errors == [] and len(messages["record_mesgs"]) == 11272
    with pytest.warns(UserWarning, match="invalid field size 1"):
        events = [
            f
            for f in _frames(data, quiet=False)
            if isinstance(f, fitdecode.FitDataMessage) and f.global_mesg_num == 21
        ]
    trigger = [fd for e in events for fd in e.fields if fd.def_num == 3]
    assert trigger and {fd.base_type.name for fd in trigger} == {"byte"}
    fast = decode(data, name, decoder="fast")
    ref = decode(data, name, decoder="fitparse")
    assert sorted(fast.tables) == sorted(ref.tables)
    for num, table in ref.tables.items():
        pd.testing.assert_frame_equal(fast.tables[num], table, check_exact=True)
    assert (
        fast.notes
        == ref.notes
        == ["field 3 of message 21 read as bytes (size 1 is not a multiple of uint32)"]
    )
    assert len(fast.table(20)) == 11272


@pytest.mark.parametrize("strict", [False, True])
def test_misaligned_record_field_is_read_as_bytes(strict):
    """heart_rate (record field 3, 1 byte) declared uint32: that field is read as bytes (so it
    is absent), every other field and message stays, in both modes."""
    data = _source()
    rec = _record_definition(data)
    index = [fd.def_num for fd in rec.field_defs].index(3)
    edited = bytearray(data)
    edited[rec.chunk.offset + 6 + 3 * index + 2] = 0x86  # base type uint32
    edited = _refit(edited)
    with pytest.raises(fitparse.FitParseError, match="Invalid field size 1"):
        fitparse.FitFile(io.BytesIO(edited)).parse()
    messages, errors = _sdk(edited)
    assert errors == []
    act = _both(edited, strict=strict)
    original = read_fit(data, name=NAME)
    assert act.notes == ["field 3 of message 20 read as bytes (size 1 is not a multiple of uint32)"]
    assert act.partial is None
    assert len(act.records) == len(original.records) == len(messages["record_mesgs"])
    assert act.records["heart_rate_bpm"].isna().all()
    assert original.records["heart_rate_bpm"].notna().any()
    rest = [c for c in original.records.columns if c != "heart_rate_bpm"]
    pd.testing.assert_frame_equal(act.records[rest], original.records[rest], check_exact=True)


def _undefined_developer_index() -> tuple[bytes, int]:
    """The first developer field of the record definition re-pointed at developer index 5."""
    data = _source()
    rec = _record_definition(data)
    assert rec.dev_field_defs and rec.dev_field_defs[0].dev_data_index == 0
    edited = bytearray(data)
    first_dev = rec.chunk.offset + 6 + 3 * len(rec.field_defs) + 1
    edited[first_dev + 2] = 5
    return _refit(edited), rec.chunk.offset


def test_undefined_developer_index_skips_only_that_field():
    edited, at = _undefined_developer_index()
    messages, errors = _sdk(edited)
    assert errors == []  # garmin-fit-sdk skips an undescribed developer field
    act = _both(edited)
    original = read_fit(_source(), name=NAME)
    number = int(original.developer_fields["field_number"].iloc[0])
    lost = original.developer_fields["column"].iloc[0]
    assert act.partial.reason == f"developer field {number} of unknown developer 5"
    assert (act.partial.offset, act.partial.kind, act.partial.consequence) == (
        at,
        "format",
        SKIPPED,
    )
    assert len(act.records) == len(original.records) == len(messages["record_mesgs"])
    assert lost not in act.records and lost in original.records
    kept = [c for c in original.records.columns if c != lost]
    pd.testing.assert_frame_equal(act.records[kept], original.records[kept], check_exact=True)


def test_undefined_developer_index_refused_in_strict_mode():
    edited, at = _undefined_developer_index()
    number = int(read_fit(_source(), name=NAME).developer_fields["field_number"].iloc[0])
    for decoder in DECODERS:
        with pytest.raises(FitFormatError) as info:
            read_fit(edited, name=NAME, decoder=decoder, strict=True)
        assert (
            str(info.value)
            == f"{NAME}: developer field {number} of unknown developer 5 at byte {at}"
        )


def test_truncated_tail_keeps_the_records_before_it():
    data = _source()
    cut = len(data) // 2
    frames = [f for f in _frames(data) if isinstance(f, fitdecode.FitDataMessage)]
    whole = [f for f in frames if f.chunk.offset + len(f.chunk.bytes) <= cut]
    damaged_at = next(f.chunk.offset for f in frames if f.chunk.offset + len(f.chunk.bytes) > cut)
    records = sum(f.global_mesg_num == 20 for f in whole)
    act = _both(data[:cut])
    assert (act.partial.reason, act.partial.offset) == (
        "file ends inside a data message",
        damaged_at,
    )
    assert (act.partial.kind, act.partial.consequence) == ("truncated", CUT)
    assert len(act.records) == records
    messages, errors = _sdk(data[:cut])
    assert errors and len(messages["record_mesgs"]) == records  # the SDK keeps the same
    original = read_fit(data, name=NAME).records
    pd.testing.assert_frame_equal(
        act.records.drop(columns="elapsed_s"),
        original.iloc[:records].drop(columns="elapsed_s"),
        check_exact=True,
    )
    for decoder in DECODERS:
        with pytest.raises(FitTruncatedError) as info:
            read_fit(data[:cut], name=NAME, decoder=decoder, strict=True)
        assert str(info.value) == f"{NAME}: file ends inside a data message at byte {damaged_at}"


def test_bad_crc_keeps_everything_unverified():
    data = bytearray(_source())
    data[-1] ^= 0xFF
    stored = data[-2] | data[-1] << 8
    computed = compute_crc(data, start=0, end=len(data) - 2)
    reason = f"file CRC mismatch (computed 0x{computed:04X}, stored 0x{stored:04X})"
    act = _both(bytes(data))
    assert (act.partial.reason, act.partial.offset) == (reason, len(data) - 2)
    assert (act.partial.kind, act.partial.consequence) == ("crc", UNVERIFIED)
    original = read_fit(_source(), name=NAME)
    pd.testing.assert_frame_equal(act.records, original.records, check_exact=True)
    for decoder in DECODERS:
        with pytest.raises(FitCRCError) as info:
            read_fit(bytes(data), name=NAME, decoder=decoder, strict=True)
        assert str(info.value) == f"{NAME}: {reason} at byte {len(data) - 2}"


@pytest.mark.parametrize("strict", [False, True])
def test_nothing_decodable_fails_in_both_modes(strict):
    data = _source()
    first = _frames(data)[1]  # the file_id definition, right after the header
    cut = first.chunk.offset + 3
    for decoder in DECODERS:
        with pytest.raises(FitTruncatedError) as info:
            read_fit(data[:cut], name=NAME, decoder=decoder, strict=strict)
        assert str(info.value) == (
            f"{NAME}: file ends inside a definition message at byte {first.chunk.offset}"
        )
