"""Issue 21: "39.4 km in the terminal, 39.5 in the HTML" -- a distance is rounded once.

One long run of 39.449 km is the whole week. Rounded to two decimals first (39.45) and then to
one, it prints 39.5; rounded once from the measured number, 39.4. The ``trends`` table, the
``report`` terminal summary and the HTML report, all through :func:`analyzer.cli.main`, must show
the same figure: the one from the unrounded distance.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import numpy as np
import pytest

from analyzer.cli import main
from analyzer.fit.writer import write_fit
from analyzer.simulate.history import AthleteProfile, draw_gait
from analyzer.simulate.model import RunPlan, simulate_run

#: The run's distance [m]: 39.449 km is 39.4 rounded once, 39.5 rounded via 39.45.
DISTANCE_M = 39_449.0
ONCE, TWICE = f"{DISTANCE_M / 1000:.1f}", f"{round(DISTANCE_M / 1000, 2):.1f}"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    assert (ONCE, TWICE) == ("39.4", "39.5")  # the case where the two roundings differ
    root = tmp_path_factory.mktemp("km")
    gait = draw_gait(AthleteProfile(name="long", seed=8))
    start = datetime(2026, 3, 1, 7, 0, tzinfo=UTC)
    plan = RunPlan(start_time=start, kind="long", timer_s=12_600, speed_mps=3.13, week=1)
    run = simulate_run(plan, gait, np.random.default_rng(8), interval_s=5)
    dist = np.asarray(run.records["distance_m"], dtype=float)
    run.records["distance_m"] = dist * (DISTANCE_M / dist[-1])  # exactly 39,449 m in total
    write_fit(run, root / "long.fit", utc_offset_s=0)
    db = root / "store.duckdb"
    assert main(["import", str(root / "long.fit"), "--store", str(db), "--athlete", "ann"]) == 0
    return db


def test_terminal_and_html_show_the_same_figure(store, tmp_path, capsys):
    capsys.readouterr()
    assert main(["trends", "--store", str(store), "--athlete", "ann"]) == 0
    weekly = capsys.readouterr().out.split("Weekly load")[1]
    (row,) = [ln for ln in weekly.splitlines() if "2026-02-23" in ln]  # the local Monday
    assert row.split()[1] == ONCE, row

    page = tmp_path / "report.html"
    assert main(["report", "--store", str(store), "--out", str(page)]) == 0
    summary = capsys.readouterr().out
    assert f"Last week: {ONCE} km" in summary, summary

    html = page.read_text(encoding="utf-8")
    shown = set(re.findall(r">\s*(39\.\d)(?:\s*km)?\s*<", html))
    assert f"{ONCE} km" in html and shown == {ONCE}, shown
    assert f"{TWICE} km" not in html and f"{TWICE} km" not in summary
