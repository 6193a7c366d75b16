"""Damaged and foreign store files, and a disk that fills up during an import: each gives one
``Error:`` line naming the file and what to do (through the real CLI), nothing is accepted
silently, and an import stopped by a full disk finishes when run again."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from analyzer import import_paths
from analyzer.cli import main
from analyzer.errors import StoreError
from analyzer.store.database import Store

REPO = Path(__file__).resolve().parents[2]
RUNS = REPO / "sample_data" / "balanced"
HINT = "restore it or import again into a new one"


def _one_error(capsys, *argv) -> str:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert code == 1, (out, err)
    assert err.count("\n") == 1 and err.startswith("Error: "), err
    return err


@pytest.fixture(scope="module")
def good_store(tmp_path_factory) -> Path:
    """A real store with three runs, copied by each test that damages it."""
    path = tmp_path_factory.mktemp("good") / "s.duckdb"
    files = sorted(RUNS.glob("*.fit"))[:3]
    with Store(path) as store:
        report = import_paths(store, files, workers=1)
        assert report.imported == 3
        store.gait()  # fill the gait cache
    return path


def _copy(src: Path, tmp_path: Path) -> Path:
    """A copy of the store: its file and its records folder (``<file>.records``)."""
    dst = tmp_path / "s.duckdb"
    dst.write_bytes(src.read_bytes())
    shutil.copytree(src.with_name(src.name + ".records"), dst.with_name(dst.name + ".records"))
    return dst


def _sql(path: Path, *statements: str) -> None:
    con = duckdb.connect(str(path))
    for stmt in statements:
        con.execute(stmt)
    con.close()


def test_a_database_with_its_own_runs_table(tmp_path, capsys):
    path = tmp_path / "other.duckdb"
    _sql(path, "CREATE TABLE runs (x INTEGER)", "INSERT INTO runs VALUES (1)")
    err = _one_error(capsys, "runs", "--store", path)
    assert err == (
        f"Error: {path}: not an analyzer store (it holds other tables: runs); pass a new file "
        "with --store\n"
    )
    # nothing was created in it
    con = duckdb.connect(str(path))
    assert con.execute("SELECT table_name FROM information_schema.tables").fetchall() == [("runs",)]
    con.close()


def test_import_into_a_foreign_database_is_refused(tmp_path, capsys):
    path = tmp_path / "other.duckdb"
    _sql(path, "CREATE TABLE runs (x INTEGER)")
    err = _one_error(capsys, "import", RUNS, "--store", path)
    assert err.startswith(f"Error: {path}: not an analyzer store (it holds other tables: runs)")


def test_a_store_lacking_a_column(good_store, tmp_path, capsys):
    path = _copy(good_store, tmp_path)
    _sql(path, "ALTER TABLE runs DROP COLUMN device")
    err = _one_error(capsys, "runs", "--store", path)
    assert err == f"Error: {path}: damaged: table runs lacks column(s) device; {HINT}\n"


def test_a_store_without_its_schema_version_row(good_store, tmp_path, capsys):
    path = _copy(good_store, tmp_path)
    _sql(path, "DELETE FROM store_meta")
    err = _one_error(capsys, "runs", "--store", path)
    assert err == f"Error: {path}: damaged: its schema-version row is missing; {HINT}\n"


def test_corrupt_gait_cache_is_recomputed(good_store, tmp_path, capsys):
    path = _copy(good_store, tmp_path)
    with Store(path) as store:
        expected = store.gait()
    _sql(path, "UPDATE gait_cache SET summary_json = '{not json'")
    code = main(["runs", "--json", "--store", str(path)])
    assert code == 0
    capsys.readouterr()
    with Store(path) as store:
        again = store.gait()
        texts = [t for (t,) in store.con.execute("SELECT summary_json FROM gait_cache").fetchall()]
    assert again.equals(expected)
    assert all(t.startswith("{") and "not json" not in t for t in texts)


def test_corrupt_session_json_is_damage(good_store, tmp_path, capsys):
    path = _copy(good_store, tmp_path)
    # stale averages make the store re-read the stored sessions
    _sql(path, "UPDATE runs SET session_json = '{\"start_time\": ', avg_version = 'old'")
    err = _one_error(capsys, "runs", "--store", path)
    assert err == (
        f"Error: {path}: damaged: runs.session_json holds text that is not a JSON object; {HINT}\n"
    )


def test_corrupt_activity_meta_is_damage(good_store, tmp_path):
    path = _copy(good_store, tmp_path)
    _sql(path, "UPDATE activities SET meta_json = '[1, 2'")
    with Store(path) as store, pytest.raises(StoreError) as info:
        store.developer_fields()
    assert str(info.value) == (
        f"{path}: damaged: activities.meta_json holds text that is not a JSON object; {HINT}"
    )


def _store_with_wal(tmp_path: Path) -> tuple[Path, Path]:
    """A store whose last import sits only in its write-ahead log (the process died before a
    checkpoint)."""
    path = tmp_path / "w.duckdb"
    with Store(path) as store:
        import_paths(store, sorted(RUNS.glob("*.fit"))[:1], workers=1)
    code = (
        "import os, sys\n"
        "from analyzer import import_paths\n"
        "from analyzer.store.database import Store\n"
        "s = Store(sys.argv[1])\n"
        "r = import_paths(s, sys.argv[2:], workers=1)\n"
        "assert r.imported == 2, r\n"
        "os._exit(0)\n"  # no close: no checkpoint
    )
    files = [str(p) for p in sorted(RUNS.glob("*.fit"))[1:3]]
    subprocess.run([sys.executable, "-c", code, str(path), *files], check=True, cwd=REPO)
    wal = path.with_name(path.name + ".wal")
    assert wal.stat().st_size > 0
    return path, wal


def test_an_intact_write_ahead_log_is_replayed(tmp_path):
    path, wal = _store_with_wal(tmp_path)
    with Store(path) as store:
        assert len(store.runs()) == 3
    assert not wal.exists()


def test_a_write_ahead_log_that_cannot_be_replayed(tmp_path, capsys):
    path, wal = _store_with_wal(tmp_path)
    data = bytearray(wal.read_bytes())
    data[:64] = bytes(64)  # DuckDB skips such a log without a word: two runs would be lost
    wal.write_bytes(bytes(data))
    # A reader cannot checkpoint, so it cannot tell this log from one a killed import left:
    # it says the write was interrupted; the writer that finishes it finds the damage.
    err = _one_error(capsys, "runs", "--store", path)
    assert err == (
        f"Error: {path}: the last write was interrupted; the next import or `analyzer check` "
        "finishes it (nothing is lost)\n"
    )
    err = _one_error(capsys, "check", "--store", path)
    assert err == (
        f"Error: {path}: damaged: its write-ahead log w.duckdb.wal could not be replayed (recent "
        f"changes are lost); {HINT}\n"
    )


def test_a_corrupt_write_ahead_log(tmp_path, capsys):
    path, wal = _store_with_wal(tmp_path)
    data = bytearray(wal.read_bytes())
    data[len(data) // 2] ^= 0xFF
    wal.write_bytes(bytes(data))
    err = _one_error(capsys, "runs", "--store", path)
    assert err.startswith(f"Error: {path}: damaged: its write-ahead log is corrupt (")
    assert err.endswith(f"); {HINT}\n")


def test_disk_full_during_an_import(tmp_path):
    """A real file-size limit (RLIMIT_FSIZE, as ``ulimit -f`` sets it; Python ignores SIGXFSZ,
    so a write past it fails with EFBIG like one on a full disk) in the import's process."""
    store = tmp_path / "s.duckdb"
    limit = 60_000  # bytes: a few records parts fit (the store file holds only metadata), not all
    code = (
        "import resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))\n"
        "from analyzer.cli import main\n"
        "raise SystemExit(main(sys.argv[1:]))\n"
    )
    argv = ["import", str(RUNS), "--store", str(store), "--workers", "1"]
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=REPO, env=env
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith(
        f"Error: {store}: cannot write to the store: the disk is full or the file too large ("
    )
    assert "File too large" in proc.stderr
    assert proc.stderr.endswith(
        "); free some space and run the same import again (what was stored is kept, nothing is "
        "doubled)\n"
    )
    # With room again, the same command finishes the import.
    assert main(argv) == 0
    with Store(store) as s:
        assert len(s.runs()) == len(list(RUNS.glob("*.fit")))
