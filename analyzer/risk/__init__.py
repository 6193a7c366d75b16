"""The imbalance-risk index: features from trends and load, a monotone scikit-learn model, training.

Takes the per-run trends and weekly load of :mod:`analyzer.metrics`; gives an
:class:`~analyzer.risk.assessment.Assessment`: the index 0-100, its level and every driver in the
runner's own numbers with its evidence grade. :mod:`~analyzer.risk.features` builds the
features, :mod:`~analyzer.risk.model` is the estimator with its documented priors (JSON, never
pickle), :mod:`~analyzer.risk.training` fits it to an injury log, grouped by athlete.
"""

from typing import TYPE_CHECKING

from analyzer._base.lazy import exports

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
__getattr__, __dir__ = exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # what editors and type checkers see (the same names as _EXPORTS)
    from analyzer.risk.assessment import Assessment, assess_frames
    from analyzer.risk.model import ImbalanceRiskModel
    from analyzer.risk.scoring import (
        DISCLAIMER,
        FEATURES,
        LOW_MAX,
        MAX_MODEL_BYTES,
        MODEL_FORMAT_VERSION,
        MODERATE_MAX,
        LinearIndex,
        default_model,
        driver_evidence,
        level_of,
        load_model,
        priors,
    )
    from analyzer.risk.training import train
