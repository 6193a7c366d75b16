"""`analyzer serve` as a real process, driven by Debian's Chromium: import, report, diary, plan,
rename, at 1,400 px and 390 px; plus the guard against the real server and a clean Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import pytest
from appkit import SAMPLE_ZIP
from chromium import CHROMIUM, CHROMIUM_ARGS

FIRST_LINE = re.compile(r"^analyzer app: http://127\.0\.0\.1:(\d+)/\?token=([\w-]+)$")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``analyzer serve --port 0 --no-browser`` on a new store; yields (url, port, process)."""
    tmp = tmp_path_factory.mktemp("serve")
    env = {**os.environ, "ANALYZER_CONFIG": str(tmp / "config.json")}
    # stderr to a file and stdout drained: a pipe nobody reads fills up and stops the server
    # (and the import child, which shares its stderr) in the middle of a test
    err = (tmp / "stderr.txt").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "analyzer", "serve", "--port", "0", "--no-browser",
         "--store", str(tmp / "app.duckdb")],
        stdout=subprocess.PIPE, stderr=err, text=True, env=env,
    )  # fmt: skip
    proc.stderr = err
    line = proc.stdout.readline().rstrip("\n")
    m = FIRST_LINE.match(line)
    assert m, f"first line was {line!r}"
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    yield line.split(": ", 1)[1], int(m[1]), proc
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)


def _status(url: str, headers: dict | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {})) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_real_server_refuses_no_token_and_a_foreign_host(server):
    url, port, _ = server
    token = url.rsplit("=", 1)[1]
    assert _status(f"http://127.0.0.1:{port}/api/athletes") == 403
    auth = {"Authorization": f"token {token}"}
    assert _status(f"http://127.0.0.1:{port}/api/athletes", auth) == 200
    assert _status(f"http://127.0.0.1:{port}/api/athletes", {**auth, "Host": "evil.example"}) == 403


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package `chromium`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize(
    ("width", "export"),
    [(1400, SAMPLE_ZIP), (390, SAMPLE_ZIP.with_name("balanced_strava_export.zip"))],
)
def test_import_report_diary_plan_rename(server, browser, width, export):
    url, port, _ = server
    athlete, renamed = f"runner{width}", f"Runner {width} B"
    ctx = browser.new_context(viewport={"width": width, "height": 900})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url)
    assert page.url == f"http://127.0.0.1:{port}/"  # the token traded for a cookie
    assert _no_horizontal_scroll(page)

    page.click("#nav-import")
    # the page's script must be listening before the file is chosen (on a loaded machine the
    # click landed before it was, and the import button then had no file to send)
    page.wait_for_load_state("load")
    page.fill("input[name=athlete]", athlete)
    page.set_input_files("#file-input", str(export))
    page.wait_for_function("document.getElementById('chosen').textContent.includes('chosen')")
    page.click("#import-button")
    # the import runs in a child process with its decoder pool: slow on a loaded 2-core machine.
    # The bar gets its data-state when the import ends either way: a failed import fails here
    # with the app's own message, one still running after 240 s with where it got to.
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_selector("#progress[data-state]", state="attached", timeout=240_000)
    except PlaywrightTimeout:
        pytest.fail(f"import not finished after 240 s: {page.text_content('#progress-box')!r}")
    state = page.get_attribute("#progress", "data-state")
    assert state == "done", f"import {state}: {page.text_content('#summary')!r}"
    page.wait_for_selector("#summary-counts")
    assert page.eval_on_selector("#progress", "p => p.value === p.max && p.max > 1")
    assert page.get_attribute("#progress", "data-state") == "done"
    imported = page.text_content("#summary-counts dd[data-key=imported]")
    assert re.match(r"[1-9]\d* files", imported), imported
    assert page.text_content("#summary-counts dd[data-key=failed]") == "0"
    assert _no_horizontal_scroll(page)

    page.click("#summary-link")
    page.wait_for_selector("#summary .big, #cannot-judge")
    assert page.is_visible("#plan") and page.is_visible("#this-week ol")
    assert _no_horizontal_scroll(page)

    page.click("#nav-diary")
    page.select_option("#exercise-form select[name=exercise]", "clamshell")
    page.click("#exercise-form button")
    page.wait_for_selector("#flash")
    assert "Logged Clamshell" in page.text_content("#flash")
    page.fill("#pain-form input[name=body_part]", "knee")
    page.fill("#pain-form input[name=pain]", "2")
    page.click("#pain-form button")
    page.wait_for_selector("#pains")
    page.click("#plan-form button")
    page.wait_for_selector("#adherence, #plan-so-far table")
    assert "Started plan v1" in page.text_content("#flash")
    assert "clamshell" in page.text_content("#sessions")
    assert _no_horizontal_scroll(page)

    page.click("#nav-report")
    page.fill("#rename-form input[name=new]", renamed)
    page.click("#rename-form button")
    page.wait_for_selector("#flash")
    assert page.text_content("h1").endswith(renamed)
    assert _no_horizontal_scroll(page)
    page.click("#nav-athletes")
    assert renamed in page.text_content("#team")
    assert _no_horizontal_scroll(page)
    assert errors == []
    ctx.close()


def test_ctrl_c_stops_the_server_cleanly(server):
    _, _, proc = server
    proc.send_signal(signal.SIGINT)
    assert proc.wait(30) == 0
    proc.stderr.seek(0)
    assert "Traceback" not in proc.stderr.read()
