"""analyzer: running-dynamics gait metrics, an explainable imbalance-risk index and hip-exercise
plans from running-watch exports, offline.

The public API is re-exported here; see ``__all__``.
"""

from __future__ import annotations

from analyzer._lazy import exports  # noqa: E402
from analyzer._version import __version__  # noqa: E402
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
    "analyse",
    "Analysis",
    "assess",
    "recommend",
    "ImbalanceRiskModel",
]


_EXPORTS = {
    "read_fit": "fit.activity",
    "Store": "store.database",
    "analyse": "analysis",
    "Analysis": "analysis",
    "assess": "analysis",
    "recommend": "analysis",
    "ImbalanceRiskModel": "risk.model",
}
# Lazy so that ``import analyzer`` stays cheap (no pandas/duckdb until used).
__getattr__ = exports(__name__, _EXPORTS)
