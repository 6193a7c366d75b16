"""Records as Parquet parts beside the store (:mod:`analyzer.store.recordparts`): a store of the
previous format (records in a table) is migrated once and reads the same; deleting a run
removes its part; orphan parts are swept; a copied store (file and folder) reads the same."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from analyzer import import_paths
from analyzer.cli import main
from analyzer.store import recordparts
from analyzer.store.database import Store

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "balanced"


@pytest.fixture
def store(tmp_path) -> Path:
    path = tmp_path / "s.duckdb"
    with Store(path) as st:
        import_paths(st, [SAMPLE], workers=1)
    return path


def _records(path: Path) -> dict[str, pd.DataFrame]:
    with Store(path, read_only=True) as st:
        return {r: st.records(r) for r in st.runs()["run_id"]}


def _files(path: Path) -> set[str]:
    return {f.name for f in recordparts.folder_of(path).iterdir()}


def test_previous_format_is_migrated_once(store, capsys, caplog):
    assert main(["runs", "--json", "--store", str(store)]) == 0
    before_runs = json.loads(capsys.readouterr().out)
    before = _records(store)
    folder = recordparts.folder_of(store)
    con = duckdb.connect(str(store))  # as the previous version kept them: one table
    con.execute(
        "CREATE TABLE records AS SELECT p.run_key, t.* EXCLUDE (run_id) FROM read_parquet("
        f"'{folder}/*.parquet', union_by_name = true) t JOIN record_parts p USING (run_id)"
    )
    con.execute("DROP TABLE record_parts")
    con.close()
    shutil.rmtree(folder)
    with caplog.at_level("WARNING", logger="analyzer"):
        assert main(["runs", "--json", "--store", str(store)]) == 0
    said = [r.getMessage() for r in caplog.records if "Upgraded" in r.getMessage()]
    assert len(said) == 1 and f"records of {len(before)} runs moved" in said[0]
    assert json.loads(capsys.readouterr().out) == before_runs
    after = _records(store)
    assert after.keys() == before.keys()
    for run_id, df in before.items():
        pd.testing.assert_frame_equal(after[run_id], df)
    caplog.clear()
    with caplog.at_level("WARNING", logger="analyzer"):
        assert main(["runs", "--json", "--store", str(store)]) == 0
    assert not [r for r in caplog.records if "Upgraded" in r.getMessage()]  # once
    with Store(store, read_only=True) as st:
        tables = st.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
        ).fetchall()
    assert ("records",) not in tables


def test_deleting_a_run_removes_its_part(store):
    before = _records(store)
    run_id = sorted(before)[0]
    part = recordparts.part_name(run_id)
    assert part in _files(store)
    with Store(store) as st:
        gone = st.delete_run(run_id)
        assert gone.records == len(before[run_id])
        sql = "SELECT count(*) FROM record_parts WHERE run_id = ?"
        assert st.con.execute(sql, [run_id]).fetchone() == (0,)
        (left,) = st.con.execute("SELECT count(*) FROM records").fetchone()
    assert part not in _files(store)
    after = _records(store)
    assert set(after) == set(before) - {run_id}
    for r, df in after.items():
        pd.testing.assert_frame_equal(df, before[r])
    assert left == sum(len(df) for df in after.values())
    with Store(store) as st:  # the file imports again, with its records
        report = import_paths(st, [SAMPLE], workers=1)
        assert report.imported == 1
    pd.testing.assert_frame_equal(_records(store)[run_id], before[run_id])


def test_orphan_parts_are_swept_on_a_write_open(store):
    folder = recordparts.folder_of(store)
    stray = folder / recordparts.part_name("nobody:0")
    shutil.copy(next(folder.glob("run-*.parquet")), stray)
    half = folder / (recordparts.part_name("crashed:0") + ".tmp")
    half.write_bytes(b"x")
    (folder / "notes.txt").write_text("not ours")  # a file the store did not write
    n = len(_records(store))
    with Store(store, read_only=True) as st:  # a reader removes nothing, sees nothing extra
        (rows,) = st.con.execute("SELECT count(DISTINCT run_key) FROM records").fetchone()
    assert rows == n and stray.exists()
    Store(store).close()
    assert not stray.exists() and not half.exists()
    with Store(store) as st:
        st.delete_athlete(st.athletes()[0])
    assert _files(store) == {recordparts.SCHEMA_PART, "notes.txt"}  # only what it wrote goes


def test_a_copied_store_reads_the_same(store, tmp_path):
    before = _records(store)
    dst = tmp_path / "elsewhere" / "copy.duckdb"
    dst.parent.mkdir()
    shutil.copy(store, dst)
    shutil.copytree(recordparts.folder_of(store), recordparts.folder_of(dst))
    after = _records(dst)
    assert after.keys() == before.keys()
    for run_id, df in before.items():
        pd.testing.assert_frame_equal(after[run_id], df)
    with Store(dst) as st:  # and it opens for writing, keeping every part
        assert len(st.runs()) == len(before)
    assert len(_files(dst)) == len(before) + 1


def test_the_records_view_survives_lending_the_file_to_readers(store):
    n = sum(len(df) for df in _records(store).values())
    with Store(store) as st:
        st.lend()  # (what the CLI's import does between batches)
        with Store(store, read_only=True) as reader:
            assert reader.con.execute("SELECT count(*) FROM records").fetchone() == (n,)
        assert st.con.execute("SELECT count(*) FROM records").fetchone() == (n,)


def test_a_store_in_a_folder_named_like_a_glob(tmp_path):
    """DuckDB reads file patterns: a store whose path holds ``* ? [ ]`` still reads its own
    parts, and only those (a neighbour matching the pattern is not read)."""
    odd = tmp_path / "runs[2024] *" / "it's*.duckdb"  # (DuckDB opens no path with "?")
    odd.parent.mkdir()
    with Store(odd) as st:
        import_paths(st, [SAMPLE], workers=1)
    twin = tmp_path / "runs[2024] *" / "it's-other.duckdb"  # what "it's*" would also match
    with Store(twin) as st:
        import_paths(st, [SAMPLE], workers=1)
    with Store(odd, read_only=True) as st:
        runs = st.runs()
        n = sum(len(st.records(r)) for r in runs["run_id"])
        assert n > 0
        assert st.con.execute("SELECT count(*) FROM records").fetchone() == (n,)
        (files,) = st.con.execute("SELECT count(DISTINCT run_key) FROM records").fetchone()
    assert files == len(runs)
