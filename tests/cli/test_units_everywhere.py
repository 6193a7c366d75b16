"""Imperial everywhere: the trends weekly-load table and the load cap in the plan's advice follow
the display units (the JSON stays SI)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from synth import synth_trends

from analyzer import risk
from analyzer.cli import main
from analyzer.metrics import load
from analyzer.plan.exercises import recommend
from analyzer.report.fmt import Units

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "balanced"


def test_the_load_cap_reads_in_miles():
    km = np.r_[np.full(56, 10.0), np.full(4, 30.0)]  # a spike after eight steady weeks
    tr = synth_trends(60, seed=39, distance_km=km)
    plan = recommend(risk.assess_frames(tr, load.weekly(tr)))
    assert plan.load_cap and plan.load_cap["km"] > 0
    (si,) = [n for n in plan.notes if "cut running volume first" in n]
    (shown,) = [n for n in plan.notes_in(Units("imperial").distance_whole) if "cut running" in n]
    km_cap = float(re.search(r"about (\d+) km", si).group(1))
    mi_cap = float(re.search(r"about (\d+) mi", shown).group(1))
    assert abs(mi_cap - km_cap / 1.609344) <= 1 and " km" not in shown


def test_trends_weekly_load_in_miles(tmp_path, capsys):
    store = str(tmp_path / "s.duckdb")
    assert main(["import", str(SAMPLE), "--store", store, "--workers", "1"]) == 0
    capsys.readouterr()
    assert main(["trends", "--store", store, "--units", "imperial"]) == 0
    out = capsys.readouterr().out
    block = out.split("Weekly load")[1]
    header = block.splitlines()[2]
    assert " mi " in f" {header} " and " km " not in f" {header} "
