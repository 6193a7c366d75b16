"""The CLI in its own process, where processes matter: the console script starting its decoder
pool (the workers must not re-run the script that started them), and commands reading while an
import runs in another process."""

from __future__ import annotations

import json
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


def test_readers_during_an_import(tmp_path, capsys):
    """`analyzer runs` and `athletes` read while an import runs in another process: they see
    whole committed batches, and no second writer slips in while the import lends the file."""
    from analyzer.cli import main
    from analyzer.errors import StoreError
    from analyzer.store.database import Store

    folder = SAMPLE / "imbalance"
    n_fit = len(list(folder.glob("*.fit")))
    if n_fit < 17:
        pytest.skip("sample_data/ is missing: regenerate it with `make sample-data`")
    store = tmp_path / "s.duckdb"
    # fitparse, the slow reference decoder, keeps the import busy for long enough to read
    # during it on any machine.
    argv = [sys.executable, "-m", "analyzer", "import", str(folder), "--store", str(store)]
    proc = subprocess.Popen(
        [*argv, "--athlete", "x", "--decoder", "fitparse", "--workers", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        seen = 0
        while seen == 0:
            assert proc.poll() is None, proc.communicate()
            if store.exists():
                with Store(store, read_only=True) as s:
                    seen = len(s.runs())
        code = main(["runs", "--json", "--store", str(store)])
        out, err = capsys.readouterr()
        assert (code, err) == (0, "")
        listed = json.loads(out)
        code = main(["athletes", "--store", str(store)])
        athletes, err = capsys.readouterr()
        with Store(store, read_only=True) as s:
            torn = s.con.execute(  # runs whose records are not all there
                "SELECT count(*) FROM runs ru WHERE n_records != "
                "(SELECT count(*) FROM records rec WHERE rec.run_key = ru.run_key)"
            ).fetchone()[0]
        blocked, other, finished = 0, [], 0
        for _ in range(5):
            try:
                with Store(store, wait_s=0.3) as s:
                    # a second writer gets in only once the import has written its last run (on a
                    # loaded machine the import may end during these attempts, still exiting)
                    done = len(s.runs())
                if done == n_fit:
                    finished += 1
                else:
                    other.append(f"opened with {done} of {n_fit} runs written")
            except StoreError as exc:
                if "in use by another process" in str(exc):
                    blocked += 1
                else:
                    other.append(str(exc))
        assert proc.poll() is None, "the import finished before the reads: nothing was shown"
    finally:
        stdout, stderr = proc.communicate(timeout=900)
    assert proc.returncode == 0, stderr
    assert 1 <= seen <= len(listed) < n_fit
    assert {r["athlete"] for r in listed} == {"x"}
    assert code == 0 and athletes.splitlines()[1].startswith("x ")
    assert torn == 0
    assert not other and blocked >= 1 and blocked + finished == 5, other
    assert stdout.startswith(f"Imported {n_fit} files ({n_fit} runs, ")
