"""The report on a long, sparse, multi-device history, in headless Chromium at a desktop
(1,416 px) and a phone (390 px) width: nothing wider than its card, a readable load chart, the
plan on the first screen, dated header figures, file names without folders, the team link, and
imperial units; plus the same through the CLI."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
from history import ATHLETE, DEEP, NOW, write_history
from test_report_browser import CHROMIUM, CHROMIUM_ARGS, Visit

from analyzer import import_paths
from analyzer.report import plots

pytestmark = [
    pytest.mark.xdist_group("report-history"),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"{CHROMIUM} is not installed (Debian package `chromium`; .ci/run installs it)",
    ),
]

DESKTOP = {"width": 1416, "height": 900}
PHONE = {"width": 390, "height": 844}

#: Elements (not text nodes) reaching outside the section (card) they are in, as
#: "section-id tag width>card". What is inside a box that scrolls sideways (a chart keeping its
#: width on a phone) is reached by scrolling that box, which must itself fit.
OVERFLOW_JS = """() => {
  const bad = [];
  const scrolled = (el, card) => {
    for (let p = el.parentElement; p && p !== card; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll') return true;
    }
    return false;
  };
  for (const card of document.querySelectorAll('section')) {
    const c = card.getBoundingClientRect();
    for (const el of card.querySelectorAll('*')) {
      if (scrolled(el, card)) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.left < c.left - 0.5 || r.right > c.right + 0.5)
        bad.push(`${card.id} ${el.tagName.toLowerCase()} ${Math.round(r.width)}>${Math.round(c.width)}`);
    }
  }
  if (document.documentElement.scrollWidth > window.innerWidth)
    bad.push(`page ${document.documentElement.scrollWidth}>${window.innerWidth}`);
  return bad;
}"""


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """The history imported into a store, and the team page + report written by the library."""
    from analyzer import report
    from analyzer.store.database import Store

    root = tmp_path_factory.mktemp("history")
    folder, n = write_history(root / "in")
    store_path = root / "store.duckdb"
    with Store(store_path) as store:
        rep = import_paths(store, [root / "in"], athlete=ATHLETE, workers=1)
        assert rep.imported == n and rep.failed == 0
        reports = report.build_all(store, now=NOW)
        team_path, team, reports = report.write_team(
            store, root / "out" / "team.html", reports=reports
        )
    athlete_path = root / "out" / team["athletes"][0]["file"]
    return {
        "root": root,
        "folder": folder,
        "n": n,
        "store": store_path,
        "team": team_path,
        "page": athlete_path,
        "data": reports[ATHLETE],
    }


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def visit(browser, path: Path, viewport: dict) -> Visit:
    v = Visit(browser, path)
    v.page.set_viewport_size(viewport)
    return v


def bar_runs(png: bytes) -> list[int]:
    """Widths [px] of the weekly bars in a screenshot of the load chart: the runs of bar-coloured
    pixels along the row that crosses the most of them (just above the x axis)."""
    import matplotlib.image as mpimg

    img = mpimg.imread(io.BytesIO(png), format="png")[..., :3]
    want = np.array([int(plots.LOAD_BAR[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    mask = (np.abs(img - want) < 0.06).all(axis=2)
    row = mask[int(np.argmax(mask.sum(axis=1)))]
    edges = np.flatnonzero(np.diff(np.r_[0, row.astype(int), 0]))
    return [int(b - a) for a, b in zip(edges[::2], edges[1::2], strict=True)]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop-1416", "phone-390"])
def test_long_history_fits_its_cards_and_the_load_chart_reads(browser, history, viewport, tmp_path):
    v = visit(browser, history["page"], viewport)
    v.clean()
    assert v.broken_images() == []
    assert v.page.evaluate(OVERFLOW_JS) == []
    shot = tmp_path / f"report-{viewport['width']}.png"
    v.page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 100_000
    # The load chart: the last 26 weeks as bars a person can tell apart, the whole history
    # (156 weeks) as a small overview below it.
    chart = v.page.locator("#load-chart")
    bars = bar_runs(chart.screenshot())
    assert np.median(bars) >= 8, bars
    if viewport is DESKTOP:
        assert 20 <= len(bars) <= plots.LOAD_WEEKS
    else:  # on a phone the chart keeps its width: part of it on screen, the rest a swipe away
        box = v.page.locator(".fig-scroll", has=chart)
        assert len(bar_runs(box.screenshot())) >= 10, bars
        end = "b => { b.scrollLeft = b.scrollWidth; return b.scrollWidth; }"
        assert box.evaluate(end) >= chart.evaluate("el => el.naturalWidth")
        assert len(bar_runs(box.screenshot())) >= 10
    assert v.page.locator("#load-overview").is_visible()
    assert "156 weeks" in v.page.inner_text("section#load")
    v.page.close()


def test_plan_and_dated_balance_are_on_the_first_screen(browser, history):
    data = history["data"]
    v = visit(browser, history["page"], DESKTOP)
    week = v.page.locator("#this-week")
    box = week.bounding_box()
    assert box["y"] + box["height"] <= DESKTOP["height"]  # all of it without scrolling
    items = week.locator("li")
    assert items.count() == min(3, len(data["plan"]["items"])) >= 2
    first = data["plan"]["items"][0]
    assert items.nth(0).inner_text().startswith(f"{first['name']}: {first['dose']}")
    heading = week.locator("h3").inner_text()
    assert re.fullmatch(
        r"This week: \d sessions \(\w{3}(, \w{3})+\), about \d+ minutes each", heading
    )
    # The latest balance comes with its date; the Stryd runs since have no balance.
    b = data["balance"]
    assert b["runs_since_latest"] > 0 and b["latest_date"] < data["period"]["last_run"]
    row = v.page.locator("section#summary tr", has_text="Latest GCT balance").inner_text()
    assert row.split("\t", 1)[1].strip() == (
        f"{b['latest_text']} on {b['latest_date'][:10]} (the {b['runs_since_latest']} runs since "
        f"carry no balance reading) {b['latest_band']}"
    )
    assert v.page.locator("#stale-warning").count() == 0
    v.page.close()
    # On a phone the plan starts on the first screen too (its list may run on below).
    phone = visit(browser, history["page"], PHONE)
    assert phone.page.locator("#this-week h3").bounding_box()["y"] < PHONE["height"]
    phone.page.close()


def test_stale_history_warns_on_the_first_screen(browser, history, tmp_path):
    import datetime as dt

    from analyzer import report
    from analyzer.store.database import Store

    later = NOW + dt.timedelta(days=60)
    with Store(history["store"]) as store:
        data = report.build(store, ATHLETE, now=later)
    path = report.write_athlete(data, tmp_path / "stale.html")
    v = visit(browser, path, DESKTOP)
    warn = v.page.locator("#stale-warning")
    assert warn.is_visible() and warn.bounding_box()["y"] < DESKTOP["height"]
    last = data["period"]["last_run"][:10]
    days = data["period"]["days_since_last_run"]
    assert data["stale"] == {
        "last_run": last,
        "days": days,
        "warning": (
            f"The latest run is from {last}, {days} days before {later:%Y-%m-%d}: every figure "
            "describes that time, not today, and no advice is given about next week's running."
        ),
    }
    assert warn.inner_text() == (
        data["stale"]["warning"] + " Import your recent runs for a current picture."
    )
    v.page.close()


def test_pages_show_file_names_not_paths(browser, history):
    v = visit(browser, history["page"], DESKTOP)
    html_text = history["page"].read_text(encoding="utf-8")
    for folder in DEEP:
        assert folder not in html_text
    assert str(history["root"]) not in html_text
    rows = v.page.locator("#runs-without-dynamics tbody tr")
    assert rows.count() == 20
    cell = rows.nth(0).locator("td").nth(1).inner_text()
    assert cell.endswith("activity from fenix7 (no sensor).fit") and "/" not in cell
    lr = v.page.inner_text("section#latest-run")
    assert "activity from fr965+stryd.fit)" in lr and str(history["folder"]) not in lr
    # the JSON keeps the full path
    assert history["data"]["latest_run"]["source_name"].startswith(str(history["folder"]))
    v.page.close()


def test_athlete_page_links_back_to_the_team_page(browser, history):
    v = visit(browser, history["page"], DESKTOP)
    link = v.page.locator("#team-link")
    assert link.inner_text() == "← Team page"
    with v.page.expect_navigation():
        link.click()
    assert v.page.title() == "Team report"
    assert v.page.locator("section#team h2").inner_text() == "Team: 1 athlete"
    v.page.close()


def test_strings_read_in_the_runners_terms(history):
    page = history["page"].read_text(encoding="utf-8")
    assert re.search(r"(?<!\d)1 runs", page) is None and " – ." not in page
    sensors = history["data"]["data_quality"]["sensors"]
    assert {s["sensor"] for s in sensors} == {"garmin hrm_run", "garmin hrm_pro", "stryd foot pod"}
    assert "Stryd foot pod" in page


def test_report_cli_in_imperial_units(history, tmp_path, capsys, monkeypatch):
    from analyzer.cli import main

    monkeypatch.setenv("ANALYZER_CONFIG", str(tmp_path / "config.json"))
    monkeypatch.setenv("COLUMNS", "120")
    out = tmp_path / "imperial.html"
    code = main(
        ["report", "--store", str(history["store"]), "--units", "imperial", "--out", str(out)]
    )
    text = capsys.readouterr().out
    assert code == 0
    miles = history["data"]["period"]["distance_km"] / 1.609344
    assert f"{miles:,.0f} mi" in text
    page = out.read_text(encoding="utf-8")
    assert f"{miles:,.0f} mi" in page and "min/mi" in page and " km" not in page.split("<main>")[1]
    # the JSON stays SI whatever the units
    code = main(["report", "--store", str(history["store"]), "--units", "imperial", "--json"])
    assert code == 0 and '"distance_km"' in capsys.readouterr().out
