"""The broken files of the corpus: read in part by default, refused in strict mode.

By default a damaged file keeps the messages before the damage (as garmin-fit-sdk's
``Decoder.read()`` does) and says where and why (:attr:`Activity.partial`); a file with nothing
decodable still fails. ``strict=True`` raises the damage's specific InvalidFitFile subclass.
"""

from __future__ import annotations

import pytest
from fitcache import BROKEN_CATEGORIES, entries, payload

from analyzer.errors import (
    FitCRCError,
    FitFormatError,
    FitHeaderError,
    FitTruncatedError,
    InvalidFitFile,
)
from analyzer.fit.activity import read_fit
from analyzer.fit.recover import CUT, UNVERIFIED
from analyzer.fit.reference import decode

#: What is wrong with each damaged corpus file: (error class, reason, byte offset, consequence).
#: The offsets agree with fitdecode's (769, 1540, 771, 7471) where it names one.
PARTIAL = {
    "activity-filecrc.fit": (
        FitCRCError,
        "file CRC mismatch (computed 0xA1D5, stored 0xB1D5)",
        769,
        UNVERIFIED,
    ),
    "activity-activity-filecrc.fit": (
        FitCRCError,
        "file CRC mismatch (computed 0xA1D5, stored 0xB1D5)",
        1540,
        UNVERIFIED,
    ),
    "activity-settings-corruptheader.fit": (
        FitHeaderError,
        "no '.FIT' signature in the header, not a FIT file",
        771,
        CUT,
    ),
    "activity-settings-nodata.fit": (
        FitTruncatedError,
        "file ends inside a definition message",
        783,
        CUT,
    ),
    "activity-unexpected-eof.fit": (
        FitTruncatedError,
        "file ends inside a data message",
        751,
        CUT,
    ),
    "nick.fit": (FitTruncatedError, "file ends inside a data message", 403437, CUT),
    "strava-android-app-201.10-b1218918.fit": (
        FitFormatError,
        "data message of undefined local message type 11",
        7471,
        CUT,
    ),
}
#: Files with nothing decodable: they fail in both modes.
FAILING = {
    "empty-activities.fit": (FitCRCError, "file CRC mismatch (computed 0x29D8, stored 0x0040)"),
    "empty-sessions.fit": (FitHeaderError, "empty file (0 bytes), not a FIT file"),
}
#: Read whole in both modes, with a note (garmin-fit-sdk and fitdecode read all 11,272 records).
WHOLE = {
    "coros-pace-2-cycling-misaligned-fields.fit": [
        "field 3 of message 21 read as bytes (size 1 is not a multiple of uint32)"
    ]
}
BROKEN = [e["file"] for e in entries(*BROKEN_CATEGORIES)]
DECODERS = ("fast", "fitparse")


def _sdk_records(name: str) -> int:
    """Records garmin-fit-sdk read from the file (the corpus manifest's decoder survey)."""
    entry = next(e for e in entries(*BROKEN_CATEGORIES) if e["file"] == name)
    return entry["decode"]["garmin_fit_sdk"]["records"]


def test_every_broken_file_is_listed(manifest):
    assert sorted(BROKEN) == sorted([*PARTIAL, *FAILING, *WHOLE])


@pytest.mark.parametrize("decoder", DECODERS)
@pytest.mark.parametrize("name", sorted(PARTIAL))
def test_damaged_file_keeps_what_precedes_the_damage(name, decoder, corpus_dir):
    cls, reason, offset, consequence = PARTIAL[name]
    act = read_fit(payload(name), name=name, decoder=decoder)
    assert act.partial is not None
    assert (act.partial.reason, act.partial.offset) == (reason, offset)
    assert act.partial.kind == cls.kind and act.partial.consequence == consequence
    assert str(act.partial) == f"{reason} at byte {offset}; {consequence}"
    # What garmin-fit-sdk's Decoder.read() returns before its error, record for record.
    assert len(act.records) == _sdk_records(name)


@pytest.mark.parametrize("decoder", DECODERS)
@pytest.mark.parametrize("name", sorted(PARTIAL))
def test_strict_mode_refuses_a_damaged_file(name, decoder, corpus_dir):
    cls, reason, offset, _ = PARTIAL[name]
    with pytest.raises(cls) as info:
        read_fit(payload(name), name=name, decoder=decoder, strict=True)
    err = info.value
    assert str(err) == f"{name}: {reason} at byte {offset}"
    assert (err.name, err.offset) == (name, offset)


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("decoder", DECODERS)
@pytest.mark.parametrize("name", sorted(FAILING))
def test_nothing_decodable_still_fails(name, decoder, strict, corpus_dir):
    cls, reason = FAILING[name]
    with pytest.raises(cls) as info:
        read_fit(payload(name), name=name, decoder=decoder, strict=strict)
    assert isinstance(info.value, InvalidFitFile)
    assert str(info.value).startswith(f"{name}: {reason} at byte ")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("decoder", DECODERS)
@pytest.mark.parametrize("name", sorted(WHOLE))
def test_misaligned_fields_are_read_as_bytes(name, decoder, strict, corpus_dir):
    act = read_fit(payload(name), name=name, decoder=decoder, strict=strict)
    assert act.partial is None
    assert act.notes == WHOLE[name]
    assert len(act.records) == _sdk_records(name) == 11272


@pytest.mark.parametrize(
    "data, cls",
    [
        (b"", FitHeaderError),
        (b"\x0e\x10", FitHeaderError),
        (b"\x0c\x10\x00\x00\x10\x00\x00\x00NOPE", FitHeaderError),
    ],
)
def test_short_and_non_fit_payloads(data, cls):
    with pytest.raises(cls, match="^x.fit: "):
        decode(data, "x.fit")
    with pytest.raises(cls, match="^x.fit: "):
        read_fit(data, name="x.fit")


def test_truncating_a_good_file_is_a_truncation(corpus_dir):
    data = payload("garmin-fenix-5-run.fit")
    with pytest.raises(FitTruncatedError, match="garmin-fenix-5-run.fit"):
        decode(data[: len(data) // 2], "garmin-fenix-5-run.fit")
    flipped = bytearray(data)
    flipped[-1] ^= 0xFF
    with pytest.raises(FitCRCError):
        decode(bytes(flipped), "flipped.fit")
