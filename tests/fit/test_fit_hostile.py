"""file_id fields written with unexpected base types (files no SDK writes, built byte by byte).

The contract of :func:`analyzer.read_fit`: a decoded Activity or an AnalyzerError subclass,
nothing else. A field whose base type cannot hold the profile's value (a product name as a
number, a manufacturer as a string or an infinite float, a creation time of 1e30 s) is read as
absent; the records are unaffected.
"""

from __future__ import annotations

import struct

import pytest
from fitbytes import ENUM, FLOAT32, FLOAT64, STRING, UINT16, running_file

from analyzer.fit.activity import read_fit

ACTIVITY = (0, ENUM, b"\x04")  # file_id.type = activity
GARMIN = (1, UINT16, struct.pack("<H", 1))

CASES = {
    # case: (file_id fields, expected (file_type, manufacturer, product, serial, time_created))
    "product name as uint16": (
        [ACTIVITY, GARMIN, (8, UINT16, struct.pack("<H", 77))],
        ("activity", "garmin", None, None, None),
    ),
    "manufacturer as string": (
        [ACTIVITY, (1, STRING, b"garmin\x00\x00"), (2, UINT16, struct.pack("<H", 9))],
        ("activity", None, "9", None, None),
    ),
    "serial number as string": (
        [ACTIVITY, GARMIN, (3, STRING, b"abc\x00")],
        ("activity", "garmin", None, None, None),
    ),
    "type as string": ([(0, STRING, b"act\x00"), GARMIN], ("unknown", "garmin", None, None, None)),
    "manufacturer float32 inf": (
        [ACTIVITY, (1, FLOAT32, struct.pack("<f", float("inf")))],
        ("activity", None, None, None, None),
    ),
    "time_created float64 1e30": (
        [ACTIVITY, GARMIN, (4, FLOAT64, struct.pack("<d", 1e30))],
        ("activity", "garmin", None, None, None),
    ),
    "product name as a string of digits stays": (
        [ACTIVITY, (1, UINT16, struct.pack("<H", 255)), (8, STRING, b"  Pod [x]\x00")],
        ("activity", "development", "Pod [x]", None, None),
    ),
}


@pytest.mark.parametrize("decoder", ["fast", "fitparse"])
@pytest.mark.parametrize("case", list(CASES))
def test_file_id_with_unexpected_base_types_decodes(case, decoder):
    fields, (file_type, manufacturer, product, serial, created) = CASES[case]
    act = read_fit(running_file(fields), name=case, decoder=decoder)
    assert act.file_type == file_type
    meta = act.meta
    got = (meta["manufacturer"], meta["product"], meta["serial_number"], meta["time_created"])
    assert got == (manufacturer, product, serial, created)
    (run,) = act.runs()
    assert run.records["cadence_spm"].tolist() == [170.0, 170.0, 170.0]
    assert run.records["speed_mps"].tolist() == [3.0, 3.0, 3.0]


def test_a_valid_file_id_is_read_as_before():
    fields = [
        ACTIVITY,
        GARMIN,
        (2, UINT16, struct.pack("<H", 2697)),  # fenix 5 (garmin_product 2697)
        (3, 0x8C, struct.pack("<I", 3_900_000_001)),
        (4, 0x86, struct.pack("<I", 1_100_000_000)),
    ]
    meta = read_fit(running_file(fields), name="ok").meta
    assert meta["manufacturer"] == "garmin"
    assert meta["product"] == "fenix5"
    assert meta["serial_number"] == 3_900_000_001
    assert str(meta["time_created"]) == "2024-11-08 11:33:20+00:00"
