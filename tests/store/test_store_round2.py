"""Issue 26, hostile input second round: the store side (one lock per file, interrupted writes
vs damage, FIFO store paths, no DuckDB extension downloads)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SAMPLE_DATA

from analyzer.cli import main
from analyzer.errors import StoreError
from analyzer.store.database import Store

REPO = Path(__file__).resolve().parents[2]


def _errors(capsys) -> list[str]:
    return [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("Error:")]


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_one_writer_lock_per_store_file(tmp_path, link):
    path = tmp_path / "s.duckdb"
    Store(path).close()
    other = tmp_path / "other.duckdb"
    (os.symlink if link == "symlink" else os.link)(path, other)
    with Store(path):
        started = time.monotonic()
        with pytest.raises(StoreError, match="in use by another process"):
            Store(other, wait_s=0.2)
        assert time.monotonic() - started < 5


def test_a_store_path_that_is_a_fifo(tmp_path, capsys):
    fifo = tmp_path / "s.duckdb"
    os.mkfifo(fifo)
    for argv in (["runs"], ["athletes"], ["import", str(tmp_path / "none.gpx")]):
        started = time.monotonic()
        main([*argv, "--store", str(fifo)])
        assert time.monotonic() - started < 5
        (err,) = _errors(capsys)
        assert "FIFO" in err or "no such file" in err


def test_a_sqlite_file_as_store_loads_no_extension(tmp_path, capsys):
    path = tmp_path / "file.sqlite"
    sqlite3.connect(path).execute("CREATE TABLE t (a)").connection.close()
    code = main(["runs", "--store", str(path)])
    (err,) = _errors(capsys)
    assert code == 1 and "cannot open the store" in err


def test_an_interrupted_import_is_not_damage(tmp_path, capsys):
    path = tmp_path / "w.duckdb"
    runs = sorted((SAMPLE_DATA).rglob("*.fit"))[:3]
    code = (
        "import os, sys\n"
        "from analyzer import import_paths\n"
        "from analyzer.store.database import Store\n"
        "s = Store(sys.argv[1])\n"
        "import_paths(s, sys.argv[2:], workers=1)\n"
        "os._exit(0)\n"  # like SIGKILL: no close, no checkpoint
    )
    subprocess.run([sys.executable, "-c", code, str(path), *map(str, runs)], check=True, cwd=REPO)
    for command in ("runs", "athletes", "diary"):
        main([command, "--store", str(path)])
        (err,) = _errors(capsys)
        assert "the last write was interrupted" in err and "damaged" not in err
    assert main(["check", "--store", str(path)]) == 0
    assert "intact" in capsys.readouterr().out
    assert main(["runs", "--store", str(path)]) == 0


def test_every_connection_has_extension_autoload_off(tmp_path):
    # DuckDB downloads extensions in C++, beyond Python's socket audit hooks: check the settings.
    with Store(tmp_path / "s.duckdb") as s:
        row = s.con.execute(
            "SELECT current_setting('autoinstall_known_extensions'), "
            "current_setting('autoload_known_extensions')"
        ).fetchone()
    assert row == (False, False)
