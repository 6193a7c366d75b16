"""Fuzzing :func:`analyzer.read_fit` (decoder and contract conversion) with damaged real files.

Four kinds of damage to small corpus files, each drawn by hypothesis: bit flips, truncations,
re-pointed definitions (a definition message given another local message number, so later data
messages are read with the wrong layout) and wrong base types in ``file_id`` (another base type
written in its definition, optionally with drawn value bytes: infinities, huge floats, text).
The header size and CRCs are usually repaired afterwards, so the damage reaches the message walk
and the conversion instead of stopping at the CRC check.

The contract: an Activity, or an AnalyzerError subclass (a decoder's InvalidFitFile carries the
byte offset), within a time and memory bound per file. ``make test`` runs
:data:`EXAMPLES` examples per strategy (a few thousand in all); set ``ANALYZER_FUZZ_EXAMPLES``
for a longer run (e.g. ``ANALYZER_FUZZ_EXAMPLES=20000``).
"""

from __future__ import annotations

import os
import struct
import time
import tracemalloc

import pytest
from conftest import corpus_available
from fitbytes import BASE_SIZE, repair, walk_definitions
from fitcache import payload
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.errors import AnalyzerError, InvalidFitFile
from analyzer.fit.activity import Activity, read_fit

pytestmark = pytest.mark.skipif(not corpus_available(), reason="../shared/fit-corpus is absent")

#: Small real files: running with dynamics, developer fields, compressed timestamps, big-endian
#: messages, non-activity files.
SOURCES = [
    "Activity.fit",
    "garmin-fenix-5-run.fit",
    "compressed-speed-distance.fit",
    "DeveloperData.fit",
    "activity-settings.fit",
    "20130720_run_garmin_forerunner_10.fit",
    "WorkoutRepeatSteps.fit",
]
#: Examples per strategy (four strategies).
EXAMPLES = int(os.environ.get("ANALYZER_FUZZ_EXAMPLES", "500"))
#: Bounds per file of at most a few hundred kB: wall-clock [s] (generous: two cores shared by
#: several test processes) and peak Python allocation [bytes] while decoding and converting.
MAX_SECONDS = 10.0
MAX_PEAK_BYTES = 64 << 20
#: Values that have broken conversions before: inf, NaN, 1e30 as float32/float64, text.
NASTY = [
    struct.pack("<f", float("inf")),
    struct.pack("<f", float("nan")),
    struct.pack("<f", -1e30),
    struct.pack("<d", 1e30),
    struct.pack("<d", float("-inf")),
    b"garmin\x00\x00",
    b"[/]\x1b[2J",
    b"\xff\xfe\xfd\xfc",
]

SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def check(name: str, data: bytes) -> Activity | AnalyzerError:
    """read_fit under the bounds: an Activity or an AnalyzerError, nothing else."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        result = read_fit(data, name=name)
    except AnalyzerError as exc:
        result = exc
        if isinstance(exc, InvalidFitFile):
            assert exc.name == name
            assert exc.offset is not None and 0 <= exc.offset <= len(data), exc
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert time.perf_counter() - start < MAX_SECONDS
    assert peak < MAX_PEAK_BYTES, f"{peak} bytes"
    if isinstance(result, Activity):
        result.runs()  # the per-run split must work too
    return result


def _source(draw) -> tuple[str, bytearray]:
    name = draw(st.sampled_from(SOURCES))
    return name, bytearray(payload(name))


def _finish(draw, data: bytearray) -> bytes:
    return repair(data) if draw(st.integers(0, 4)) else bytes(data)


@st.composite
def bit_flips(draw):
    name, data = _source(draw)
    for _ in range(draw(st.integers(1, 16))):
        i = draw(st.integers(0, len(data) - 1))
        data[i] ^= 1 << draw(st.integers(0, 7))
    return name, _finish(draw, data)


@st.composite
def truncations(draw):
    name, data = _source(draw)
    data = data[: draw(st.integers(0, len(data)))]
    return name, _finish(draw, data)


@st.composite
def repointed_definitions(draw):
    name, data = _source(draw)
    defs = list(walk_definitions(bytes(data)))
    for _ in range(draw(st.integers(1, 3))):
        pos, local, *_ = draw(st.sampled_from(defs))
        new = draw(st.integers(0, 15).filter(lambda n, old=local: n != old))
        data[pos] = (data[pos] & 0xF0) | new
    return name, _finish(draw, data)


@st.composite
def file_id_base_types(draw):
    name, data = _source(draw)
    defs = [d for d in walk_definitions(bytes(data)) if d[2] == 0]
    _, local, fields_at, n, little = draw(st.sampled_from(defs))[1:]
    record_at = fields_at + 3 * n  # the file_id data message follows its definition
    values_at = record_at + 1
    for i in range(n):
        size, base = data[fields_at + 3 * i + 1], data[fields_at + 3 * i + 2]
        if draw(st.booleans()):
            fitting = [b for b, s in BASE_SIZE.items() if size % s == 0]
            data[fields_at + 3 * i + 2] = draw(st.sampled_from(fitting + [base ^ 0x80]))
            if draw(st.booleans()) and data[record_at] == local:
                nasty = draw(st.sampled_from(NASTY))
                raw = (nasty * (size // len(nasty) + 1))[:size]
                data[values_at : values_at + size] = raw
        values_at += size
    return name, _finish(draw, data)


@SETTINGS
@given(bit_flips())
def test_bit_flips_give_an_activity_or_a_project_error(case):
    check(*case)


@SETTINGS
@given(truncations())
def test_truncations_give_an_activity_or_a_project_error(case):
    check(*case)


@SETTINGS
@given(repointed_definitions())
def test_repointed_definitions_give_an_activity_or_a_project_error(case):
    check(*case)


@SETTINGS
@given(file_id_base_types())
def test_file_id_base_types_give_an_activity_or_a_project_error(case):
    check(*case)


def test_file_id_mutation_reaches_the_conversion():
    """The base-type edit reaches the conversion: Activity.fit's manufacturer re-typed as
    uint16z with the value 0 (invalid for a 'z' type) decodes with no manufacturer."""
    data = bytearray(payload("Activity.fit"))
    _, local, fields_at, n, _ = next(d for d in walk_definitions(bytes(data)) if d[2] == 0)[1:]
    values_at = fields_at + 3 * n + 1
    for i in range(n):
        num, size = data[fields_at + 3 * i], data[fields_at + 3 * i + 1]
        if num == 1:  # manufacturer (uint16)
            break
        values_at += size
    else:
        pytest.fail("Activity.fit's file_id has no manufacturer")
    assert size == 2
    data[fields_at + 3 * i + 2] = 0x8B  # uint16z: same size, other invalid value
    data[values_at : values_at + 2] = b"\x00\x00"  # 0 is invalid for a 'z' type
    act = check("Activity.fit", repair(data))
    assert isinstance(act, Activity)
    assert act.meta["manufacturer"] is None
    assert read_fit(payload("Activity.fit")).meta["manufacturer"] is not None
