"""The store: one DuckDB file with athletes, activities, runs, records, laps and the import log.

Takes decoded runs (from :mod:`analyzer.ingest`, which it calls for
:meth:`~analyzer.store.database.Store.import_paths`) and writes them in batched transactions
(:mod:`~analyzer.store.writer`); gives runs, records, laps and the cached per-run gait summaries
(:mod:`analyzer.metrics`) as DataFrames, and Parquet partitions (:mod:`~analyzer.store.parquet`).
"""

from typing import TYPE_CHECKING

from analyzer._base.lazy import exports

_EXPORTS = {
    "Store": "database",
    "export_parquet": "parquet",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # what editors and type checkers see (the same names as _EXPORTS)
    from analyzer.store.database import Store
    from analyzer.store.parquet import export_parquet
