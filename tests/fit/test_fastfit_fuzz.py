"""Fuzzing analyzer.fit.fast with damaged real files (hypothesis).

Byte flips, truncations and splices of small corpus files, optionally with the header size and
CRCs patched afterwards so the damage gets past the CRC check and into the message walker and
the column decoder. The fast path must return FitMessages or raise one of the project's own
errors (never an internal error, never a crash), within a bounded time.
"""

from __future__ import annotations

import time

import pandas as pd
import pytest
from conftest import corpus_available
from fitbytes import repair
from fitcache import payload
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.errors import AnalyzerError, DecoderDeclined, InvalidFitFile
from analyzer.fit import fast as fastfit
from analyzer.fit.reference import decode as fitparse_decode

pytestmark = pytest.mark.skipif(not corpus_available(), reason="../shared/fit-corpus is absent")

#: Small real files covering compressed timestamps, developer fields, chained files, both
#: byte orders and several message layouts.
SOURCES = [
    "Activity.fit",
    "garmin-fenix-5-run.fit",
    "compressed-speed-distance.fit",
    "antfs-dump.63.fit",
    "DeveloperData.fit",
    "activity-settings.fit",
    "Settings.fit",
    "garmin-fenix-5-bike.fit",
    "WorkoutRepeatSteps.fit",
]
#: Wall-clock bound per decode of these few-kB payloads [s] (generous: shared CI machines).
MAX_SECONDS = 5.0


@st.composite
def damaged(draw) -> tuple[str, bytes]:
    name = draw(st.sampled_from(SOURCES))
    data = bytearray(payload(name))
    how = draw(st.sampled_from(["flip", "truncate", "splice", "flip+truncate"]))
    if "flip" in how:
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, len(data) - 1))
            data[i] ^= draw(st.integers(1, 255))
    if "truncate" in how:
        data = data[: draw(st.integers(0, len(data)))]
    if how == "splice":
        other = payload(draw(st.sampled_from(SOURCES)))
        a = draw(st.integers(0, len(other)))
        b = draw(st.integers(a, min(len(other), a + 600)))
        at = draw(st.integers(0, len(data)))
        cut = draw(st.integers(0, 64))
        data[at : at + cut] = other[a:b]
    if draw(st.booleans()):
        return name, repair(data)
    return name, bytes(data)


def _check(name: str, data: bytes) -> object:
    start = time.perf_counter()
    try:
        result = fastfit.decode(data, name)
    except DecoderDeclined as exc:
        assert not exc.reason.startswith("internal error"), exc.reason
        result = exc
    except InvalidFitFile as exc:
        assert exc.name == name
        assert exc.offset is not None and 0 <= exc.offset <= len(data)
        result = exc
    else:
        for table in result.tables.values():
            assert isinstance(table, pd.DataFrame)
    assert time.perf_counter() - start < MAX_SECONDS
    return result


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged())
def test_damaged_files_raise_only_project_errors(case):
    name, data = case
    _check(name, data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged())
def test_damaged_files_agree_with_fitparse_when_both_read_them(case):
    """Where fitparse reads a damaged file, the fast path gives the same tables, or declines and
    the automatic fall-back does."""
    name, data = case
    fast = _check(name, data)
    try:
        ref = fitparse_decode(data, name)
    except AnalyzerError as exc:
        ref = exc
    if isinstance(fast, DecoderDeclined):
        # what a user gets is the automatic fall-back: it must read what fitparse reads; where
        # fitparse refuses, it may keep what precedes the damage (analyzer.fit.recover), and
        # then says so (a partial read)
        from analyzer.fit.activity import decode

        try:
            fast = decode(data, name, decoder="auto")
        except AnalyzerError as exc:
            fast = exc
        if isinstance(ref, InvalidFitFile) and not isinstance(fast, Exception):
            assert fast.partial is not None, "fall-back read a file fitparse refuses, silently"
            return
    if isinstance(ref, InvalidFitFile):
        assert isinstance(fast, InvalidFitFile), f"fitparse: {ref!r}; fast read it"
        return
    assert not isinstance(fast, Exception), f"fast: {fast!r}; fitparse read it"
    assert sorted(fast.tables) == sorted(ref.tables)
    for num, table in ref.tables.items():
        pd.testing.assert_frame_equal(fast.tables[num], table, check_exact=True)


def test_every_truncation_of_a_small_file():
    """Exhaustive: each prefix of a real file is either a FitMessages or a project error."""
    data = payload("garmin-fenix-5-run.fit")
    for cut in range(0, len(data), 7):
        _check("cut", data[:cut])


def test_reads_only_the_bytes_it_is_given():
    """A view cut short of a file, with the rest of the file right behind it in memory."""
    data = payload("garmin-fenix-5-run.fit")
    memory = bytearray(data + data)
    for cut in (len(data) - 2, len(data) - 40, 300):
        result = _check("view", memoryview(memory)[:cut])
        assert isinstance(result, InvalidFitFile), cut
    assert not isinstance(_check("view", memoryview(memory)[: len(data)]), Exception)
