"""Scenario athletes as real FIT files: the store sees what the summary level sees; the messy
three-year history has the watches, sensors, duplicates and exports its truth lists."""

from __future__ import annotations

import gzip
import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from analyzer import import_paths
from analyzer.cli import main
from analyzer.fit.activity import read_fit
from analyzer.metrics.gait import SUMMARY_KEYS
from analyzer.simulate.files import write_scenario
from analyzer.simulate.scenarios import GaitChange, Kit, Scenario
from analyzer.simulate.summaries import scenario_summaries
from analyzer.store.database import Store

KIT_CHANGES = Scenario(
    name="kit_change",
    seed=77,
    group="sudden",
    weeks=6,
    changes=(GaitChange("balance", 17.0, -1.4),),
    kit=(Kit(), Kit(14.0, "fr965", "pod"), Kit(28.0, "fr55", "none")),
)


def test_scenario_files_import_to_the_summary_rows(tmp_path):
    paths, truth = write_scenario(KIT_CHANGES, tmp_path / "files", interval_s=5)
    assert len(paths) == len(truth["runs"]) > 15
    saved = json.loads((tmp_path / "files" / "kit_change" / "ground_truth.json").read_text())
    assert saved == truth and truth["changes"][0]["side"] == "right"

    with Store(tmp_path / "s.duckdb") as store:
        report = import_paths(store, [tmp_path / "files"], athlete="kit_change", workers=1)
        assert report.imported == len(paths) and report.count("failed") == 0
        got = store.gait("kit_change")
    want, _ = scenario_summaries(KIT_CHANGES, interval_s=5)
    assert len(got) == len(want)
    assert got["dynamics_source"].tolist() == want["dynamics_source"].tolist()
    assert set(want["dynamics_source"]) == {"chest_strap", "pod", "none"}
    np.testing.assert_array_equal(
        pd.to_datetime(got["start_time"], utc=True), pd.to_datetime(want["start_time"], utc=True)
    )
    np.testing.assert_allclose(got["distance_m"], want["distance_m"], atol=0.01)
    for key in SUMMARY_KEYS:
        if key.endswith("_band"):
            assert got[key].tolist() == want[key].tolist(), key
            continue
        np.testing.assert_allclose(
            pd.to_numeric(got[key]).astype(float),
            pd.to_numeric(want[key]).astype(float),
            atol=1e-6,
            err_msg=key,
        )


def test_watch_without_dynamics_and_pod_files_decode_as_such(tmp_path):
    paths, truth = write_scenario(KIT_CHANGES, tmp_path, interval_s=10)
    by_dyn = {}
    for path, run in zip(paths, truth["runs"], strict=True):
        by_dyn.setdefault(run["dynamics"], path)
    bare = read_fit(by_dyn["none"])
    assert bare.meta["dynamics_source"] == "none"
    assert bare.records["gct_balance_left_pct"].isna().all()
    assert bare.records["cadence_spm"].notna().all()
    pod = read_fit(by_dyn["pod"])
    assert pod.meta["dynamics_source"] == "pod"
    assert pod.records["vertical_oscillation_mm"].notna().all()


@pytest.mark.slow
def test_messy_history_command(tmp_path, capsys):
    out = tmp_path / "messy"
    assert (
        main(
            [
                "simulate",
                "--scenario",
                "messy",
                "--seed",
                "4",
                "--interval",
                "10",
                "--start",
                "2023-11-27",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    truth = json.loads((out / "ground_truth.json").read_text())
    starts = sorted(r["start_time"] for r in truth["runs"])
    # --start: the three years end before 2026-11-24, so no run is dated in the future
    assert "2023-11-27" <= starts[0] < "2023-12-04" and starts[-1] < "2026-11-24"
    printed = capsys.readouterr().out
    assert printed.startswith(f"Wrote a 156-week history, {len(truth['runs'])} runs (fr965 ")
    assert printed.rstrip().endswith(f"to {out}")

    assert set(truth["watches"]) == {"fr965", "fr55", "fr255"}
    for watch, n in truth["watches"].items():
        extra = 1 if watch == "fr55" else 0  # the duplicated run
        assert len(list((out / watch).glob("*.fit"))) == n + extra
    assert [k["dynamics"] for k in truth["kit"]] == ["chest_strap", "pod", "none", "pod"]
    assert len(truth["breaks"]) == 3 and all(3 <= b["weeks"] <= 8 for b in truth["breaks"])
    assert truth["walking_stops"] > 50 and truth["without_dynamics"]

    dup = truth["duplicate"]
    a, b = read_fit(out / dup["original"]), read_fit(out / dup["copy"])
    assert (
        a.meta["dynamics_source"] in ("chest_strap", "pod") and b.meta["dynamics_source"] == "none"
    )
    t0a, t0b = a.sessions["start_time"].iloc[0], b.sessions["start_time"].iloc[0]
    assert pd.Timedelta(seconds=1) <= t0b - t0a <= pd.Timedelta(seconds=5)

    # the Strava export holds the last 26 weeks again, byte for byte
    with zipfile.ZipFile(out / truth["strava_export"]["file"]) as zf:
        blobs = {gzip.decompress(zf.read(n)) for n in zf.namelist() if n.endswith(".fit.gz")}
    assert len(blobs) == truth["strava_export"]["runs"] > 50
    files = {(out / r["file"]).read_bytes() for r in truth["runs"]}
    assert blobs <= files
    # walking stops are not running: the summary of such a run excludes them
    walked = next(r for r in truth["runs"] if r.get("walking_stops_s") and r["dynamics"] != "none")
    act = read_fit(out / walked["file"])
    assert (act.records["speed_mps"] < 1.5).sum() >= sum(walked["walking_stops_s"]) // 10
