"""Any terminal: `runs`, `trends`, `risk` and `recommend` at 80 and 120 columns print no line
wider than the terminal, cut no date and no number (no ellipsis), through the real entry point."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analyzer.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "imbalance"
#: A date cut at the end of a line or by an ellipsis ("2026-0", "2026-08-…").
PARTIAL_DATE = re.compile(r"\b\d{4}-(\d{0,1}|\d{2}-\d{0,1})(…|$)")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("width") / "s.duckdb"
    assert main(["import", str(SAMPLE), "--store", str(path), "--workers", "1"]) == 0
    return path


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("command", ["runs", "trends", "risk", "recommend"])
def test_output_fits_the_terminal(store, capsys, monkeypatch, command, width):
    capsys.readouterr()
    monkeypatch.setenv("COLUMNS", str(width))
    assert main([command, "--store", str(store)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines
    too_wide = [ln for ln in lines if len(ln) > width]
    assert not too_wide, too_wide[:3]
    assert not [ln for ln in lines if "…" in ln], "a cell was cut"
    assert not [ln for ln in lines if PARTIAL_DATE.search(ln.rstrip(" │┃"))], "a date was cut"
    dates = [m for ln in lines for m in re.findall(r"\b\d{4}-\d{2}-\d{2}\b", ln)]
    assert dates, "every command shows the dates of its numbers"
