"""Parquet export: runs, records, laps and activities as Parquet that DuckDB or Dask read.

:func:`export_parquet` is the larger-scale path of :mod:`analyzer.ingest.scale`: from paths, the Dask
workers decode the payloads and write the Parquet parts themselves (:func:`export_many`), and
this process only keeps the import log; from a :class:`~analyzer.store.database.Store`, DuckDB copies its
tables out.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pandas as pd

from analyzer.ingest.importer import ImportReport, LogEntry, run_import
from analyzer.ingest.sources import Limits, check_paths
from analyzer.ingest.worker import Decoded, decode_payload
from analyzer.store import writer as store_write

if TYPE_CHECKING:
    from distributed import Client

    from analyzer.store.database import Store

#: The tables of an export, one folder of ``part-*.parquet`` files each. ``activities`` is
#: written last by every task: a part without its activities file is unfinished and removed.
PARQUET_TABLES = ("runs", "records", "laps", "activities")
#: Payloads per task of an export (each task writes one file per table).
EXPORT_BATCH = 16


def export_many(
    items: list[tuple[bytes, str, str]], decoder: str, out_dir: str, athlete: str
) -> list[Decoded]:
    """Decode payloads on a worker and write their rows as Parquet parts under ``out_dir``.

    Returns the :class:`Decoded` of each payload with every run reduced to a
    :class:`WrittenRun` receipt (what is sent back is a few hundred bytes per file).
    """
    decoded = [decode_payload(data, name, aid, decoder) for data, name, aid in items]
    done = [d for d in decoded if not d.failed]
    rows: dict[str, list] = {"activities": [], "runs": [], "records": [], "laps": []}
    run_ids = []
    for dec in done:
        rows["activities"].append(store_write.activity_row(dec, athlete, "parquet-export"))
        for run in dec.runs:
            key = len(run_ids)  # position in run_ids, replaced by the run_id below
            run_ids.append(run.run_id)
            row = store_write.run_row(dec, run, athlete, key)
            row["gait_version"], row["gait_json"] = run.gait_version, json.dumps(run.gait)
            rows["runs"].append(row)
            rows["records"].append(store_write.arrays(run.records, key, "record_index"))
            rows["laps"].append(store_write.arrays(run.laps, key, "lap_index"))
    if done:
        part = hashlib.sha256("".join(d.activity_id for d in done).encode()).hexdigest()[:24]
        for table in PARQUET_TABLES:  # activities last: it marks the part as complete
            if table in ("runs", "activities"):
                df = _typed(pd.DataFrame(rows[table]))
            else:
                df = store_write.stack([p for p in rows[table] if p])
            if "run_key" in df:
                if "run_id" not in df:
                    df.insert(0, "run_id", np.asarray(run_ids, dtype=object)[df["run_key"]])
                df = df.drop(columns="run_key")
            if len(df):
                _write_parquet(df, Path(out_dir) / table / f"part-{part}.parquet")
    for dec in done:
        dec.runs = [WrittenRun(r.run_id, len(r.records)) for r in dec.runs]
    return decoded


@dataclass(frozen=True)
class WrittenRun:
    """A run written to Parquet by a worker: what the import loop needs to know of it."""

    run_id: str
    n_records: int

    @property
    def records(self) -> range:  # only its length is used (ImportReport.records)
        return range(self.n_records)


class _ParquetSink:
    """The part of the Store interface that :func:`run_import` uses, for a Parquet export:
    the workers have written the rows already; activities under ``out`` are known."""

    def __init__(self, out: Path):
        self.known = _exported(out)

    def ensure_athlete(self, athlete: str) -> None:
        pass

    def known_activities(self) -> dict[str, str]:
        return dict(self.known)

    def log_entries(self, entries: list[LogEntry], *, import_id: str, athlete: str) -> None:
        pass

    def write_batch(self, batch: list[Decoded], *, athlete: str, import_id: str) -> list:
        return [
            LogEntry(d.name, *store_write.classify(d), d.activity_id, len(d.runs)) for d in batch
        ]


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """Store column types for the row tables, also where every value of a part is missing."""
    floats = {
        "distance_m",
        "timer_s",
        "elapsed_s",
        *store_write.AVG_COLUMNS,
        *store_write.WATCH_COLUMNS,
    }
    for col in df.columns:
        if col in ("start_time", "end_time", "time_created", "imported_at"):
            df[col] = pd.to_datetime(df[col])
        elif col in floats:
            df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    return df


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Write ``df`` to ``path`` atomically (a temporary file renamed into place)."""
    tmp = path.with_name(path.name + ".tmp")
    con = duckdb.connect()
    try:
        con.register("part", df)
        con.execute(f"COPY part TO {_sql_text(tmp)} (FORMAT parquet)")
    finally:
        con.close()
    os.replace(tmp, path)


def _sql_text(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _exported(out: Path) -> dict[str, str]:
    """``{activity_id: source_name}`` already under ``out``; removes unfinished parts."""
    complete = {p.name for p in (out / "activities").glob("part-*.parquet")}
    for table in PARQUET_TABLES:
        for p in (out / table).glob("part-*.parquet*"):
            if p.name not in complete or p.name.endswith(".tmp"):
                p.unlink()
    if not complete:
        return {}
    rows = duckdb.sql(
        "SELECT activity_id, source_name FROM read_parquet("
        f"{_sql_text(out / 'activities' / 'part-*.parquet')}, union_by_name = true)"
    ).fetchall()
    return dict(rows)


def export_parquet(
    store_or_paths: Store | Iterable[str | os.PathLike],
    out_dir: str | os.PathLike,
    *,
    athlete: str | None = None,
    client: Client | str | None = None,
    batch: int = EXPORT_BATCH,
    window: int | None = None,
    workers: int | None = None,
    progress: Callable[[LogEntry, ImportReport], None] | None = None,
    limits: Limits | None = None,
    decoder: str = "auto",
) -> ImportReport:
    """Write runs, records, laps and activities as Parquet that DuckDB or Dask read directly.

    From a :class:`~analyzer.store.database.Store`, DuckDB copies its tables out (``athlete``
    filters). From paths, the Dask workers decode and write the parts themselves, so
    ``out_dir`` must be writable by every worker; activities already there are duplicates (a
    re-run adds nothing, an interrupted export is finished). Other arguments as for
    :func:`analyzer.ingest.scale.import_with_dask`. Read with ``read_parquet('out/records/*.parquet', union_by_name
    = true)``; records and laps carry ``run_id``. Returns an :class:`ImportReport` (from a
    store: one entry per activity copied).
    """
    from analyzer.ingest.importer import DEFAULT_ATHLETE
    from analyzer.ingest.scale import DaskPipeline, dask_client
    from analyzer.store.database import Store

    out = Path(out_dir)
    for table in PARQUET_TABLES:
        (out / table).mkdir(parents=True, exist_ok=True)
    if isinstance(store_or_paths, Store):
        return _export_store(store_or_paths, out, athlete)
    checked = check_paths(store_or_paths)
    args = (str(out.resolve()), athlete or DEFAULT_ATHLETE)
    with dask_client(client, n_workers=workers) as cl:
        return run_import(
            _ParquetSink(out),  # type: ignore[arg-type]
            checked,
            athlete=athlete,
            progress=progress,
            limits=limits,
            decoder=decoder,
            pipeline=lambda dec: DaskPipeline(
                cl, dec, batch=batch, window=window, task=export_many, task_args=args
            ),
        )


def _export_store(store: Store, out: Path, athlete: str | None) -> ImportReport:
    started = time.perf_counter()
    where = "WHERE ru.athlete = $athlete" if athlete else ""
    params = {"athlete": athlete} if athlete else {}
    try:
        from analyzer.metrics.gait import METRIC_VERSION
    except ImportError:
        METRIC_VERSION = -1  # noqa: N806
    queries = {
        "runs": "SELECT ru.* EXCLUDE (run_key), g.metric_version AS gait_version, "
        "g.summary_json AS gait_json FROM runs ru LEFT JOIN gait_cache g "
        f"ON g.run_id = ru.run_id AND g.metric_version = {int(METRIC_VERSION)} {where}",
        "records": "SELECT rec.* EXCLUDE (run_key), ru.run_id FROM records rec "
        f"JOIN runs ru USING (run_key) {where}",
        "laps": "SELECT l.* EXCLUDE (run_key), ru.run_id FROM laps l "
        f"JOIN runs ru USING (run_key) {where}",
        "activities": "SELECT * FROM activities ru " + where,
    }
    part = "part-store-" + hashlib.sha256(str(store.path.resolve()).encode()).hexdigest()[:12]
    for table, sql in queries.items():
        tmp = out / table / f"{part}.parquet.tmp"
        store.con.execute(f"COPY ({sql}) TO {_sql_text(tmp)} (FORMAT parquet)", params)
        os.replace(tmp, out / table / f"{part}.parquet")
    report = ImportReport(import_id=uuid.uuid4().hex, athlete=athlete or "", workers=1)
    rows = store.con.execute(
        f"SELECT source_name, activity_id, n_runs FROM activities ru {where}", params
    ).fetchall()
    report.entries = [LogEntry(n, "imported", "exported from the store", a, r) for n, a, r in rows]
    sql = f"SELECT count(*) FROM records JOIN runs ru USING (run_key) {where}"
    report.records = store.con.execute(sql, params).fetchone()[0]
    report.elapsed_s = time.perf_counter() - started
    return report
