"""Start-up: the CLI imports the heavy libraries only in the commands that need them.

Checked in a fresh interpreter (``sys.modules`` after the command), not timed: the times are
measured by ``make bench``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer import import_paths

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("pandas", "sklearn", "scipy", "duckdb", "matplotlib", "fitparse", "jinja2")

_PROBE = """
import contextlib, io, json, sys
import analyzer.cli
argv, heavy = json.loads(sys.argv[1]), json.loads(sys.argv[2])
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = analyzer.cli.main(argv) if argv else 0
print(json.dumps({"code": code, "loaded": sorted(m for m in heavy if m in sys.modules)}))
"""


def _loaded(argv: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(argv), json.dumps(HEAVY)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("argv", [[], ["--help"], ["risk", "--help"], ["import", "--help"]])
def test_help_imports_no_heavy_library(argv):
    got = _loaded(argv)
    assert got["code"] == 0
    assert got["loaded"] == []


@pytest.mark.slow
def test_scoring_with_the_priors_needs_no_scikit_learn(tmp_path):
    """`risk` on a real store loads pandas and DuckDB, but not scikit-learn or SciPy."""
    from analyzer.simulate import AthleteProfile, write_athlete
    from analyzer.store.database import Store

    write_athlete(AthleteProfile(name="a", seed=5, weeks=3, interval_s=10), tmp_path / "sim")
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        import_paths(store, [tmp_path / "sim" / "a"], athlete="a", workers=1)
    got = _loaded(["risk", "--store", str(db), "--json"])
    assert got["code"] == 0
    assert "sklearn" not in got["loaded"] and "scipy" not in got["loaded"]
    assert "pandas" in got["loaded"]  # the probe would see a heavy import if there were one
