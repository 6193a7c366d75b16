"""The imbalance-risk index of an athlete: score, level and drivers in the runner's own numbers.

Scoring, model files and the priors live in :mod:`analyzer.risk.scoring`; the scikit-learn
estimator that fits them in :mod:`analyzer.risk.model`. This module turns ``trends.trends`` /
``load.weekly`` frames into an :class:`Assessment`; the athlete's analysis
(:func:`analyzer.analysis.analyse`) builds those frames from the store, once.

It is an imbalance-risk **index**, not a diagnosis and not a calibrated injury probability: no
study has shown that watch running dynamics predict injury, and the largest prospective cohort
found gait asymmetry did not raise injury risk (Malisoux et al. 2024, BMJ Open SEM 10:e001787).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

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
from analyzer.schema import jsonable

__all__ = [
    "Assessment",
    "Driver",
    "assess_features",
    "assess_frames",
    "judgement_status",
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
    #: What the index could judge: ``state`` (:data:`JUDGED` or :data:`BALANCE_NOT_JUDGED`),
    #: ``text`` (the headline sentence), ``reason``, ``cannot_judge`` / ``judged`` (feature
    #: names) and ``judged_labels`` (what is still followed, in words).
    status: dict[str, Any] = field(default_factory=dict)
    disclaimer: str = DISCLAIMER
    levels: dict[str, float] = field(
        default_factory=lambda: {"low_below": LOW_MAX, "moderate_below": MODERATE_MAX}
    )
    #: The local clock at ``asof`` (that of the latest run judged) [s ahead of UTC]: ``asof``
    #: stays the UTC instant; its date is :func:`analyzer.schema.local_date` of both.
    utc_offset_s: int = 0

    @property
    def flagged(self) -> list[Driver]:
        """Drivers above their flag threshold, largest contribution first."""
        return [d for d in self.drivers if d.flagged]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (NaN becomes None)."""
        return jsonable(asdict(self))


#: The index's states: every main driver could be judged, or the balance part could not.
JUDGED = "judged"
BALANCE_NOT_JUDGED = "balance_not_judged"
#: The balance drivers: the index's main part (they weigh most in the priors).
BALANCE_DRIVERS = ("balance_shift_pts", "fatigue_asymmetry_pts", "balance_beyond_band_pts")
#: What each other driver follows, in words, for the "what can still be judged" sentence.
_FOLLOWS = {
    "cadence_deficit_pct": "cadence",
    "gct_excess_ms": "ground contact time",
    "vertical_ratio_excess_pct": "vertical ratio",
    "acwr_excess": "training load",
    "progression_excess_pct": "training load",
}


def judgement_status(drivers: list[Driver], ctx: dict[str, Any]) -> dict[str, Any]:
    """Whether the index could judge its main part, the left/right balance, and why not.

    The balance change against the runner's own reference is the driver that weighs most; when
    it cannot be judged (no balance sensor, too few runs, no complete reference) the index is
    not an all-clear, whatever its number: the state says so and the level is left empty.
    """
    by = {d.feature: d for d in drivers}
    shift = by.get("balance_shift_pts")
    judged = [d.feature for d in drivers if d.status == "ok"]
    cannot = [f for f in BALANCE_DRIVERS if f in by and by[f].status != "ok"]
    labels = list(dict.fromkeys(_FOLLOWS[f] for f in judged if f in _FOLLOWS))
    if shift is None or shift.status == "ok":
        return {"state": JUDGED, "text": None, "reason": None, "cannot_judge": cannot,
                "judged": judged, "judged_labels": labels}  # fmt: skip
    if not ctx.get("balance_measured", True):
        reason = "no run has a left/right balance reading: your watch or sensor does not measure it"
    else:
        reason = shift.status.removeprefix("not enough data: ")
    follows = ", ".join(labels) if labels else "nothing yet (not enough recent runs)"
    text = f"Left/right balance cannot be judged ({reason}). Still followed: {follows}."
    return {"state": BALANCE_NOT_JUDGED, "text": text, "reason": reason, "cannot_judge": cannot,
            "judged": judged, "judged_labels": labels}  # fmt: skip


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
        detector = ctx.get("flags", {})
        if f in detector:  # own-reference drivers: flagged exactly when trends flags the change
            flagged = bool(ok and detector[f] != 0)
        else:
            flagged = bool(ok and row["value"] > info["flag"] and row["contribution"] > 0)
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
                flagged=flagged,
                status=status.get(f, "ok"),
                dates=ctx.get("dates", {}).get(f, {}),
                contested=f in m.contested_features_,
            )
        )
    state = judgement_status(drivers, ctx)
    return Assessment(
        athlete=athlete,
        asof=str(ctx.get("asof")),
        index=index,
        # no "low" stands for an index whose main drivers are missing
        level=level_of(index) if state["state"] == JUDGED else None,
        status=state,
        baseline_index=float(100 * sigmoid(m.intercept_)),
        drivers=drivers,
        features={k: float(v) for k, v in feats.items()},
        context=ctx,
        model=getattr(m, "source_", "fitted in memory"),
        utc_offset_s=int(ctx.get("utc_offset_s") or 0),
    )


def assess_frames(trends_df, weekly_df=None, *, model=None, asof=None, athlete=None) -> Assessment:
    """Score an athlete from ``trends.trends`` and ``load.weekly`` frames (no store needed)."""
    feats, ctx = _features.compute(trends_df, weekly_df, asof=asof)
    return assess_features(feats, ctx, model=model, athlete=athlete)
