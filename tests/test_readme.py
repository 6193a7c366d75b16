"""The README's Python example runs as written, saved to a file and run as a plain script (no
``if __name__ == "__main__":`` guard), so it cannot go stale and the decoder processes it starts
cannot re-run it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()
SAMPLE = REPO / "sample_data"

#: Appended to the example: what it computed, as one JSON line the test can read.
CHECKS = """
import json as _json
print(_json.dumps({
    "workers": imported.workers, "imported": imported.imported, "failed": imported.failed,
    "runs": len(runs), "athletes": sorted(set(runs["athlete"])),
    "activity_runs": len(activity.runs()),
    "cadence_in_range": float(activity.records["cadence_spm"].between(140, 220).mean()),
    "index": assessment.index, "plan": len(plan.items),
}))
"""


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README, flags=re.S)


def test_readme_has_a_python_example():
    assert _python_blocks(), "README.md lost its Python example"


def test_readme_python_example_runs_as_a_plain_script(tmp_path):
    fits = sorted((SAMPLE / "imbalance").glob("*.fit"))
    exports = sorted((SAMPLE / "exports").glob("*.zip"))
    if not fits or not exports:
        pytest.skip("sample_data/ is missing: regenerate it with `make sample-data`")
    # The example names run.fit and export.zip: give it the bundled sample files under those names.
    shutil.copy(fits[0], tmp_path / "run.fit")
    shutil.copy(exports[0], tmp_path / "export.zip")
    script = "\n".join(_python_blocks()) + CHECKS
    assert "__main__" not in script  # the point: no guard
    (tmp_path / "example.py").write_text(script)
    env = {k: v for k, v in os.environ.items() if k != "ANALYZER_STORE"}
    proc = subprocess.run(
        [sys.executable, "example.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    # The export holds more files than POOL_MIN_PAYLOADS, so on a machine with more than one
    # core the import ran in a pool of decoder processes: the case that used to re-run the script.
    assert got["workers"] == (os.cpu_count() or 1)
    assert got["imported"] > 10 and got["failed"] == 0
    assert got["runs"] == got["imported"] and got["athletes"] == ["me"]
    assert got["activity_runs"] == 1 and got["cadence_in_range"] > 0.9
    assert 0 <= got["index"] <= 100 and got["plan"] >= 1
    assert (tmp_path / "runs.duckdb").is_file()
