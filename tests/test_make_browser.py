"""``make test`` on a fresh machine: the ``browser`` target (a prerequisite of ``test``) installs
Chromium only where it may (root, with apt-get); otherwise it prints one line naming the browser
tests that will skip and how to get them.

The recipe runs for real under a ``PATH`` holding only fakes: ``id`` answers the uid asked for,
``apt-get`` (root case) records its arguments instead of installing anything, and no
``chromium`` is found. Nothing is ever installed by this test.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MAKE = shutil.which("make")

pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed")


def _fake(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def _make_browser(tmp_path: Path, uid: int, apt: bool) -> tuple[str, Path]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake(bin_dir, "id", f'[ "$1" = "-u" ] && echo {uid}')
    log = tmp_path / "apt.log"
    if apt:
        _fake(bin_dir, "apt-get", f'echo "$@" >> "{log}"')
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS")}
    env["PATH"] = str(bin_dir)  # no chromium, no real id or apt-get
    done = subprocess.run(
        [MAKE, "--no-print-directory", "-s", "browser"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, log


def _browser_tests() -> set[str]:
    """Test files that start Chromium (they take its set-up from tests/chromium.py)."""
    found = set()
    for path in (REPO / "tests").rglob("test_*.py"):
        text = path.read_text(encoding="utf-8")
        if path != Path(__file__).resolve() and "chromium.launch(" in text:
            found.add(path.relative_to(REPO).as_posix())
    return found


def test_without_root_one_line_names_the_skipped_tests_and_the_fix(tmp_path):
    out, log = _make_browser(tmp_path, uid=1000, apt=True)
    lines = out.splitlines()
    assert len(lines) == 1, out
    (line,) = lines
    assert "will skip" in line and "sudo apt-get install chromium" in line
    tests = _browser_tests()
    assert len(tests) >= 3
    missing = [t for t in sorted(tests) if t not in line]
    assert not missing, f"the line does not name {missing}: {line}"
    assert not log.exists(), "apt-get ran without root"


def test_as_root_it_installs_chromium_with_apt(tmp_path):
    out, log = _make_browser(tmp_path, uid=0, apt=True)
    assert "installing" in out and "chromium" in out
    calls = log.read_text().splitlines()
    assert any(c.split()[:1] == ["update"] for c in calls)
    assert any("install" in c.split() and "chromium" in c.split() for c in calls), calls


def test_make_test_sets_up_the_browser_first():
    done = subprocess.run(
        [MAKE, "-n", "-p", "test"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    rule = [ln for ln in done.stdout.splitlines() if ln.startswith("test:")]
    assert rule and "browser" in rule[0].split(":", 1)[1].split(), rule
