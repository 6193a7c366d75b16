"""Train and evaluate the imbalance-risk model on a labelled injury log.

Labels are a CSV with columns ``athlete, date, injured, side, body_part`` (one row per labelled
date; ``injured`` is 1/0, true/false or yes/no). Features come from each athlete's analysis with
the runs that started *before* each label date, no look-ahead (:mod:`analyzer.analysis.training`
builds the training set from a store). Evaluation splits by athlete
(:class:`sklearn.model_selection.GroupKFold`), so an athlete is never both trained and tested on,
and reports the pooled out-of-fold ROC AUC, the Brier score and a calibration table.

:func:`simulate_cohort` draws a labelled cohort directly in feature space from a known hazard, to
check that training recovers what is there and finds nothing where nothing is.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import GroupKFold

from analyzer._base.files import read_user_file
from analyzer.errors import AnalyzerError, NotEnoughData
from analyzer.risk.features import FEATURES
from analyzer.risk.model import ImbalanceRiskModel

LABEL_COLUMNS: tuple[str, ...] = ("athlete", "date", "injured", "side", "body_part")
#: Fewest injuries, uninjured labels and athletes to train on; below this the AUC would be noise.
MIN_INJURIES = 20
#: Largest labels CSV read [bytes].
MAX_LABELS_BYTES = 256 * 1024 * 1024
MIN_UNINJURED = 20
MIN_ATHLETES = 10
DEFAULT_FOLDS = 5

_TRUE = {"1", "true", "yes", "y", "injured"}
_FALSE = {"0", "false", "no", "n", "", "uninjured"}


def read_labels(path) -> pd.DataFrame:
    """Read and check an injury-log CSV.

    Returns
    -------
    DataFrame
        Columns :data:`LABEL_COLUMNS`; ``date`` as UTC Timestamp (day), ``injured`` as int 0/1.

    Raises
    ------
    AnalyzerError
        File missing, columns missing, unreadable dates or injured values.
    """
    path = Path(path)
    try:
        raw = read_user_file(path, what="labels file", max_bytes=MAX_LABELS_BYTES)
    except FileNotFoundError:
        raise AnalyzerError(f"{path}: labels file not found") from None
    try:
        df = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise AnalyzerError(f"{path.name}: cannot read labels CSV: {exc}") from exc
    df.columns = [c.strip().lower() for c in _header(raw, df)]
    dup = sorted({c for c in df.columns if list(df.columns).count(c) > 1})
    if dup:
        raise AnalyzerError(
            f"{path.name}: duplicate column(s) {dup} (letter case and spaces ignored); keep one "
            f"of each: {', '.join(LABEL_COLUMNS)}"
        )
    missing = [c for c in ("athlete", "date", "injured") if c not in df.columns]
    if missing:
        raise AnalyzerError(
            f"{path.name}: missing column(s) {missing}; expected {', '.join(LABEL_COLUMNS)}"
        )
    for c in ("side", "body_part"):
        if c not in df.columns:
            df[c] = ""
    dates = pd.to_datetime(df["date"].str.strip(), errors="coerce", utc=True)
    if dates.isna().any():
        bad = df.loc[dates.isna(), "date"].head(3).tolist()
        raise AnalyzerError(f"{path.name}: unreadable date(s) {bad}; use YYYY-MM-DD")
    inj = df["injured"].str.strip().str.lower()
    unknown = sorted(set(inj) - _TRUE - _FALSE)
    if unknown:
        raise AnalyzerError(f"{path.name}: 'injured' must be 1/0 (or yes/no), got {unknown[:3]}")
    out = pd.DataFrame(
        {
            "athlete": df["athlete"].str.strip(),
            "date": dates.dt.floor("D"),
            "injured": inj.isin(_TRUE).astype(int),
            "side": df["side"].str.strip().str.lower(),
            "body_part": df["body_part"].str.strip(),
        }
    )
    return out.reset_index(drop=True)


def _header(raw: bytes, df: pd.DataFrame) -> list[str]:
    """The header row as written (pandas renames a repeated ``date`` to ``date.1``)."""
    import csv

    with io.StringIO(raw.decode("utf-8-sig", errors="replace"), newline="") as fh:
        row = next(csv.reader(fh), [])
    return row if len(row) == len(df.columns) else list(df.columns)


def check_enough(y, groups) -> None:
    """Raise NotEnoughData unless there are enough injuries, uninjured labels and athletes."""
    y = np.asarray(y)
    n_inj, n_ok = int((y == 1).sum()), int((y == 0).sum())
    n_ath = len(set(np.asarray(groups).tolist()))
    problems = []
    if n_inj < MIN_INJURIES:
        problems.append(f"{n_inj} injuries (need at least {MIN_INJURIES})")
    if n_ok < MIN_UNINJURED:
        problems.append(f"{n_ok} uninjured labels (need at least {MIN_UNINJURED})")
    if n_ath < MIN_ATHLETES:
        problems.append(f"{n_ath} athletes (need at least {MIN_ATHLETES})")
    if problems:
        raise NotEnoughData(
            "too little labelled data to learn from: "
            + "; ".join(problems)
            + ". Keep using the documented priors (no --model) until the log is larger."
        )


def calibration_table(y, p, *, n_bins: int = 5) -> list[dict[str, float]]:
    """Observed injury rate against the mean score in quantile bins of the score."""
    df = pd.DataFrame({"y": np.asarray(y, float), "p": np.asarray(p, float)})
    q = min(n_bins, max(1, df["p"].nunique()))
    df["bin"] = pd.qcut(df["p"].rank(method="first"), q, labels=False)
    out = []
    for _, b in df.groupby("bin", sort=True):
        out.append(
            {
                "score_min": float(b["p"].min()),
                "score_max": float(b["p"].max()),
                "n": int(len(b)),
                "mean_score": float(b["p"].mean()),
                "observed_rate": float(b["y"].mean()),
            }
        )
    return out


def cross_validate(
    X, y, groups, *, n_splits: int = DEFAULT_FOLDS, C: float = 1.0
) -> dict[str, Any]:
    """Grouped (by athlete) K-fold evaluation of :class:`ImbalanceRiskModel`.

    Returns
    -------
    dict
        ``auc`` (mean ROC AUC over the test folds), ``auc_folds``, ``auc_pooled`` (all
        out-of-fold scores together), ``brier``, ``calibration`` (out-of-fold),
        ``n_samples``, ``n_injuries``, ``n_athletes``, ``n_splits``.
    """
    X = pd.DataFrame(X, columns=list(FEATURES)) if not isinstance(X, pd.DataFrame) else X
    y, groups = np.asarray(y, int), np.asarray(groups)
    check_enough(y, groups)
    n_ath = len(set(groups.tolist()))
    k = min(n_splits, n_ath)
    oof = np.full(len(y), np.nan)
    folds = []
    for tr, te in GroupKFold(n_splits=k).split(X, y, groups):
        if len(np.unique(y[tr])) < 2:
            raise NotEnoughData("a training fold has only one class; add more injured athletes")
        m = ImbalanceRiskModel(C=C).fit(X.iloc[tr], y[tr])
        oof[te] = m.predict_proba(X.iloc[te])[:, 1]
        if len(np.unique(y[te])) == 2:
            folds.append(float(roc_auc_score(y[te], oof[te])))
    return {
        # the mean of per-fold AUCs: pooling out-of-fold scores would mix fold intercepts, and
        # with grouped folds a fold's base rate is anti-correlated with its training set's,
        # which biases a pooled AUC below 0.5 on uninformative labels
        "auc": float(np.mean(folds)) if folds else math.nan,
        "auc_folds": folds,
        "auc_pooled": float(roc_auc_score(y, oof)),
        "brier": float(brier_score_loss(y, oof)),
        "calibration": calibration_table(y, oof),
        "n_samples": int(len(y)),
        "n_injuries": int(y.sum()),
        "n_athletes": int(n_ath),
        "n_splits": int(k),
    }


def train(
    X, y, groups, *, n_splits: int = DEFAULT_FOLDS, C: float = 1.0
) -> tuple[ImbalanceRiskModel, dict]:
    """Evaluate by grouped CV, then fit on everything. Returns ``(model, evaluation)``."""
    evaluation = cross_validate(X, y, groups, n_splits=n_splits, C=C)
    X = pd.DataFrame(X, columns=list(FEATURES)) if not isinstance(X, pd.DataFrame) else X
    model = ImbalanceRiskModel(C=C).fit(X, np.asarray(y, int))
    model.source_ = "trained"
    return model, evaluation


#: Hazard used by :func:`simulate_cohort` (logit per feature unit): weighs balance change most.
TRUE_HAZARD: dict[str, float] = {
    "balance_shift_pts": 1.2,
    "fatigue_asymmetry_pts": 1.5,
    "balance_beyond_band_pts": 0.3,
    "cadence_deficit_pct": 0.15,
    "vertical_ratio_excess_pct": 0.0,
    "gct_excess_ms": 0.02,
    "acwr_excess": 1.0,
    "progression_excess_pct": 0.0,
}
TRUE_INTERCEPT = -3.0
#: Typical spread of each feature among runners (scale of a half-normal, in feature units).
_SIM_SCALE: dict[str, float] = {
    "balance_shift_pts": 0.8,
    "fatigue_asymmetry_pts": 0.5,
    "balance_beyond_band_pts": 0.8,
    "cadence_deficit_pct": 4.0,
    "vertical_ratio_excess_pct": 0.6,
    "gct_excess_ms": 12.0,
    "acwr_excess": 0.3,
    "progression_excess_pct": 20.0,
}


def simulate_cohort(
    n_athletes: int = 300, obs_per_athlete: int = 6, *, informative: bool = True, seed: int = 0
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """A labelled cohort drawn in feature space from the known hazard :data:`TRUE_HAZARD`.

    Each athlete has a personal tendency per feature; each observation adds noise and is 0
    (nothing wrong) with probability 1/2, as in real data. ``injured ~ Bernoulli(p_true)``.
    With ``informative=False`` the labels are drawn with the same base rate but independently
    of the features (a leakage check: any AUC above 0.5 would be an artefact).

    Returns
    -------
    X : DataFrame (:data:`FEATURES`), y : ndarray 0/1, groups : ndarray of athlete ids,
    p_true : ndarray, the true injury probability of each row.
    """
    rng = np.random.default_rng(seed)
    n = n_athletes * obs_per_athlete
    groups = np.repeat(
        np.array([f"sim{i:04d}" for i in range(n_athletes)], dtype=object), obs_per_athlete
    )
    cols = {}
    for f in FEATURES:
        s = _SIM_SCALE[f]
        tendency = np.repeat(np.abs(rng.normal(0, s, n_athletes)), obs_per_athlete)
        val = tendency + rng.normal(0, s / 2, n)
        cols[f] = np.where(rng.random(n) < 0.5, 0.0, np.clip(val, 0, None))
    X = pd.DataFrame(cols, columns=list(FEATURES))
    coef = np.array([TRUE_HAZARD[f] for f in FEATURES])
    p_true = expit(TRUE_INTERCEPT + X.to_numpy() @ coef)
    if informative:
        y = (rng.random(n) < p_true).astype(int)
    else:
        y = (rng.random(n) < p_true.mean()).astype(int)
    return X, y, groups, p_true


def true_auc(y, p_true) -> float:
    """ROC AUC of the true hazard on drawn labels (the ceiling a model can reach)."""
    y = np.asarray(y)
    if len(np.unique(y)) < 2:
        return math.nan
    return float(roc_auc_score(y, p_true))
