"""The imbalance-risk index: features from trends and load, a monotone scikit-learn model, training.

Takes the per-run trends and weekly load of :mod:`analyzer.metrics`; gives an
:class:`~analyzer.risk.assessment.Assessment`: the index 0-100, its level and every driver in the
runner's own numbers with its evidence grade. :mod:`~analyzer.risk.features` builds the
features, :mod:`~analyzer.risk.model` is the estimator with its documented priors (JSON, never
pickle), :mod:`~analyzer.risk.training` fits it to an injury log, grouped by athlete.
"""

from analyzer._lazy import exports

_EXPORTS = {
    "assess_frames": "assessment",
    "Assessment": "assessment",
    "FEATURES": "scoring",
    "ImbalanceRiskModel": "model",
    "LinearIndex": "scoring",
    "LOW_MAX": "scoring",
    "MODERATE_MAX": "scoring",
    "MODEL_FORMAT_VERSION": "scoring",
    "MAX_MODEL_BYTES": "scoring",
    "DISCLAIMER": "scoring",
    "level_of": "scoring",
    "load_model": "scoring",
    "default_model": "scoring",
    "priors": "scoring",
    "driver_evidence": "scoring",
    "train": "training",
}
__all__ = sorted(_EXPORTS)
__getattr__ = exports(__name__, _EXPORTS)
