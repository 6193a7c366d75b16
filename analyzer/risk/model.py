"""The imbalance-risk index: a monotonic, explainable scikit-learn estimator.

The index (0-100) is ``100 * sigmoid(intercept + sum_j coef_j * x_j)`` over the non-negative
"badness" features of :mod:`analyzer.risk.features`, with every ``coef_j >= 0``. So worsening any
driver can never lower the score. The default coefficients are documented priors
(``analyzer/risk/priors.json``: source and evidence grade per driver); :meth:`fit` learns them
from a labelled injury log under the same non-negativity constraint. Scoring, model files and
the priors live in :mod:`analyzer.risk.scoring`, which needs neither scikit-learn nor SciPy.

It is an imbalance-risk **index**, not a diagnosis and not a calibrated injury probability: no
study has shown that watch running dynamics predict injury, and the largest prospective cohort
found gait asymmetry did not raise injury risk (Malisoux et al. 2024, BMJ Open SEM 10:e001787).

Levels: ``low`` below :data:`LOW_MAX`, ``moderate`` below :data:`MODERATE_MAX`, else ``high``.
With the priors a runner with nothing flagged sits near 5; a sustained 1.4-point balance shift
alone reaches ``moderate``. The contested drivers (load, population bands) are capped inside
"moderate" (:mod:`analyzer.risk.scoring`).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from analyzer.risk.scoring import LinearIndex

__all__ = ["ImbalanceRiskModel"]


class ImbalanceRiskModel(ClassifierMixin, BaseEstimator, LinearIndex):
    """Logistic model with non-negative coefficients (monotonic in every feature).

    Not a diagnosis: :meth:`predict_proba` is a score on the probability scale, calibrated only
    as far as the labels it was fitted on allow; the default priors are not fitted at all.

    Parameters
    ----------
    C : float, default=1.0
        Inverse L2 regularisation strength on the standardised coefficients (as in
        :class:`sklearn.linear_model.LogisticRegression`); must be > 0.
    max_iter : int, default=500
        Iterations of the bounded L-BFGS-B optimiser.
    tol : float, default=1e-8
        Optimiser tolerance on the gradient.

    Attributes are those of :class:`~analyzer.risk.scoring.LinearIndex` (``coef_``,
    ``intercept_``, ``classes_``, ``n_features_in_``; ``feature_names_in_`` when fitted on a
    DataFrame), which also does the scoring, explanations and JSON files.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        # Coefficients are constrained >= 0 by design, so data whose classes are separated by a
        # negative relation cannot be fitted well; scikit-learn's accuracy check does not apply.
        tags.classifier_tags.poor_score = True
        return tags

    def fit(self, X, y):
        """Fit the non-negative logistic model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features (for :data:`FEATURES`: >= 0, larger = worse).
        y : array-like of shape (n_samples,)
            Binary labels; the larger class (after sorting) is "injured".

        Raises
        ------
        ValueError
            Bad parameters, non-finite X, or y without exactly two classes.
        """
        self.check_params()
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of 2 classes; y contains only one class: "
                f"{classes[0]!r}"
            )
        if len(classes) > 2:
            raise ValueError(
                f"Only binary classification is supported; {type(self).__name__} got "
                f"{len(classes)} classes in y"
            )
        self.classes_ = classes
        yb = (y == classes[1]).astype(np.float64)
        scale = X.std(axis=0)
        scale[~(scale > 0)] = 1.0
        Z = X / scale
        n, p = Z.shape
        penalty = 1.0 / (self.C * n)

        def loss(theta):
            w, b = theta[:p], theta[p]
            z = Z @ w + b
            # mean log-loss, written stably: log(1 + e^z) - y z
            val = np.mean(np.logaddexp(0.0, z) - yb * z) + 0.5 * penalty * (w @ w)
            r = (expit(z) - yb) / n
            grad = np.concatenate([Z.T @ r + penalty * w, [r.sum()]])
            return val, grad

        prior = np.clip(yb.mean(), 1e-6, 1 - 1e-6)
        theta0 = np.concatenate([np.zeros(p), [math.log(prior / (1 - prior))]])
        bounds = [(0.0, None)] * p + [(None, None)]
        res = minimize(
            loss,
            theta0,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": int(self.max_iter), "gtol": float(self.tol)},
        )
        self.coef_ = np.maximum(res.x[:p], 0.0) / scale
        self.intercept_ = float(res.x[p])
        self.n_iter_ = int(res.nit)
        return self

    def decision_function(self, X) -> np.ndarray:
        """Logit of the score, shape (n_samples,), contested terms capped (input checked the
        scikit-learn way)."""
        check_is_fitted(self, ("coef_", "intercept_"))
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return self._combine(*self._terms(X))

    def predict(self, X) -> np.ndarray:
        """The class whose score is >= 0.5."""
        check_is_fitted(self, ("coef_", "intercept_"))
        return self.classes_[(self.decision_function(X) >= 0).astype(int)]
