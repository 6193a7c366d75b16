"""analyzer: running-dynamics gait metrics, an explainable imbalance-risk index and hip-exercise
plans from running-watch exports, offline.

The public API is re-exported here; see ``__all__``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from analyzer._base.lazy import exports  # noqa: E402
from analyzer._base.version import __version__  # noqa: E402
from analyzer.errors import (  # noqa: E402
    AnalyzerError,
    DecoderDeclined,
    FitCRCError,
    FitFormatError,
    FitHeaderError,
    FitTruncatedError,
    InvalidFitFile,
    ModelFileError,
    NotEnoughData,
    NotFound,
    StoreError,
    UnsafeArchive,
    UnsupportedExport,
)

__all__ = [
    "__version__",
    "AnalyzerError",
    "DecoderDeclined",
    "FitCRCError",
    "FitFormatError",
    "FitHeaderError",
    "FitTruncatedError",
    "InvalidFitFile",
    "ModelFileError",
    "NotEnoughData",
    "NotFound",
    "StoreError",
    "UnsafeArchive",
    "UnsupportedExport",
    "read_fit",
    "Store",
    "import_paths",
    "analyse",
    "Analysis",
    "assess",
    "recommend",
    "ImbalanceRiskModel",
]


_EXPORTS = {
    "read_fit": "fit.activity",
    "Store": "store.database",
    "import_paths": "ingest.importer",
    "analyse": "analysis",
    "Analysis": "analysis",
    "assess": "analysis",
    "recommend": "analysis",
    "ImbalanceRiskModel": "risk.model",
}
# Lazy so that ``import analyzer`` stays cheap (no pandas/duckdb until used).
__getattr__, __dir__ = exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # what editors and type checkers see (the same names as _EXPORTS)
    from analyzer.analysis import Analysis, analyse, assess, recommend
    from analyzer.fit.activity import read_fit
    from analyzer.ingest.importer import import_paths
    from analyzer.risk.model import ImbalanceRiskModel
    from analyzer.store.database import Store
