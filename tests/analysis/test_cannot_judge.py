""" "Cannot judge balance" is a state, not a green "low": a cadence-only history (a simulated watch
without running dynamics) and a history with dynamics but no balance sensor (a real Fenix 2 +
HRM-Run file), through the terminal, the JSON, the report's first screen and the team page in
Chromium."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from chromium import CHROMIUM, CHROMIUM_ARGS, MISSING

import analyzer
from analyzer import import_paths
from analyzer.cli import main
from analyzer.simulate.files import write_scenario
from analyzer.simulate.scenarios import Kit, Scenario

FENIX2 = "activity-small-fenix2-run.fit"  # Fenix 2 + HRM-Run: GCT and VO, no balance


@pytest.fixture(scope="module")
def store(tmp_path_factory, corpus_dir):
    root = tmp_path_factory.mktemp("cannot-judge")
    sc = Scenario(
        name="wrist",
        seed=4711,
        group="control",
        weeks=8,
        start=datetime.fromisoformat("2026-03-02T00:00:00+00:00"),
        kit=(Kit(dynamics="none"),),
    )
    write_scenario(sc, root, interval_s=10)
    path = root / "s.duckdb"
    with analyzer.Store(path) as s:
        import_paths(s, [root / "wrist"], athlete="wrist", workers=1)
        import_paths(s, [corpus_dir / FENIX2], athlete="hrmrun", workers=1)
    return path


def _out(capsys, *argv) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(
    ("athlete", "why"),
    [("wrist", "does not measure it"), ("hrmrun", "does not measure it")],
)
def test_no_balance_sensor_is_not_an_all_clear(store, capsys, athlete, why):
    base = ["--store", str(store), "--athlete", athlete]
    with analyzer.Store(store, read_only=True) as s:
        an = analyzer.analyse(s, athlete)
    a = an.assessment
    assert an.state == "balance_not_judged" and a.level is None
    assert why in a.status["text"] and "Still followed:" in a.status["text"]
    assert an.headline.startswith("Left/right balance cannot be judged")
    risk = json.loads(_out(capsys, "risk", *base, "--json"))
    assert risk["status"]["state"] == "balance_not_judged" and risk["level"] is None
    by = {d["feature"]: d for d in risk["drivers"]}
    assert by["balance_shift_pts"]["status"].startswith("not enough data")
    assert by["balance_shift_pts"]["value"] is None
    term = _out(capsys, "risk", *base)
    head = term.splitlines()[1 if an.stale else 0]
    assert "Left/right balance cannot be judged" in head and "(low" not in term
    rec = _out(capsys, "recommend", *base)
    assert "Left/right balance cannot be judged" in rec and "(low)" not in rec


def test_wrist_cadence_is_still_followed(store):
    with analyzer.Store(store, read_only=True) as s:
        an = analyzer.analyse(s, "wrist")
    assert "cadence" in an.assessment.status["judged_labels"]
    assert "training load" in an.assessment.status["judged_labels"] or an.stale


@pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=MISSING,
)
def test_first_screen_and_team_page_say_balance_not_judged(store, tmp_path, capsys):
    from playwright.sync_api import sync_playwright

    team = tmp_path / "team.html"
    _out(capsys, "report", "--store", str(store), "--all", "--out", str(team))
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = b.new_page(viewport={"width": 1100, "height": 900})
        page.goto(team.resolve().as_uri())
        rows = page.locator("#team tbody tr")
        assert rows.count() == 2
        for i in range(2):
            cells = rows.nth(i).inner_text()
            assert "balance not measured" in cells and "low" not in cells.split()
        assert page.locator(".badge.level-low").count() == 0
        page.locator("#team a").first.click()
        page.wait_for_load_state("load")
        note = page.locator("#cannot-judge")
        assert note.is_visible() and note.bounding_box()["y"] < 900  # on the first screen
        assert "Left/right balance cannot be judged" in note.inner_text()
        assert page.locator("#summary .badge.level-low").count() == 0
        b.close()
