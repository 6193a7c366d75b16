"""Ingest: paths → payloads → decoded runs, handed to a store.

Takes files, folders, ``.fit.gz`` and export zips (nested, with safety limits); gives each FIT
payload to a worker that decodes it (:mod:`analyzer.fit`) and summarises it
(:mod:`analyzer.metrics`), and hands the results to a *sink* (a :class:`~analyzer.store.Store`,
or the Parquet writer) through the four methods :class:`~analyzer.ingest.importer.Sink` names.
Ingest never imports the store: the store calls the importer, and the importer writes through
what it is handed. :mod:`~analyzer.ingest.scale` runs the same pipeline on a Dask cluster.
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
    "run_import": "importer",
    "ImportReport": "importer",
    "LogEntry": "importer",
    "Sink": "importer",
    "DEFAULT_ATHLETE": "importer",
    "decode_payload": "worker",
    "Decoded": "worker",
    "DecodedRun": "worker",
    "import_with_dask": "scale",
    "dask_client": "scale",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # what editors and type checkers see (the same names as _EXPORTS)
    from analyzer.ingest.importer import DEFAULT_ATHLETE, ImportReport, LogEntry, Sink, run_import
    from analyzer.ingest.scale import dask_client, import_with_dask
    from analyzer.ingest.sources import (
        Limits,
        Payload,
        SourceProblem,
        check_paths,
        classify,
        iter_payloads,
    )
    from analyzer.ingest.worker import Decoded, DecodedRun, decode_payload
