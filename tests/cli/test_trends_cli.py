"""``analyzer trends`` end to end, and gait trends on simulated athletes written as real FIT files.

One small athlete whose GCT balance shifts to the right from week 5 is simulated (FIT files,
imported into a real DuckDB store in a temp folder). The bundled ``sample_data/`` (a balanced
athlete and one shifting left) is checked against its ground truth when it exists.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLE_DATA
from expected import WEEKLY_COLUMNS

from analyzer import import_paths
from analyzer.cli import main
from analyzer.metrics import trends

SHIFT_WEEK = 5
SHIFT_PTS = 1.6


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    """A store with one simulated athlete whose balance shifts right, and the ground truth."""
    from analyzer.simulate import AthleteProfile, BalanceShift, write_athlete
    from analyzer.store.database import Store

    root = tmp_path_factory.mktemp("trends")
    profile = AthleteProfile(
        name="drifter",
        seed=8,
        weeks=8,
        interval_s=5,
        conditions=(BalanceShift(from_week=SHIFT_WEEK, side="right", size_pts=SHIFT_PTS),),
    )
    store_path = root / "store.duckdb"
    _, truth = write_athlete(profile, root / "fit")
    with Store(store_path) as store:
        import_paths(store, [root / "fit" / profile.name], athlete=profile.name, workers=1)
    return store_path, {profile.name: truth}


def _trends(store_path, athlete):
    from analyzer.store.database import Store

    with Store(store_path) as store:
        return trends.trends(store.gait(athlete))


def test_shift_found_on_the_right_side_within_a_week(sim):
    store_path, truth = sim
    cond = truth["drifter"]["conditions"][0]
    onset = pd.Timestamp(cond["from_date"], tz="UTC")
    ev = trends.flag_changes(_trends(store_path, "drifter"))
    bal = ev[ev["metric"] == "gct_balance_left_pct"]
    assert len(bal) == 1, ev
    assert bal.iloc[0]["side"] == "right"
    assert abs(bal.iloc[0]["onset"] - onset) <= pd.Timedelta(weeks=1)
    assert bal.iloc[0]["size"] == pytest.approx(-SHIFT_PTS, abs=0.5)


def test_fatigue_drift_matches_ground_truth(sim):
    store_path, truth = sim
    tr = _trends(store_path, "drifter")
    runs = pd.DataFrame(truth["drifter"]["runs"])
    runs["start_time"] = pd.to_datetime(runs["start_time"], utc=True)
    merged = tr.merge(runs, on="start_time", suffixes=("", "_truth"))
    assert len(merged) == len(tr)
    err = (
        merged["drift_gct_balance_left_pts"].astype(float)
        - merged["balance_drift_last_minus_first_third_pts"]
    )
    assert err.abs().max() < 0.2, err.abs().describe()
    shifted = merged[merged["balance_shift_pts"] != 0]
    assert shifted["drift_gct_balance_left_pts"].astype(float).median() == pytest.approx(
        truth["drifter"]["conditions"][0]["expected_last_minus_first_third_pts"], abs=0.2
    )


def test_speed_normalisation_on_simulated_runs(sim):
    """The simulator's run paces differ little (sd ~0.1 m/s), so day-to-day noise dominates the
    raw spread; the normalised spread must still be smaller, and the per-athlete slopes must
    match the simulated runner's."""
    from analyzer.metrics.trends import speed_relation

    store_path, truth = sim
    for name in truth:
        tr = _trends(store_path, name)
        ref = tr["ref_speed_mps"].iloc[0]
        for metric, col, slope_key, max_ratio in (
            ("cadence_spm", "cadence_median_spm", "cadence_slope", 0.97),
            ("stance_time_ms", "stance_time_median_ms", "gct_slope", 0.85),
        ):
            ratio = tr[f"{metric}_at_ref"].std() / tr[col].astype(float).std()
            assert ratio < max_ratio, (name, metric, ratio)
            _, slope = speed_relation(tr["speed_median_mps"], tr[col].astype(float), ref_speed=ref)
            assert slope == pytest.approx(truth[name]["gait"][slope_key], rel=0.35), (name, metric)


def test_trends_json_shape(sim, capsys):
    store_path, truth = sim
    assert main(["trends", "--store", str(store_path), "--athlete", "drifter", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (item,) = data["athletes"]
    assert item["athlete"] == "drifter"
    assert item["n_runs"] == len(truth["drifter"]["runs"])
    assert 2.0 < item["ref_speed_mps"] < 4.5
    assert {r["metric"] for r in item["current_vs_baseline"]} == {
        "cadence_spm",
        "stance_time_ms",
        "vertical_oscillation_mm",
        "step_length_mm",
        "vertical_ratio_pct",
        "gct_balance_left_pct",
    }
    (change,) = [c for c in item["changes"] if c["metric"] == "gct_balance_left_pct"]
    assert change["side"] == "right" and change["n_runs"] >= 3
    pd.Timestamp(change["onset"])  # ISO-8601
    run = item["runs"][-1]
    for key in (
        "run_id",
        "start_time",
        "cadence_spm_at_ref",
        "stance_time_ms_resid",
        "gct_balance_baseline_pct",
        "gct_balance_change_pts",
        "balance_shift_flag",
    ):
        assert key in run
    assert isinstance(run["balance_shift_flag"], bool)
    week = item["weekly_load"][-1]
    assert set(week) == {"week", *WEEKLY_COLUMNS}
    assert isinstance(week["n_runs"], int)


def test_trends_tables(sim, capsys):
    store_path, _ = sim
    assert main(["trends", "--store", str(store_path)]) == 0
    out = capsys.readouterr().out
    assert "drifter" in out and "reference speed" in out
    assert "Changes against your reference" in out and "right" in out
    assert "Weekly load" in out and "Recent runs" in out


def test_unknown_athlete_is_an_error(sim, capsys):
    store_path, _ = sim
    assert main(["trends", "--store", str(store_path), "--athlete", "nobody"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and "nobody" in err


def test_empty_store_says_what_to_do(tmp_path, capsys):
    assert main(["trends", "--store", str(tmp_path / "empty.duckdb")]) == 1
    assert "analyzer import" in capsys.readouterr().err


# --------------------------------------------------------------------------- sample_data/


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory):
    truth_file = SAMPLE_DATA / "ground_truth.json"
    if not truth_file.is_file():
        pytest.skip("sample_data/ not written yet (make sample-data)")
    from analyzer.store.database import Store

    index = json.loads(truth_file.read_text())
    path = tmp_path_factory.mktemp("sample") / "store.duckdb"
    with Store(path) as store:
        for name in index["athletes"]:
            import_paths(store, [SAMPLE_DATA / name], athlete=name, workers=1)
    truths = {
        n: json.loads((SAMPLE_DATA / n / "ground_truth.json").read_text())
        for n in index["athletes"]
    }
    return path, truths


def test_sample_data_shifts_are_flagged_at_onset_on_the_right_side(sample_store):
    path, truths = sample_store
    for name, truth in truths.items():
        ev = trends.flag_changes(_trends(path, name))
        bal = ev[ev["metric"] == "gct_balance_left_pct"]
        shifts = [c for c in truth["conditions"] if c["kind"] == "gct_balance_shift"]
        if not shifts:
            assert bal.empty, (name, bal)
            continue
        assert len(bal) == len(shifts), (name, bal)
        for c, (_, e) in zip(shifts, bal.iterrows(), strict=True):
            assert e["side"] == c["side"]
            assert abs(e["onset"] - pd.Timestamp(c["from_date"], tz="UTC")) <= pd.Timedelta(weeks=1)


def test_sample_data_trends_command_shows_both_athletes(sample_store, capsys):
    path, truths = sample_store
    assert main(["trends", "--store", str(path)]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in truths)
    assert "No changes against your reference." in out  # the balanced athlete
    assert "Changes against your reference" in out


def test_sample_data_drift_matches_ground_truth(sample_store):
    path, truths = sample_store
    for name, truth in truths.items():
        tr = _trends(path, name)
        runs = pd.DataFrame(truth["runs"])
        runs["start_time"] = pd.to_datetime(runs["start_time"], utc=True)
        merged = tr.merge(runs, on="start_time")
        err = (
            merged["drift_gct_balance_left_pts"].astype(float)
            - merged["balance_drift_last_minus_first_third_pts"]
        ).to_numpy()
        assert np.nanmax(np.abs(err)) < 0.2, name
