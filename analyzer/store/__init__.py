"""The store: one DuckDB file with athletes, activities, runs, records, laps and the import log.

Takes the rows :mod:`analyzer.ingest` hands it (:mod:`~analyzer.store.rows`: decoded activities
with their columnar :mod:`~analyzer.store.blocks`, import-log entries) and writes them in batched
transactions (:mod:`~analyzer.store.writer`); gives runs, records, laps and the cached per-run
gait summaries (:mod:`analyzer.metrics`) as DataFrames. It never imports :mod:`analyzer.ingest`:
an import is :func:`analyzer.import_paths` (``import_paths(store, paths)``), which writes
through the store's methods.
"""

from typing import TYPE_CHECKING

from analyzer._base.lazy import exports

_EXPORTS = {
    "Store": "database",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # what editors and type checkers see (the same names as _EXPORTS)
    from analyzer.store.database import Store
