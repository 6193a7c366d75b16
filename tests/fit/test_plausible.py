"""Absurd per-sample values are masked in the contract conversion and counted: in the
activity metadata, the import log and the report's data-quality notes."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest
from fitbytes import ENUM, UINT8, UINT16, running_file

from analyzer.cli import main
from analyzer.fit.activity import read_fit
from analyzer.fit.plausible import RANGES, mask_implausible
from analyzer.store.database import Store

FILE_ID = [(0, ENUM, b"\x04"), (1, UINT16, struct.pack("<H", 1))]


def _record(speed_mps: float, cadence_per_foot: int, balance_pct: float, gct_ms: float):
    return [
        (6, UINT16, struct.pack("<H", round(speed_mps * 1000))),
        (4, UINT8, bytes([cadence_per_foot])),
        (84, UINT16, struct.pack("<H", round(balance_pct * 100))),
        (41, UINT16, struct.pack("<H", round(gct_ms * 10))),
    ]


#: speed 65 m/s, cadence 508 steps/min, balance 1 % and 99 %, contact 5 ms: all absurd.
RECORDS = [
    _record(3.0, 85, 50.5, 250),
    _record(65.0, 85, 50.5, 250),
    _record(3.0, 254, 50.5, 250),
    _record(3.0, 85, 1.0, 250),
    _record(3.0, 85, 99.0, 5),
    _record(3.1, 86, 49.5, 240),
]
MASKED = {"cadence_spm": 1, "gct_balance_left_pct": 2, "speed_mps": 1, "stance_time_ms": 1}


def _nan_list(values) -> list:
    return [None if math.isnan(v) else v for v in values]


@pytest.mark.parametrize("decoder", ["fast", "fitparse"])
def test_absurd_samples_are_masked_and_counted(decoder):
    act = read_fit(running_file(FILE_ID, RECORDS), name="absurd.fit", decoder=decoder)
    rec = act.records
    assert _nan_list(rec["speed_mps"]) == [3.0, None, 3.0, 3.0, 3.0, 3.1]
    assert _nan_list(rec["cadence_spm"]) == [170.0, 170.0, None, 170.0, 170.0, 172.0]
    assert _nan_list(rec["gct_balance_left_pct"]) == [50.5, 50.5, 50.5, None, None, 49.5]
    assert _nan_list(rec["stance_time_ms"]) == [250.0, 250.0, 250.0, 250.0, None, 240.0]
    assert act.meta["masked_samples"] == MASKED


def test_plausible_file_masks_nothing():
    act = read_fit(running_file(FILE_ID), name="ok.fit")
    assert act.meta["masked_samples"] == {}


def test_speed_is_checked_on_foot_sports_only():
    cols = {"speed_mps": np.array([20.0, 20.0]), "heart_rate_bpm": np.array([300.0, 60.0])}
    counts = mask_implausible(cols, np.array([True, False]))
    assert counts == {"speed_mps": 1, "heart_rate_bpm": 1}
    assert _nan_list(cols["speed_mps"]) == [None, 20.0]
    assert _nan_list(cols["heart_rate_bpm"]) == [None, 60.0]


def test_bounds_are_inclusive():
    for column, (low, high) in RANGES.items():
        cols = {column: np.array([low, high, np.nextafter(high, np.inf)])}
        assert mask_implausible(cols, np.ones(3, dtype=bool)) == {column: 1}, column


def test_import_log_and_report_notes_count_masked_samples(tmp_path, capsys):
    path = tmp_path / "absurd.fit"
    path.write_bytes(running_file(FILE_ID, RECORDS))
    store = tmp_path / "s.duckdb"
    assert main(["import", str(path), "--store", str(store), "--workers", "1"]) == 0
    capsys.readouterr()
    with Store(store) as s:
        (detail,) = s.import_log()["detail"].tolist()
        assert detail == (
            "1 run, 6 records; 5 implausible samples masked (cadence_spm 1, "
            "gct_balance_left_pct 2, speed_mps 1, stance_time_ms 1)"
        )
        assert s.masked_samples() == MASKED
        from analyzer import report

        data = report.build(s, None)
    quality = data["data_quality"]
    assert quality["masked_samples"] == MASKED
    assert (
        "5 record values outside physiological ranges (e.g. faster than the sprint world "
        "record, a cadence above 300 steps/min) were left out: cadence 1, GCT balance 2, "
        "speed 1, ground contact time 1."
    ) in quality["notes"]
