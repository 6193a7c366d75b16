"""The store: one DuckDB file with athletes, activities, runs, records, laps and the import log.

Takes decoded runs (from :mod:`analyzer.ingest`, which it calls for
:meth:`~analyzer.store.database.Store.import_paths`) and writes them in batched transactions
(:mod:`~analyzer.store.writer`); gives runs, records, laps and the cached per-run gait summaries
(:mod:`analyzer.metrics`) as DataFrames, and Parquet partitions (:mod:`~analyzer.store.parquet`).
"""

from analyzer._lazy import exports

_EXPORTS = {
    "Store": "database",
    "export_parquet": "parquet",
}
__all__ = sorted(_EXPORTS)
__getattr__ = exports(__name__, _EXPORTS)
