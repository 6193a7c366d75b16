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
from collections.abc import Callable
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
    equipment: str
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
#: Planes of movement an exercise is annotated with (``plane`` in exercises.json).
PLANES: tuple[str, ...] = ("frontal", "sagittal", "transverse", "multi")
#: Places at the top of a plan that :func:`vary_planes` keeps from being one kind of exercise.
VARIED_TOP = 3

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
    plane: str
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
    #: The next-week cap of the load note (``{"km", "weeks"}``), None without one.
    load_cap: dict[str, Any] | None = None
    safety_note: str = SAFETY_NOTE
    evidence_note: str = EVIDENCE_NOTE

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def notes_in(self, distance: Callable[[float], str]) -> list[str]:
        """:attr:`notes` with the load cap in the display units of ``distance``."""
        return display_notes(self.notes, self.load_cap, distance)


def display_notes(notes: list[str], cap: dict | None, distance: Callable[[float], str]) -> list:
    """Plan notes with the load cap in the display units of ``distance`` (notes are SI)."""
    if not cap:
        return list(notes)
    si = load_note(cap.get("km"), int(cap.get("weeks") or 0))
    shown = load_note(cap.get("km"), int(cap.get("weeks") or 0), distance)
    return [shown if n == si else n for n in notes]


def _get(obj, name, default=None):
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


def _flagged(assessment) -> list[dict[str, Any]]:
    out = []
    for d in _get(assessment, "drivers", []) or []:
        d = d if isinstance(d, dict) else asdict(d)
        if d.get("flagged"):
            out.append(d)
    return sorted(out, key=lambda d: -(d.get("contribution") or 0.0))


def _side_reasoning(ctx: dict[str, Any], side: str, source: str, careful: bool = False) -> str:
    """Why one side gets the extra set, in one side's numbers with their dates."""
    dates = ctx.get("dates", {})
    if source == "fatigue_asymmetry_pts":
        d = dates.get(source, {}).get("recent", {})
        what = (
            f"Late in your runs your balance moves "
            f"{abs(ctx.get('fatigue_drift_pts') or 0):.2f} points further onto the {side} foot "
            f"(runs {d.get('start')} to {d.get('end')})."
        )
    else:
        d = dates.get("balance_shift_pts", {})
        ref, recent = d.get("reference", {}), d.get("recent", {})
        how = (
            "across 50/50 onto"
            if ctx.get("balance_crossed_even")
            else ("back toward even, onto" if ctx.get("balance_toward_even") else "further onto")
        )
        what = (
            f"Since your reference ({ref.get('start')} to {ref.get('end')}) your GCT balance has "
            f"moved {abs(ctx.get('balance_change_pts') or 0):.1f} points {how} the {side} "
            f"foot (runs {recent.get('start')} to {recent.get('end')})."
        )
    if careful:
        return (
            f"{what} While the pain lasts no side gets an extra set: ask the physiotherapist "
            "whether the change comes from protecting the sore side."
        )
    return (
        f"{what} One reading is that the {side} hip controls the landing less well, so one-sided "
        f"exercises get one extra set on the {side}. " + SIDE_CAVEAT
    )


def _side(flagged: list[dict[str, Any]], ctx: dict[str, Any]) -> tuple[str | None, str | None]:
    """The side for extra sets and the driver it comes from: the direction of the new change.

    A flagged balance change gives the side it moved toward, whichever way it went (away from,
    toward or across 50/50); else asymmetry that grows with fatigue gives the side that grows
    late in runs. A steady asymmetry beyond Garmin's band alone gives no side (the absolute
    balance never decides it).
    """
    names = {d["feature"] for d in flagged}
    if "balance_shift_pts" in names and ctx.get("balance_side") in ("left", "right"):
        return ctx["balance_side"], "balance_shift_pts"
    if "fatigue_asymmetry_pts" in names and ctx.get("fatigue_side") in ("left", "right"):
        return ctx["fatigue_side"], "fatigue_asymmetry_pts"
    return None, None


#: Exercises that load a sore body part harder than the others, left out while it hurts: deep
#: knee bends load the knee (squats; the banded side step's single-leg squat), bridges and hip
#: extensions load the lower back when form slips (their own cautions), standing on one leg loads
#: the ankle and foot. A physiotherapist decides what to add back.
LOADS_HARDER: dict[str, set[str]] = {
    "squats": {"knee", "hip", "lower back", "back"},
    "banded_side_step": {"knee", "ankle"},
    "lateral_band_walks": {"knee"},
    "bridge": {"lower back", "back", "hamstring"},
    "quadruped_hip_extension": {"lower back", "back"},
    "hip_circles": {"ankle", "foot", "plantar fascia", "achilles"},
}
_PAIN_FOCUS = "Pain first: a pain-free dose, no progression, nothing that loads the sore part"


def _sore_parts(pain: list[dict[str, Any]] | None) -> set[str]:
    return {str(p.get("body_part") or "").strip().lower() for p in pain or []} - {""}


def _pain_note(pain: list[dict[str, Any]], spared: list[str]) -> str:
    which = "; ".join(str(p.get("text") or p.get("body_part")) for p in pain)
    left_out = (
        " Left out while it lasts: " + ", ".join(BY_ID[ex].name for ex in spared) + "."
        if spared
        else ""
    )
    return (
        f"Open pain ({which}): the plan keeps every exercise to a pain-free dose, does not "
        f"progress, and gives no side an extra set.{left_out} If the pain lasts more than a few "
        "days or changes how you run, see a physiotherapist."
    )


def _cadence_note(ctx: dict[str, Any]) -> str:
    ref, now = ctx.get("cadence_baseline_spm"), ctx.get("cadence_recent_spm")
    d = ctx.get("dates", {}).get("cadence_deficit_pct", {})
    if not all(isinstance(x, float) and math.isfinite(x) for x in (ref, now)):
        return ""
    return (
        f"Your cadence at {ctx.get('ref_speed_mps') or 0:.2f} m/s fell from {ref:.0f} spm "
        f"(reference {d.get('reference', {}).get('start')} to "
        f"{d.get('reference', {}).get('end')}) to {now:.0f} spm (runs "
        f"{d.get('recent', {}).get('start')} to {d.get('recent', {}).get('end')}): on easy runs, "
        f"aim back toward about {ref:.0f} spm at the same pace. Heiderscheit et al. 2011 found "
        "5-10 % more steps at the same speed lowers knee (and at +10 % hip) loading; whether it "
        "prevents injury is not yet known (Anderson et al. 2022)."
    )


def _building_back_note(ctx: dict[str, Any]) -> str:
    b = ctx.get("building_back") or {}
    return (
        f"You are building back after a {b.get('break_weeks', 0):.0f}-week break (no runs from "
        f"{b.get('break_start')} to {b.get('break_end')}): start below what you ran per week "
        "before the break and add roughly 10 % a week until you are back there. There is no "
        "tested return-to-run rule; Nielsen et al. 2014's reference group progressed less than "
        "10 % a week. Load ratios are not shown until you have run in 4 of 6 weeks again."
    )


def _km(km: float) -> str:
    return f"{km:.0f} km"


def load_note(cap_km: float | None, weeks: int, distance: Callable[[float], str] = _km) -> str:
    """The "cut volume first" advice with the runner's usual week as the cap.

    ``distance`` formats the cap (default whole kilometres; the terminal and the HTML pass the
    display units), so the same sentence reads in miles where the runner chose miles.
    """
    cap = (
        f" (about {distance(cap_km)}, your usual week: the median of your last {weeks} weeks "
        "with running)"
        if isinstance(cap_km, float) and math.isfinite(cap_km) and cap_km > 0
        else ""
    )
    return (
        "Your training load rose quickly: cut running volume first (for example, keep next week "
        f"at or below your usual week{cap}). The evidence on load spikes in runners is mixed "
        "(Gabbett 2016; Nielsen et al. 2014; Nakaoka et al. 2021), so treat this as prudence."
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


def vary_planes(order: list[str], top: int = VARIED_TOP) -> list[str]:
    """Keep the ranking, but not two near-identical exercises with nothing else in the top three.

    When the first two exercises share their plane of movement and their equipment (banded side
    step and lateral band walks: both frontal, both with a band) and no exercise of another plane
    is among the first ``top``, the best-ranked exercise of another plane moves up to place
    ``top``; everything else keeps its order. Training the hip in more than one plane is the usual
    advice for runners' hip programmes (the source article's eight exercises span three planes).

    Parameters
    ----------
    order : list of str
        Exercise ids, best first.
    top : int
        Places checked for variety (:data:`VARIED_TOP`).

    Returns
    -------
    list of str
        The same ids, at most one moved.
    """
    if len(order) <= top or top < 2:
        return list(order)
    first, second = BY_ID[order[0]], BY_ID[order[1]]
    if (first.plane, first.equipment) != (second.plane, second.equipment):
        return list(order)
    if any(BY_ID[ex].plane != first.plane for ex in order[:top]):
        return list(order)
    other = next((ex for ex in order[top:] if BY_ID[ex].plane != first.plane), None)
    if other is None:
        return list(order)
    rest = [ex for ex in order if ex != other]
    return rest[: top - 1] + [other] + rest[top - 1 :]


def recommend(
    assessment,
    *,
    max_items: int = 5,
    pain: list[dict[str, Any]] | None = None,
    referral: str | None = None,
    stale: bool = False,
) -> Plan:
    """Rank the eight exercises for an assessment.

    Parameters
    ----------
    assessment : analyzer.risk.assessment.Assessment or its ``to_dict()``
    max_items : int
        Most exercises in the plan (maintenance plans have three).
    pain : list of dict, optional
        Open pain entries (``body_part``, ``side``, ``pain``, ``running``, ``text``): the plan
        keeps to a pain-free dose, does not progress, leaves out what loads the sore part harder
        (:data:`LOADS_HARDER`) and says so.
    referral : str, optional
        The safety stop's message (:func:`analyzer.plan.progress.safety`): it comes first, and
        nothing below it reads as an all-clear.
    stale : bool
        The history ended long ago: no advice about next week's running.

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
    order = vary_planes(sorted(score, key=lambda ex: -score[ex]))
    sore = _sore_parts(pain)
    spared = [ex for ex in order if LOADS_HARDER.get(ex, set()) & sore]
    order = [ex for ex in order if ex not in spared]
    order = order[: (3 if maintenance else max_items)]
    careful = bool(pain) or referral is not None

    side, side_source = _side(flagged, ctx)
    wants_side = side is not None
    items = []
    for rank, ex_id in enumerate(order, start=1):
        ex = BY_ID[ex_id]
        extra = 1 if (wants_side and ex.unilateral and not careful) else 0
        dose = ex.dose["text"] + (f", plus 1 extra set on the {side}" if extra else "")
        if careful:
            dose += "; only as far as it stays pain-free"
        items.append(
            PlanItem(
                rank=rank,
                exercise=ex.id,
                name=ex.name,
                works=ex.works,
                plane=ex.plane,
                why=why[ex_id],
                citations=cites[ex_id],
                dose=dose,
                sets=int(ex.dose["sets"]),
                reps=int(ex.dose["reps"]),
                per_side=bool(ex.dose["per_side"]),
                side=side if extra else None,
                extra_sets=extra,
                progression=(
                    "Not while the pain lasts: keep this dose until it has resolved."
                    if careful
                    else "When every set feels easy with clean form for two sessions in a row: "
                    + ex.progression
                ),
                cautions=ex.cautions,
                how_to=list(ex.how_to),
            )
        )

    notes = []
    if referral:
        notes.append(referral)
    elif pain:
        notes.append(_pain_note(pain, spared))
    if "overstride" in groups and _cadence_note(ctx):
        notes.append(_cadence_note(ctx))
    cap = None
    if "load_spike" in groups and not stale:
        cap = {"km": ctx.get("chronic_weekly_km"), "weeks": int(ctx.get("usual_weeks") or 0)}
        notes.append(load_note(cap["km"], cap["weeks"]))
    if ctx.get("building_back") and not stale:
        notes.append(_building_back_note(ctx))
    if maintenance and not careful:
        notes.append(
            "Nothing stands out in your recent runs: a short maintenance routine is enough."
        )
    elif maintenance and referral:
        notes.append(
            "Until a physiotherapist or doctor has seen the pain, do these only if they cause "
            "no pain, and do not progress them."
        )

    return Plan(
        athlete=_get(assessment, "athlete"),
        index=_get(assessment, "index"),
        level=_get(assessment, "level"),
        focus=([_PAIN_FOCUS] if careful else [])
        + [f"{GROUPS[g]['title']}: {GROUPS[g]['emphasis']}" for g in groups],
        items=items,
        side=side if wants_side else None,
        side_reasoning=_side_reasoning(ctx, side, side_source, careful) if wants_side else None,
        weekly_plan=_weekly_plan(items, [] if maintenance else groups),
        notes=notes,
        maintenance=maintenance,
        groups=list(groups),
        load_cap=cap,
    )
