"""Scoring with the imbalance-risk model: the index from coefficients, without scikit-learn.

Everything a command needs to score an athlete with the documented priors or a model file:
the index ``100 * sigmoid(intercept + coef . x)``, its explanation, the JSON model files and the
level cut-offs. Fitting lives in :mod:`analyzer.risk.model` (:class:`ImbalanceRiskModel`, a
scikit-learn estimator built on :class:`LinearIndex`); keeping scikit-learn and SciPy out of
this module saves ``risk``, ``recommend`` and ``report`` most of a second of imports.

It is an imbalance-risk **index**, not a diagnosis and not a calibrated injury probability: no
study has shown that watch running dynamics predict injury, and the largest prospective cohort
found gait asymmetry did not raise injury risk (Malisoux et al. 2024, BMJ Open SEM 10:e001787).

**Contested drivers are capped.** The drivers whose evidence points both ways (load spikes,
Garmin's population bands; ``priors.json`` "contested") together can raise the index at most to
``max_index`` (47.5, inside "moderate"): the logit is ``max(z_own, min(z_own + z_contested,
logit(max_index)))`` with ``z_own`` the intercept plus the runner's own-change terms. So only a
change in the runner's own gait can make the index "high". The cap is monotone, so worsening a
driver still never lowers the index.
"""

from __future__ import annotations

import json
import math
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from analyzer._base.files import read_user_file, write_user_file
from analyzer.errors import FileProblem, ModelFileError
from analyzer.risk.features import FEATURES
from analyzer.risk.modelfile import PARAMS, checked_drivers, is_number

#: Index cut-offs [index points]: low < 25 <= moderate < 50 <= high. A convention (there is no
#: validated threshold); chosen so that the priors put one clear, sustained change in "moderate".
LOW_MAX = 25.0
MODERATE_MAX = 50.0

MODEL_FORMAT = "analyzer-imbalance-risk-model"
MODEL_FORMAT_VERSION = 1
#: Refuse model files larger than this [bytes]; a model is a few kB.
MAX_MODEL_BYTES = 1_000_000

DISCLAIMER = (
    "An imbalance-risk index built from changes in your own gait and training load, weighted by "
    "documented priors. It is not a diagnosis and not a calibrated probability of injury: no study "
    "has shown that watch running dynamics predict injury, and the largest prospective study found "
    "that gait asymmetry did not raise injury risk (Malisoux et al. 2024). Pain that persists needs "
    "a physiotherapist, not a report."
)


def level_of(index: float) -> str:
    """``"low"``, ``"moderate"`` or ``"high"`` for an index value [0-100]."""
    if index < LOW_MAX:
        return "low"
    return "moderate" if index < MODERATE_MAX else "high"


def sigmoid(z):
    """The logistic function, overflow-free for large ``|z|`` (scalar or array)."""
    z = np.asarray(z, dtype=np.float64)
    # exp of a negative number never overflows; pick the form that keeps the argument <= 0
    e = np.exp(-np.abs(z))
    out = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return out if out.ndim else float(out)


class LinearIndex:
    """A fitted monotonic logistic index: coefficients and intercept, scored with numpy.

    What :func:`default_model` and :func:`load_model` return. :class:`ImbalanceRiskModel` adds
    fitting and scikit-learn's input validation on top; both score identically.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Non-negative coefficients per unit of each feature [logit per unit].
    intercept_ : float
    classes_ : ndarray of shape (2,)
    n_features_in_ : int
    feature_names_in_ : ndarray of str
    """

    def __init__(self, *, C: float = 1.0, max_iter: int = 500, tol: float = 1e-8):
        self.C = C
        self.max_iter = max_iter
        self.tol = tol

    def check_params(self) -> None:
        if not (isinstance(self.C, int | float) and math.isfinite(self.C) and self.C > 0):
            raise ValueError(f"C must be a finite number > 0, got {self.C!r}")
        if not (isinstance(self.max_iter, int | np.integer) and self.max_iter >= 1):
            raise ValueError(f"max_iter must be an integer >= 1, got {self.max_iter!r}")
        if not (isinstance(self.tol, int | float) and self.tol > 0):
            raise ValueError(f"tol must be a number > 0, got {self.tol!r}")

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_") or not hasattr(self, "intercept_"):
            raise ValueError(f"this {type(self).__name__} is not fitted yet; call fit first")

    def decision_function(self, X) -> np.ndarray:
        """Logit of the score, shape (n_samples,); named columns are taken by name."""
        self._check_fitted()
        if hasattr(X, "columns"):
            X = X[self.features_]
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.coef_):
            raise ValueError(f"expected {len(self.coef_)} features per sample, got shape {X.shape}")
        return self._combine(*self._terms(X))

    @property
    def contested_features_(self) -> list[str]:
        """Features whose terms are capped together (empty for unnamed arrays)."""
        names = getattr(self, "feature_names_in_", None)
        if names is None and getattr(self, "n_features_in_", None) == len(FEATURES):
            names = FEATURES
        if names is None:
            return []
        spec = self._contested_spec()
        return [str(n) for n in names if n in set(spec.get("features", []))]

    @property
    def max_contested_index_(self) -> float:
        """Highest index the contested drivers can lift a runner to [index points]."""
        return float(self._contested_spec().get("max_index", MODERATE_MAX - 2.5))

    def _contested_spec(self) -> dict[str, Any]:
        return getattr(self, "contested_", None) or _priors_raw().get("contested", {})

    def _terms(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Logit of the own-change part (with intercept) and the contested sum per sample."""
        names = set(self.contested_features_)
        all_names = getattr(self, "feature_names_in_", None)
        if all_names is None:
            all_names = FEATURES if names else []
        mask = np.array([n in names for n in all_names], dtype=bool)
        if mask.size != X.shape[1]:
            mask = np.zeros(X.shape[1], dtype=bool)
        terms = X * self.coef_
        return self.intercept_ + terms[:, ~mask].sum(axis=1), terms[:, mask].sum(axis=1)

    def _combine(self, own: np.ndarray, contested: np.ndarray) -> np.ndarray:
        """The capped logit from the own-change and contested parts (module docstring)."""
        if not self.contested_features_:
            return own + contested
        p = self.max_contested_index_ / 100.0
        ceiling = math.log(p / (1 - p))
        return np.maximum(own, np.minimum(own + contested, ceiling))

    def predict_proba(self, X) -> np.ndarray:
        """Scores on the probability scale, shape (n_samples, 2). Not a calibrated risk."""
        p = sigmoid(self.decision_function(X))
        return np.column_stack([1 - p, p])

    def predict(self, X) -> np.ndarray:
        """The class whose score is >= 0.5."""
        return self.classes_[(self.decision_function(X) >= 0).astype(int)]

    def score_index(self, X) -> np.ndarray:
        """Imbalance-risk index [0-100] per sample."""
        return 100.0 * self.predict_proba(X)[:, 1]

    @property
    def features_(self) -> list[str]:
        """Feature names in column order (``feature_names_in_``, else :data:`FEATURES`)."""
        self._check_fitted()
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            return [str(n) for n in names]
        if self.n_features_in_ == len(FEATURES):
            return list(FEATURES)
        raise ValueError("this model was fitted on an unnamed array; fit it on a DataFrame")

    def explain(self, x) -> list[dict[str, Any]]:
        """Each feature's contribution to one sample's index [index points].

        The index rise above the all-zero runner, ``index(x) - index(0)``, is shared among the
        features in proportion to their logit terms ``coef_j * x_j`` (exact: the contributions
        add up to the rise; for a logistic link this equals integrated gradients). With the
        contested cap, the own-change drivers share the rise to the index they reach alone and
        the contested drivers share what the cap lets them add on top.

        Parameters
        ----------
        x : Series, dict or 1-D array
            One feature vector (named like :attr:`features_` when a Series or dict).

        Returns
        -------
        list of dict
            ``feature``, ``value``, ``term`` (logit), ``contribution`` [index points], sorted by
            contribution, largest first.
        """
        names = self.features_
        if hasattr(x, "keys"):  # a dict or a pandas Series
            vec = np.array([float(x[n]) for n in names])
        else:
            vec = np.asarray(x, dtype=float).ravel()
        terms = self.coef_ * vec
        z0 = self.intercept_
        contested = np.array([n in self.contested_features_ for n in names], dtype=bool)
        z_own = z0 + terms[~contested].sum()
        z = float(self._combine(np.array([z_own]), np.array([terms[contested].sum()]))[0])
        f0, f_own, f = sigmoid(z0) * 100, sigmoid(z_own) * 100, sigmoid(z) * 100

        def share(part: np.ndarray, rise: float, dz: float, at: float) -> np.ndarray:
            if abs(dz) > 1e-12:
                return part * rise / dz
            return part * 100 * sigmoid(at) * (1 - sigmoid(at))

        contrib = np.zeros_like(terms)
        contrib[~contested] = share(terms[~contested], f_own - f0, z_own - z0, z0)
        dz_c = terms[contested].sum()
        if dz_c > 1e-12:
            contrib[contested] = terms[contested] * (f - f_own) / dz_c
        elif contested.any():
            contrib[contested] = share(terms[contested], f - f_own, z - z_own, z_own)
        rows = [
            {"feature": n, "value": float(v), "term": float(t), "contribution": float(c)}
            for n, v, t, c in zip(names, vec, terms, contrib, strict=True)
        ]
        return sorted(rows, key=lambda r: -r["contribution"])

    # ---- JSON (never pickle: a model file may come from someone else)
    def to_dict(self, *, kind: str = "trained", training: dict | None = None) -> dict[str, Any]:
        """JSON-able model description (format version, features, coefficients, evidence)."""
        names = self.features_
        unknown = [n for n in names if n not in FEATURES]
        if unknown:
            raise ValueError(
                f"cannot save a model over unknown features {unknown}; fit it on columns named "
                f"from {list(FEATURES)}"
            )
        drivers = getattr(self, "drivers_", None) or _priors_raw()["drivers"]
        return {
            "format": MODEL_FORMAT,
            "format_version": MODEL_FORMAT_VERSION,
            "kind": kind,
            "features": names,
            "intercept": float(self.intercept_),
            "coefficients": {n: float(c) for n, c in zip(names, self.coef_, strict=True)},
            "params": {"C": float(self.C), "max_iter": int(self.max_iter), "tol": float(self.tol)},
            "drivers": {n: drivers[n] for n in names if n in drivers},
            "contested": self._contested_spec(),
            "training": training or {},
            "disclaimer": DISCLAIMER,
        }

    def save(self, path, **kwargs) -> Path:
        """Write :meth:`to_dict` as JSON to ``path``."""
        text = json.dumps(self.to_dict(**kwargs), indent=2) + "\n"
        return write_user_file(path, text, what="model file")

    @classmethod
    def from_dict(cls, data: Any, *, name: str = "model") -> LinearIndex:
        """Build a fitted model from :meth:`to_dict` output; raises ModelFileError when invalid."""
        if not isinstance(data, dict):
            raise ModelFileError(f"{name}: not a model (expected a JSON object)")
        if data.get("format") != MODEL_FORMAT:
            raise ModelFileError(f"{name}: not an analyzer model (format {data.get('format')!r})")
        version = data.get("format_version")
        if version != MODEL_FORMAT_VERSION:
            raise ModelFileError(
                f"{name}: model format version {version!r} is not supported; this analyzer "
                f"reads version {MODEL_FORMAT_VERSION} (re-train with `analyzer train`)"
            )
        feats, coefs = data.get("features"), data.get("coefficients")
        if not isinstance(feats, list) or not feats or not all(isinstance(f, str) for f in feats):
            raise ModelFileError(f"{name}: 'features' must be a non-empty list of names")
        unknown = [f for f in feats if f not in FEATURES]
        if unknown:
            raise ModelFileError(
                f"{name}: unknown features {unknown}; this analyzer knows {list(FEATURES)}"
            )
        if len(set(feats)) != len(feats):
            raise ModelFileError(f"{name}: duplicate features in {feats}")
        if not isinstance(coefs, dict) or set(coefs) != set(feats):
            raise ModelFileError(f"{name}: 'coefficients' must give one number per feature")
        values = [coefs[f] for f in feats] + [data.get("intercept")]
        if not all(is_number(v) for v in values):
            # (float() would take "0.5" and True: a model must say what it means)
            bad = [
                f for f, v in zip([*feats, "intercept"], values, strict=True) if not is_number(v)
            ]
            raise ModelFileError(
                f"{name}: coefficients and intercept must be numbers (not text or true/false); "
                f"check {bad}"
            )
        coef = np.array([float(v) for v in values[:-1]])
        intercept = float(values[-1])
        if not (np.isfinite(coef).all() and math.isfinite(intercept)):
            raise ModelFileError(f"{name}: coefficients and intercept must be finite")
        if (coef < 0).any():
            bad = [f for f, c in zip(feats, coef, strict=True) if c < 0]
            raise ModelFileError(
                f"{name}: negative coefficients for {bad} would break monotonicity"
            )
        params = data.get("params") or {}
        if not isinstance(params, dict):
            raise ModelFileError(f"{name}: 'params' must be an object")
        unknown = sorted(set(params) - set(PARAMS))
        if unknown:
            raise ModelFileError(
                f"{name}: unknown params {unknown}; a model has only {list(PARAMS)}"
            )
        for key, kind in PARAMS.items():
            if key in params and not is_number(params[key], integer=kind is int):
                raise ModelFileError(
                    f"{name}: params.{key} must be {'a whole number' if kind is int else 'a number'}, "
                    f"got {params[key]!r}"
                )
        try:
            model = cls(**{k: params[k] for k in ("C", "max_iter", "tol") if k in params})
            model.check_params()
        except (TypeError, ValueError) as exc:
            raise ModelFileError(f"{name}: bad params: {exc}") from exc
        model.coef_ = coef
        model.intercept_ = intercept
        model.classes_ = np.array([0, 1])
        model.n_features_in_ = len(feats)
        model.feature_names_in_ = np.array(feats, dtype=object)
        model.drivers_ = checked_drivers(data.get("drivers"), name)
        model.kind_ = str(data.get("kind", "trained"))
        contested = data.get("contested")
        if contested is not None and not (
            isinstance(contested, dict)
            and isinstance(contested.get("features", []), list)
            and is_number(contested.get("max_index", 47.5))
            and 0 < float(contested.get("max_index", 47.5)) < 100
        ):
            raise ModelFileError(
                f"{name}: 'contested' must be an object with a 'features' list and a "
                "'max_index' between 0 and 100"
            )
        model.contested_ = contested
        model.source_ = name
        return model


def priors() -> dict[str, Any]:
    """The raw ``priors.json``: coefficients, and source, grade and note per driver."""
    return _priors_raw()


def _priors_raw() -> dict[str, Any]:
    text = resources.files("analyzer.risk").joinpath("priors.json").read_text(encoding="utf-8")
    return json.loads(text)


def load_model(path) -> LinearIndex:
    """Read a model JSON (never a pickle). Raises ModelFileError with the reason."""
    path = Path(path)
    try:
        raw = read_user_file(path, what="model file", max_bytes=MAX_MODEL_BYTES)
    except FileNotFoundError as exc:
        raise ModelFileError(f"{path}: model file not found") from exc
    except FileProblem as exc:
        raise ModelFileError(str(exc)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ModelFileError(
            f"{path.name}: not a JSON model file (binary content); analyzer reads JSON models "
            "only and never unpickles"
        ) from exc
    try:
        data = json.loads(text)
    except RecursionError:
        raise ModelFileError(
            f"{path.name}: not a model file: JSON nested too deeply to be one (a model is two "
            "levels deep); use a model written by `analyzer train`"
        ) from None
    except json.JSONDecodeError as exc:
        raise ModelFileError(
            f"{path.name}: not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"
        ) from exc
    except ValueError as exc:  # an integer longer than Python converts (4,300 digits)
        raise ModelFileError(f"{path.name}: not a usable model file ({exc})") from None
    return LinearIndex.from_dict(data, name=path.name)


def default_model() -> LinearIndex:
    """The documented priors of ``analyzer/risk/priors.json`` as a ready-to-use model."""
    return LinearIndex.from_dict(_priors_raw(), name="priors.json")


def driver_evidence(model: LinearIndex | None = None) -> dict[str, dict[str, str]]:
    """Source, grade and note per feature (from the model file, else the priors)."""
    ev = dict(_priors_raw()["drivers"])
    if model is not None and getattr(model, "drivers_", None):
        ev.update(model.drivers_)
    return ev
