"""The imbalance-risk index: features from trends and load, a monotone scikit-learn model, training.

Takes the per-run trends and weekly load of :mod:`analyzer.metrics` (or a store); gives an
:class:`~analyzer.risk.assessment.Assessment`: the index 0-100, its level and every driver in the
runner's own numbers with its evidence grade. :mod:`~analyzer.risk.features` builds the
features, :mod:`~analyzer.risk.model` is the estimator with its documented priors (JSON, never
pickle), :mod:`~analyzer.risk.training` fits it to an injury log, grouped by athlete.
"""

from analyzer._lazy import exports

_EXPORTS = {
    "assess": "assessment",
    "assess_frames": "assessment",
    "athlete_frames": "assessment",
    "Assessment": "assessment",
    "FEATURES": "model",
    "ImbalanceRiskModel": "model",
    "LOW_MAX": "model",
    "MODERATE_MAX": "model",
    "MODEL_FORMAT_VERSION": "model",
    "MAX_MODEL_BYTES": "model",
    "DISCLAIMER": "model",
    "level_of": "model",
    "load_model": "model",
    "default_model": "model",
    "priors": "model",
    "driver_evidence": "model",
    "train": "training",
}
__all__ = sorted(_EXPORTS)
__getattr__ = exports(__name__, _EXPORTS)
