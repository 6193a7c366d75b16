"""Empty results fail loudly: an import that finds no run says what it found and what to do,
exits 1 and leaves no new store behind; a report on a store without runs says so and exits 1."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.store.database import Store

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
ADVICE = (
    "Give running activities: .fit, .tcx or .gpx files (or .gz), a folder holding them, or a Garmin or "
    "Strava export .zip"
)


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _store_of_bob(tmp_path, capsys, *, n: int) -> Path:
    """A store holding ``n`` sample runs of athlete 'bob', imported from ``tmp_path/runs``."""
    runs = tmp_path / "runs"
    runs.mkdir()
    files = sorted((SAMPLE / "balanced").glob("*.fit"))[:n]
    if len(files) < n:
        pytest.skip("sample_data/ is missing: regenerate it with `make sample-data`")
    for f in files:
        shutil.copy(f, runs / f.name)
    store = tmp_path / "s.duckdb"
    assert _run(capsys, "import", runs, "--store", store, "--athlete", "bob")[0] == 0
    return store


def test_empty_folder_creates_no_store(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    store = tmp_path / "new" / "deeper" / "s.duckdb"
    code, out, err = _run(capsys, "import", empty, "--store", store)
    assert code == 1 and out == ""
    assert err == (
        f"Error: no runs found in {empty}: no activity files at all; no store was created. {ADVICE}\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]  # not even the folders


def test_only_non_runs(tmp_path, corpus_dir, capsys):
    folder = tmp_path / "other"
    folder.mkdir()
    shutil.copy(corpus_dir / "garmin-fenix-5-walk.fit", folder / "walk.fit")
    shutil.copy(corpus_dir / "garmin-fenix-5-bike.fit", folder / "bike.fit")
    (folder / "notes.txt").write_text("a note\n")
    store = tmp_path / "s.duckdb"
    code, out, err = _run(capsys, "import", folder, "--store", store)
    assert code == 1
    assert out.splitlines() == [
        "  imported:    0",
        "  duplicates:  0  (already in the store)",
        "  not a run:   2",
        "  failed:      0",
        "  skipped:     1  (not activity files: CSV, JSON...)",
        "Not a run:",
        f"  {folder / 'bike.fit'}: not a run (cycling)",
        f"  {folder / 'walk.fit'}: not a run (walking)",
    ]
    assert err == (
        f"Error: no runs found in {folder}: 2 activity files that are not runs, 1 file skipped "
        f"(not activity files: CSV, JSON...); no store was created. {ADVICE}\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other"]


def test_no_runs_into_an_existing_store_keeps_it(tmp_path, corpus_dir, capsys):
    store = _store_of_bob(tmp_path, capsys, n=1)
    walk = tmp_path / "walk.fit"
    shutil.copy(corpus_dir / "garmin-fenix-5-walk.fit", walk)
    code, _, err = _run(capsys, "import", walk, "--store", store, "--athlete", "eve")
    assert code == 1
    assert err == (
        f"Error: no runs found in {walk}: 1 activity file that is not a run; no run was added to "
        f"{store}. {ADVICE}\n"
    )
    with Store(store, read_only=True) as s:
        assert s.athletes() == ["bob"]  # an import without runs adds no athlete
        assert len(s.runs()) == 1
        assert list(s.import_log()["outcome"]) == ["imported", "not_run"]  # what was seen


def test_reimport_of_known_runs_is_not_an_empty_result(tmp_path, capsys):
    store = _store_of_bob(tmp_path, capsys, n=2)
    code, out, err = _run(capsys, "import", tmp_path / "runs", "--store", store)
    assert (code, err) == (0, "")
    assert "  duplicates:  2  (already in the store)" in out.splitlines()


def test_report_on_a_store_without_runs(tmp_path, capsys):
    store = _store_of_bob(tmp_path, capsys, n=1)
    with Store(store) as s:
        s.delete_run(s.runs()["run_id"].iloc[0])
    out_html = tmp_path / "r.html"
    code, out, err = _run(capsys, "report", "--store", store, "--out", out_html)
    assert (code, out) == (1, "")
    assert err == (
        f"Error: athlete 'bob' has no runs in {store}, so there is nothing to report; import "
        "some with `analyzer import PATH --athlete bob`\n"
    )
    assert not out_html.exists()
    code, out, err = _run(capsys, "report", "--all", "--store", store, "--out", out_html)
    assert (code, out) == (1, "")
    assert err == (
        f"Error: {store} holds no runs yet, so there is nothing to report: run "
        "`analyzer import PATH` first\n"
    )
    assert not out_html.exists()
