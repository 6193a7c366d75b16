"""Partial files and runs without a usable date, through the store, the import log and the CLI.

Real corpus files: ``compressed-speed-distance.fit`` (an FR70 run with device-relative
timestamps, dated 1990), ``activity-unexpected-eof.fit`` (truncated at byte 751),
``garmin-fenix-5-run.fit`` and ``FR630-with-lth.fit`` (whole, dated runs), and the COROS ride
whose event field is misaligned.
"""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from analyzer import import_paths
from analyzer.analysis import analyse
from analyzer.cli import main
from analyzer.metrics import load
from analyzer.store.database import Store

UNDATED = "compressed-speed-distance.fit"
TRUNCATED = "activity-unexpected-eof.fit"
DATED = ["garmin-fenix-5-run.fit", "FR630-with-lth.fit"]
MISALIGNED = "coros-pace-2-cycling-misaligned-fields.fit"  # a ride: logged, not a run
PARTIAL = (
    "file ends inside a data message at byte 751; "
    "the messages before it were kept, the rest of the file was not read"
)
DATE_NOTE = "date unknown: device-relative timestamp; kept out of load and baselines"


@pytest.fixture(scope="module")
def folder(corpus_dir, tmp_path_factory):
    d = tmp_path_factory.mktemp("files")
    for name in [UNDATED, TRUNCATED, MISALIGNED, *DATED]:
        shutil.copy(corpus_dir / name, d / name)
    return d


@pytest.fixture(scope="module")
def imported(folder, tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("store") / "runs.duckdb")
    report = import_paths(store, [folder], athlete="ana", workers=1)
    yield store, report
    store.close()


def _by_file(frame: pd.DataFrame, column: str = "source_name") -> dict:
    return {str(r[column]).rsplit("/", 1)[-1]: r for r in frame.to_dict("records")}


def test_import_log_says_partial_and_date_unknown(imported):
    store, report = imported
    assert report.ok and report.imported == 4
    log = _by_file(store.import_log(report.import_id))
    assert log[TRUNCATED]["detail"] == f"1 run, 14 records; partial: {PARTIAL}"
    assert log[UNDATED]["detail"] == f"1 run, 755 records; {DATE_NOTE}"
    assert log[DATED[0]]["detail"] == "1 run, 21 records"
    assert log[MISALIGNED]["outcome"] == "not_run"
    assert log[MISALIGNED]["detail"] == (
        "not a run (cycling); "
        "field 3 of message 21 read as bytes (size 1 is not a multiple of uint32)"
    )


def test_runs_carry_the_flags(imported):
    store, _ = imported
    runs = _by_file(store.runs())
    assert runs[UNDATED]["date_unknown"] is True
    assert runs[UNDATED]["date_problem"] == "device-relative timestamp"
    assert runs[UNDATED]["start_time"].year == 1990  # kept as the file says, flagged
    assert runs[TRUNCATED]["partial_reason"] == PARTIAL
    assert runs[TRUNCATED]["partial_offset"] == 751
    for name in DATED:
        assert runs[name]["date_unknown"] is False and pd.isna(runs[name]["partial_reason"])
    (offset,) = store.con.execute(
        "SELECT partial_offset FROM activities WHERE source_name LIKE ?", [f"%{TRUNCATED}"]
    ).fetchone()
    assert offset == 751


def test_undated_runs_stay_out_of_load_and_baselines(imported):
    store, _ = imported
    names = {r["run_id"]: n for n, r in _by_file(store.runs()).items()}
    assert {names[r] for r in store.gait("ana")["run_id"]} == {TRUNCATED, *DATED}
    assert UNDATED in {names[r] for r in store.gait("ana", undated=True)["run_id"]}
    an = analyse(store, "ana")
    trends, weekly = an.trends, an.weekly
    assert len(trends) == 3
    assert weekly.index.min().year == 2012  # the truncated HRM1 file; no week of 1990
    everything = load.weekly(store.runs("ana"))
    assert everything.index.min().year == 1990  # what the load would be without the flag


def test_runs_cli_shows_the_flags(imported, capsys):
    store, _ = imported
    assert main(["runs", "--json", "--store", str(store.path)]) == 0
    runs = _by_file(pd.DataFrame(json.loads(capsys.readouterr().out)))
    assert runs[UNDATED]["date_unknown"] is True
    assert runs[UNDATED]["date_problem"] == "device-relative timestamp"
    assert runs[TRUNCATED]["partial_offset"] == 751
    assert main(["runs", "--store", str(store.path)]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().splitlines()[-1] == DATE_NOTE
    assert "partial" in out and "byte 751)" in out  # the notes cell (wrapped by rich)


def test_strict_import_refuses_the_damaged_file(folder, tmp_path):
    with Store(tmp_path / "strict.duckdb") as store:
        report = import_paths(
            store, [folder / TRUNCATED, folder / DATED[0]], strict=True, workers=1
        )
        assert [(e.name.rsplit("/", 1)[-1], e.detail) for e in report.failures] == [
            (TRUNCATED, "file ends inside a data message at byte 751")
        ]
        assert [r.rsplit("/", 1)[-1] for r in store.runs()["source_name"]] == [DATED[0]]


def test_strict_cli_exit_code_and_message(folder, tmp_path, capsys):
    path = folder / TRUNCATED
    store = tmp_path / "cli.duckdb"
    args = ["import", str(path), "--store", str(store), "--workers", "1"]
    assert main([*args, "--strict"]) == 1
    out = capsys.readouterr().out
    assert f"  {path}: file ends inside a data message at byte 751" in out.splitlines()
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"  {path}: 1 run, 14 records; partial: {PARTIAL}" in out.splitlines()


def test_report_period_and_load_leave_the_undated_run_out(imported):
    from analyzer.report import build

    store, _ = imported
    report = build(store, "ana")
    assert report["period"]["first_run"].startswith("2012-04-09")
    assert report["period"]["n_runs"] == 4  # the run itself is still counted
    weeks = [w["week"] for w in report["load"]["weeks"]]
    assert weeks and weeks[0].startswith("2012-04")  # no week of 1990
