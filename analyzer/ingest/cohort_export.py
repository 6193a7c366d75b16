"""Cohort scale: Dask workers read, decode and write Parquet themselves; the store ingests it.

:func:`export_cohort` sends each Dask task a few *paths* (files or archives), never their
bytes: the worker reads them, hashes them (the activity id), decodes them and writes one
Parquet part per table under ``<out>/<table>/athlete=<name>/`` (:func:`~analyzer.store.parts.write_parts`).
What comes back is a receipt of a few hundred bytes per file, so this process carries neither
the inputs nor the rows, and any number of workers write at once. Outcomes are those of a
normal import: the client takes the receipts in the order of the inputs, so the first copy
of a file is the one imported and later copies are ``duplicate`` (their rows, rare, are then
removed from the later part). :func:`ingest_parquet` appends such a dataset to a
:class:`~analyzer.store.database.Store` (:mod:`analyzer.store.datasets`, which also reads an
athlete folder's runs for :func:`analyzer.analysis.cohort_risk.assess_cohort`).
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analyzer.ingest.folders import NOT_READ, walk_folder
from analyzer.ingest.formats import classify
from analyzer.ingest.importer import ImportReport
from analyzer.ingest.sources import Limits, SourceProblem, check_paths, iter_payloads
from analyzer.ingest.worker import decode_payload
from analyzer.store import writer as store_write
from analyzer.store.datasets import append_dataset
from analyzer.store.duck import open_duckdb
from analyzer.store.parquetio import glob_literal
from analyzer.store.parts import PARQUET_TABLES, exported, sql_text, write_parquet, write_parts
from analyzer.store.rows import LogEntry

if TYPE_CHECKING:
    from distributed import Client

    from analyzer.store.database import Store

#: Input paths (files or archives) per task by default.
COHORT_BATCH = 8
#: Tasks out per worker thread by default.
WINDOW_PER_THREAD = 3


# -- worker side -----------------------------------------------------------------------------
def export_paths(
    paths: list[tuple[str, str | None]],
    decoder: str,
    out_dir: str,
    athlete: str,
    known: Any,
    limits: Limits,
) -> dict:
    """Read, hash, decode and write ``paths`` on a worker; returns the receipts in order.

    ``paths`` are the :func:`list_inputs` pairs: a path and ``None`` (named by the user), ``""``
    (found in a folder) or the reason a folder walk does not open it.
    ``known`` is the set of activity ids already in ``out_dir`` (sent once to every worker).
    Each receipt is ``("problem", LogEntry)``, ``("known", name, activity_id)`` or
    ``("decoded", Decoded)`` (runs reduced to :class:`~analyzer.store.parts.WrittenRun`).
    """
    receipts: list[tuple] = []
    decoded = []
    seen: set[str] = set()
    for path, how in paths:
        if how:
            receipts.append(("problem", LogEntry(path, "skipped", NOT_READ + how)))
            continue
        for item in iter_payloads([path], limits=limits, named=how is None):
            if isinstance(item, SourceProblem):
                receipts.append(("problem", LogEntry(item.name, item.outcome, item.reason)))
                continue
            aid = item.activity_id or hashlib.sha256(item.data).hexdigest()
            if aid in known or aid in seen:
                receipts.append(("known", item.name, aid))
                continue
            seen.add(aid)
            dec = decode_payload(item.data, item.name, aid, decoder)
            decoded.append(dec)
            receipts.append(("decoded", dec))
    part = write_parts(decoded, out_dir, athlete)
    return {"receipts": receipts, "part": part}


# -- client side -----------------------------------------------------------------------------
def list_inputs(paths: Iterable[str | os.PathLike]) -> list[tuple[str, str | None]]:
    """The files under ``paths`` in the order a normal import walks them (no file is read).

    Each is a pair: the path and ``None`` for a path the user named, ``""`` for a file found
    in a folder, or the reason a folder walk does not open it (a link out of the folder, a
    special file: :func:`~analyzer.ingest.folders.walk_folder`).
    """
    out: list[tuple[str, str | None]] = []
    for path in check_paths(paths):
        if path.is_dir():
            out += [(str(p), why or "") for p, why in walk_folder(path)]
        else:
            out.append((str(path), None))
    return out


def export_cohort(
    athletes: Mapping[str, Iterable[str | os.PathLike]],
    out_dir: str | os.PathLike,
    *,
    client: Client | str | None = None,
    batch: int = COHORT_BATCH,
    window: int | None = None,
    workers: int | None = None,
    progress: Callable[[LogEntry, ImportReport], None] | None = None,
    limits: Limits | None = None,
    decoder: str = "auto",
) -> ImportReport:
    """Decode every athlete's files on Dask into a Parquet dataset partitioned by athlete.

    Parameters
    ----------
    athletes : mapping
        Athlete name → files, folders and archives (read by the workers: every worker must
        see the same paths, e.g. a shared file system or a mounted bucket).
    out_dir : path-like
        The dataset (``runs``, ``records``, ``laps``, ``activities`` folders); writable by every
        worker. Activities already there are duplicates, so an interrupted export is finished
        by running it again.
    client, workers
        As for :func:`analyzer.ingest.scale.dask_client`.
    batch, window : int
        Paths per task; most tasks out at once (default :data:`WINDOW_PER_THREAD` per worker
        thread).
    progress, limits, decoder
        As for :func:`analyzer.ingest.importer.run_import` (``limits`` apply per task).

    Returns
    -------
    ImportReport
        One entry per file, as a normal import of the same inputs would log them.
    """
    from analyzer.ingest.scale import dask_client, distributed_module

    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    out = Path(out_dir)
    for table in PARQUET_TABLES:
        (out / table).mkdir(parents=True, exist_ok=True)
    inputs = {name: list_inputs(paths) for name, paths in athletes.items()}
    names = list(inputs)
    report = ImportReport(
        import_id=uuid.uuid4().hex, athlete=names[0] if len(names) == 1 else "", workers=0
    )
    report.discovered = sum(
        classify(Path(p).name) in ("fit", "fit.gz")
        for files in inputs.values()
        for p, how in files
        if not how
    )
    started = time.perf_counter()
    known = exported(out)
    tasks = [
        (athlete, files[i : i + batch])
        for athlete, files in inputs.items()
        for i in range(0, len(files), batch)
    ]
    dist = distributed_module()
    with dask_client(client, n_workers=workers) as cl:
        threads = max(1, sum(cl.nthreads().values()))
        report.workers = threads
        limit = window or max(2, WINDOW_PER_THREAD * threads)
        (known_f,) = cl.scatter([frozenset(known)], broadcast=True)
        args = (decoder, str(out.resolve()))
        ac = dist.as_completed()
        futures: dict[int, Any] = {}
        results: dict[int, dict] = {}
        nxt = sent = 0
        claimed: dict[str, str] = dict(known)
        while nxt < len(tasks):
            while sent < len(tasks) and sent - nxt < limit:
                athlete, files = tasks[sent]
                fut = cl.submit(
                    export_paths,
                    files,
                    *args,
                    athlete,
                    known_f,
                    limits or Limits(),
                    pure=False,
                    key=f"analyzer-export-{sent}-{uuid.uuid4().hex[:8]}",
                )
                futures[sent] = fut
                ac.add(fut)
                sent += 1
            while nxt not in results:  # receipts are taken in input order
                fut = next(ac)
                idx = next(i for i, f in futures.items() if f is fut)
                futures.pop(idx)
                try:
                    results[idx] = fut.result()
                except Exception as exc:  # noqa: BLE001 - a lost task fails its files, not all
                    results[idx] = _lost(tasks[idx][1], exc)
            done = results.pop(nxt)
            _take(done, tasks[nxt][0], out, claimed, report, progress)
            nxt += 1
    report.elapsed_s = time.perf_counter() - started
    return report


def _lost(paths: list[tuple[str, str | None]], exc: BaseException) -> dict:
    """The receipts of a task the cluster lost (worker killed, connection gone): every input
    path fails with the reason; running the export again retries them."""
    name = type(exc).__name__
    if name == "KilledWorker":
        reason = "the Dask worker reading this file died (KilledWorker)"
    else:
        reason = f"the Dask task failed ({name}: {exc})"
    receipts = [("problem", LogEntry(p, "failed", reason)) for p, _ in paths]
    return {"receipts": receipts, "part": None}


def _take(result: dict, athlete: str, out: Path, claimed: dict, report: ImportReport, progress):
    """Log one task's receipts; rows of files another task imported first are removed."""
    drop: list[str] = []
    for receipt in result["receipts"]:
        kind = receipt[0]
        if kind == "problem":
            entry = receipt[1]
        elif kind == "known":
            _, name, aid = receipt
            entry = LogEntry(name, "duplicate", f"same file as {claimed.get(aid, name)}", aid)
        else:
            dec = receipt[1]
            if dec.failed:
                entry = LogEntry(dec.name, "failed", dec.reason or "", dec.activity_id)
            elif dec.activity_id in claimed:
                drop.append(dec.activity_id)
                entry = LogEntry(
                    dec.name,
                    "duplicate",
                    f"same file as {claimed[dec.activity_id]}",
                    dec.activity_id,
                )
            else:
                claimed[dec.activity_id] = dec.name
                outcome, detail = store_write.classify(dec)
                entry = LogEntry(dec.name, outcome, detail, dec.activity_id, len(dec.runs))
                report.records += sum(len(r.records) for r in dec.runs)
        report.entries.append(entry)
        if progress is not None:
            progress(entry, report)
    if drop and result["part"]:
        _drop_activities(out, result["part"], drop)


def _drop_activities(out: Path, rel: str, ids: list[str]) -> None:
    """Rewrite one part of every table without the activities ``ids`` (activities last)."""
    con = open_duckdb()
    try:
        for table in PARQUET_TABLES:
            path = out / table / rel
            if not path.is_file():
                continue
            key = "activity_id" if table in ("activities", "runs") else "split_part(run_id, ':', 1)"
            df = con.execute(
                f"SELECT * FROM read_parquet({sql_text(glob_literal(path))}, "
                "hive_partitioning = false) "
                f"WHERE NOT list_contains(?, {key})",
                [ids],
            ).df()
            write_parquet(df, path)
    finally:
        con.close()


def ingest_parquet(store: Store, out_dir: str | os.PathLike) -> ImportReport:
    """Append a dataset written by :func:`export_cohort` to ``store`` in one transaction
    (:func:`analyzer.store.datasets.append_dataset`); one ``imported`` or ``not_run`` entry per
    new activity."""
    started = time.perf_counter()
    report = ImportReport(import_id=uuid.uuid4().hex, athlete="", workers=1)
    report.entries, report.records = append_dataset(store, out_dir, report.import_id)
    report.elapsed_s = time.perf_counter() - started
    return report
