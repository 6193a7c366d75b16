"""A read-only Store computes what a writer would store (stale averages, missing gait
summaries) for itself and writes nothing: a real DuckDB file, real sample FIT files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from analyzer import import_paths
from analyzer.errors import StoreError
from analyzer.store.database import Store

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


@pytest.fixture
def store(tmp_path) -> Path:
    files = sorted((SAMPLE / "balanced").glob("*.fit"))[:2]
    if len(files) < 2:
        pytest.skip("sample_data/ is missing: regenerate it with `make sample-data`")
    for f in files:
        shutil.copy(f, tmp_path / f.name)
    path = tmp_path / "s.duckdb"
    with Store(path) as s:
        import_paths(s, [tmp_path], athlete="bob", workers=1)
    return path


def _stored(path: Path) -> pd.DataFrame:
    with Store(path) as s:
        return s.con.execute(
            "SELECT run_id, avg_version, avg_cadence_spm FROM runs ORDER BY run_id"
        ).df()


def test_stale_averages_are_recomputed_without_writing(store):
    fresh = _stored(store)
    with Store(store) as s:  # as if another version of the averages had written them
        s.con.execute("UPDATE runs SET avg_version = 'old', avg_cadence_spm = 0")
        s.con.execute("DELETE FROM gait_cache")
    with Store(store, read_only=True) as s:
        runs = s.runs().sort_values("run_id")
        gait = s.gait("bob")
    assert runs["avg_cadence_spm"].tolist() == pytest.approx(fresh["avg_cadence_spm"].tolist())
    assert gait["cadence_median_spm"].between(140, 220).all()
    after = _stored(store)
    assert set(after["avg_version"]) == {"old"} and set(after["avg_cadence_spm"]) == {0}
    with Store(store) as s:
        assert s.con.execute("SELECT count(*) FROM gait_cache").fetchone()[0] == 0


def test_read_only_needs_an_existing_store(tmp_path):
    with pytest.raises(StoreError, match="cannot open the store"):
        Store(tmp_path / "none.duckdb", read_only=True)
    assert not (tmp_path / "none.duckdb").exists()
