"""The eight hip exercises and the plan built from an imbalance-risk assessment.

The exercises (what they work, dose, harder variant) come from the article "8 Best Hip Exercises For Runners" (M. Baudo, PT, DPT); the instructions
are our own words (``analyzer/plan/exercises.json``). Drivers of the index map to exercise groups
(``groups`` in the same file), each link with its reason and citation. Exercises are picked by
which muscles they activate (EMG: Distefano et al. 2009, Selkowitz et al. 2013, MacAskill et al.
2014); activation is not proof of prevention, and hip weakness has not been shown to predict
patellofemoral pain (Neal et al. 2019, BJSM 53:270). The plan answers a pattern measured in the
runner's data; it is not treatment.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from importlib import resources
from typing import Any

_DATA = json.loads(
    resources.files("analyzer.plan").joinpath("exercises.json").read_text(encoding="utf-8")
)


@dataclass(frozen=True)
class Exercise:
    """One of the eight exercises (facts from the source article; dose_source says where the dose is from)."""

    id: str
    name: str
    plane: str
    works: str
    unilateral: bool
    dose: dict[str, Any]
    dose_source: str
    how_to: tuple[str, ...]
    progression: str
    progression_source: str
    cautions: str


EXERCISES: tuple[Exercise, ...] = tuple(
    Exercise(**{**e, "how_to": tuple(e["how_to"])}) for e in _DATA["exercises"]
)
BY_ID: dict[str, Exercise] = {e.id: e for e in EXERCISES}
#: Driver groups: features, title, emphasis, and ordered links (exercise, reason, cite).
GROUPS: dict[str, dict[str, Any]] = _DATA["groups"]
#: The frontal-plane hip stabilisers (first choice for a left/right balance shift).
FRONTAL_PLANE: tuple[str, ...] = tuple(link["exercise"] for link in GROUPS["balance"]["links"])

#: Rank weight of a link by its position in a group's list: the first choice counts most.
_POSITION_DECAY = 0.15
#: Minimum weight of a flagged driver, so a flag with a tiny prior still picks its exercises.
_MIN_WEIGHT = 0.5

SAFETY_NOTE = (
    "This is general exercise guidance, not treatment. Stop any exercise that causes sharp pain. "
    "Pain that lasts more than a few days, keeps coming back, or changes the way you run needs a "
    "physiotherapist or a doctor, not a report."
)
EVIDENCE_NOTE = (
    "Exercises are chosen by the muscles they are known to activate (EMG studies). Activation is not "
    "proof that they prevent injury, and hip weakness has not been shown to predict knee pain "
    "(Neal et al. 2019). They are a response to a pattern in your own data."
)
SIDE_CAVEAT = (
    "This is a working guess, not a finding. A longer contact on one side can also come from the "
    "other leg pushing off sooner, from cambered roads, track bends or hills, or from an old "
    "injury; a longer GCT has not been shown to mean weakness on that side. Compare both sides "
    "with a single-leg squat or single-leg bridge in front of a mirror: if the other side is "
    "clearly weaker, give the extra set to that side instead."
)


@dataclass
class PlanItem:
    """One ranked exercise with why, dose, side and next progression."""

    rank: int
    exercise: str
    name: str
    works: str
    why: list[str]
    citations: list[str]
    dose: str
    sets: int
    reps: int
    per_side: bool
    side: str | None
    extra_sets: int
    progression: str
    cautions: str
    how_to: list[str]


@dataclass
class Plan:
    """A prioritised plan among the eight exercises. JSON-able via :meth:`to_dict`."""

    athlete: str | None
    index: float | None
    level: str | None
    focus: list[str]
    items: list[PlanItem]
    side: str | None
    side_reasoning: str | None
    weekly_plan: dict[str, Any]
    notes: list[str]
    maintenance: bool
    groups: list[str] = field(default_factory=list)  # the driver groups behind ``focus``
    safety_note: str = SAFETY_NOTE
    evidence_note: str = EVIDENCE_NOTE

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _get(obj, name, default=None):
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


def _flagged(assessment) -> list[dict[str, Any]]:
    out = []
    for d in _get(assessment, "drivers", []) or []:
        d = d if isinstance(d, dict) else asdict(d)
        if d.get("flagged"):
            out.append(d)
    return sorted(out, key=lambda d: -(d.get("contribution") or 0.0))


def _side_reasoning(ctx: dict[str, Any], side: str) -> str:
    recent, base = ctx.get("balance_recent_pct"), ctx.get("balance_baseline_pct")

    def show(x):
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return "n/a"
        return f"{x:.1f} % L" if x >= 50 else f"{100 - x:.1f} % R"

    return (
        f"Your {side} foot stays on the ground longer ({show(recent)}; baseline {show(base)}). "
        f"One reading is that the {side} hip controls the landing less well, so one-sided exercises "
        f"get one extra set on the {side}. " + SIDE_CAVEAT
    )


def _weekly_plan(items: list[PlanItem], groups: list[str]) -> dict[str, Any]:
    load_only = groups == ["load_spike"]
    days = ["Tue", "Fri"] if not groups or load_only else ["Mon", "Wed", "Fri"]
    names = [i.name for i in items]
    return {
        "sessions_per_week": len(days),
        "sessions": [{"day": d, "exercises": names} for d in days],
        "minutes_per_session": 5 * len(items),
        "note": "Non-consecutive days; an easy run the same day is fine, a hard one is not.",
    }


def recommend(assessment, *, max_items: int = 5) -> Plan:
    """Rank the eight exercises for an assessment.

    Parameters
    ----------
    assessment : analyzer.risk.assessment.Assessment or its ``to_dict()``
    max_items : int
        Most exercises in the plan (maintenance plans have three).

    Returns
    -------
    Plan
        Items ranked by the summed weight of the flagged drivers that link to them (a driver's
        weight is its contribution in index points; earlier links in a group count more).
        Nothing flagged gives the maintenance plan (clamshell, bridge, hip circles).
    """
    flagged = _flagged(assessment)
    ctx = _get(assessment, "context", {}) or {}
    feature_group = {f: g for g, spec in GROUPS.items() for f in spec["features"]}
    weights: dict[str, float] = {}
    reasons: dict[str, list[str]] = {}
    for d in flagged:
        g = feature_group.get(d["feature"])
        if g is None:
            continue
        weights[g] = weights.get(g, 0.0) + max(float(d.get("contribution") or 0.0), _MIN_WEIGHT)
        reasons.setdefault(g, []).append(d.get("text", d["feature"]))
    groups = sorted(weights, key=lambda g: -weights[g]) or ["maintenance"]
    maintenance = groups == ["maintenance"]
    if maintenance:
        weights = {"maintenance": 1.0}

    score: dict[str, float] = {}
    why: dict[str, list[str]] = {}
    cites: dict[str, list[str]] = {}
    for g in groups:
        spec = GROUPS[g]
        # the group's largest driver, in the runner's own numbers
        because = (reasons.get(g) or ["nothing stands out in your recent runs"])[0]
        for k, link in enumerate(spec["links"]):
            ex = link["exercise"]
            score[ex] = score.get(ex, 0.0) + weights[g] * max(1 - _POSITION_DECAY * k, 0.1)
            why.setdefault(ex, []).append(
                f"{link['reason'][0].upper()}{link['reason'][1:]}. Your data: {because}."
            )
            if link["cite"] not in cites.setdefault(ex, []):
                cites[ex].append(link["cite"])
    order = sorted(score, key=lambda ex: -score[ex])[: (3 if maintenance else max_items)]

    side = ctx.get("balance_side")
    wants_side = any(GROUPS[g].get("side_emphasis") for g in groups) and side in ("left", "right")
    items = []
    for rank, ex_id in enumerate(order, start=1):
        ex = BY_ID[ex_id]
        extra = 1 if (wants_side and ex.unilateral) else 0
        dose = ex.dose["text"] + (f", plus 1 extra set on the {side}" if extra else "")
        items.append(
            PlanItem(
                rank=rank,
                exercise=ex.id,
                name=ex.name,
                works=ex.works,
                why=why[ex_id],
                citations=cites[ex_id],
                dose=dose,
                sets=int(ex.dose["sets"]),
                reps=int(ex.dose["reps"]),
                per_side=bool(ex.dose["per_side"]),
                side=side if extra else None,
                extra_sets=extra,
                progression=(
                    "When every set feels easy with clean form for two sessions in a row: "
                    + ex.progression
                ),
                cautions=ex.cautions,
                how_to=list(ex.how_to),
            )
        )

    notes = []
    if "overstride" in groups:
        cad = ctx.get("cadence_recent_raw_spm")
        target = (
            f" (from about {cad:.0f} to {cad * 1.05:.0f}-{cad * 1.10:.0f} spm)"
            if isinstance(cad, float) and not math.isnan(cad)
            else ""
        )
        notes.append(
            "On easy runs, try a cadence 5-10 % higher at the same pace" + target + "; "
            "Heiderscheit et al. 2011 found this lowers knee (and at +10 % hip) loading. Whether it "
            "prevents injury is not yet known (Anderson et al. 2022)."
        )
    if "load_spike" in groups:
        notes.append(
            "Your training load rose quickly: cut running volume first (for example, keep next week "
            "at or below your four-week average). The evidence on load spikes in runners is mixed "
            "(Gabbett 2016; Nielsen et al. 2014; Nakaoka et al. 2021), so treat this as prudence."
        )
    if maintenance:
        notes.append(
            "Nothing stands out in your recent runs: a short maintenance routine is enough."
        )

    return Plan(
        athlete=_get(assessment, "athlete"),
        index=_get(assessment, "index"),
        level=_get(assessment, "level"),
        focus=[f"{GROUPS[g]['title']}: {GROUPS[g]['emphasis']}" for g in groups],
        items=items,
        side=side if wants_side else None,
        side_reasoning=_side_reasoning(ctx, side) if wants_side else None,
        weekly_plan=_weekly_plan(items, [] if maintenance else groups),
        notes=notes,
        maintenance=maintenance,
        groups=list(groups),
    )
