"""Fixing mistakes through the real entry point: ``athletes`` (list, rename, merge, delete),
``runs delete``, and a duplicate naming the athlete who already has it. Real sample FIT files,
a real DuckDB file in tmp_path; every edit is checked in every table it must touch."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.errors import StoreError
from analyzer.store.database import Store

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
#: Runs per athlete folder (few: imported in-process, quickly).
N = 3


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def folders(tmp_path) -> dict[str, Path]:
    out = {}
    for athlete, source in (("bob", "balanced"), ("ann", "imbalance")):
        files = sorted((SAMPLE / source).glob("*.fit"))[:N]
        if len(files) < N:
            pytest.skip("sample_data/ is missing: regenerate it with `make sample-data`")
        d = tmp_path / source
        d.mkdir()
        for f in files:
            shutil.copy(f, d / f.name)
        out[athlete] = d
    return out


@pytest.fixture
def store(tmp_path, folders, capsys) -> Path:
    path = tmp_path / "s.duckdb"
    for athlete, folder in folders.items():
        code, _, err = _run(capsys, "import", folder, "--store", path, "--athlete", athlete)
        assert code == 0, err
    return path


def _tables(path: Path, athlete: str) -> dict[str, int]:
    """Rows that belong to ``athlete`` in every table (records, laps, cache through runs)."""
    with Store(path, read_only=True) as s:
        q = s.con.execute
        by_name = {
            t: q(f"SELECT count(*) FROM {t} WHERE athlete = ?", [athlete]).fetchone()[0]
            for t in ("athletes", "activities", "runs", "import_log")
        }
        keys = "SELECT run_key FROM runs WHERE athlete = ?"
        ids = "SELECT run_id FROM runs WHERE athlete = ?"
        for t, sub in (("records", keys), ("laps", keys)):
            by_name[t] = q(
                f"SELECT count(*) FROM {t} WHERE run_key IN ({sub})", [athlete]
            ).fetchone()[0]
        by_name["gait_cache"] = q(
            f"SELECT count(*) FROM gait_cache WHERE run_id IN ({ids})", [athlete]
        ).fetchone()[0]
        return by_name


def _orphans(path: Path) -> int:
    """Records, laps and cached summaries whose run is gone, runs whose file is gone."""
    with Store(path, read_only=True) as s:
        q = s.con.execute
        return sum(
            q(sql).fetchone()[0]
            for sql in (
                "SELECT count(*) FROM records WHERE run_key NOT IN (SELECT run_key FROM runs)",
                "SELECT count(*) FROM laps WHERE run_key NOT IN (SELECT run_key FROM runs)",
                "SELECT count(*) FROM gait_cache WHERE run_id NOT IN (SELECT run_id FROM runs)",
                "SELECT count(*) FROM runs WHERE activity_id NOT IN "
                "(SELECT activity_id FROM activities)",
            )
        )


def test_athletes_lists_runs_and_dates(store, capsys):
    with Store(store, read_only=True) as s:
        runs = s.runs()
    days = {
        a: (g["start_time"].min().strftime("%Y-%m-%d"), g["start_time"].max().strftime("%Y-%m-%d"))
        for a, g in runs.groupby("athlete")
    }
    code, out, err = _run(capsys, "athletes", "--store", store)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "athlete   runs  first run   last run",
        f"ann          3  {days['ann'][0]}  {days['ann'][1]}",
        f"bob          3  {days['bob'][0]}  {days['bob'][1]}",
    ]


def test_rename(store, capsys):
    before = _tables(store, "ann")
    code, out, err = _run(capsys, "athletes", "rename", "ann", "anna", "--store", store)
    assert (code, err) == (0, "")
    assert out == f"Renamed athlete 'ann' to 'anna' (3 runs) in {store}\n"
    assert _tables(store, "anna") == before
    assert set(_tables(store, "ann").values()) == {0}
    code, out, err = _run(capsys, "athletes", "rename", "anna", "bob", "--store", store)
    assert (code, out) == (1, "")
    assert err == (
        f"Error: an athlete named 'bob' is already in {store}; to put the runs of 'anna' with "
        "theirs, merge: `analyzer athletes merge anna bob`\n"
    )
    code, _, err = _run(capsys, "athletes", "rename", "nobody", "x", "--store", store)
    assert code == 1
    assert err == f"Error: no athlete named 'nobody' in {store} (known: anna, bob)\n"


def test_merge_moves_everything(store, capsys):
    ann, bob = _tables(store, "ann"), _tables(store, "bob")
    code, out, err = _run(capsys, "athletes", "merge", "ann", "bob", "--store", store)
    assert (code, err) == (0, "")
    assert out == f"Merged athlete 'ann' into 'bob': moved 3 runs; 'ann' is removed from {store}\n"
    merged = _tables(store, "bob")
    assert merged == {t: ann[t] + bob[t] - (t == "athletes") for t in ann}
    assert set(_tables(store, "ann").values()) == {0}
    with Store(store, read_only=True) as s:
        assert s.athletes() == ["bob"]
        assert len(s.gait("bob")) == 2 * N  # the cache follows the runs
    code, out, _ = _run(capsys, "athletes", "--store", store)
    assert out.splitlines()[1].startswith("bob          6  ")


def test_delete_athlete_asks_for_yes_then_deletes_all(store, folders, capsys):
    before = _tables(store, "bob")
    code, out, err = _run(capsys, "athletes", "delete", "bob", "--store", store)
    assert (code, err) == (1, "")
    assert out == (
        "This would delete athlete 'bob' with 3 runs; run again with --yes to delete: "
        "analyzer athletes delete bob --yes\n"
    )
    assert _tables(store, "bob") == before
    code, out, err = _run(capsys, "athletes", "delete", "bob", "--yes", "--store", store)
    assert (code, err) == (0, "")
    assert out == (
        f"Deleted athlete 'bob' from {store}: 3 files, 3 runs, {before['records']:,} records\n"
    )
    assert set(_tables(store, "bob").values()) == {0}
    assert _orphans(store) == 0
    assert _tables(store, "ann")["runs"] == N  # the other athlete is untouched
    # The files are new to the store again: they import afresh.
    code, out, _ = _run(capsys, "import", folders["bob"], "--store", store, "--athlete", "bob")
    assert code == 0 and out.startswith("Imported 3 files (3 runs, ")
    assert _tables(store, "bob") == before


def test_delete_run_and_import_it_again(store, folders, capsys):
    with Store(store, read_only=True) as s:
        run = s.runs("ann").iloc[0]
        n_records = len(s.records(run["run_id"]))
    code, out, err = _run(capsys, "runs", "delete", run["run_id"], "--store", store)
    assert (code, err) == (0, "")
    assert out == (
        f"Deleted run {run['run_id']} from {store}: 1 run, {n_records:,} records; importing "
        "its file again restores it\n"
    )
    assert _orphans(store) == 0
    with Store(store, read_only=True) as s:
        assert run["run_id"] not in set(s.runs()["run_id"])
        assert run["activity_id"] not in s.known_activities()
        assert run["activity_id"] not in set(s.import_log()["activity_id"])
    code, _, err = _run(capsys, "runs", "delete", run["run_id"], "--store", store)
    assert code == 1
    assert err == (
        f"Error: no run with id {run['run_id']!r} in {store}; `analyzer runs --json` lists the ids\n"
    )
    code, out, _ = _run(capsys, "import", folders["ann"], "--store", store, "--athlete", "ann")
    assert code == 0
    assert out.splitlines()[1:3] == ["  imported:    1", "  duplicates:  2  (already in the store)"]
    assert out.startswith(f"Imported 1 file (1 run, {n_records:,} records) for athlete 'ann'")
    with Store(store, read_only=True) as s:
        assert len(s.records(run["run_id"])) == n_records


def test_duplicate_names_the_athlete_who_has_it(store, folders, capsys):
    code, out, err = _run(capsys, "import", folders["bob"], "--store", store, "--athlete", "me")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    start = lines.index("Already imported for another athlete:")
    names = sorted(folders["bob"].glob("*.fit"))
    assert lines[start + 1 : start + 1 + N] == [
        f"  {f}: already imported for athlete 'bob' (as {f})" for f in names
    ]
    assert lines[start + 1 + N] == (
        "Imported under the wrong name? `analyzer athletes rename OLD NEW` or "
        "`analyzer athletes merge FROM INTO` moves the runs."
    )
    with Store(store, read_only=True) as s:
        assert s.athletes() == ["ann", "bob"]  # no runs, no athlete 'me'


def test_store_api_edits(store):
    with Store(store) as s:
        assert s.rename_athlete("ann", "Ann B.") == N
        assert s.merge_athletes("Ann B.", "bob") == N
        run_id = s.runs("bob")["run_id"].iloc[-1]
        gone = s.delete_run(run_id)
        assert (gone.activities, gone.runs, gone.run_ids) == (1, 1, (run_id,))
        gone = s.delete_athlete("bob")
        assert (gone.activities, gone.runs) == (2 * N - 1, 2 * N - 1)
        assert s.athletes() == [] and s.runs().empty
    with Store(store, read_only=True) as s, pytest.raises(StoreError, match="read-only"):
        s.delete_run("x")
