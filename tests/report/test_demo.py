"""The demo (sample data → store → team page + athlete reports) and the report/demo commands."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.demo import athlete_folders, run_demo
from analyzer.report import html

# Not imported from tests.conftest: garmin-fit-sdk installs a top-level ``tests`` package that
# can shadow ours.
SAMPLE_DATA = Path(__file__).resolve().parents[2] / "sample_data"


def sample_dir(tmp_factory) -> Path:
    """The committed sample_data/, or the same files generated into a temporary folder."""
    if SAMPLE_DATA.is_dir() and athlete_folders(SAMPLE_DATA):
        return SAMPLE_DATA
    from analyzer.simulate import write_sample_data

    out = tmp_factory.mktemp("sample_data")
    write_sample_data(out)
    return out


#: Both this module and test_report_browser.py use the demo's output; they share one run per
#: session (and one xdist worker, through the group below) because importing takes a while.
pytestmark = pytest.mark.xdist_group("report-demo")
_DEMO_RUNS: dict[str, object] = {}


def cached_demo(tmp_path_factory):
    """One run_demo per pytest session (per worker), in a session temporary folder."""
    key = str(tmp_path_factory.getbasetemp())
    if key not in _DEMO_RUNS:
        out = tmp_path_factory.mktemp("demo")
        lines: list[str] = []
        result = run_demo(out, sample_dir=sample_dir(tmp_path_factory), progress=lines.append)
        result.lines = lines
        _DEMO_RUNS[key] = result
    return _DEMO_RUNS[key]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return cached_demo(tmp_path_factory)


def test_demo_imports_every_athlete_and_writes_linked_reports(demo):
    assert demo.reports_ok
    assert set(demo.reports) == {"balanced", "imbalance"}
    assert any(line.startswith("imported imbalance:") for line in demo.lines)
    page = demo.team_html.read_text()
    for name, path in demo.athlete_html.items():
        assert path.is_file() and path.parent == demo.team_html.parent
        assert f'href="{path.name}"' in page and f">{name}</a>" in page
        text = path.read_text()
        for sid in html.SECTION_IDS:
            assert f'<section id="{sid}">' in text
    assert demo.store_path.is_file()


def test_demo_finds_the_injected_shift(demo):
    """The sample 'imbalance' runner has a 1.8-point left shift from week 8; 'balanced' has none."""
    imb, bal = demo.reports["imbalance"], demo.reports["balanced"]
    assert imb["risk"]["index"] > bal["risk"]["index"] + 20
    assert imb["risk"]["level"] in {"moderate", "high"} and bal["risk"]["level"] == "low"
    assert imb["balance"]["latest_band"] == "orange" and imb["balance"]["latest_pct"] > 50.8
    assert bal["balance"]["latest_band"] == "green"
    assert any(f["metric"] == "gct_balance_left_pct" and f["side"] == "left" for f in imb["flags"])
    assert imb["risk"]["drivers"][0]["feature"] in {"balance_shift_pts", "fatigue_asymmetry_pts"}
    frontal = {"banded_side_step", "clamshell", "side_leg_raises", "lateral_band_walks"}
    assert imb["plan"]["items"][0]["id"] in frontal
    # within-run: the shift grows with fatigue in the sample runner
    thirds = imb["latest_run"]["thirds"]
    assert thirds[2]["gct_balance_left_pct"] > thirds[0]["gct_balance_left_pct"]
    row = {a["athlete"]: a for a in demo.team["athletes"]}
    assert row["imbalance"]["top_exercise"] == imb["plan"]["items"][0]["name"]


def test_demo_reports_are_strict_json_with_data_quality(demo):
    for data in demo.reports.values():
        json.dumps(data, allow_nan=False)
        q = data["data_quality"]
        assert q["n_runs"] == data["period"]["n_runs"] > 20
        assert q["n_with_dynamics"] + q["n_without_dynamics"] == q["n_runs"]
        assert q["devices"] and q["notes"]
        assert len(data["load"]["weeks"]) >= 10


def test_demo_command_prints_path_and_summary(demo, capsys):
    # Same folder: the store is reused, nothing is imported twice.
    assert main(["demo", "--out", str(demo.out_dir)]) == 0
    out = capsys.readouterr().out
    assert "nothing new" in out or "duplicate" in out
    tail = out.strip().splitlines()[-4:]
    assert tail[1] == f"Report: {demo.team_html}"
    assert tail[2].startswith("Open it in a browser: file://")
    assert tail[3].startswith("Or open the app on the demo store: analyzer serve --store ")
    assert "Team: 2 athletes" in out and "imbalance" in out and "/100" in out


def test_report_command_json_and_html(demo, tmp_path, capsys):
    out = tmp_path / "one.html"
    code = main(
        [
            "report",
            "--store",
            str(demo.store_path),
            "--athlete",
            "imbalance",
            "--json",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["kind"] == "athlete_report" and data["athlete"] == "imbalance"
    assert data["risk"]["index"] == demo.reports["imbalance"]["risk"]["index"]
    assert out.is_file() and '<section id="plan">' in out.read_text()


def test_report_all_writes_team_page_and_prints_json(demo, tmp_path, capsys, monkeypatch):
    opened = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url))
    team = tmp_path / "site" / "team.html"
    code = main(
        ["report", "--store", str(demo.store_path), "--all", "--json", "--out", str(team), "--open"]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["kind"] == "team_report" and set(data["reports"]) == {"balanced", "imbalance"}
    for a in data["athletes"]:
        assert (team.parent / a["file"]).is_file()
    assert opened == [team.resolve().as_uri()]


def test_report_terminal_summary_by_default(demo, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--store", str(demo.store_path), "--athlete", "balanced"]) == 0
    out = capsys.readouterr().out
    assert "balanced" in out and "Exercise plan" in out and "not a diagnosis" in out
    assert out.strip().endswith("Report written to report.html")
    assert (tmp_path / "report.html").is_file()


@pytest.mark.parametrize(
    "argv,message,expected",
    [
        ([], "--athlete", 1),
        (["--athlete", "nobody"], "nobody", 1),
        # a file named on the command line that is not there: a usage error
        (["--athlete", "balanced", "--model", "missing-model.json"], "missing-model.json", 2),
    ],
)
def test_report_errors_are_one_line(demo, tmp_path, capsys, argv, message, expected):
    code = main(
        ["report", "--store", str(demo.store_path), "--out", str(tmp_path / "x.html"), *argv]
    )
    err = capsys.readouterr().err
    assert code == expected
    assert re.fullmatch(r"Error: .+\n", err) and message in err
    assert not (tmp_path / "x.html").exists()


def test_report_on_empty_store(tmp_path, capsys):
    code = main(["report", "--store", str(tmp_path / "empty.duckdb"), "--all"])
    assert code == 1
    assert "analyzer import" in capsys.readouterr().err


def test_the_demo_judges_its_sample_as_of_its_last_run(demo):
    """The bundled sample ends on a fixed day: the demo says it judges it as of that day, and
    its first report is not "stale" however long ago that was."""
    (said,) = [ln for ln in demo.lines if ln.startswith("sample data, judged as of its last run")]
    for data in demo.reports.values():
        assert data["stale"] is None and not data["period"]["stale"]
        assert data["period"]["days_since_last_run"] <= 1
    last = max(d["period"]["last_date"] or "" for d in demo.reports.values())
    assert said.endswith(last)
