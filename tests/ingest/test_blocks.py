"""The columnar worker → writer hand-off round-trips every corpus run exactly.

Each run's records and laps, decoded by the worker into :class:`Block` s and pickled as they
travel between processes, come back equal (values, dtypes, column order) to what
``read_fit`` gives.
"""

from __future__ import annotations

import hashlib
import pickle

import numpy as np
import pandas as pd
import pytest
from fitcache import RUN_CATEGORIES, entries, payload

from analyzer.fit.activity import read_fit
from analyzer.ingest.worker import decode_payload
from analyzer.store.blocks import DROPPED, Block

RUN_FILES = [e["file"] for e in entries(*RUN_CATEGORIES, "walk_dynamics", "edge")]


def _expected(df: pd.DataFrame, index_col: str) -> pd.DataFrame:
    keep = [c for c in df.columns if isinstance(c, str) and c and c not in DROPPED | {index_col}]
    return df[keep].reset_index(drop=True)


@pytest.mark.slow
@pytest.mark.parametrize("name", RUN_FILES)
def test_blocks_round_trip_the_records_of_read_fit(name):
    data = payload(name)
    act = read_fit(data, name=name)
    dec = decode_payload(data, name, hashlib.sha256(data).hexdigest())
    assert dec.reason is None
    wire = pickle.loads(pickle.dumps(dec))  # what crosses the process boundary
    runs = list(act.runs())
    assert [r.run_id for r in wire.runs] == [r.run_id for r in runs]
    for got, want in zip(wire.runs, runs, strict=True):
        assert isinstance(got.records, Block) and len(got.records) == len(want.records)
        pd.testing.assert_frame_equal(
            got.records.to_frame(), _expected(want.records, "record_index"), check_exact=True
        )
        if len(want.laps):
            pd.testing.assert_frame_equal(
                got.laps.to_frame(), _expected(want.laps, "lap_index"), check_exact=True
            )


def test_block_keeps_types_and_marks_missing_columns():
    t = pd.date_range("2026-01-01", periods=3, freq="s", tz="Europe/Paris")
    df = pd.DataFrame(
        {
            "timestamp": t,
            "speed_mps": [1.0, np.nan, 3.0],
            "count": np.array([1, 2, 3], dtype=np.int64),
            "label": ["a", None, ["x", 1]],
            "session_index": 0,
        }
    )
    b = pickle.loads(pickle.dumps(Block.from_frame(df)))
    assert list(b.columns) == ["timestamp", "speed_mps", "count", "label"]
    assert b.columns["timestamp"].dtype.kind == "M"  # naive UTC in the block
    assert b.columns["timestamp"][0] == np.datetime64("2025-12-31T23:00:00")
    assert list(b.columns["label"]) == ["a", None, '["x", 1]']
    back = b.to_frame()
    assert back["timestamp"].dt.tz is not None
    assert (back["timestamp"] == t.tz_convert("UTC")).all()
    assert b.has_values("speed_mps") and not b.has_values("nothing_here")
    assert b.count_values(["speed_mps", "count", "label", "nothing_here"]) == 3
    empty = Block.from_frame(df.iloc[0:0])
    assert len(empty) == 0 and not empty.has_values("speed_mps")
