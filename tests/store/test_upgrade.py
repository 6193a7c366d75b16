"""A store made by an earlier analyzer (before the local-time columns) opens with a read-only
command: it is upgraded once, says so once, and lists the same runs; a store lacking a column
no version added is still damaged."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from analyzer.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "balanced"


def test_an_older_store_is_upgraded_once_on_read(tmp_path, capsys, caplog):
    store = str(tmp_path / "s.duckdb")
    assert main(["import", str(SAMPLE), "--store", store, "--workers", "1"]) == 0
    capsys.readouterr()
    assert main(["runs", "--json", "--store", store]) == 0
    before = json.loads(capsys.readouterr().out)
    con = duckdb.connect(store)
    for column in ("utc_offset_s", "utc_offset_source"):  # as the previous version made it
        con.execute(f"ALTER TABLE runs DROP COLUMN {column}")
    con.close()
    with caplog.at_level("WARNING", logger="analyzer"):
        assert main(["runs", "--json", "--store", store]) == 0
    after = json.loads(capsys.readouterr().out)
    said = [r.getMessage() for r in caplog.records if "Upgraded" in r.getMessage()]
    assert len(said) == 1 and "runs.utc_offset_s" in said[0]
    keep = ("run_id", "start_time", "distance_m", "avg_cadence_spm")
    assert [{k: r[k] for k in keep} for r in after] == [{k: r[k] for k in keep} for r in before]
    caplog.clear()
    with caplog.at_level("WARNING", logger="analyzer"):
        assert main(["runs", "--json", "--store", store]) == 0
    assert not [r for r in caplog.records if "Upgraded" in r.getMessage()]  # once
