"""Parquet export: runs, records, laps and activities as Parquet that DuckDB or Dask read.

:func:`export_parquet` is the larger-scale path of :mod:`analyzer.ingest.scale`: from paths, the Dask
workers read the files, decode them and write the Parquet parts themselves
(:func:`analyzer.ingest.cohort_export.export_cohort`), and this process only keeps the import log; from
a :class:`~analyzer.store.database.Store`, DuckDB copies its tables out.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from analyzer.ingest.importer import ImportReport
from analyzer.ingest.sources import Limits, check_paths
from analyzer.store.datasets import copy_out
from analyzer.store.parts import PARQUET_TABLES, WrittenRun, write_parts
from analyzer.store.rows import LogEntry

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
    from analyzer.ingest.cohort_export import export_cohort
    from analyzer.ingest.importer import DEFAULT_ATHLETE
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
    report = ImportReport(import_id=uuid.uuid4().hex, athlete=athlete or "", workers=1)
    report.entries, report.records = copy_out(store, out, athlete)
    report.elapsed_s = time.perf_counter() - started
    return report
