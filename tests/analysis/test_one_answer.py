"""One answer: every command, the report, the team page and the Python API read one analysis.

A real store (the sample athlete ``imbalance``, a real DuckDB file) with an accepted baseline, an
open pain entry and a history that ended months ago; every surface must give the same index,
level, drivers, plan side and dates. A second test reads the package's source and fails if a
second path assembles the pipeline (trends, flags, weekly load, features) outside the analysis.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pandas as pd
import pytest

import analyzer
from analyzer import import_paths
from analyzer.cli import main

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_data" / "imbalance"
PACKAGE = REPO / "analyzer"

pytestmark = pytest.mark.skipif(
    not SAMPLE.is_dir(), reason="sample_data/imbalance is missing (run `make sample-data`)"
)


def _run(capsys, *argv) -> str:
    code = main(list(argv))
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("one-answer")
    path = root / "s.duckdb"
    with analyzer.Store(path) as s:
        import_paths(s, [SAMPLE], athlete="imbalance", workers=1)
    return path


@pytest.fixture(scope="module")
def prepared(store, tmp_path_factory):
    """The store after the runner accepted the new balance level and logged knee pain."""
    args = ["--store", str(store), "--athlete", "imbalance"]
    assert main(["trends", *args, "--accept-baseline", "gct_balance_left_pct"]) == 0
    with analyzer.Store(store) as s:
        last = pd.to_datetime(s.runs("imbalance")["start_time"], utc=True).max()
    day = (last - pd.Timedelta(days=2)).strftime("%Y-%m-%d")
    pain = ["log", "pain", *args, "--body-part", "knee", "--side", "left", "--pain", "3"]
    assert main([*pain, "--running", "reduced", "--date", day]) == 0
    return store


def checked_drivers(rows) -> dict:
    return {
        d["feature"]: (round(d["contribution"], 2), bool(d["flagged"]), d["status"]) for d in rows
    }


def test_every_surface_gives_the_same_answer(prepared, capsys, tmp_path):
    s = str(prepared)
    base = ["--store", s, "--athlete", "imbalance"]
    risk = json.loads(_run(capsys, "risk", *base, "--json"))
    rec = json.loads(_run(capsys, "recommend", *base, "--json"))
    rep = json.loads(_run(capsys, "report", *base, "--json"))
    team = json.loads(_run(capsys, "report", "--store", s, "--all", "--json"))
    with analyzer.Store(prepared, read_only=True) as st:
        api = analyzer.analyse(st, "imbalance")
    a = api.assessment.to_dict()

    # the accepted baseline is honoured everywhere: the old shift is no longer scored
    index = round(a["index"], 1)
    assert a["level"] == "low" and index < 25
    for other in (risk, rec["assessment"]):
        assert round(other["index"], 1) == index and other["level"] == a["level"]
        assert other["asof"] == a["asof"]
        assert checked_drivers(other["drivers"]) == checked_drivers(a["drivers"])
    assert round(rep["risk"]["index"], 1) == index and rep["risk"]["level"] == a["level"]
    assert checked_drivers(rep["risk"]["drivers"]) == checked_drivers(a["drivers"])
    (row,) = team["athletes"]
    assert round(row["index"], 1) == index and row["level"] == a["level"]
    assert team["reports"]["imbalance"]["risk"]["index"] == rep["risk"]["index"]

    # one plan: the same side and exercises, shaped by the open knee pain
    side = api.plan.side
    ids = [i.exercise for i in api.plan.items]
    assert rec["plan"]["side"] == side == rep["plan"]["side"]
    assert [i["exercise"] for i in rec["plan"]["items"]] == ids
    assert [i["id"] for i in rep["plan"]["items"]] == ids
    assert "squats" not in ids  # deep knee bends are left out while the knee hurts
    assert rec["plan"]["notes"][0].startswith("Open pain (")
    assert all("pain-free" in i["dose"] for i in rec["plan"]["items"])
    assert all(
        i["progression"].startswith("Not while the pain lasts") for i in rep["plan"]["items"]
    )

    # stale: the sample ends months before today, and every surface says so
    assert api.stale is not None
    for warn in (risk["stale"], rec["stale"], rep["stale"]):
        assert warn == api.stale
    assert not any("next week" in n for n in rec["plan"]["notes"])

    # the terminal and the HTML show the same index, level and warning
    term = _run(capsys, "risk", *base)
    assert f"index {a['index']:.0f}" in term and f"({a['level']};" in term
    assert "The latest run is from" in term
    term = _run(capsys, "recommend", *base)
    assert f"index {a['index']:.0f} ({a['level']})" in term
    assert term.index("The latest run is from") < term.index("Hip-exercise plan")
    out = tmp_path / "r.html"
    term = _run(capsys, "report", *base, "--out", str(out))
    assert re.search(rf"index\s+{a['index']:.0f}/100\s+{a['level']}", term)
    page = out.read_text(encoding="utf-8")
    assert f'<span class="big">{a["index"]:.0f}</span>' in page
    assert f"level-{a['level']}" in page and 'id="stale-warning"' in page
    diary = _run(capsys, "diary", *base)
    assert diary.startswith("Note: The latest run is from")


def test_trends_quotes_the_same_comparison_as_the_drivers(prepared, capsys):
    base = ["--store", str(prepared), "--athlete", "imbalance"]
    tr = json.loads(_run(capsys, "trends", *base, "--json"))["athletes"][0]
    with analyzer.Store(prepared, read_only=True) as st:
        api = analyzer.analyse(st, "imbalance")
    cmp = {r["metric"]: r for r in tr["current_vs_baseline"]}
    ctx = api.assessment.context
    assert cmp["gct_balance_left_pct"]["change"] == pytest.approx(ctx["balance_change_pts"])
    assert cmp["cadence_spm"]["change"] == pytest.approx(ctx["cadence_spm_change"])
    assert tr["stale"] == api.stale
    # the report's trend table quotes it too
    rep = json.loads(_run(capsys, "report", *base, "--json"))
    cad = next(m for m in rep["trends"]["metrics"] if m["metric"] == "cadence_spm")
    assert cad["change_at_ref"] == pytest.approx(ctx["cadence_spm_change"], abs=0.006)


def test_recommend_start_without_a_date_means_today(store, capsys, tmp_path):
    import shutil

    copy = tmp_path / "copy.duckdb"
    shutil.copy(store, copy)
    out = _run(capsys, "recommend", "--store", str(copy), "--athlete", "imbalance", "--start")
    assert "Started plan v" in out
    with analyzer.Store(copy, read_only=True) as st:
        from analyzer.store.diary import Diary

        plan = Diary(st).current_plan("imbalance")
    assert plan["start_date"].date() == pd.Timestamp.now().date()


# ---- no second path ------------------------------------------------------------------------------
#: Calls that assemble the per-athlete pipeline; only the analysis (and the metric and risk
#: functions themselves) may make them.
PIPELINE_CALLS = {"trends", "flag_changes", "weekly", "compute", "assess_frames", "assess_features"}
ALLOWED = ("analysis/", "metrics/", "risk/features.py", "risk/assessment.py", "risk/model.py")


#: Modules whose functions assemble the pipeline (as ``module.function`` or imported by name).
PIPELINE_MODULES = {
    "gait",
    "trends",
    "metric_trends",
    "load",
    "features",
    "_features",
    "risk",
    "assessment",
}


def _pipeline_names(tree: ast.AST) -> set[str]:
    """Pipeline functions imported by name from the metric and risk stages."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            ("analyzer.metrics", "analyzer.risk")
        ):
            names |= {a.asname or a.name for a in node.names if a.name in PIPELINE_CALLS}
    return names


def test_no_second_path_assembles_the_pipeline():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith(ALLOWED):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = _pipeline_names(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            if (
                isinstance(f, ast.Attribute)
                and f.attr in PIPELINE_CALLS
                and isinstance(f.value, ast.Name)
                and f.value.id in PIPELINE_MODULES
            ) or (isinstance(f, ast.Name) and f.id in imported):
                found.append(f"{rel}:{node.lineno}")
    assert not found, "build it through analyzer.analysis.analyse instead: " + ", ".join(found)


def test_the_guard_sees_a_second_path(tmp_path):
    """The check above finds the pattern it is for (so it cannot pass by looking nowhere)."""
    src = "from analyzer.metrics import gait\n\ndef f(g):\n    return metric_trends.trends(g)\n"
    tree = ast.parse(src)
    calls = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr in PIPELINE_CALLS
        and n.func.value.id in PIPELINE_MODULES
    ]
    assert len(calls) == 1
    named = ast.parse("from analyzer.risk.features import compute\ncompute(1)\n")
    assert _pipeline_names(named) == {"compute"}
