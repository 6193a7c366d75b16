"""The notebooks run top to bottom in the suite (so they cannot go stale) and are committed clean."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ("01-quickstart.ipynb", "02-train-your-own-model.ipynb")
#: Seconds any one cell may take (the quickstart's import of the sample data is the slowest).
CELL_TIMEOUT_S = 300
#: Kernel registered for the test only, so the notebooks run with this interpreter (the venv's),
#: whatever "python3" kernels the machine has installed.
KERNEL_NAME = "analyzer-test-venv"


@pytest.fixture(scope="module")
def kernel_name(tmp_path_factory):
    """A kernelspec pointing at ``sys.executable``, found through a private JUPYTER_PATH."""
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    spec.joinpath("kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "analyzer tests",
                "language": "python",
            }
        )
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_PATH", str(root))
        mp.setenv("MPLBACKEND", "Agg")
        yield KERNEL_NAME


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_committed_without_outputs(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) >= 6
    for cell in code:
        assert cell.outputs == [], f"{name}: a cell has outputs; clear them before committing"
        assert cell.execution_count is None, f"{name}: a cell has an execution count"
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_executes(name, kernel_name, tmp_path):
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError with the cell and traceback on any failure
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    if name.startswith("01"):
        assert len(images) >= 3  # the figures are displayed inline
        # Each sample folder holds more than POOL_MIN_PAYLOADS files, so the kernel decoded them
        # in a pool of worker processes (which must not re-run the kernel's __main__).
        text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
        cores = os.cpu_count() or 1
        lines = re.findall(
            r"^(\w+): (\d+) files imported, 0 failed, decoded in (\d+) processes$", text, re.M
        )
        assert sorted(n for n, _, _ in lines) == ["balanced", "imbalance"], text
        assert all(int(k) > 16 and int(w) == cores for _, k, w in lines), text
