"""The imbalance-risk index of an athlete: score, level and drivers in the runner's own numbers.

Scoring, model files and the priors live in :mod:`analyzer.risk.scoring`; the scikit-learn
estimator that fits them in :mod:`analyzer.risk.model`. This module turns a store or
``gait.trends`` / ``load.weekly`` frames into an :class:`Assessment`.

It is an imbalance-risk **index**, not a diagnosis and not a calibrated injury probability: no
study has shown that watch running dynamics predict injury, and the largest prospective cohort
found gait asymmetry did not raise injury risk (Malisoux et al. 2024, BMJ Open SEM 10:e001787).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analyzer.errors import NotEnoughData
from analyzer.risk import features as _features
from analyzer.risk.scoring import (
    DISCLAIMER,
    LOW_MAX,
    MODERATE_MAX,
    LinearIndex,
    default_model,
    driver_evidence,
    level_of,
    load_model,
    sigmoid,
)

__all__ = [
    "Assessment",
    "Driver",
    "assess",
    "assess_features",
    "assess_frames",
    "athlete_frames",
    "resolve_athlete",
]


@dataclass
class Driver:
    """One feature's share of the index, in the runner's own numbers."""

    feature: str
    label: str
    value: float
    unit: str
    contribution: float  # index points
    text: str
    grade: str
    source: str
    note: str
    flagged: bool
    #: "ok", "not enough data: <what is missing>" or "building back: ..." (load after a break)
    status: str = "ok"
    #: Dates behind the value: ``recent`` / ``reference`` / ``weeks`` / ``chronic`` windows
    #: (``{"start": "YYYY-MM-DD", "end": ...}``).
    dates: dict[str, Any] = field(default_factory=dict)
    #: True for the contested drivers (load, population bands): together they cannot lift the
    #: index above "moderate" (``priors.json`` "contested").
    contested: bool = False


@dataclass
class Assessment:
    """An imbalance-risk index with its drivers. Not a diagnosis; see :data:`DISCLAIMER`."""

    athlete: str | None
    asof: str
    index: float
    level: str
    baseline_index: float
    drivers: list[Driver]
    features: dict[str, float]
    context: dict[str, Any]
    model: str
    disclaimer: str = DISCLAIMER
    levels: dict[str, float] = field(
        default_factory=lambda: {"low_below": LOW_MAX, "moderate_below": MODERATE_MAX}
    )

    @property
    def flagged(self) -> list[Driver]:
        """Drivers above their flag threshold, largest contribution first."""
        return [d for d in self.drivers if d.flagged]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (NaN becomes None)."""
        return _clean(asdict(self))


def _clean(obj):
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, float | np.floating):
        return None if not math.isfinite(float(obj)) else round(float(obj), 4)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def _as_model(model) -> LinearIndex:
    if model is None:
        return default_model()
    if isinstance(model, LinearIndex):  # an ImbalanceRiskModel is one too
        return model
    return load_model(model)


def assess_features(
    feats: pd.Series, ctx: dict[str, Any], *, model=None, athlete: str | None = None
) -> Assessment:
    """Score one feature vector (from :func:`analyzer.risk.features.compute`)."""
    m = _as_model(model)
    names = m.features_
    X = pd.DataFrame([feats.reindex(names).fillna(0.0).to_numpy()], columns=names)
    index = float(m.score_index(X)[0])
    evidence = driver_evidence(m)
    drivers = []
    status = ctx.get("status", {})
    for row in m.explain(X.iloc[0]):
        f = row["feature"]
        info = _features.FEATURE_INFO[f]
        ev = evidence.get(f, {})
        ok = status.get(f, "ok") == "ok"
        drivers.append(
            Driver(
                feature=f,
                label=info["label"],
                value=row["value"] if ok else math.nan,
                unit=info["unit"],
                contribution=row["contribution"],
                text=_features.describe(f, row["value"], ctx),
                grade=str(ev.get("grade", "")),
                source=str(ev.get("source", "")),
                note=str(ev.get("note", "")),
                flagged=bool(ok and row["value"] > info["flag"] and row["contribution"] > 0),
                status=status.get(f, "ok"),
                dates=ctx.get("dates", {}).get(f, {}),
                contested=f in m.contested_features_,
            )
        )
    return Assessment(
        athlete=athlete,
        asof=str(ctx.get("asof")),
        index=index,
        level=level_of(index),
        baseline_index=float(100 * sigmoid(m.intercept_)),
        drivers=drivers,
        features={k: float(v) for k, v in feats.items()},
        context=ctx,
        model=getattr(m, "source_", "fitted in memory"),
    )


def assess_frames(trends_df, weekly_df=None, *, model=None, asof=None, athlete=None) -> Assessment:
    """Score an athlete from ``gait.trends`` and ``load.weekly`` frames (no store needed)."""
    feats, ctx = _features.compute(trends_df, weekly_df, asof=asof)
    return assess_features(feats, ctx, model=model, athlete=athlete)


def resolve_athlete(store, athlete: str | None) -> str:
    """The athlete asked for, or the only one in the store (:meth:`Store.resolve_athlete`).

    Raises
    ------
    NotFound
        Unknown name, an empty store, or several athletes and none named.
    """
    return store.resolve_athlete(athlete)


def athlete_frames(store, athlete: str, *, asof=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(trends, weekly)`` for one athlete from the store, using runs up to ``asof`` only."""
    from analyzer.metrics import gait, load

    g = store.gait(athlete)
    if asof is not None and len(g):
        g = g[pd.to_datetime(g["start_time"], utc=True) <= _features.to_utc(asof)]
    if len(g) == 0:
        raise NotEnoughData(f"athlete {athlete!r} has no runs to score (up to {asof or 'now'})")
    return gait.trends(g), load.weekly(g)


def assess(store, athlete: str | None = None, *, model=None, asof=None) -> Assessment:
    """Imbalance-risk index of one athlete in ``store`` (``Store.gait`` -> trends -> features).

    Parameters
    ----------
    store : analyzer.store.database.Store
    athlete : str, optional
        Needed when the store holds several athletes.
    model : ImbalanceRiskModel or path, optional
        Default: the documented priors.
    asof : Timestamp-like, optional
        Score as of this instant (default: the last run).

    Raises
    ------
    NotFound, NotEnoughData, ModelFileError
    """
    athlete = resolve_athlete(store, athlete)
    m = _as_model(model)
    trends, weekly = athlete_frames(store, athlete, asof=asof)
    return assess_frames(trends, weekly, model=m, asof=asof, athlete=athlete)
