"""Kill an import process (SIGKILL) midway, run it again: nothing lost, nothing doubled, no
partial activity. Also checks that the parallel import (process pool) stores exactly what the
in-process import stores."""

from __future__ import annotations

import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from analyzer import import_paths
from analyzer.ingest.pool import DecoderPool
from analyzer.ingest.sources import Payload
from analyzer.ingest.worker import decode_payload
from analyzer.store.database import Store

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("import_kill")]

EXTRA = ["empty-activities.fit", "garmin-fenix-5-bike.fit"]  # one failure, one non-run
#: The killed import is stopped once this many bytes of committed work are in the WAL (the
#: store holds only metadata: each run's records are a Parquet part beside it).
WAL_BYTES = 15_000


@pytest.fixture(scope="module")
def folder(manifest, corpus_dir, tmp_path_factory) -> Path:
    """Every running FIT file of the corpus (~45 files, ~11 MB) plus a broken and a bike file:
    enough work that the import is still busy when its first batch has been committed."""
    names = [
        f["file"]
        for f in manifest["files"]
        if f["category"].startswith("run") and f["kind"] == "fit"
    ]
    assert len(names) >= 20
    d = tmp_path_factory.mktemp("history")
    for name in names + EXTRA:
        shutil.copy(corpus_dir / name, d / name)
    return d


def _state(path: Path) -> dict:
    with Store(path) as store:
        q = store.con.execute
        ids = dict(q("SELECT run_key, run_id FROM runs").fetchall())
        return {
            "activities": {r[0] for r in q("SELECT activity_id FROM activities").fetchall()},
            "runs": {
                run_id: (n, c)
                for run_id, n, c in q(
                    "SELECT r.run_id, r.n_records, count(x.run_key) FROM runs r "
                    "LEFT JOIN records x USING (run_key) GROUP BY ALL"
                ).fetchall()
            },
            "laps": dict(
                q(
                    "SELECT r.run_id, count(l.run_key) FROM runs r LEFT JOIN laps l USING (run_key) GROUP BY ALL"
                ).fetchall()
            ),
            "orphans": q(
                "SELECT (SELECT count(*) FROM records WHERE run_key NOT IN (SELECT run_key FROM runs))"
                " + (SELECT count(*) FROM laps WHERE run_key NOT IN (SELECT run_key FROM runs))"
                " + (SELECT count(*) FROM runs WHERE activity_id NOT IN (SELECT activity_id FROM activities))"
            ).fetchone()[0],
            "records": {  # row for row: a hash of each run's records as the store reads them
                ids[key]: int(pd.util.hash_pandas_object(df, index=False).sum())
                for key, df in store.records_by_key(list(ids))
            },
            "parts": (
                {f.name for f in store.parts_dir.iterdir()} - {"schema.parquet"}
                == {p for (p,) in q("SELECT part FROM record_parts").fetchall()}
            ),
            "logged": q(
                "SELECT count(*) FROM import_log WHERE outcome IN ('imported', 'not_run')"
            ).fetchone()[0],
        }


@pytest.fixture(scope="module")
def clean(folder, tmp_path_factory) -> dict:
    """What an uninterrupted, in-process (workers=1) import stores."""
    path = tmp_path_factory.mktemp("clean") / "clean.duckdb"
    with Store(path) as store:
        report = import_paths(store, [folder], workers=1)
    assert report.failed == 1 and report.not_run == 1
    return _state(path)


def _command(folder: Path, store: Path, *decoder: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "analyzer",
        "import",
        str(folder),
        "--store",
        str(store),
        "--workers",
        "2",
        *decoder,
    ]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def test_sigkill_midway_then_rerun(folder, clean, tmp_path):
    store = tmp_path / "killed.duckdb"
    wal = store.with_name(store.name + ".wal")
    proc = subprocess.Popen(
        # The reference decoder is ~100x slower than the default one, so the import is still
        # busy long after its first commit, however fast the machine (the rerun uses the default).
        _command(folder, store, "--decoder", "fitparse"),
        cwd=REPO,
        start_new_session=True,  # its own process group: the kill reaches its workers too
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Wait for the first commit to be complete: the WAL has grown and then stopped growing
        # (batches are committed about once a second); then kill, between or inside commits.
        deadline = time.monotonic() + 120
        last, still = -1, 0
        while not (last >= WAL_BYTES and still >= 3):
            assert proc.poll() is None, "the import finished before it could be killed"
            assert time.monotonic() < deadline, "no activity was committed within 120 s"
            time.sleep(0.02)
            size = _size(wal)
            still = still + 1 if size == last else 0
            last = size
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL

    after_kill = _state(store)
    assert 0 < len(after_kill["activities"]) < len(clean["activities"]), "kill was not midway"
    assert after_kill["orphans"] == 0
    for run_id, (n_records, stored) in after_kill["runs"].items():
        assert stored == n_records == clean["runs"][run_id][1], f"partial run {run_id}"
        assert after_kill["laps"][run_id] == clean["laps"][run_id]

    rerun = subprocess.run(
        _command(folder, store), cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert rerun.returncode == 1, rerun.stderr  # the broken file is still reported
    assert "empty-activities.fit: file CRC mismatch" in rerun.stdout
    assert f"duplicates:  {len(after_kill['activities'])}" in rerun.stdout

    final = _state(store)
    assert final["activities"] == clean["activities"]
    assert final["runs"] == clean["runs"]  # same runs, each with the clean record count
    assert final["laps"] == clean["laps"]
    assert final["orphans"] == 0
    assert final["logged"] == len(clean["activities"])  # each activity written exactly once


def _crashing_job(data: bytes, name: str, aid: str, decoder: str):
    """Runs in a worker process: dies outright (like a segfault or the OOM killer) on one file."""
    if name == "crash.fit":
        os._exit(3)
    return decode_payload(data, name, aid, decoder)


def test_a_crashed_worker_fails_only_its_file(corpus_dir):
    names = ["garmin-fenix-5-run.fit", "crash.fit", "Activity.fit", "FR630-with-lth.fit"]
    data = (corpus_dir / "garmin-fenix-5-walk.fit").read_bytes()
    payloads = [
        Payload(n, data if n == "crash.fit" else (corpus_dir / n).read_bytes()) for n in names
    ]
    results = []
    with DecoderPool(2, "auto", job=_crashing_job, min_pool=0) as pipe:
        for i, p in enumerate(payloads):
            results += pipe.submit(p, f"id{i}")
        results += pipe.finish()
    by_name = {r.name: r for r in results}
    assert sorted(by_name) == sorted(names)
    assert by_name["crash.fit"].reason == "the decoder process crashed on this file"
    assert all(not by_name[n].failed and by_name[n].runs for n in names if n != "crash.fit")


def test_work_in_flight_is_bounded(corpus_dir):
    """The pipeline pulls a new payload only when fewer than max_inflight are out, so memory
    does not grow with the size of the export."""
    data = (corpus_dir / "garmin-fenix-5-run.fit").read_bytes()
    pulled = 0

    def source():
        nonlocal pulled
        for i in range(40):
            pulled += 1
            yield Payload(f"run{i}.fit", data)

    done, ahead = 0, []
    with DecoderPool(2, "auto", min_pool=0) as pipe:
        for i, payload in enumerate(source()):
            done += len(pipe.submit(payload, f"id{i}"))
            ahead.append(pulled - done)
        done += len(pipe.finish())
    assert done == 40
    assert max(ahead) <= pipe.max_inflight + 1  # + the one held before the pool starts


@pytest.mark.parametrize("draw", range(3))
def test_sigkill_at_a_random_point_then_rerun(folder, clean, tmp_path, draw):
    """Killed once a random number ``k`` of records parts are on disk (written by the workers,
    committed or not), the import re-runs to exactly the clean import: runs, laps and every
    record, no orphan. ``ANALYZER_KILL_SEED`` repeats a failed draw (the failure names it)."""
    seed = int(os.environ.get("ANALYZER_KILL_SEED") or secrets.randbelow(10**9))
    k = random.Random(seed + draw).randint(1, len(clean["runs"]))
    where = f"killed after {k} parts (ANALYZER_KILL_SEED={seed}, draw {draw})"
    store = tmp_path / "killed.duckdb"
    parts = store.with_name(store.name + ".records")
    proc = subprocess.Popen(
        _command(folder, store),
        cwd=REPO,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while len(list(parts.glob("run-*.parquet"))) < k if parts.is_dir() else True:
            if proc.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.005)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    rerun = subprocess.run(
        _command(folder, store), cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert rerun.returncode == 1, f"{where}: {rerun.stderr}"  # the broken file is reported
    final = _state(store)
    for key in ("activities", "runs", "laps", "records", "logged"):
        assert final[key] == clean[key], f"{where}: {key}"
    assert final["orphans"] == 0 and final["parts"], where
