"""Issue 26, hostile input second round, through the CLI: the diary CSV (formulas, ids that
survive edits, bad numbers, huge fields, ISO week dates), user-named files (missing folder, a
folder, a file-size limit, FIFOs, /dev/zero, binary or deep JSON, huge numbers) and the
network (none, ever)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.store.database import Store

REPO = Path(__file__).resolve().parents[2]
GPX = (
    '<?xml version="1.0"?><gpx version="1.1" creator="x" xmlns="http://www.topografix.com/GPX/1/1">'
    "<trk><type>running</type><trkseg>"
    + "".join(
        f'<trkpt lat="{45 + i * 1e-4:.5f}" lon="7.0"><time>2024-05-01T10:00:{i:02d}Z</time></trkpt>'
        for i in range(30)
    )
    + "</trkseg></trk></gpx>"
)
HEADER = (
    "kind,athlete,date,exercise,sets,reps,seconds,side,feel,pain,body_part,running,resolved,note\n"
)


def one_error(capsys, *argv, within: float = 10.0) -> str:
    started = time.monotonic()
    code = main([str(a) for a in argv])
    assert time.monotonic() - started < within
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert code != 0 and len(lines) == 1 and lines[0].startswith("Error: "), err
    return lines[0]


@pytest.fixture
def store(tmp_path, capsys) -> Path:
    gpx = tmp_path / "run.gpx"
    gpx.write_text(GPX)
    path = tmp_path / "s.duckdb"
    assert (
        main(["import", str(gpx), "--store", str(path), "--athlete", "=cmd", "--workers", "1"]) == 0
    )
    capsys.readouterr()
    return path


def _diary_rows(store: Path) -> int:
    from analyzer.store.diary import Diary

    with Store(store, read_only=True) as s:
        d = Diary(s)
        return len(d.exercises()) + len(d.pain())


def test_diary_export_quotes_formulas_and_round_trips(tmp_path, store, capsys):
    src = tmp_path / "in.csv"
    src.write_text(
        HEADER
        + "pain,=cmd,2024-05-02,,,,,left,,3,@knee,reduced,,+SUM(A1)\n"
        + "exercise,=cmd,2024-05-02,clamshell,2,10,,both,easy,,,,,-1+1\n"
    )
    assert main(["diary", "import", str(src), "--store", str(store)]) == 0
    out = tmp_path / "out.csv"
    assert main(["diary", "export", str(out), "--store", str(store)]) == 0
    rows = list(csv.DictReader(out.open()))
    cells = [v for r in rows for v in r.values() if v]
    assert not [c for c in cells if c[0] in "=+-@\t\r"], cells
    assert "'=cmd" in cells and "'@knee" in cells and "'+SUM(A1)" in cells
    capsys.readouterr()
    # resolve the pain entry and rename the athlete: the ids survive, export→import adds nothing
    with Store(store, read_only=True) as s:
        (pain_id,) = s.con.execute("SELECT entry_id FROM diary_pain").fetchone()
    assert main(["log", "resolve", pain_id, "--date", "2024-05-03", "--store", str(store)]) == 0
    assert main(["athletes", "--store", str(store), "rename", "=cmd", "runner"]) == 0
    assert main(["diary", "export", str(out), "--store", str(store)]) == 0
    before = _diary_rows(store)
    assert main(["diary", "import", str(out), "--store", str(store)]) == 0
    assert _diary_rows(store) == before == 2


@pytest.mark.parametrize(
    "row, expected",
    [
        ("exercise,a,2024-05-02,clamshell,nan,10,,both,easy,,,,,", "sets"),
        ("exercise,a,2024-05-02,clamshell,2,inf,,both,easy,,,,,", "reps"),
        ("pain,a,2024-05-02,,,,,left,,1e400,knee,reduced,,", "pain"),
        ("pain,a,2026-W01-1,,,,,left,,3,knee,reduced,,", "is not a date"),
        ("pain,a,2024-05-02,,,,,left,,3,knee,reduced,," + "x" * 200_000, "not a readable CSV"),
    ],
)
def test_bad_diary_csv_values_are_one_line(tmp_path, store, capsys, row, expected):
    src = tmp_path / "bad.csv"
    src.write_text(HEADER + row + "\n")
    err = one_error(capsys, "diary", "import", src, "--store", store)
    assert expected in err
    assert _diary_rows(store) == 0


def test_diary_export_to_bad_places(tmp_path, store, capsys):
    err = one_error(capsys, "diary", "export", tmp_path / "nope" / "d.csv", "--store", store)
    assert "does not exist" in err
    err = one_error(capsys, "diary", "export", tmp_path, "--store", store)
    assert "a folder" in err


def _with_file_size_limit(limit: int, *argv: str) -> subprocess.CompletedProcess:
    """``analyzer ARGV`` in a process whose files cannot grow past ``limit`` bytes (a full disk,
    as the writer sees it: EFBIG, with SIGXFSZ ignored as a shell's ``ulimit -f`` leaves it)."""
    code = (
        "import resource, signal, sys\n"
        "from analyzer.cli import main\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), resource.RLIM_INFINITY))\n"
        "sys.exit(main(sys.argv[2:]))\n"
    )
    return subprocess.run([sys.executable, "-c", code, str(limit), *argv], cwd=REPO,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def _one_error(res: subprocess.CompletedProcess) -> str:
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("Error:")]
    assert res.returncode == 1 and len(errors) == 1 and "Traceback" not in res.stderr, res.stderr
    return errors[0]


def test_a_file_size_limit_leaves_no_half_file(tmp_path, store):
    out = tmp_path / "r.html"
    _one_error(_with_file_size_limit(1000, "report", "--store", str(store), "--out", str(out)))
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_diary_import_on_a_full_disk_is_one_line_and_writes_nothing(tmp_path, store):
    import datetime as dt

    day = dt.date(2010, 1, 1)
    rows = "".join(
        f"exercise,=cmd,{day + dt.timedelta(days=i)},bridge,3,10,,both,easy,,,,,n{i} {'x' * 150}\n"
        for i in range(30000)
    )
    csv = tmp_path / "big.csv"
    csv.write_text("kind,athlete,date,exercise,sets,reps,seconds,side,feel,pain,body_part,"
                   "running,resolved,note\n" + rows)  # fmt: skip
    before = _diary_rows(store)
    # existing blocks can be rewritten, but no file may grow past the store: a full disk
    limit = store.stat().st_size
    error = _one_error(
        _with_file_size_limit(limit, "diary", "import", str(csv), "--store", str(store))
    )
    assert "cannot rollback" not in error
    assert _diary_rows(store) == before  # all or nothing


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("kind", ["binary", "deep", "dev_zero", "fifo", "huge_number"])
def test_hostile_config_files(tmp_path, monkeypatch, capsys, kind):
    path = tmp_path / "config.json"
    if kind == "binary":
        path.write_bytes(b"\xff\xfe\x00garbage")
    elif kind == "deep":
        path.write_text("[" * 200_000)
    elif kind == "dev_zero":
        path = Path("/dev/zero")
    elif kind == "fifo":
        path = _fifo(tmp_path)
    else:
        path.write_text('{"units": ' + "9" * 5000 + "}")
    monkeypatch.setenv("ANALYZER_CONFIG", str(path))
    err = one_error(capsys, "config", within=5)
    assert "config file" in err


def test_a_model_with_a_5000_digit_intercept(tmp_path, store, capsys):
    from analyzer.risk.scoring import default_model

    text = json.dumps(default_model().to_dict())
    model = tmp_path / "m.json"
    data = json.loads(text)
    model.write_text(text.replace(json.dumps(data["intercept"]), "1" + "0" * 5000, 1))
    err = one_error(capsys, "risk", "--store", store, "--model", model)
    assert "m.json" in err


AUDIT = """
import socket, sys
def hook(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname"):
        sys.stderr.write("NETWORK " + event + "\\n")
        raise RuntimeError("network")
sys.addaudithook(hook)
from analyzer.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_no_command_touches_the_network(tmp_path, store):
    import sqlite3

    sqlite = tmp_path / "file.sqlite"
    sqlite3.connect(sqlite).execute("CREATE TABLE t (a)").connection.close()
    gpx = tmp_path / "two.gpx"
    gpx.write_text(GPX.replace("2024-05-01", "2024-05-02"))
    s = str(store)
    commands = [
        ["runs", "--store", str(sqlite)],
        ["import", str(gpx), "--store", s, "--workers", "1"],
        ["runs", "--store", s],
        ["athletes", "--store", s],
        ["diary", "--store", s],
        ["diary", "export", str(tmp_path / "d.csv"), "--store", s],
        ["check", "--store", s],
        ["risk", "--store", s],
        ["report", "--store", s, "--out", str(tmp_path / "r.html")],
        ["config"],
    ]
    env = {**os.environ, "ANALYZER_CONFIG": str(tmp_path / "c.json")}

    def run(argv):
        return subprocess.run([sys.executable, "-c", AUDIT, *argv], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=120)  # fmt: skip

    for argv in commands:
        res = run(argv)
        assert "NETWORK" not in res.stderr, (argv, res.stderr)
        assert "Traceback" not in res.stderr, (argv, res.stderr)
