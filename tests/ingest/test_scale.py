"""analyzer.ingest.scale: decoding on a Dask cluster must give the store a normal import gives.

One LocalCluster (two single-threaded worker processes, so payloads and results really are
pickled between processes) serves the whole module; the reference is
``import_paths(store, ..., workers=1)`` of the same inputs into another DuckDB file.
"""

from __future__ import annotations

import argparse
import operator
import shutil
import time

import duckdb
import pandas as pd
import pytest
from conftest import SAMPLE_DATA

from analyzer.errors import AnalyzerError, UnsupportedExport
from analyzer.store.database import Store

distributed = pytest.importorskip("distributed")

from analyzer import import_paths  # noqa: E402
from analyzer.ingest import scale  # noqa: E402 - only once Dask is known to be there
from analyzer.ingest.parquet import export_parquet  # noqa: E402
from analyzer.ingest.scale import (  # noqa: E402
    DaskPipeline,
    dask_client,
    import_with_dask,
)

#: Corpus files copied beside the sample data, with the outcome each must get.
CORPUS_PICK = {
    "garmin-fenix-5-run.fit": "imported",
    "multisport-triathlon-fenix3.fit": "imported",  # one running leg of five sessions
    "3386684871.fit": "imported",  # Stryd developer fields
    "garmin-fenix-5-bike.fit": "not_run",
    "MonitoringFile.fit": "not_run",
    "empty-activities.fit": "failed",  # nothing decodable: file CRC mismatch
}
ATHLETE = "team"


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # any free port
        ) as cluster,
        distributed.Client(cluster) as cl,
    ):
        yield cl


@pytest.fixture(scope="module")
def extra(corpus_dir, tmp_path_factory):
    """The corpus picks, a second copy of one of them (a duplicate) and a non-FIT file."""
    d = tmp_path_factory.mktemp("corpus_pick")
    for name in CORPUS_PICK:
        shutil.copy(corpus_dir / name, d / name)
    (d / "z_copy").mkdir()  # walked after the original
    shutil.copy(corpus_dir / "garmin-fenix-5-run.fit", d / "z_copy" / "again.fit")
    (d / "notes.csv").write_text("not,fit\n")
    return d


@pytest.fixture(scope="module")
def inputs(extra):
    # The Strava export holds the same bytes as sample_data/balanced: all duplicates.
    return [
        SAMPLE_DATA / "balanced",
        SAMPLE_DATA / "imbalance",
        SAMPLE_DATA / "exports" / "balanced_strava_export.zip",
        extra,
    ]


@pytest.fixture(scope="module")
def reference(inputs, tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("ref") / "ref.duckdb")
    report = import_paths(store, inputs, athlete=ATHLETE, workers=1)
    yield store, report
    store.close()


@pytest.fixture(scope="module")
def dasked(inputs, client, tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("dask") / "dask.duckdb")
    seen = []
    report = import_with_dask(
        store, inputs, athlete=ATHLETE, client=client, progress=lambda e, r: seen.append(e)
    )
    yield store, report, seen
    store.close()


def _outcomes(report) -> dict[str, tuple[str, str]]:
    return {e.name: (e.outcome, e.detail) for e in report.entries}


def _counts(store: Store) -> dict[str, int]:
    tables = ("activities", "runs", "records", "laps", "gait_cache")
    return {t: store.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def _record_sums(store: Store) -> pd.DataFrame:
    """Per run_id: record count and the sum of every numeric records column."""
    cols = [
        name
        for name, dtype in store.con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'records'"
        ).fetchall()
        if dtype == "DOUBLE"
    ]
    sums = ", ".join(f'sum(rec."{c}") AS "{c}"' for c in cols)
    return store.con.execute(
        f"SELECT ru.run_id, count(*) AS n, {sums} FROM records rec "
        "JOIN runs ru USING (run_key) GROUP BY ru.run_id ORDER BY ru.run_id"
    ).df()


# --------------------------------------------------------------------------------------------
def test_same_outcomes_as_the_normal_import(reference, dasked):
    _, ref = reference
    _, got, seen = dasked
    assert _outcomes(got) == _outcomes(ref)
    for outcome in ("imported", "duplicate", "not_run", "failed", "skipped"):
        assert got.count(outcome) == ref.count(outcome), outcome
    assert got.imported == 106 + 3  # every sample run plus the three corpus runs
    assert got.duplicates == 52 + 1  # the Strava export (52 runs) and the copied file
    assert got.runs == ref.runs and got.records == ref.records > 100_000
    assert got.workers == 2  # worker threads of the cluster
    assert len(seen) == len(got.entries)  # progress after every file
    by_name = {e.name.rsplit("/", 1)[-1]: e for e in got.entries}
    for name, outcome in CORPUS_PICK.items():
        assert by_name[name].outcome == outcome, name


def test_broken_file_is_named_with_its_reason(dasked):
    _, report, _ = dasked
    (failure,) = report.failures
    assert failure.name.endswith("empty-activities.fit")
    assert "CRC" in failure.detail and "at byte" in failure.detail
    assert not report.ok


def test_store_content_equals_the_normal_import(reference, dasked):
    ref_store, _ = reference
    store, _, _ = dasked
    assert _counts(store) == _counts(ref_store)
    want = ref_store.runs().sort_values("run_id", ignore_index=True)
    got = store.runs().sort_values("run_id", ignore_index=True)
    assert len(got) == 109
    pd.testing.assert_frame_equal(got, want)  # ids, sources, totals, avg_* and watch_avg_*
    pd.testing.assert_frame_equal(_record_sums(store), _record_sums(ref_store))
    gait_sql = "SELECT run_id, metric_version, summary_json FROM gait_cache ORDER BY run_id"
    assert store.con.execute(gait_sql).fetchall() == ref_store.con.execute(gait_sql).fetchall()
    run_id = want.loc[want["source_name"].str.endswith("3386684871.fit"), "run_id"].item()
    pd.testing.assert_frame_equal(store.records(run_id), ref_store.records(run_id))
    pd.testing.assert_frame_equal(store.laps(run_id), ref_store.laps(run_id))
    log_sql = (
        "SELECT source_name, outcome, detail, activity_id, n_runs FROM import_log "
        "ORDER BY source_name, outcome"
    )
    assert store.con.execute(log_sql).fetchall() == ref_store.con.execute(log_sql).fetchall()


def test_rerun_adds_nothing(dasked, inputs, client):
    store, first, _ = dasked
    before = _counts(store)
    again = import_with_dask(store, inputs, athlete=ATHLETE, client=client, batch=4)
    assert again.imported == 0 and again.runs == 0 and again.records == 0
    assert again.duplicates == first.imported + first.not_run + first.duplicates
    assert again.failed == 1  # the broken file is still reported, with the same reason
    assert again.failures[0].detail == first.failures[0].detail
    assert _counts(store) == before


@pytest.fixture(scope="module")
def extra_store(extra, tmp_path_factory):
    """The corpus picks alone, imported the normal way."""
    store = Store(tmp_path_factory.mktemp("extra") / "extra.duckdb")
    report = import_paths(store, [extra], workers=1)
    yield store, report
    store.close()


def test_batches_and_a_window_of_one_give_the_same_result(extra, extra_store, client, tmp_path):
    ref_store, ref = extra_store
    with Store(tmp_path / "b.duckdb") as store:
        got = import_with_dask(store, [extra], client=client, batch=3, window=1)
        assert _outcomes(got) == _outcomes(ref)
        pd.testing.assert_frame_equal(store.runs(), ref_store.runs())


def test_failed_tasks_are_retried_alone_then_logged(extra, client, tmp_path, monkeypatch):
    # operator.truediv(list, str) raises TypeError on the worker: every task fails.
    monkeypatch.setattr(scale, "decode_many", operator.truediv)
    with Store(tmp_path / "s.duckdb") as store:
        pipe = []

        def make(decoder):
            pipe.append(DaskPipeline(client, decoder, batch=2))
            return pipe[0]

        report = import_paths(store, [extra], pipeline=make)
        assert report.failed == len(CORPUS_PICK) and report.imported == 0
        assert all("TypeError" in e.detail for e in report.failures)
        assert pipe[0].retried == len(CORPUS_PICK)  # every batch of two split and resent
        assert _counts(store)["activities"] == 0


def test_killed_worker_reason():
    dec = scale._task_failed(
        (scale.Payload("a.fit", b"xyz"), "id"), distributed.KilledWorker("k", "w", 3)
    )
    assert dec.failed and "died" in dec.reason and dec.size == 3


def test_workers_without_the_decoder_are_refused(extra, client, tmp_path, monkeypatch):
    monkeypatch.setattr(scale, "worker_check", operator.truediv)  # raises on the worker
    with Store(tmp_path / "s.duckdb") as store, pytest.raises(AnalyzerError, match="workers"):
        import_with_dask(store, [extra], client=client)
    with Store(tmp_path / "s.duckdb") as store:
        assert _counts(store)["activities"] == 0


def test_missing_path_fails_before_anything_is_sent(client, tmp_path):
    with Store(tmp_path / "s.duckdb") as store, pytest.raises(UnsupportedExport):
        import_with_dask(store, [tmp_path / "nope"], client=client)


def test_dask_client_by_address_and_default(client):
    with dask_client(None) as cl:
        assert cl is client  # the current default client
    with dask_client(client) as cl:
        assert cl is client
    with dask_client(client.scheduler.address) as cl:
        assert cl is not client
        assert sum(cl.nthreads().values()) == 2
    assert cl.status == "closed"
    assert client.status == "running"


def test_bad_arguments(client):
    with pytest.raises(ValueError, match="batch"):
        DaskPipeline(client, batch=0)
    with pytest.raises(ValueError, match="window"):
        DaskPipeline(client, window=0)


def test_interrupted_import_is_finished_by_running_it_again(reference, extra, client, tmp_path):
    inputs = [SAMPLE_DATA / "imbalance", extra]  # a part of the reference's inputs

    def stop_after_20(entry, report):
        if len(report.entries) >= 20:
            raise KeyboardInterrupt

    with Store(tmp_path / "s.duckdb") as store:
        with pytest.raises(KeyboardInterrupt):
            import_with_dask(store, inputs, athlete=ATHLETE, client=client, progress=stop_after_20)
        (n_partial,) = store.con.execute("SELECT count(*) FROM activities").fetchone()
        assert 0 < n_partial < 54
        (torn,) = store.con.execute(  # runs whose records are not all there
            "SELECT count(*) FROM runs ru WHERE n_records != "
            "(SELECT count(*) FROM records rec WHERE rec.run_key = ru.run_key)"
        ).fetchone()
        assert torn == 0
        # the tasks still out were cancelled: the scheduler forgets them
        deadline = time.monotonic() + 10
        while client.run_on_scheduler(_n_tasks) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert client.run_on_scheduler(_n_tasks) == 0
        again = import_with_dask(store, inputs, athlete=ATHLETE, client=client)
        assert again.imported + again.not_run == 54 + 3 + 2 - n_partial
        assert again.duplicates == n_partial + 1  # the stored ones and the copied file
        got = store.runs()
    want = reference[0].runs()
    names = tuple(str(p) for p in inputs)
    want = want[want["source_name"].str.startswith(names)].reset_index(drop=True)
    assert len(got) == 54 + 3
    pd.testing.assert_frame_equal(got, want)


def _n_tasks(dask_scheduler=None) -> int:
    return sum(not k.startswith("analyzer-decode-check") for k in map(str, dask_scheduler.tasks))


def test_bad_scheduler_address():
    with pytest.raises(AnalyzerError, match="tcp://host:port"), dask_client("no-port-here"):
        pass


# --------------------------------------------------------------------------------------------
# Parquet export
# --------------------------------------------------------------------------------------------
RUN_COLUMNS = ["run_id", "activity_id", "source_name", "start_time", "distance_m", "timer_s"]


def _parquet(out, table: str, order: str = "run_id") -> pd.DataFrame:
    glob = str(out / table / "**" / "part-*.parquet")
    return duckdb.sql(
        f"SELECT * FROM read_parquet('{glob}', union_by_name = true, hive_partitioning = false) "
        f"ORDER BY {order}"
    ).df()


def _store_runs(store: Store) -> pd.DataFrame:
    runs = store.runs().sort_values("run_id", ignore_index=True)
    runs["start_time"] = runs["start_time"].dt.tz_localize(None)
    return runs


def _same_runs(got: pd.DataFrame, store: Store) -> None:
    want = _store_runs(store)
    cols = RUN_COLUMNS + [c for c in want.columns if c.startswith(("avg_", "watch_avg_"))]
    pd.testing.assert_frame_equal(got[cols], want[cols], check_dtype=False)


def test_export_parquet_from_paths(extra, extra_store, client, tmp_path):
    ref_store, ref = extra_store
    out = tmp_path / "pq"
    report = export_parquet([extra], out, client=client, batch=2)
    assert _outcomes(report) == _outcomes(ref)
    assert report.records == ref.records > 0
    runs = _parquet(out, "runs")
    _same_runs(runs, ref_store)
    gait_sql = "SELECT summary_json FROM gait_cache ORDER BY run_id"
    assert runs["gait_json"].tolist() == [r for (r,) in ref_store.con.execute(gait_sql).fetchall()]
    records = _parquet(out, "records", "run_id, record_index")
    assert records.groupby("run_id").size().to_dict() == dict(
        zip(runs.run_id, runs.n_records, strict=True)
    )
    run_id = runs.loc[runs["source_name"].str.endswith("3386684871.fit"), "run_id"].item()
    one = records[records["run_id"] == run_id].reset_index(drop=True)
    want = ref_store.records(run_id)
    want["timestamp"] = want["timestamp"].dt.tz_localize(None)
    cols = [c for c in want.columns if want[c].notna().any()]
    pd.testing.assert_frame_equal(one[cols], want[cols], check_dtype=False)
    assert len(_parquet(out, "activities", "activity_id")) == ref.imported + ref.not_run

    # a re-run adds nothing; a part left by an interrupted task (no activities part) goes
    parts = sorted(p.name for p in (out / "runs").rglob("part-*"))
    folder = out / "runs" / "athlete=default"  # partitioned by athlete
    assert {p.parent for p in (out / "runs").rglob("part-*")} == {folder}
    shutil.copy(folder / parts[0], folder / "part-unfinished.parquet")
    again = export_parquet([extra], out, client=client)
    assert again.imported == again.not_run == 0 and again.failed == 1
    assert again.duplicates == ref.imported + ref.not_run + ref.duplicates
    assert sorted(p.name for p in (out / "runs").rglob("part-*")) == parts


def test_export_parquet_from_a_store(extra_store, tmp_path):
    ref_store, ref = extra_store
    out = tmp_path / "pq"
    report = export_parquet(ref_store, out)
    assert report.imported == ref.imported + ref.not_run and report.records == ref.records
    _same_runs(_parquet(out, "runs"), ref_store)
    records = _parquet(out, "records", "run_id, record_index")
    assert len(records) == ref.records and records["run_id"].notna().all()
    nobody = export_parquet(ref_store, tmp_path / "none", athlete="nobody")
    assert nobody.imported == 0 and nobody.records == 0
    assert len(_parquet(tmp_path / "none", "runs")) == 0


# --------------------------------------------------------------------------------------------
# CLI (runs once `analyzer import --dask` is wired in analyzer/cli/imports.py)
# --------------------------------------------------------------------------------------------
def _import_has_dask_option() -> bool:
    from analyzer.cli import build_parser

    (sub,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return any("--dask" in a.option_strings for a in sub.choices["import"]._actions)


def test_cli_import_with_dask(extra, extra_store, client, tmp_path, capsys):
    if not _import_has_dask_option():
        pytest.skip("`analyzer import --dask` is not wired yet")
    from analyzer.cli import main

    path = tmp_path / "cli.duckdb"
    argv = ["import", str(extra), "--store", str(path), "--dask", client.scheduler.address]
    assert main([*argv, "--athlete", "ana"]) == 1  # the broken file
    out = capsys.readouterr().out
    assert "Imported 3 files (3 runs" in out
    assert "empty-activities.fit: file CRC mismatch" in out
    with Store(path) as store:
        got = store.runs()
    want = extra_store[0].runs()
    assert got["athlete"].eq("ana").all()
    cols = ["run_id", "source_name", "n_records", "avg_cadence_spm"]
    pd.testing.assert_frame_equal(got[cols], want[cols])


# --------------------------------------------------------------------------------------------
# Cohort scale: workers read their own inputs, write Parquet by athlete; the store ingests it
# --------------------------------------------------------------------------------------------
def test_dask_parquet_import_equals_a_local_import_row_for_row(reference, inputs, client, tmp_path):
    from analyzer.ingest.cohort_export import export_cohort, ingest_parquet

    ref_store, ref = reference
    out = tmp_path / "cohort"
    exported = export_cohort({ATHLETE: inputs}, out, client=client, batch=5)
    assert _outcomes(exported) == _outcomes(ref)  # first copy imported, later ones duplicate
    assert exported.records == ref.records
    with Store(tmp_path / "ingested.duckdb") as store:
        got = ingest_parquet(store, out)
        assert got.imported == ref.imported and got.records == ref.records
        assert _counts(store) == _counts(ref_store)
        pd.testing.assert_frame_equal(store.runs(), ref_store.runs())
        pd.testing.assert_frame_equal(_record_sums(store), _record_sums(ref_store))
        gait_sql = "SELECT run_id, metric_version, summary_json FROM gait_cache ORDER BY run_id"
        assert store.con.execute(gait_sql).fetchall() == ref_store.con.execute(gait_sql).fetchall()
        for run_id in store.runs()["run_id"].iloc[::25]:  # whole runs, row for row
            pd.testing.assert_frame_equal(store.records(run_id), ref_store.records(run_id))
            pd.testing.assert_frame_equal(store.laps(run_id), ref_store.laps(run_id))
        assert ingest_parquet(store, out).imported == 0  # ingesting again adds nothing
        assert _counts(store) == _counts(ref_store)


def test_cohort_risk_on_the_cluster_equals_the_store(client, tmp_path):
    import analyzer
    from analyzer.analysis.cohort_risk import assess_cohort
    from analyzer.ingest.cohort_export import export_cohort, ingest_parquet
    from analyzer.store.datasets import athlete_gait, athlete_parts

    out = tmp_path / "cohort"
    names = ("balanced", "imbalance")
    export_cohort({n: [SAMPLE_DATA / n] for n in names}, out, client=client)
    parts = athlete_parts(out)
    assert [p.rsplit("=", 1)[-1] for p in parts] == list(names)
    table = assess_cohort(client, parts, athlete_gait)
    assert table["athlete"].tolist() == list(names)
    with Store(tmp_path / "s.duckdb") as store:
        ingest_parquet(store, out)
        for row in table.itertuples():
            a = analyzer.assess(store, row.athlete)
            assert row.index == pytest.approx(a.index) and row.level == a.level
            assert row.n_runs == len(store.runs(row.athlete))
    assert table.set_index("athlete").loc["imbalance", "level"] != "low"


def test_a_lost_cohort_task_fails_its_files_and_a_rerun_finishes(
    extra, client, tmp_path, monkeypatch
):
    from analyzer.ingest import cohort_export

    out = tmp_path / "cohort"
    # a builtin that raises TypeError on the worker with these arguments: every task is lost
    monkeypatch.setattr(cohort_export, "export_paths", operator.truediv)
    lost = cohort_export.export_cohort({ATHLETE: [extra]}, out, client=client, batch=3)
    assert lost.imported == 0 and lost.failed == len(lost.entries) > 0
    assert all("Dask task failed (TypeError" in e.detail for e in lost.failures)
    monkeypatch.undo()
    again = cohort_export.export_cohort({ATHLETE: [extra]}, out, client=client, batch=3)
    assert again.imported == 3 and again.failed == 1  # the broken corpus file
