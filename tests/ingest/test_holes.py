"""The import summary says where failed files leave a hole in the history."""

from __future__ import annotations

import pandas as pd
import pytest

from analyzer.cli import main
from analyzer.fit.writer import write_fit
from analyzer.ingest.holes import Hole, hole_lines, holes, name_date


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """Eight weeks of simulated runs as FIT files named by their start."""
    from analyzer.simulate import AthleteProfile, simulate_athlete

    runs = simulate_athlete(AthleteProfile(name="h", seed=5, weeks=8, interval_s=10))
    root = tmp_path_factory.mktemp("history")
    data = {run.name: write_fit(run) for run in runs}
    starts = {run.name: pd.Timestamp(run.plan.start_time) for run in runs}
    return root, data, starts


def _write(folder, data, broken, rename=lambda n: n):
    folder.mkdir()
    for name, content in data.items():
        # Garbage where the FIT header should be: no decoder can keep anything of it.
        (folder / rename(name)).write_bytes(b"not a FIT file" * 10 if name in broken else content)


def _import(capsys, store, path) -> tuple[int, str]:
    code = main(["import", str(path), "--store", str(store), "--workers", "1"])
    return code, capsys.readouterr().out


def test_failed_files_dated_by_their_names(history, tmp_path, capsys):
    root, data, starts = history
    names = sorted(data)
    broken = names[10:14]  # four consecutive runs in the middle of the history
    _write(tmp_path / "fit", data, broken)
    code, out = _import(capsys, tmp_path / "s.duckdb", tmp_path / "fit")
    assert code == 1
    first, last = (starts[n].strftime("%Y-%m-%d") for n in (broken[0], broken[-1]))
    assert (
        f"4 files failed; they fall in {first}..{last}, where no run imported: the load "
        "figures there are incomplete" in out.splitlines()
    )


def test_failed_files_dated_by_their_neighbours(history, tmp_path, capsys):
    root, data, starts = history
    names = sorted(data)
    broken = names[5:7]
    # Garmin export names: numbered in upload order, no date in them.
    number = {n: f"user_{100 + i}.fit" for i, n in enumerate(names)}
    _write(tmp_path / "garmin", data, broken, rename=number.get)
    code, out = _import(capsys, tmp_path / "s.duckdb", tmp_path / "garmin")
    assert code == 1
    lo, hi = (starts[names[i]].strftime("%Y-%m-%d") for i in (4, 7))
    assert (
        f"2 files failed; they fall in {lo}..{hi}, where no run imported: the load figures "
        "there are incomplete" in out.splitlines()
    )


def test_name_dates_and_merging():
    assert name_date("2024-03-05-07-12-00.fit") == pd.Timestamp("2024-03-05", tz="UTC")
    assert name_date("x.zip!a/20210507_run_coros_pace_2.fit") == pd.Timestamp(
        "2021-05-07", tz="UTC"
    )
    assert name_date("Move_2019_03_17_10_24_32_Running.fit") == pd.Timestamp("2019-03-17", tz="UTC")
    assert name_date("user_123456.fit") is None
    assert name_date("2023-02-30.fit") is None
    d = [pd.Timestamp(s, tz="UTC") for s in ("2024-03-02", "2024-03-10", "2024-05-01")]
    found = holes([(d[0], d[0]), (d[1], d[1]), (d[2], d[2])], [d[1], d[2] + pd.Timedelta(hours=8)])
    assert found == [Hole(d[0], d[1], 2, 1), Hole(d[2], d[2], 1, 0)]
    assert hole_lines(found[1:]) == [
        "1 file failed; it falls in 2024-05-01, where no run imported: the load figures there "
        "are incomplete"
    ]
