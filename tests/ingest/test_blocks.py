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
from analyzer.metrics.averages import run_averages
from analyzer.metrics.gait import summary_json
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


def _same_block(a: Block, b: Block) -> None:
    assert (a.n, a.tz, list(a.columns)) == (b.n, b.tz, list(b.columns))
    for k, v in a.columns.items():
        assert v.dtype == b.columns[k].dtype, k
        assert v.dtype == object or not v.flags.writeable, k  # (views of the run's arrays)
        np.testing.assert_array_equal(v, b.columns[k])


@pytest.mark.parametrize(
    "name", ["MultiSport-2019-11-24.fit", "garmin-runPower.fit", "mornindew-broken.fit"]
)
def test_a_runs_arrays_give_the_blocks_and_metrics_of_its_tables(name):
    # The worker reads a FIT run's arrays and never builds its tables.
    act = read_fit(payload(name), name=name)
    runs = act.runs()
    assert runs
    for run in runs:
        records = Block.from_columns(run.record_columns, skip=("record_index",))
        _same_block(records, Block.from_frame(run.records, skip=("record_index",)))
        laps = Block.from_columns(run.lap_columns, skip=("lap_index",))
        _same_block(laps, Block.from_frame(run.laps, skip=("lap_index",)))
        who = {"manufacturer": act.meta["manufacturer"], "product": act.meta["product"]}
        want = run_averages(run.records, run.session, **who)
        got = run_averages(records, run.session, **who)
        assert got.keys() == want.keys()
        assert all(got[k] == want[k] or got[k] != got[k] and want[k] != want[k] for k in got)
        source = act.meta["dynamics_source"]
        assert summary_json(records, source) == summary_json(run.records, source)


def test_columns_that_are_not_plain_arrays_make_the_block_through_a_frame():
    t = pd.date_range("2026-01-01", periods=3, freq="s", tz="UTC").array
    cols = {"timestamp": t, "speed_mps": np.array([1.0, np.nan, 3.0]), "label": ["a", None, 1]}
    _same_block(Block.from_columns(cols), Block.from_frame(pd.DataFrame(cols)))
    assert len(Block.from_columns({})) == len(Block.from_columns({"x": np.zeros(0)})) == 0
