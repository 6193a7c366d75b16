"""`analyzer import` and `analyzer runs` through the real entry point (in-process), on real
corpus files packed into the layouts of real exports at test time."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from analyzer.cli import main
from analyzer.schema import AVERAGE_METRICS
from analyzer.store.database import Store

GOOD = ["garmin-fenix-5-run.fit", "FR630-with-lth.fit", "Activity.fit"]
BROKEN = [
    "activity-filecrc.fit",  # bad CRC
    "activity-unexpected-eof.fit",  # truncated
    "activity-settings-corruptheader.fit",  # corrupt header
    "empty-sessions.fit",  # 0 bytes
]
JSON_KEYS = (
    [
        "source_name",
        "activity_id",
        "start_time",
        "sport",
        "device",
        "dynamics_source",
        "distance_m",
        "timer_s",
    ]
    + [f"avg_{m}" for m in AVERAGE_METRICS]
    + [f"watch_avg_{m}" for m in AVERAGE_METRICS]
)


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _runs_json(capsys, store) -> list[dict]:
    code, out, _ = _run(capsys, "runs", "--json", "--store", store)
    assert code == 0
    return json.loads(out)  # strict JSON: NaN would not parse as null


@pytest.fixture(scope="module")
def data(corpus_dir) -> dict[str, bytes]:
    return {n: (corpus_dir / n).read_bytes() for n in GOOD + BROKEN}


@pytest.fixture(scope="module")
def all_broken(manifest, corpus_dir) -> dict[str, bytes]:
    """Every file the corpus manifest lists as broken (bad CRC, truncated, bad header, empty)."""
    names = [f["file"] for f in manifest["files"] if f["category"] == "broken"]
    assert set(BROKEN) <= set(names)
    return {n: (corpus_dir / n).read_bytes() for n in names}


@pytest.fixture
def store(tmp_path) -> Path:
    return tmp_path / "store.duckdb"


def test_zip_mixing_good_and_broken_files(tmp_path, store, data, all_broken, capsys):
    """With --strict every damaged file fails with one line naming it; the rest is imported."""
    mixed = tmp_path / "mixed.zip"
    members = {**{n: data[n] for n in GOOD}, **all_broken, "notes.json": b"{}"}
    mixed.write_bytes(_zip(members))
    code, out, _ = _run(
        capsys, "import", mixed, "--store", store, "--workers", "1", "--athlete", "ana", "--strict"
    )
    assert code == 1
    assert "  imported:    3" in out and "  skipped:     1" in out
    assert f"  failed:      {len(all_broken)}" in out
    failed = out.split("Failed:\n", 1)[1].splitlines()
    for name in all_broken:
        lines = [ln for ln in failed if f"{mixed}!{name}: " in ln]
        assert len(lines) == 1, f"{name} should get exactly one line naming it:\n{out}"
    assert any("CRC mismatch" in ln for ln in failed)
    assert any("empty file" in ln for ln in failed)
    runs = _runs_json(capsys, store)
    assert sorted(r["source_name"] for r in runs) == sorted(f"{mixed}!{n}" for n in GOOD)


def test_garmin_and_strava_exports_in_one_command(tmp_path, store, data, capsys):
    part1 = _zip(
        {
            "user_1.fit": data["garmin-fenix-5-run.fit"],
            "user_2.tcx": b"<TrainingCenterDatabase/>",
            "4242.zip": _zip({"4242_ACTIVITY.fit": data["FR630-with-lth.fit"]}),
        }
    )
    garmin = tmp_path / "garmin.zip"
    garmin.write_bytes(
        _zip(
            {
                "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip": part1,
                "DI_CONNECT/DI-Connect-Fitness/me_summarizedActivities.json": b"[]",
            }
        )
    )
    strava = tmp_path / "export_77.zip"
    strava.write_bytes(
        _zip(
            {
                "activities.csv": b"Activity ID,Filename\n",
                "activities/9.fit.gz": gzip.compress(data["Activity.fit"]),
                "activities/10.gpx": b"<gpx/>",
            }
        )
    )
    code, out, _ = _run(capsys, "import", garmin, strava, "--store", store, "--workers", "1")
    assert code == 0, out
    part = f"{garmin}!DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip"
    names = sorted(r["source_name"] for r in _runs_json(capsys, store))
    assert names == sorted(
        [
            f"{part}!user_1.fit",
            f"{part}!4242.zip!4242_ACTIVITY.fit",
            f"{strava}!activities/9.fit.gz",
        ]
    )
    assert "skipped:     2" in out  # json, csv
    assert "not a run:   2" in out  # a TCX and a GPX without timed points (course, route)

    # The same exports again: nothing new, every activity file a duplicate, still exit 0.
    code, out, _ = _run(capsys, "import", garmin, strava, "--store", store, "--workers", "1")
    assert code == 0
    assert out.startswith("Imported 0 files (0 runs, 0 records)")
    assert "  duplicates:  5" in out
    assert len(_runs_json(capsys, store)) == 3


def test_runs_json_shape(tmp_path, store, corpus_dir, capsys):
    code, _, _ = _run(
        capsys,
        "import",
        corpus_dir / "garmin-fenix-5-run.fit",
        corpus_dir / "Activity.fit",
        "--store",
        store,
        "--workers",
        "1",
    )
    assert code == 0
    runs = _runs_json(capsys, store)
    assert len(runs) == 2
    for r in runs:
        assert set(JSON_KEYS) <= set(r), set(JSON_KEYS) - set(r)
        assert pd.Timestamp(r["start_time"]).tzname() == "UTC"
        assert r["sport"] == "running"
    by_name = {Path(r["source_name"]).name: r for r in runs}
    fenix, plain = by_name["garmin-fenix-5-run.fit"], by_name["Activity.fit"]
    assert fenix["device"] == "garmin fenix5" and fenix["dynamics_source"] == "chest_strap"
    assert fenix["watch_avg_gct_balance_left_pct"] == pytest.approx(52.39)
    assert plain["watch_avg_stance_time_ms"] is None  # absent → null, never NaN or 0
    assert plain["avg_stance_time_ms"] is None
    # The gait summary rides along (issue: gait metrics): medians, balance deviation, bands, drift.
    from analyzer.metrics import gait

    summary_keys = set(gait.summarize(pd.DataFrame()).index)
    assert summary_keys <= set(fenix), summary_keys - set(fenix)
    assert fenix["gct_balance_left_median_pct"] > 50  # this file leans left (52.4 % on the watch)
    assert fenix["gct_balance_dev_pts"] == pytest.approx(fenix["gct_balance_left_median_pct"] - 50)
    assert plain["stance_time_median_ms"] is None and plain["n_running"] >= 0


def test_runs_table(store, corpus_dir, capsys):
    _run(capsys, "import", corpus_dir / "FR630-with-lth.fit", "--store", store, "--workers", "1")
    code, out, _ = _run(capsys, "runs", "--store", store)
    assert code == 0
    # 20:02 UTC; the watch's own local time (activity.local_timestamp) was UTC+1
    assert "1 run" in out and "2015-11-27 21:02" in out and "date (local)" in out
    assert "garmin fr630" in out and "chest_strap" in out
    assert "2.03" in out and "0:13:39" in out and "6:44" in out  # km, duration, pace /km


def test_runs_on_an_empty_store(store, capsys):
    # Only `import` creates a store: a mistyped --store is an error, not a new empty database.
    code, _, err = _run(capsys, "runs", "--store", store)
    assert code == 1 and f"no store at {store}" in err
    assert not Path(store).exists()
    Store(store).close()
    code, out, _ = _run(capsys, "runs", "--store", store)
    assert code == 0 and "No runs in" in out
    code, out, _ = _run(capsys, "runs", "--store", store, "--json")
    assert code == 0 and json.loads(out) == []


def test_runs_for_an_unknown_athlete(store, corpus_dir, capsys):
    _run(
        capsys,
        "import",
        corpus_dir / "Activity.fit",
        "--store",
        store,
        "--athlete",
        "ana",
        "--workers",
        "1",
    )
    code, _, err = _run(capsys, "runs", "--store", store, "--athlete", "bob")
    assert code == 1
    assert err.startswith("Error: no athlete named 'bob'") and "known: ana" in err


def test_store_from_environment(tmp_path, corpus_dir, monkeypatch, capsys):
    path = tmp_path / "env" / "x.duckdb"
    monkeypatch.setenv("ANALYZER_STORE", str(path))
    code, out, _ = _run(capsys, "import", corpus_dir / "Activity.fit", "--workers", "1")
    assert code == 0 and str(path) in out and path.is_file()


def test_usage_errors(tmp_path, store, capsys):
    code, _, err = _run(capsys, "import", tmp_path / "missing.zip", "--store", store)
    assert code == 2 and f"Error: no such file or folder: {tmp_path / 'missing.zip'}" in err
    assert not store.exists()
    code, _, err = _run(capsys, "import", tmp_path, "--workers", "0", "--store", store)
    assert code == 2 and "argument --workers: 0 is not a whole number from 1 to 256" in err
    code, _, err = _run(capsys, "import", "--store", store)
    assert code == 2 and "PATH" in err


def test_not_a_store(tmp_path, corpus_dir, capsys):
    bad = tmp_path / "notes.txt"
    bad.write_text("plain text, not DuckDB\n" * 50)
    code, _, err = _run(capsys, "import", corpus_dir / "Activity.fit", "--store", bad)
    assert code == 1 and err.startswith(f"Error: {bad}: cannot open the store")


def test_zip_bomb_and_deep_nesting_are_refused_with_a_clear_message(tmp_path, store, data, capsys):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("ok.fit", data["Activity.fit"])
        with zf.open("zeros.fit", "w") as member:
            for _ in range(32):
                member.write(bytes(1 << 20))
    inner = _zip({"deep.fit": data["garmin-fenix-5-run.fit"]})
    for level in range(5, 0, -1):
        inner = _zip({f"level{level + 1}.zip": inner})
    deep = tmp_path / "deep.zip"
    deep.write_bytes(inner)
    code, out, _ = _run(capsys, "import", bomb, deep, "--store", store, "--workers", "1")
    assert code == 1
    assert f"{bomb}!zeros.fit: unsafe archive: compression ratio above 200:1" in out
    assert "looks like a zip bomb" in out
    assert "level5.zip: unsafe archive: nested deeper than 4 archives" in out
    assert "  imported:    1" in out  # ok.fit beside the bomb still lands


def test_decoder_choice_gives_the_same_runs(tmp_path, corpus_dir, capsys):
    """`--decoder fitparse` (the reference) and the default fast path store the same runs."""
    out = {}
    for decoder in ("auto", "fitparse"):
        store = tmp_path / f"{decoder}.duckdb"
        code, _, _ = _run(
            capsys,
            "import",
            corpus_dir / "garmin-fenix-5-run.fit",
            "--store",
            store,
            "--workers",
            "1",
            "--decoder",
            decoder,
        )
        assert code == 0
        out[decoder] = _runs_json(capsys, store)
    (fast,), (ref,) = out["auto"], out["fitparse"]
    assert (fast.pop("decoder"), ref.pop("decoder")) == ("fast", "fitparse")
    assert fast == ref
    code, _, err = _run(capsys, "import", corpus_dir, "--decoder", "quick")
    assert code == 2 and "invalid choice" in err
