"""The demo report in headless Chromium: no console errors, no broken images, every section, and
strings from a hostile FIT file shown escaped and inert."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import numpy as np
import pytest
from chromium import CHROMIUM, CHROMIUM_ARGS, MISSING

from analyzer import import_paths
from analyzer.report import html

EVIL_PRODUCT = "<script>window.__xss=1;alert(1)</script>"
EVIL_FIELD = "<img src=x onerror=window.__xss=2>"
EVIL_ATHLETE = "<svg onload=window.__xss=3>"
EVIL_FILE = "run<b onmouseover=window.__xss=4>.fit"
FIT_EPOCH_S = 631065600

pytestmark = [
    pytest.mark.xdist_group("report-demo"),  # shares the demo run with test_demo.py
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=MISSING,
    ),
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    try:  # tests/ is on sys.path (rootdir conftest, no __init__.py): the module pytest loaded
        from test_demo import cached_demo
    except ImportError:  # tests/ became a package
        from tests.test_demo import cached_demo

    return cached_demo(tmp_path_factory)


class Visit:
    """One page load with every console error, page error, failed or external request and dialog."""

    def __init__(self, browser, path: Path):
        self.page = browser.new_page(viewport={"width": 1100, "height": 900})
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.external: list[str] = []
        self.dialogs: list[str] = []
        pg = self.page
        pg.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        pg.on("pageerror", lambda e: self.errors.append(str(e)))
        pg.on("requestfailed", lambda r: self.failed.append(r.url))
        pg.on(
            "request",
            lambda r: None if r.url.startswith(("file:", "data:")) else self.external.append(r.url),
        )
        pg.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        pg.goto(path.resolve().as_uri(), wait_until="load")

    def broken_images(self) -> list[str]:
        return self.page.evaluate(
            "() => Array.from(document.images)"
            ".filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt || i.src.slice(0, 40))"
        )

    def clean(self) -> None:
        assert self.errors == [] and self.failed == [] and self.external == []
        assert self.dialogs == []


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_demo_athlete_reports_render_cleanly(browser, demo, tmp_path):
    for name, path in demo.athlete_html.items():
        v = Visit(browser, path)
        v.clean()
        assert v.broken_images() == []
        assert v.page.evaluate("() => document.images.length") == 5
        for sid in html.SECTION_IDS:
            assert v.page.locator(f"section#{sid}").count() == 1, sid
            assert v.page.locator(f"section#{sid} h2").inner_text().strip()
        assert name in v.page.title()
        shot = tmp_path / f"{name}.png"
        v.page.screenshot(path=str(shot), full_page=True)
        width, height = _png_size(shot)
        assert width == 1100 and height > 3000  # the whole report, not an empty page
        assert shot.stat().st_size > 100_000
        v.page.close()


def test_demo_team_page_links_to_reports(browser, demo, tmp_path):
    v = Visit(browser, demo.team_html)
    v.clean()
    assert v.page.locator("section#team").count() == 1
    assert v.page.locator("section#disclaimer").count() == 1
    links = v.page.locator("section#team a")
    assert links.count() == len(demo.athlete_html) == 2
    v.page.screenshot(path=str(tmp_path / "team.png"), full_page=True)
    assert _png_size(tmp_path / "team.png")[1] > 300
    with v.page.expect_navigation():
        v.page.locator("section#team a", has_text="imbalance").click()
    assert "imbalance" in v.page.title()
    assert v.page.locator("section#plan .exercise").count() >= 3
    v.page.close()


def test_demo_shows_the_plan_so_far(browser, demo):
    """The demo's diary runner: plan version and start, steps, adherence and "did it work?"."""
    v = Visit(browser, demo.athlete_html["imbalance"])
    v.clean()
    section = v.page.locator("section#plan-so-far")
    assert section.count() == 1
    assert (
        section.locator("h2").inner_text().startswith("Your plan so far (v1, started 2026-08-03)")
    )
    rows = section.locator("tbody tr")
    assert rows.count() == 5  # every exercise of the stored plan
    assert "moved up to step" in section.inner_text()
    assert section.locator("#adherence").inner_text().startswith("Adherence: ")
    work = section.locator("#did-it-work").inner_text()
    assert work.startswith(("Changed", "No clear change", "Not enough data"))
    assert "is not proof that the plan caused it" in section.inner_text()
    # the section is the second on the page: right under the summary, before the index
    order = v.page.evaluate(
        "() => Array.from(document.querySelectorAll('main > section')).map(s => s.id)"
    )
    assert order.index("plan-so-far") < order.index("risk")
    v.page.close()
    team = Visit(browser, demo.team_html)
    cells = team.page.locator("section#team tbody tr", has_text="imbalance").locator("td")
    assert cells.nth(6).inner_text().endswith("%") and cells.nth(7).inner_text() == "none"
    team.page.close()


# ---------------------------------------------------------------------------------------------
# a FIT file whose product, sensor and developer field names carry HTML
# ---------------------------------------------------------------------------------------------


def hostile_fit(n: int = 600, start_unix: int = 1_780_000_000) -> bytes:
    """A 10-minute run (1 s records, chest-strap dynamics) from a 'development' device whose
    product name, sensor name and developer field name/units are HTML."""
    from garmin_fit_sdk import Encoder, Profile

    num = Profile["mesg_num"]
    t0 = start_unix - FIT_EPOCH_S
    rng = np.random.default_rng(7)
    enc = Encoder()
    enc.write_mesg(
        {
            "mesg_num": num["FILE_ID"],
            "type": "activity",
            "manufacturer": "development",
            "product": 1,
            "product_name": EVIL_PRODUCT,
            "serial_number": 1234,
            "time_created": t0,
        }
    )
    enc.write_mesg(
        {
            "mesg_num": num["DEVICE_INFO"],
            "timestamp": t0,
            "device_index": 0,
            "manufacturer": "development",
            "product": 1,
            "product_name": EVIL_PRODUCT,
        }
    )
    enc.write_mesg(
        {
            "mesg_num": num["DEVICE_INFO"],
            "timestamp": t0,
            "device_index": 1,
            "device_type": 30,
            "manufacturer": "development",
            "product": 2,
            "product_name": EVIL_FIELD,
            "source_type": "antplus",
        }
    )
    dev_id = {
        "mesg_num": num["DEVELOPER_DATA_ID"],
        "application_id": list(range(16)),
        "developer_data_index": 0,
        "application_version": 1,
    }
    desc = {
        "mesg_num": num["FIELD_DESCRIPTION"],
        "developer_data_index": 0,
        "field_definition_number": 0,
        "fit_base_type_id": 0x84,
        "field_name": EVIL_FIELD,
        "units": EVIL_PRODUCT,
        "native_mesg_num": num["RECORD"],
    }
    enc.write_mesg(dev_id)
    enc.write_mesg(desc)
    enc.add_developer_field("evil", dev_id, desc)
    enc.write_mesg(
        {"mesg_num": num["EVENT"], "timestamp": t0, "event": "timer", "event_type": "start"}
    )
    dist = 0.0
    for i in range(n):
        v = 2.9 + 0.1 * rng.standard_normal()
        dist += v
        spm = int(round(170 + rng.standard_normal()))
        enc.write_mesg(
            {
                "mesg_num": num["RECORD"],
                "timestamp": t0 + i,
                "distance": dist,
                "enhanced_speed": v,
                "heart_rate": 150,
                "cadence": spm // 2,
                "fractional_cadence": (spm % 2) * 0.5,
                "vertical_oscillation": 85.0,
                "stance_time": 250.0 + 3 * rng.standard_normal(),
                "stance_time_percent": 35.0,
                "stance_time_balance": 50.5 + 0.3 * rng.standard_normal(),
                "step_length": 1000.0,
                "vertical_ratio": 8.2,
                "developer_fields": {"evil": 7},
            }
        )
    end = t0 + n - 1
    total = float(n - 1)
    enc.write_mesg(
        {"mesg_num": num["EVENT"], "timestamp": end, "event": "timer", "event_type": "stop_all"}
    )
    enc.write_mesg(
        {
            "mesg_num": num["LAP"],
            "timestamp": end,
            "start_time": t0,
            "sport": "running",
            "total_elapsed_time": total,
            "total_timer_time": total,
            "total_distance": dist,
            "event": "lap",
            "event_type": "stop",
        }
    )
    enc.write_mesg(
        {
            "mesg_num": num["SESSION"],
            "timestamp": end,
            "start_time": t0,
            "sport": "running",
            "sub_sport": "generic",
            "total_elapsed_time": total,
            "total_timer_time": total,
            "total_distance": dist,
            "event": "session",
            "event_type": "stop",
            "first_lap_index": 0,
            "num_laps": 1,
        }
    )
    enc.write_mesg(
        {
            "mesg_num": num["ACTIVITY"],
            "timestamp": end,
            "num_sessions": 1,
            "type": "manual",
            "event": "activity",
            "event_type": "stop",
            "total_timer_time": total,
        }
    )
    return enc.close()


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    from analyzer import report
    from analyzer.store.database import Store

    root = tmp_path_factory.mktemp("hostile")
    src = root / "in"
    src.mkdir()
    (src / EVIL_FILE).write_bytes(hostile_fit())
    with Store(root / "store.duckdb") as store:
        rep = import_paths(store, [src], athlete=EVIL_ATHLETE, workers=1)
        assert rep.imported == 1, rep.entries
        team_path, team, reports = report.write_team(store, root / "out" / "team.html")
    data = reports[EVIL_ATHLETE]
    return team_path, root / "out" / team["athletes"][0]["file"], data


def test_hostile_strings_reach_the_report_escaped(hostile_report):
    team_path, athlete_path, data = hostile_report
    assert EVIL_PRODUCT in str(data["data_quality"]["devices"])  # the data keeps them verbatim
    assert EVIL_FIELD in str(data["data_quality"]["sensors"])
    assert EVIL_FIELD in data["data_quality"]["developer_fields"]  # kept by the store, shown
    assert EVIL_FILE in str(data["latest_run"]["source_name"])
    for path in (athlete_path, team_path):
        text = path.read_text()
        for evil in (EVIL_PRODUCT, EVIL_FIELD, EVIL_ATHLETE, "<b onmouseover"):
            assert evil not in text
        assert "<script" not in text
        assert not re.search(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", text)  # no tag with an on* handler
    page = athlete_path.read_text()
    assert html.esc(EVIL_PRODUCT) in page and html.esc(EVIL_FIELD) in page
    assert html.esc(EVIL_ATHLETE) in page and html.esc(EVIL_FILE) in page


def test_hostile_strings_are_inert_in_the_browser(browser, hostile_report):
    team_path, athlete_path, _ = hostile_report
    for path in (athlete_path, team_path):
        v = Visit(browser, path)
        v.page.mouse.move(10, 10)
        v.page.hover("body")
        assert v.page.evaluate("() => typeof window.__xss") == "undefined"
        assert v.page.evaluate("() => document.scripts.length") == 0
        assert v.page.evaluate("() => document.querySelectorAll('svg, b[onmouseover]').length") == 0
        v.clean()  # no dialog opened, nothing fetched (the img src=x would be a request)
        body = v.page.inner_text("body")
        assert EVIL_ATHLETE in body  # shown as text
        if path == athlete_path:
            assert EVIL_PRODUCT in body and EVIL_FIELD in body
            assert v.broken_images() == []
        v.page.close()
