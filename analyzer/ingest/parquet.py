"""Parquet export: runs, records, laps and activities as Parquet that DuckDB or Dask read.

:func:`export_parquet` is the larger-scale path of :mod:`analyzer.ingest.scale`: from paths, the Dask
workers read the files, decode them and write the Parquet parts themselves
(:func:`analyzer.ingest.cohort_export.export_cohort`), and this process only keeps the import log; from
a :class:`~analyzer.store.database.Store`, DuckDB copies its tables out.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from analyzer.ingest.importer import ImportReport, LogEntry
from analyzer.ingest.sources import Limits, check_paths
from analyzer.store.parts import PARQUET_TABLES, WrittenRun, sql_text, write_parts

__all__ = ["EXPORT_BATCH", "PARQUET_TABLES", "WrittenRun", "export_parquet", "write_parts"]

if TYPE_CHECKING:
    from distributed import Client

    from analyzer.store.database import Store

#: Input paths per task of an export (each task writes one part per table).
EXPORT_BATCH = 16


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
    from analyzer.ingest.cohort_export import export_cohort
    from analyzer.store.database import Store

    out = Path(out_dir)
    for table in PARQUET_TABLES:
        (out / table).mkdir(parents=True, exist_ok=True)
    if isinstance(store_or_paths, Store):
        return _export_store(store_or_paths, out, athlete)
    return export_cohort(
        {athlete or DEFAULT_ATHLETE: check_paths(store_or_paths)},
        out,
        client=client,
        batch=batch,
        window=window,
        workers=workers,
        progress=progress,
        limits=limits,
        decoder=decoder,
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
        store.con.execute(f"COPY ({sql}) TO {sql_text(tmp)} (FORMAT parquet)", params)
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
