"""The training set of the imbalance-risk model, from the store: each label's features are
those of the athlete's analysis as of just before the label's date (no look-ahead), with the
athlete's accepted baselines, exactly as ``analyzer risk --asof`` would have scored them then.
Fitting and evaluation are :mod:`analyzer.risk.training`'s.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analyzer.analysis.build import analyse_frames
from analyzer.errors import NotEnoughData
from analyzer.risk.features import FEATURES
from analyzer.risk.training import DEFAULT_FOLDS, read_labels, train

__all__ = ["build_training_set", "train_from_store"]


def build_training_set(
    store, labels: pd.DataFrame
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, dict]:
    """Feature rows for every label that has recent runs before its date.

    Returns
    -------
    X : DataFrame (columns :data:`FEATURES`), y : ndarray of 0/1, groups : ndarray of athlete
    names, skipped : dict with counts of labels dropped and why.
    """
    known = set(store.athletes())
    rows, ys, groups = [], [], []
    skipped = {"athlete_not_in_store": 0, "no_recent_runs": 0}
    for athlete, grp in labels.groupby("athlete", sort=True):
        if athlete not in known:
            skipped["athlete_not_in_store"] += len(grp)
            continue
        g = store.gait(athlete)
        runs = store.runs(athlete)
        accepted = store.accepted_baselines(athlete)
        for _, lab in grp.iterrows():
            # runs that started before the label day
            an = analyse_frames(
                g, athlete=athlete, runs=runs, accepted=accepted,
                asof=lab["date"] - pd.Timedelta(1, "us"),
            )  # fmt: skip
            if an.assessment is None:
                skipped["no_recent_runs"] += 1
                continue
            rows.append([an.assessment.features[f] for f in FEATURES])
            ys.append(int(lab["injured"]))
            groups.append(athlete)
    X = pd.DataFrame(rows, columns=list(FEATURES), dtype=float)
    return X, np.array(ys, dtype=int), np.array(groups, dtype=object), skipped


def train_from_store(
    store, labels_path, *, n_splits: int = DEFAULT_FOLDS, C: float = 1.0, labels=None
):
    """``analyzer train``: labels CSV + store -> ``(model, evaluation)`` (evaluation has ``skipped``).

    ``labels`` may pass the frame :func:`read_labels` already returned for ``labels_path``.
    """
    labels = read_labels(labels_path) if labels is None else labels
    X, y, groups, skipped = build_training_set(store, labels)
    try:
        model, evaluation = train(X, y, groups, n_splits=n_splits, C=C)
    except NotEnoughData as exc:
        dropped = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in skipped.items() if v)
        if dropped:
            raise NotEnoughData(f"{exc} (labels dropped: {dropped})") from exc
        raise
    evaluation["skipped"] = skipped
    evaluation["labels"] = Path(labels_path).name if labels_path is not None else "diary"
    return model, evaluation
