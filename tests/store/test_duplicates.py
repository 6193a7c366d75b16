"""The same run recorded twice (two watches, two exports) is kept once, in any import order."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from analyzer import import_paths
from analyzer.cli import main
from analyzer.fit.writer import write_fit
from analyzer.fit.writer_devices import Device
from analyzer.metrics import load
from analyzer.schema import DYNAMICS_COLUMNS
from analyzer.store import duplicates
from analyzer.store.database import Store

COROS = "20210507_run_coros_pace_2.fit"
FENIX = "20210507_run_garmin_fenix_6.fit"
SUMMARY_LINE = (
    "1 run recorded twice (another watch or export): kept the one with more dynamics, then more "
    "records; the other is left out of every figure:"
)


def _import(capsys, store, *paths) -> tuple[int, str]:
    code = main(["import", *map(str, paths), "--store", str(store), "--workers", "1"])
    return code, capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.parametrize(
    "order", [(COROS, FENIX), (FENIX, COROS)], ids=["coros-first", "fenix-first"]
)
def test_corpus_two_watches_linked_in_either_order(order, corpus_dir, tmp_path, capsys):
    store = tmp_path / "s.duckdb"
    code, out1 = _import(capsys, store, corpus_dir / order[0])
    assert code == 0 and "recorded twice" not in out1
    code, out2 = _import(capsys, store, corpus_dir / order[1])
    assert code == 0
    lines = out2.splitlines()
    at = lines.index(SUMMARY_LINE)
    assert lines[at + 1] == f"  {corpus_dir / FENIX}: same run as {corpus_dir / COROS}"
    with Store(store) as s:
        kept = s.runs()
        every = s.runs(include_duplicates=True)
        gait = s.gait()
    # The COROS file has step length in its records (dynamics); the fenix 6 has none.
    assert list(kept["source_name"]) == [str(corpus_dir / COROS)]
    assert len(gait) == 1 and gait["run_id"].tolist() == kept["run_id"].tolist()
    fenix = every[every["source_name"] == str(corpus_dir / FENIX)].iloc[0]
    assert fenix["duplicate_of"] == kept["run_id"].iloc[0]
    assert main(["runs", "--store", str(store)]) == 0
    table = capsys.readouterr().out
    assert "2 runs (1 recorded twice, shown but not counted)" in table
    assert f"  {FENIX}: same run as {COROS}\n" in table
    assert "left out" in table and "kept" in table


def _second_watch(run, shift_s: int):
    """The same run on a second watch: started ``shift_s`` later, 1 % more distance, no
    running dynamics (a wrist watch without a strap)."""
    rec = {k: v.copy() for k, v in run.records.items()}
    rec["timestamp"] = rec["timestamp"] + shift_s
    rec["distance_m"] = np.round(rec["distance_m"] * 1.01, 2)
    for col in DYNAMICS_COLUMNS + ("stance_time_pct",):
        rec[col] = np.zeros_like(rec[col])
    segments = [(a + shift_s, b + shift_s) for a, b in run.segments]
    return dataclasses.replace(
        run, records=rec, segments=segments, device=Device(watch="fenix6", strap=None)
    )


@pytest.fixture(scope="module")
def two_watches(tmp_path_factory):
    """Eight simulated runs on a watch with a strap; three of them also on a wrist watch."""
    from analyzer.simulate import AthleteProfile, simulate_athlete

    root = tmp_path_factory.mktemp("two-watches")
    runs = simulate_athlete(AthleteProfile(name="two", seed=4, weeks=2, interval_s=5))[:8]
    main_dir, wrist_dir = root / "strap", root / "wrist"
    main_dir.mkdir()
    wrist_dir.mkdir()
    for run in runs:
        write_fit(run, main_dir / run.name, device=Device(watch="fr965"))
    for i, run in enumerate(runs[1:4]):
        write_fit(_second_watch(run, 5 + 20 * i), wrist_dir / f"wrist-{run.name}")
    truth_km = sum(float(r.records["distance_m"][-1]) for r in runs) / 1000
    return main_dir, wrist_dir, len(runs), truth_km


@pytest.mark.parametrize("order", ["strap-first", "wrist-first", "together"])
def test_two_watches_linked_and_load_not_doubled(order, two_watches, tmp_path):
    main_dir, wrist_dir, n_runs, truth_km = two_watches
    paths = {
        "strap-first": [[main_dir], [wrist_dir]],
        "wrist-first": [[wrist_dir], [main_dir]],
        "together": [[wrist_dir, main_dir]],
    }[order]
    with Store(tmp_path / "s.duckdb") as store:
        reports = [import_paths(store, p, workers=1) for p in paths]
        runs = store.runs()
        every = store.runs(include_duplicates=True)
        weekly = load.weekly(store.gait())
    assert sum(len(r.recorded_twice) for r in reports) >= 3
    assert len(every) == n_runs + 3 and len(runs) == n_runs
    # The strap watch's recording is kept every time (more dynamics).
    assert (runs["device"] == "garmin fr965").all()
    dups = every[every["duplicate_of"].notna()]
    assert sorted(dups["device"]) == ["garmin fenix6"] * 3
    assert set(dups["duplicate_of"]) <= set(runs["run_id"])
    assert weekly["n_runs"].sum() == n_runs
    assert weekly["distance_km"].sum() == pytest.approx(truth_km, rel=0.01)


def _runs(**cols) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    base = {
        "run_id": [f"r{i}" for i in range(n)],
        "activity_id": [f"a{i}" for i in range(n)],
        "athlete": ["x"] * n,
        "distance_m": [10_000.0] * n,
        "n_dynamics": [0] * n,
        "n_records": [100] * n,
    }
    base.update(cols)
    df = pd.DataFrame(base)
    df["start_time"] = pd.Timestamp("2024-03-01 07:00") + pd.to_timedelta(df["start_s"], unit="s")
    df["end_time"] = df["start_time"] + pd.to_timedelta(df["length_s"], unit="s")
    return df


def test_tolerances_and_the_keeper_rule():
    t = duplicates.START_TOLERANCE_S
    # Starts 120 s apart: the same run; 121 s: not.
    assert duplicates.find_links(_runs(start_s=[0, t], length_s=[3000, 3000])) == {"r1": "r0"}
    assert duplicates.find_links(_runs(start_s=[0, t + 1], length_s=[3000, 3000])) == {}
    # Ends 121 s apart, or distances 6 % apart: not the same run.
    assert duplicates.find_links(_runs(start_s=[0, 0], length_s=[3000, 3121])) == {}
    far = _runs(start_s=[0, 0], length_s=[3000, 3000], distance_m=[10_000.0, 10_610.0])
    assert duplicates.find_links(far) == {}
    # Other athletes, or two sessions of one file, are never the same run.
    assert duplicates.find_links(_runs(start_s=[0, 0], length_s=[60, 60], athlete=["x", "y"])) == {}
    same_file = _runs(start_s=[0, 0], length_s=[60, 60], activity_id=["a", "a"])
    assert duplicates.find_links(same_file) == {}
    # More dynamics wins, then more records, then the smaller run_id.
    three = _runs(
        start_s=[0, 5, 9], length_s=[3000] * 3, n_dynamics=[0, 5, 5], n_records=[900, 100, 200]
    )
    assert duplicates.find_links(three) == {"r0": "r2", "r1": "r2"}
    tie = _runs(start_s=[9, 0], length_s=[3000, 3000])
    assert duplicates.find_links(tie) == {"r1": "r0"}
    # Device-relative dates (1990) are never matched.
    old = _runs(start_s=[0, 0], length_s=[60, 60])
    old["start_time"] -= pd.Timedelta(days=365 * 30)
    old["end_time"] -= pd.Timedelta(days=365 * 30)
    assert duplicates.find_links(old) == {}


def test_a_store_made_before_the_new_columns_is_migrated(tmp_path, corpus_dir):
    path = tmp_path / "old.duckdb"
    with Store(path) as s:
        import_paths(s, [corpus_dir / COROS], workers=1)
        for col in ("duplicate_of", "n_dynamics", "avg_cadence_spm_source"):
            s.con.execute(f"ALTER TABLE runs DROP COLUMN {col}")
        s.con.execute("UPDATE runs SET avg_version = 'v1'")
    with Store(path) as s:
        import_paths(s, [corpus_dir / FENIX], workers=1)
        every = s.runs(include_duplicates=True)
    assert every["duplicate_of"].notna().sum() == 1
    assert every["avg_cadence_spm_source"].tolist() == ["records", "records"]


def test_relinking_after_an_import_looks_only_near_the_new_runs(tmp_path):
    """The duplicate search costs the new runs and their neighbours, not the athlete's history:
    one run added to a 50-run history looks at the runs that start near it, no more."""
    from pathlib import Path

    sample = Path(__file__).resolve().parents[2] / "sample_data"
    with Store(tmp_path / "s.duckdb") as s:
        import_paths(s, [sample / "imbalance"], athlete="a", workers=1)
        one = sorted((sample / "balanced").glob("*.fit"))[0]
        rep = import_paths(s, [one], athlete="a", workers=1)
        assert rep.imported == 1
        n = len(s.runs("a"))
        near = duplicates._neighbourhood(s.con, "a", rep.import_id)
        assert n > 40 and 1 <= len(near) <= 3, (n, len(near))
        # the whole history relinked gives the same links as the neighbourhood did
        assert duplicates.link(s.con, "a") == duplicates.find_links(
            s.con.execute(duplicates._RUNS_SQL, ["a"]).df()
        )
