"""The README's Python example runs as written, so it cannot go stale."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()
SAMPLE = REPO / "sample_data"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README, flags=re.S)


def test_readme_has_a_python_example():
    assert _python_blocks(), "README.md lost its Python example"


def test_readme_python_example_runs(tmp_path, monkeypatch):
    fits = sorted((SAMPLE / "imbalance").glob("*.fit"))
    exports = sorted((SAMPLE / "exports").glob("*.zip"))
    if not fits or not exports:
        pytest.skip("sample_data/ is missing: regenerate it with `make sample-data`")
    # The example names run.fit and export.zip: give it the bundled sample files under those names.
    shutil.copy(fits[0], tmp_path / "run.fit")
    shutil.copy(exports[0], tmp_path / "export.zip")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for block in _python_blocks():
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    activity, runs = namespace["activity"], namespace["runs"]
    assert len(activity.runs()) == 1
    assert activity.records["cadence_spm"].between(140, 220).mean() > 0.9
    assert len(runs) > 10 and set(runs["athlete"]) == {"me"}
    assert (tmp_path / "runs.duckdb").is_file()
