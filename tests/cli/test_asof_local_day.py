"""Issue 21: ``--asof DAY`` is a day on the runner's clock, not a UTC day.

A runner in Auckland (UTC+13 in March) runs at 07:00 local on Monday 2026-03-16, which is
18:00 UTC on Sunday the 15th, and a week before. ``risk``/``recommend --asof 2026-03-16`` must
judge that morning's run; ``--asof 2026-03-15`` must not (read as UTC days, it would be the other
way round: the run is on the 15th in UTC).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from analyzer.cli import main
from analyzer.fit.writer import write_fit
from analyzer.simulate.history import AthleteProfile, draw_gait
from analyzer.simulate.model import RunPlan, simulate_run

NZDT = 13 * 3600
#: 07:00 on Monday 2026-03-16 in Auckland, still Sunday the 15th in UTC.
MONDAY_RUN = datetime(2026, 3, 15, 18, 0, tzinfo=UTC)
DAY = "2026-03-16"
DAY_BEFORE = "2026-03-15"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("asof")
    files = root / "files"
    files.mkdir()
    gait = draw_gait(AthleteProfile(name="kiwi", seed=5))
    for i, start in enumerate((MONDAY_RUN - timedelta(days=7), MONDAY_RUN)):
        plan = RunPlan(start_time=start, kind="easy", timer_s=1800, speed_mps=3.0, week=i + 1)
        run = simulate_run(plan, gait, np.random.default_rng(i), interval_s=5)
        write_fit(run, files / f"run{i}.fit", utc_offset_s=NZDT)
    db = root / "store.duckdb"
    assert main(["import", str(files), "--store", str(db), "--athlete", "kiwi"]) == 0
    return db


def _assessment(capsys, command, day, db):
    capsys.readouterr()
    assert main([command, "--store", str(db), "--asof", day, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    return doc["assessment"] if command == "recommend" else doc


@pytest.mark.parametrize("command", ["risk", "recommend"])
def test_asof_day_includes_the_run_of_that_local_morning(store, command, capsys):
    a = _assessment(capsys, command, DAY, store)
    assert a["context"]["latest_run"] == DAY
    assert a["utc_offset_s"] == NZDT
    # The instant judged is the end of the 16th in Auckland, after the run's UTC instant.
    assert a["asof"].startswith("2026-03-16T10:59:59")


@pytest.mark.parametrize("command", ["risk", "recommend"])
def test_asof_the_day_before_leaves_it_out(store, command, capsys):
    a = _assessment(capsys, command, DAY_BEFORE, store)
    assert a["context"]["latest_run"] == "2026-03-09"  # the run a week before, local date
    assert a["context"]["n_recent_runs"] == 1


def test_terminal_says_the_local_day(store, capsys):
    capsys.readouterr()
    assert main(["risk", "--store", str(store), "--asof", DAY, "--athlete", "kiwi"]) == 0
    assert f"kiwi as of {DAY}:" in capsys.readouterr().out


def test_accept_from_day_starts_at_local_midnight(store, tmp_path, capsys):
    """``trends --accept-from DAY`` starts the new reference at that day's midnight in Auckland
    (11:00 UTC the day before), so the Monday-morning run (18:00 UTC on the 15th) is in it."""
    import shutil

    db = tmp_path / "copy.duckdb"
    shutil.copy(store, db)
    capsys.readouterr()
    argv = ["trends", "--store", str(db), "--accept-baseline", "--accept-from", DAY, "--json"]
    assert main(argv) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["asof"] == "2026-03-15T11:00:00+00:00"
    assert datetime.fromisoformat(got["asof"]) < MONDAY_RUN
