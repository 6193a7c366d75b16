"""Strings from files and arguments reach the terminal as text: no markup, no control bytes.

A real store gets the bundled sample runs under an athlete whose name is console markup plus
an OSC window-title sequence, one more run from a FIT file (built byte by byte) whose product
name is markup plus a clear-screen sequence and whose file name holds an ESC colour sequence,
and a broken file with a clear-screen sequence in its name. Every command is then run through
the real entry point with a forced terminal (``FORCE_COLOR``: rich writes its own styles as
SGR sequences, ``ESC [ ... m``, and a live progress display); after removing those, no ESC byte may remain, and the
hostile strings must appear literally with their control characters shown (``␛``, ``␇``).
"""

from __future__ import annotations

import re
import shutil
import struct
from pathlib import Path

import pytest
from fitbytes import ENUM, STRING, UINT16, running_file
from rich.console import Console

from analyzer import import_paths
from analyzer.cli import main
from analyzer.report.safe import line, text, visible

REPO = Path(__file__).resolve().parents[2]
ATHLETE = "[/bold]\x1b]0;pwned\x07[link=file:///etc/passwd]x[/link]"
PRODUCT = "[/]\x1b[2J[link=file:///etc/passwd]dev[/link]"
RUN_FILE = "run\x1b[31mred.fit"
BROKEN_FILE = "bad\x1b[2J[bold].fit"
#: What rich itself writes: SGR styles (``m``), and for the live progress display erase-line
#: (``K``), cursor-up (``A``) and hide/show cursor. An injected clear screen (``J``), window
#: title (OSC ``]``) or hyperlink (OSC 8) is none of these.
RICH_OWN = re.compile(r"\x1b\[(?:[0-9;]*[mKA]|\?25[lh])")


def _clean(output: str) -> str:
    """The output without rich's own sequences; asserts no other ESC byte is left."""
    rest = RICH_OWN.sub("", output)
    assert "\x1b" not in rest, repr(rest[max(0, rest.find("\x1b") - 60) :][:120])
    assert "\x07" not in rest and "\x9b" not in rest
    return rest


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    runs = root / "runs"
    shutil.copytree(
        REPO / "sample_data" / "balanced", runs, ignore=shutil.ignore_patterns("*.json")
    )
    product = PRODUCT.encode() + b"\x00"
    fields = [(0, ENUM, b"\x04"), (1, UINT16, struct.pack("<H", 255)), (8, STRING, product)]
    (runs / RUN_FILE).write_bytes(running_file(fields))
    (runs / BROKEN_FILE).write_bytes(b"not a FIT file at all")
    store = root / "store.duckdb"
    # Through the library: the CLI refuses control characters in --athlete (cli/options.py), but
    # a store made from Python, or an older store, can still hold such a name.
    from analyzer.store.database import Store

    with Store(store) as s:
        report = import_paths(s, [runs], athlete=ATHLETE, workers=1)
    assert report.failed == 1  # the broken file failed, the rest imported
    return store


@pytest.fixture
def terminal(monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.delenv("NO_COLOR", raising=False)


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_import_summary_shows_hostile_names(tmp_path, capsys, terminal):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / BROKEN_FILE).write_bytes(b"junk")
    first = sorted((REPO / "sample_data" / "balanced").glob("*.fit"))[0]
    shutil.copy(first, folder / first.name)
    markup = "[/bold][link=file:///etc/passwd]x[/link]"  # printable, so --athlete takes it
    code, out, err = _run(
        capsys, "import", folder, "--store", tmp_path / "s.duckdb", "--athlete", markup
    )
    assert code == 1
    out, err = _clean(out), _clean(err)
    assert f"for athlete '{markup}'" in out
    assert (
        f"  {folder}/bad␛[2J[bold].fit: only 4 bytes, too short for a FIT header at byte 0" in out
    )


def test_runs_shows_product_athlete_and_no_hyperlink(hostile_store, capsys, terminal):
    code, out, err = _run(capsys, "runs", "--store", hostile_store)
    assert code == 0, err
    assert "\x1b]8;" not in out  # no OSC 8 hyperlink
    out = _clean(out)
    assert "[/bold]␛]0;pwned␇[link=file:///etc/passwd]x[/link]" in out
    assert "[/]␛[2J[link=file:///etc/passwd]dev[/link]" in out


@pytest.mark.parametrize("command", ["risk", "recommend", "trends"])
def test_scores_and_trends_show_the_athlete_literally(hostile_store, capsys, terminal, command):
    code, out, err = _run(capsys, command, "--store", hostile_store)
    assert code == 0, err
    assert "\x1b]8;" not in out
    out = _clean(out)
    assert "[/bold]␛]0;pwned␇[link=file:///etc/passwd]x[/link]" in out


def test_report_all_shows_the_athlete_literally(hostile_store, tmp_path, capsys, terminal):
    code, out, err = _run(
        capsys, "report", "--all", "--store", hostile_store, "--out", tmp_path / "t.html"
    )
    assert code == 0, err
    assert "\x1b]8;" not in out
    out = _clean(out)
    assert "[/bold]␛]0;pwned␇[link=file:///etc/passwd]x[/link]" in out


def test_error_line_shows_control_characters(hostile_store, capsys):
    code, out, err = _run(capsys, "runs", "--store", hostile_store, "--athlete", "x\x1b[2J")
    assert code == 2  # refused when parsed (cli/options.py), shown escaped
    assert err.startswith("Error: analyzer runs: argument --athlete: 'x\\x1b[2J' holds control")
    assert "\x1b" not in err


def test_safe_helpers_render_through_a_forced_terminal():
    console = Console(force_terminal=True, color_system="truecolor", width=200, record=False)
    with console.capture() as cap:
        console.print(line(("[bold]a\x1b[2J", "bold"), " b\x9b2J\u202e"), text("[/]\x00\x7f"))
    out = cap.get()
    assert _clean(out) == "[bold]a␛[2J b\\x9b2J\\u202e [/]␀␡\n"
    assert visible("tab\there\nnl") == "tab␉here␊nl"
