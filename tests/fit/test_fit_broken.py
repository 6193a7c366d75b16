"""Every broken file of the corpus raises its specific InvalidFitFile subclass, naming the file."""

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
from analyzer.fit.reference import decode

#: What is wrong with each broken corpus file (MANIFEST.md notes and decoder results).
EXPECTED = {
    "activity-filecrc.fit": (FitCRCError, "CRC mismatch"),
    "activity-activity-filecrc.fit": (FitCRCError, "CRC mismatch"),
    "activity-settings-corruptheader.fit": (FitHeaderError, "not a FIT file"),
    "activity-settings-nodata.fit": (FitTruncatedError, "ends early"),
    "activity-unexpected-eof.fit": (FitTruncatedError, "ends early"),
    "nick.fit": (FitTruncatedError, "ends early"),
    "strava-android-app-201.10-b1218918.fit": (FitFormatError, "invalid local message type 11"),
    "coros-pace-2-cycling-misaligned-fields.fit": (FitFormatError, "Invalid field size 1"),
    "empty-activities.fit": (FitCRCError, "CRC mismatch"),
    "empty-sessions.fit": (FitHeaderError, "empty file"),
}
BROKEN = [e["file"] for e in entries(*BROKEN_CATEGORIES)]


def test_every_broken_file_is_listed(manifest):
    assert sorted(BROKEN) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_file_raises_specific_error(name, corpus_dir):
    cls, words = EXPECTED[name]
    with pytest.raises(cls) as info:
        read_fit(payload(name), name=name, decoder="fitparse")
    err = info.value
    assert isinstance(err, InvalidFitFile)
    assert err.name == name and str(err).startswith(f"{name}: ")
    assert words in str(err)
    assert "\n" not in str(err)


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


def test_truncating_a_good_file_is_a_truncation(corpus_dir):
    data = payload("garmin-fenix-5-run.fit")
    with pytest.raises(FitTruncatedError, match="garmin-fenix-5-run.fit"):
        decode(data[: len(data) // 2], "garmin-fenix-5-run.fit")
    flipped = bytearray(data)
    flipped[-1] ^= 0xFF
    with pytest.raises(FitCRCError):
        decode(bytes(flipped), "flipped.fit")
