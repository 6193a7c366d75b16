"""The views kept beside the store (``analyzer.store.viewcache``) through the real entry point.

A saved view must print exactly what a build prints (``--json`` byte for byte, the terminal
line for line, the HTML page byte for byte), must be used (no build on a hit), and must never
outlive a write to the store or the instant its analysis names.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analyzer import analysis, import_paths
from analyzer.cli import main
from analyzer.store import viewcache

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_data" / "imbalance"


@pytest.fixture(scope="module")
def store_file(tmp_path_factory):
    if not SAMPLE.is_dir():
        pytest.skip("no sample_data/imbalance")
    from analyzer.store.database import Store

    db = tmp_path_factory.mktemp("views") / "store.duckdb"
    with Store(db) as store:
        import_paths(store, [SAMPLE], athlete="imbalance", workers=1)
    return db


@pytest.fixture
def store(store_file, tmp_path, monkeypatch):
    """A copy of the store per test (its cache folder starts empty); a state just written may
    be saved (the racy-write rule has its own test)."""
    db = tmp_path / "store.duckdb"
    shutil.copy(store_file, db)
    # (the store is its file and its records folder)
    shutil.copytree(
        store_file.with_name(store_file.name + ".records"), db.with_name(db.name + ".records")
    )
    monkeypatch.setattr(viewcache, "RACY_S", 0.0)
    monkeypatch.delenv("ANALYZER_VIEW_CACHE", raising=False)
    return db


def _run(capsys, argv: list[str]) -> str:
    assert main(argv) == 0
    return capsys.readouterr().out


def _no_build(monkeypatch):
    """Make any build of the analysis fail: what prints next comes from the saved views."""

    def boom(*a, **k):
        raise AssertionError("the analysis was built again")

    monkeypatch.setattr(analysis, "analyse", boom)


@pytest.mark.parametrize(
    "argv",
    [
        ["risk", "--json"],
        ["risk"],
        ["recommend", "--json"],
        ["recommend", "--max-items", "3"],
        ["risk", "--json", "--asof", "2026-07-20"],
    ],
)
def test_a_saved_view_prints_what_a_build_prints(store, capsys, monkeypatch, argv):
    argv = [*argv, "--store", str(store)]
    monkeypatch.setenv("ANALYZER_VIEW_CACHE", "0")
    built = _run(capsys, argv)
    assert not (store.parent / "store.duckdb.cache").exists()
    monkeypatch.delenv("ANALYZER_VIEW_CACHE")
    first = _run(capsys, argv)  # builds and saves
    assert list((store.parent / "store.duckdb.cache").iterdir())
    _no_build(monkeypatch)
    saved = _run(capsys, argv)
    assert built == first == saved


def test_the_report_page_from_a_saved_view_is_the_page_of_a_build(store, tmp_path, capsys):
    from analyzer import report

    argv = ["report", "--json", "--store", str(store), "--out"]
    first = _run(capsys, [*argv, str(tmp_path / "a.html")])
    again = _run(capsys, [*argv, str(tmp_path / "b.html")])
    assert first == again  # generated_at included: the saved report is the one built
    page = (tmp_path / "a.html").read_bytes()
    assert (tmp_path / "b.html").read_bytes() == page
    assert report.render_athlete(json.loads(again)).encode() == page
    fresh = report.render_athlete(json.loads(first))  # and from the dict before any save
    assert fresh.encode() == page


def test_a_write_to_the_store_is_a_miss(store, capsys, monkeypatch):
    argv = ["recommend", "--json", "--store", str(store)]
    before = json.loads(_run(capsys, argv))
    assert not before["referral"]
    last = before["assessment"]["asof"][:10]
    # a pain that stopped the running and is still open: the safety stop
    _run(capsys, ["log", "pain", "--store", str(store), "--athlete", "imbalance", "--date", last,
                  "--body-part", "knee", "--side", "left", "--pain", "7", "--running", "stopped"])  # fmt: skip
    after = json.loads(_run(capsys, argv))
    assert after["referral"] and after != before


def test_a_young_store_state_is_not_saved(store, monkeypatch):
    monkeypatch.setattr(viewcache, "RACY_S", 2.0)
    store.touch()  # written "now": a second write in the same tick could look the same
    cache = viewcache.ViewCache(store, "risk", {"athlete": None})
    assert not cache.save({"x": 1}, valid_until=float("inf"))
    assert cache.load() is None


def test_a_changed_key_or_a_foreign_file_is_a_miss(store):
    cache = viewcache.ViewCache(store, "risk", {"athlete": None})
    assert cache.save({"x": 1}, valid_until=float("inf"))
    assert viewcache.ViewCache(store, "risk", {"athlete": None}).load() == {"x": 1}
    assert viewcache.ViewCache(store, "risk", {"athlete": "other"}).load() is None
    cache.path.write_text("{not json")
    assert viewcache.ViewCache(store, "risk", {"athlete": None}).load() is None
    cache = viewcache.ViewCache(store, "risk", {"athlete": None})
    assert cache.save({"x": 1}, valid_until=float("inf"))
    with open(store, "ab") as f:  # any write: size and times change
        f.write(b"\0")
    assert viewcache.ViewCache(store, "risk", {"athlete": None}).load() is None


def test_an_expired_view_is_a_miss(store):
    cache = viewcache.ViewCache(store, "risk", {"athlete": None})
    import time

    assert not cache.save({"x": 1}, valid_until=time.time() - 1)
    assert cache.save({"x": 1}, valid_until=time.time() + 0.2)
    time.sleep(0.3)
    assert viewcache.ViewCache(store, "risk", {"athlete": None}).load() is None


def _views(store, now) -> str:
    from analyzer import report
    from analyzer.store.database import Store

    with Store(store, read_only=True) as s:
        an = analysis.analyse(s, "imbalance", now=now)
        data = report.from_analysis(an, s)
    data.pop("generated_at")
    plan = an.recommend(max_items=5).to_dict()
    out = [an.assessment.to_dict(), plan, an.plan_so_far, an.stale, an.safety, data]
    return json.dumps(out, sort_keys=True, default=str)


@pytest.mark.parametrize("days_after", [0.3, 5.0, 27.6, 28.9, 400.0])
def test_views_hold_until_the_instant_the_analysis_names(store, days_after):
    from analyzer.store.database import Store

    with Store(store, read_only=True) as s:
        last = pd.to_datetime(s.runs("imbalance")["start_time"], utc=True).max()
        now = last + pd.Timedelta(days=days_after)
        an = analysis.analyse(s, "imbalance", now=now)
    until = pd.Timestamp(analysis.unchanged_until(an, asof_given=False), unit="s", tz="UTC")
    assert now < until <= now.normalize() + pd.Timedelta(days=1)
    assert _views(store, now) == _views(store, until - pd.Timedelta(milliseconds=1))


def test_the_app_shows_the_report_the_cli_saved(store, tmp_path, capsys, monkeypatch):
    from analyzer.app.state import AppState

    argv = ["report", "--json", "--athlete", "imbalance", "--store", str(store)]
    printed = json.loads(_run(capsys, [*argv, "--out", str(tmp_path / "r.html")]))
    _no_build(monkeypatch)
    assert AppState(store).report("imbalance") == printed
