"""analyzer.store.database: a real DuckDB file in tmp_path, real corpus files."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from analyzer import import_paths
from analyzer.errors import NotFound, StoreError
from analyzer.fit.activity import read_fit
from analyzer.ingest.worker import decode_payload
from analyzer.schema import AVERAGE_METRICS, RECORD_COLUMNS, STRYD_COLUMNS
from analyzer.store.blocks import Block
from analyzer.store.database import GAIT_ID_COLUMNS, RUN_ID_COLUMNS, Store
from analyzer.store.rows import Decoded, DecodedRun

#: file → expected outcome of its import.
FILES = {
    "garmin-fenix-5-run.fit": "imported",  # chest-strap dynamics, smart recording
    "FR630-with-lth.fit": "imported",
    "multisport-triathlon-fenix3.fit": "imported",  # one running leg of five sessions
    "3386684871.fit": "imported",  # Stryd developer fields
    "garmin-fenix-5-bike.fit": "not_run",
    "MonitoringFile.fit": "not_run",
    "empty-activities.fit": "failed",
}


@pytest.fixture(scope="module")
def folder(corpus_dir, tmp_path_factory):
    d = tmp_path_factory.mktemp("export")
    for name in FILES:
        shutil.copy(corpus_dir / name, d / name)
    (d / "notes.csv").write_text("not,fit\n")
    return d


@pytest.fixture(scope="module")
def imported(folder, tmp_path_factory):
    path = tmp_path_factory.mktemp("store") / "runs.duckdb"
    store = Store(path)
    report = import_paths(store, [folder], athlete="ana", workers=1)
    yield store, report
    store.close()


@pytest.fixture(scope="module")
def decoded(folder):
    """read_fit of each imported file (the reference the store must reproduce)."""
    return {n: read_fit(folder / n) for n, o in FILES.items() if o == "imported"}


def _by_file(report):
    return {e.name.rsplit("/", 1)[-1]: e for e in report.entries}


def _counts(store) -> dict[str, int]:
    return {
        t: store.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("activities", "runs", "records", "laps", "gait_cache")
    }


def test_every_payload_gets_an_outcome(imported):
    _, report = imported
    got = {name: e.outcome for name, e in _by_file(report).items()}
    assert got == {**FILES, "notes.csv": "skipped"}
    entries = _by_file(report)
    assert "file CRC mismatch" in entries["empty-activities.fit"].detail
    assert entries["garmin-fenix-5-bike.fit"].detail == "not a run (cycling)"
    assert entries["MonitoringFile.fit"].detail == "not an activity file (monitoring_b)"
    assert report.imported == 4 and report.runs == 4 and report.failed == 1
    assert not report.ok


def test_import_log_records_every_outcome(imported):
    store, report = imported
    log = store.import_log(report.import_id)
    assert sorted(log["outcome"]) == sorted(e.outcome for e in report.entries)
    failed = log[log["outcome"] == "failed"].iloc[0]
    assert failed["source_name"].endswith("empty-activities.fit") and "CRC" in failed["detail"]
    assert str(log["logged_at"].dt.tz) == "UTC"


def test_activity_id_is_the_sha256_of_the_bytes(imported, folder):
    store, _ = imported
    known = store.known_activities()
    for name, outcome in FILES.items():
        digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        assert (digest in known) == (outcome != "failed"), name


def test_runs_table(imported, decoded):
    store, _ = imported
    runs = store.runs()
    expected_cols = list(RUN_ID_COLUMNS) + [f"avg_{m}" for m in AVERAGE_METRICS]
    expected_cols += [f"watch_avg_{m}" for m in AVERAGE_METRICS]
    assert set(expected_cols) <= set(runs.columns)
    assert len(runs) == 4
    assert str(runs["start_time"].dt.tz) == "UTC"
    assert runs["start_time"].is_monotonic_increasing
    assert set(runs["athlete"]) == {"ana"}
    for name, act in decoded.items():
        (run,) = act.runs()
        row = runs.set_index("run_id").loc[run.run_id]
        assert run.run_id == f"{act.activity_id}:{run.session_index}"
        assert row["activity_id"] == act.activity_id
        assert row["source_name"].endswith(name)
        assert row["start_time"] == run.session["start_time"]
        assert row["n_records"] == len(run.records)
        assert row["dynamics_source"] == act.meta["dynamics_source"]
        for col in [c for c in runs.columns if c.startswith("watch_avg_")]:
            want = run.session.get(col, np.nan)
            assert row[col] == pytest.approx(want, nan_ok=True), (name, col)
    multi = runs[runs["source_name"].str.endswith("multisport-triathlon-fenix3.fit")].iloc[0]
    assert multi["run_id"].endswith(":4") and multi["sport"] == "running"
    fenix = runs[runs["source_name"].str.endswith("garmin-fenix-5-run.fit")].iloc[0]
    assert fenix["device"] == "garmin fenix5" and bool(fenix["has_dynamics"])


def test_records_round_trip_exactly(imported, decoded):
    store, _ = imported
    for name, act in decoded.items():
        (run,) = act.runs()
        got = store.records(run.run_id)
        want = run.records.drop(columns=["session_index"], errors="ignore").reset_index(drop=True)
        assert list(got.columns[: len(RECORD_COLUMNS)]) == list(RECORD_COLUMNS), name
        assert str(got["timestamp"].dt.tz) == "UTC"
        assert (got["timestamp"] == want["timestamp"]).all(), name
        for col in want.columns:
            if not isinstance(col, str) or col == "timestamp" or want[col].isna().all():
                continue
            np.testing.assert_array_equal(
                got[col].to_numpy(), want[col].to_numpy(), err_msg=f"{name} {col}"
            )


def test_stryd_columns_are_kept(imported, decoded):
    store, _ = imported
    (run,) = decoded["3386684871.fit"].runs()
    stryd = [c for c in STRYD_COLUMNS if c in run.records and run.records[c].notna().any()]
    assert stryd, "the Stryd file should carry Stryd columns"
    got = store.records(run.run_id)
    for col in stryd:
        np.testing.assert_array_equal(got[col].to_numpy(), run.records[col].to_numpy())
    (plain,) = decoded["FR630-with-lth.fit"].runs()
    assert not set(stryd) & set(store.records(plain.run_id).columns)


def test_developer_field_descriptions_are_kept(imported, decoded):
    store, _ = imported
    act = decoded["3386684871.fit"]
    got = store.developer_fields("ana")
    mine = got[got["activity_id"] == act.activity_id]
    assert len(mine) == len(act.developer_fields) > 0
    assert set(mine["name"]) == set(act.developer_fields["name"])
    assert "form_power_w" in set(mine["column"].dropna())
    # files without developer data add no rows
    plain = decoded["FR630-with-lth.fit"]
    assert not (got["activity_id"] == plain.activity_id).any()


def test_laps(imported, decoded):
    store, _ = imported
    (run,) = decoded["FR630-with-lth.fit"].runs()
    laps = store.laps(run.run_id)
    assert len(laps) == len(run.laps) > 0
    assert laps["total_distance_m"].sum() == pytest.approx(run.laps["total_distance_m"].sum())


def test_reimport_adds_nothing(imported, folder):
    store, _ = imported
    before = _counts(store)
    again = import_paths(store, [folder], athlete="ana", workers=1)
    assert again.imported == 0 and again.runs == 0
    assert again.duplicates == 6  # every decodable file, runs or not
    assert again.failed == 1  # the broken file is still reported
    assert _counts(store) == before
    dup = _by_file(again)["FR630-with-lth.fit"]
    assert dup.outcome == "duplicate"
    assert dup.detail == f"already imported for athlete 'ana' (as {folder / 'FR630-with-lth.fit'})"


def test_same_bytes_twice_in_one_import(corpus_dir, tmp_path):
    d = tmp_path / "twice"
    (d / "sub").mkdir(parents=True)
    shutil.copy(corpus_dir / "garmin-fenix-5-run.fit", d / "a.fit")
    shutil.copy(corpus_dir / "garmin-fenix-5-run.fit", d / "sub" / "b.fit")
    with Store(tmp_path / "s.duckdb") as store:
        report = import_paths(store, [d], workers=1)
        assert sorted(e.outcome for e in report.entries) == ["duplicate", "imported"]
        assert len(store.runs()) == 1
        assert store.athletes() == ["default"]


def test_athletes_and_not_found(imported):
    store, _ = imported
    assert store.athletes() == ["ana"]
    assert store.resolve_athlete(None) == "ana"
    with pytest.raises(NotFound, match="no athlete named 'bob'.*known: ana"):
        store.runs(athlete="bob")
    with pytest.raises(NotFound, match="no run with id 'nope'"):
        store.records("nope")
    with pytest.raises(NotFound):
        store.laps("nope")


def test_a_failed_write_leaves_nothing(imported, folder):
    """Records the database refuses (text in a numeric column) roll the whole activity back."""
    store, _ = imported
    before = _counts(store)
    data = (folder / "garmin-fenix-5-run.fit").read_bytes() + b"x"
    aid = hashlib.sha256(data).hexdigest()
    good = decode_payload(data[:-1], "copy.fit", aid)
    run = good.runs[0]
    bad_records = run.records.to_frame()
    bad_records["heart_rate_bpm"] = bad_records["heart_rate_bpm"].astype(object)
    bad_records.loc[len(bad_records) // 2, "heart_rate_bpm"] = "not a number"
    bad = Decoded(
        name="copy.fit",
        activity_id=aid,
        size=len(data),
        file_type="activity",
        sports=["running"],
        meta=good.meta,
        decoder=good.decoder,
        runs=[
            DecodedRun(
                run_id=f"{aid}:0",
                session_index=0,
                session=run.session,
                records=Block.from_frame(bad_records),
                laps=run.laps,
                averages={},
                avg_version=None,
            )
        ],
    )
    (entry,) = store.write_batch([bad], athlete="ana", import_id="test")
    assert entry.outcome == "failed" and "could not be stored" in entry.detail
    assert _counts(store) == before
    assert aid not in store.known_activities()


def test_not_a_duckdb_file(tmp_path):
    path = tmp_path / "text.duckdb"
    path.write_text("hello, I am not a database\n" * 100)
    with pytest.raises(StoreError, match="cannot open the store"):
        Store(path)


def test_store_locked_by_another_process(tmp_path):
    path = tmp_path / "locked.duckdb"
    Store(path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(path)!r}); "
            "print('ready', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreError, match="in use by another process"):
            Store(path)
    finally:
        holder.kill()
        holder.wait()


def test_averages_come_from_analyzer_averages(imported, decoded):
    from analyzer.metrics import averages

    store, _ = imported
    runs = store.runs().set_index("run_id")
    (run,) = decoded["garmin-fenix-5-run.fit"].runs()
    want = averages.run_averages(run.records, run.session)
    for m in AVERAGE_METRICS:
        assert runs.loc[run.run_id, f"avg_{m}"] == pytest.approx(want[f"avg_{m}"], nan_ok=True), m
    assert runs.loc[run.run_id, "avg_cadence_spm"] > 100


def test_stale_averages_are_recomputed(imported, decoded):
    store, _ = imported
    (run,) = decoded["FR630-with-lth.fit"].runs()
    right = store.runs().set_index("run_id").loc[run.run_id, "avg_cadence_spm"]
    store.con.execute(
        "UPDATE runs SET avg_cadence_spm = -1, avg_version = 'old' WHERE run_id = ?", [run.run_id]
    )
    again = store.runs().set_index("run_id").loc[run.run_id, "avg_cadence_spm"]
    assert again == pytest.approx(right) and again > 0


def test_gait_is_cached_per_metric_version(imported, decoded, monkeypatch):
    from analyzer.metrics import gait

    store, _ = imported
    table = store.gait()
    assert list(table.columns[: len(GAIT_ID_COLUMNS)]) == list(GAIT_ID_COLUMNS)
    assert len(table) == 4
    (run,) = decoded["garmin-fenix-5-run.fit"].runs()
    row = table.set_index("run_id").loc[run.run_id]
    want = gait.summarize(run.records, dynamics_source="chest_strap")
    for key, value in want.items():
        if isinstance(value, str) or value is None:
            assert row[key] == value, key
        else:
            assert row[key] == pytest.approx(float(value), nan_ok=True), key
    version = gait.METRIC_VERSION
    cached = store.con.execute(
        "SELECT count(*) FROM gait_cache WHERE metric_version = ?", [version]
    ).fetchone()[0]
    assert cached == 4
    monkeypatch.setattr(gait, "METRIC_VERSION", version + 1000)
    again = store.gait(athlete="ana")
    assert store.con.execute("SELECT DISTINCT metric_version FROM gait_cache").fetchall() == [
        (version + 1000,)
    ]
    pd.testing.assert_frame_equal(again, table)


def test_runs_refresh_is_fast_when_nothing_changed(imported):
    store, _ = imported
    store.runs()
    t = time.perf_counter()
    store.runs()
    assert time.perf_counter() - t < 1.0


def test_log_times_are_utc_whatever_the_local_zone(tmp_path, corpus_dir, monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        with Store(tmp_path / "tz.duckdb") as store:
            import_paths(store, [corpus_dir / "Activity.fit"], workers=1)
            logged = store.import_log()["logged_at"].iloc[0]
    finally:
        monkeypatch.undo()
        time.tzset()
    assert abs(pd.Timestamp.now(tz="UTC") - logged) < pd.Timedelta(minutes=5)
