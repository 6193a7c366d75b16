"""analyzer: running-dynamics gait metrics, an explainable imbalance-risk index and hip-exercise
plans from running-watch exports, offline.

The public API is re-exported here; see ``__all__``.
"""

from __future__ import annotations

__version__ = "0.1.0"

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
    "assess",
    "recommend",
    "ImbalanceRiskModel",
]


def __getattr__(name: str):
    # Lazy so that ``import analyzer`` stays cheap (no pandas/duckdb until used).
    if name == "read_fit":
        from analyzer.fit import read_fit

        return read_fit
    if name == "Store":
        from analyzer.store import Store

        return Store
    if name == "assess":
        from analyzer.risk import assess

        return assess
    if name == "recommend":
        from analyzer.exercises import recommend

        return recommend
    if name == "ImbalanceRiskModel":
        from analyzer.risk import ImbalanceRiskModel

        return ImbalanceRiskModel
    raise AttributeError(f"module 'analyzer' has no attribute {name!r}")
