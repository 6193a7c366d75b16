"""The CLI in its own process, where processes matter: the console script starting its decoder
pool (the workers must not re-run the script that started them)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_data"


def _console_script() -> Path:
    script = Path(sys.executable).with_name("analyzer")
    if not script.is_file():
        pytest.skip(f"the console script is not installed beside {sys.executable}")
    return script


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "ANALYZER_STORE"}


def test_console_script_imports_with_a_pool(tmp_path):
    folder = SAMPLE / "balanced"
    n_fit = len(list(folder.glob("*.fit")))
    if n_fit < 17:
        pytest.skip("sample_data/ is missing: regenerate it with `make sample-data`")
    store = tmp_path / "s.duckdb"
    proc = subprocess.run(
        [str(_console_script()), "import", str(folder), "--store", str(store), "--athlete", "b"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    first = proc.stdout.splitlines()[0]
    cores = os.cpu_count() or 1
    pool = f" with {cores} decoder processes" if cores > 1 else ""
    pattern = (
        rf"Imported {n_fit} files \({n_fit} runs, [\d,]+ records\) for athlete 'b' into "
        rf"{re.escape(str(store))} in \d+\.\d s{pool}"
    )
    assert re.fullmatch(pattern, first), first
