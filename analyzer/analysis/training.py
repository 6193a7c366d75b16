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

__all__ = ["LABEL_CLEAR_DAYS", "build_training_set", "injury_labels", "train_from_store"]


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


#: Days around a pain entry that no uninjured label may fall in, and the spacing of those labels.
LABEL_CLEAR_DAYS = 28


def injury_labels(diary) -> pd.DataFrame:
    """Training labels from the diary, in the columns of :func:`analyzer.risk.training.read_labels`
    (``diary`` is a :class:`analyzer.store.diary.Diary`).

    An injury is a pain entry that reduced or stopped running: the consensus definition of a
    running-related injury is pain that restricts or stops running (Yamato et al. 2015, JOSPT
    45:375). Uninjured labels are taken every :data:`LABEL_CLEAR_DAYS` days over the run history
    of each athlete who keeps a diary, except within that many days of any pain entry (an
    athlete without a diary has no known injury status and gives no labels).
    """
    pain = diary.pain()
    rows = []
    for r in pain[pain["running"] != "none"].itertuples(index=False):
        rows.append((r.athlete, pd.Timestamp(r.date), 1, r.side, r.body_part))
    gap = pd.Timedelta(days=LABEL_CLEAR_DAYS)
    for athlete in diary.athletes():
        runs = diary.store.runs(athlete) if athlete in diary.store.athletes() else None
        if runs is not None and "date_unknown" in runs:  # (a run "in 2300" spans no history)
            runs = runs[~runs["date_unknown"].fillna(False).astype(bool)]
        if runs is None or runs.empty:
            continue
        times = pd.to_datetime(runs["start_time"], utc=True).dt.tz_localize(None)
        painful = pd.to_datetime(pain.loc[pain["athlete"] == athlete, "date"])
        day = times.min().normalize() + gap
        while day <= times.max().normalize():
            if not ((painful - day).abs() <= gap).any():
                rows.append((athlete, day, 0, "", ""))
            day += gap
    out = pd.DataFrame(rows, columns=["athlete", "date", "injured", "side", "body_part"])
    out["date"] = pd.to_datetime(out["date"]).dt.tz_localize("UTC").dt.floor("D")
    out["injured"] = out["injured"].astype(int)
    return out.sort_values(["athlete", "date"]).reset_index(drop=True)
