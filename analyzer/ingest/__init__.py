"""Ingest: paths → payloads → decoded runs, handed to a store.

Takes files, folders, ``.fit.gz`` and export zips (nested, with safety limits); gives each FIT
payload to a worker that decodes it (:mod:`analyzer.fit`) and summarises it
(:mod:`analyzer.metrics`), and hands the results — the store's row types,
:mod:`analyzer.store.rows` — to a *sink* (a :class:`~analyzer.store.Store`, or the Parquet
writer) through the four methods :class:`~analyzer.ingest.importer.Sink` names.
:func:`~analyzer.ingest.importer.import_paths` is the entry point (``import_paths(store,
paths)``); the store never imports ingest. :mod:`~analyzer.ingest.scale` runs the same pipeline
on a Dask cluster, :mod:`~analyzer.ingest.parquet` and :mod:`~analyzer.ingest.cohort_export`
write Parquet datasets from there.
"""

from typing import TYPE_CHECKING

from analyzer._base.lazy import exports

_EXPORTS = {
    "iter_payloads": "sources",
    "check_paths": "sources",
    "classify": "sources",
    "Limits": "sources",
    "Payload": "sources",
    "SourceProblem": "sources",
    "import_paths": "importer",
    "run_import": "importer",
    "ImportReport": "importer",
    "Sink": "importer",
    "DEFAULT_ATHLETE": "importer",
    "decode_payload": "worker",
    "export_parquet": "parquet",
    "import_with_dask": "scale",
    "dask_client": "scale",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # what editors and type checkers see (the same names as _EXPORTS)
    from analyzer.ingest.importer import (
        DEFAULT_ATHLETE,
        ImportReport,
        Sink,
        import_paths,
        run_import,
    )
    from analyzer.ingest.parquet import export_parquet
    from analyzer.ingest.scale import dask_client, import_with_dask
    from analyzer.ingest.sources import (
        Limits,
        Payload,
        SourceProblem,
        check_paths,
        classify,
        iter_payloads,
    )
    from analyzer.ingest.worker import decode_payload
