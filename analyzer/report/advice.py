"""The report's ``risk``, ``plan`` and ``disclaimer`` sections.

:func:`risk_section` and :func:`plan_section` normalise ``Assessment.to_dict()`` and
``Plan.to_dict()`` (from :mod:`analyzer.risk.assessment` and :mod:`analyzer.plan.exercises`) into the report's
documented shape, so that the HTML, the terminal summary and the JSON stay stable even if those
objects gain fields. Unknown fields are ignored; missing ones become None.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from analyzer.report.sections import clean, num

#: The plain disclaimer printed at the end of every report (HTML, terminal and JSON).
DISCLAIMER: tuple[str, ...] = (
    "The imbalance-risk index is an index, not a diagnosis and not a probability of injury. "
    "It ranks how much your recent running dynamics changed against your own reference period "
    "(a balance change away from or across 50/50 counts fully, one toward 50/50 less, and not "
    "at all during a plan that aims at it), how they compare with Garmin's population "
    "bands, and how fast your training load is rising. Load and population bands are contested "
    "evidence and together can raise the index at most to 'moderate'.",
    "What the evidence shows: raising step rate 5-10 % lowers knee and hip loading in the lab "
    "(Heiderscheit et al. 2011); a change is flagged only when it persists against your own "
    "reference, with a known false-alarm rate. What it does not show: that watch running "
    "dynamics, balance shifts or load spikes predict injury in runners (Neal et al. 2024; "
    "Nakaoka et al. 2021). A driver without enough runs, a full reference period or the same "
    "sensor says 'not enough data' instead of a number.",
    "The link between gait asymmetry and injury is not established: the largest prospective "
    "study so far (Malisoux et al. 2024, BMJ Open Sport Exerc Med 10:e001787; 836 runners "
    "followed for six months) found that asymmetry did not raise injury risk. Treat the drivers "
    "as prompts to look, not as findings.",
    "The exercises are general hip-strength work, not treatment. Pain that persists, or pain "
    "that changes how you run, needs a physiotherapist or doctor, not a report.",
)


def _first(d: Mapping, *keys: str, default: Any = None) -> Any:
    for k in keys:
        if k in d and d[k] is not None:
            return d[k]
    return default


def _text(value: Any) -> str | None:
    """Lists of strings are joined into one paragraph; everything else becomes ``str``."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, Sequence):
        return " ".join(str(v) for v in value if v is not None)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def risk_section(assessment: Mapping | None, *, reason: str | None = None) -> dict:
    """Normalise an assessment dict into the report's ``risk`` section.

    Parameters
    ----------
    assessment : mapping or None
        ``Assessment.to_dict()``; None when no assessment could be made.
    reason : str, optional
        Why there is no assessment (shown instead of the score).
    """
    if not assessment:
        return {
            "available": False,
            "reason": reason or "not enough data for an assessment",
            "index": None,
            "level": None,
            "asof": None,
            "model": None,
            "drivers": [],
            "summary": None,
            "baseline_index": None,
            "status": {"state": "not_enough_data", "text": reason, "reason": reason},
        }
    a = dict(assessment)
    drivers = []
    for d in _first(a, "drivers", default=[]) or []:
        d = dict(d)
        drivers.append(
            {
                "feature": clean(_first(d, "feature", "name", "key")),
                "label": clean(_first(d, "label", "title", "feature", "name")),
                "contribution": num(_first(d, "contribution", "points", "weight"), 2),
                "value": clean(_first(d, "value", "measured")),
                "unit": clean(_first(d, "unit", "units")),
                "text": _text(_first(d, "text", "explanation", "detail", "message", "why")),
                "evidence": clean(_first(d, "evidence", "evidence_grade", "grade")),
                "source": _text(_first(d, "source", "reference", "citation")),
                "note": _text(_first(d, "note", "caveat")),
                "flagged": bool(_first(d, "flagged", default=False)),
                "status": clean(_first(d, "status", default="ok")),
                "dates": clean(_first(d, "dates", default={})),
                "contested": bool(_first(d, "contested", default=False)),
            }
        )
    drivers.sort(key=lambda d: -(d["contribution"] or 0.0))
    model = _first(a, "model", "model_name", "model_source")
    return {
        "available": True,
        "reason": None,
        "index": num(_first(a, "index", "score", "risk_index"), 1),
        "level": clean(_first(a, "level", "category")),
        "asof": clean(_first(a, "asof", "as_of", "date")),
        "model": _text(model)
        if not isinstance(model, Mapping)
        else clean(_first(model, "name", "source", "version")),
        "drivers": drivers,
        "summary": _text(_first(a, "summary", "headline", "text")),
        "baseline_index": num(_first(a, "baseline_index"), 1),
        "status": clean(_first(a, "status", default={"state": "judged"})),
    }


def _list(value: Any) -> list[str]:
    """A list of strings from a string, a list or None."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, Sequence):
        return [str(v) for v in value if v is not None and str(v).strip()]
    return [str(value)]


def _weekly(value: Any) -> dict:
    """``weekly_plan``: sessions (day + exercise names), sessions per week, minutes, note."""
    out: dict[str, Any] = {
        "sessions_per_week": None,
        "minutes_per_session": None,
        "sessions": [],
        "note": None,
    }
    if isinstance(value, Mapping):
        out["sessions_per_week"] = clean(value.get("sessions_per_week"))
        out["minutes_per_session"] = clean(value.get("minutes_per_session"))
        out["note"] = _text(value.get("note"))
        sessions = value.get("sessions") or []
    else:
        sessions = value or []
    for sess in sessions:
        if isinstance(sess, Mapping):
            out["sessions"].append(
                {
                    "day": clean(_first(sess, "day", "when")),
                    "exercises": _list(_first(sess, "exercises", "text", "what")),
                }
            )
        else:
            out["sessions"].append({"day": None, "exercises": _list(sess)})
    if out["sessions_per_week"] is None and out["sessions"]:
        out["sessions_per_week"] = len(out["sessions"])
    return out


def plan_section(plan: Mapping | None, *, reason: str | None = None) -> dict:
    """Normalise a ``Plan.to_dict()`` (:mod:`analyzer.plan.exercises`) into the report's ``plan``."""
    if not plan:
        return {
            "available": False,
            "reason": reason or "no plan without an assessment",
            "focus": [],
            "side": None,
            "side_reasoning": None,
            "maintenance": None,
            "items": [],
            "weekly_plan": _weekly(None),
            "notes": [],
            "load_cap": None,
            "evidence_note": None,
            "safety_note": None,
        }
    p = dict(plan)
    items = []
    for i, it in enumerate(_first(p, "items", "exercises", default=[]) or [], start=1):
        it = dict(it)
        ex = it.get("exercise")
        items.append(
            {
                "rank": clean(_first(it, "rank", default=i)),
                "id": clean(ex if isinstance(ex, str) else _first(it, "id", "key")),
                "name": clean(_first(it, "name", "title")),
                "works": _text(_first(it, "works", "targets")),
                "plane": clean(_first(it, "plane")),
                "why": " ".join(_list(_first(it, "why", "reasons"))) or None,
                "citations": _list(_first(it, "citations", "sources")),
                "dose": _text(_first(it, "dose", "dosage")),
                "side": clean(_first(it, "side")),
                "extra_sets": clean(_first(it, "extra_sets")),
                "progression": _text(_first(it, "progression", "harder")),
                "how_to": _list(_first(it, "how_to", "instructions", "steps")),
                "cautions": _text(_first(it, "cautions", "caution")),
            }
        )
    return {
        "available": True,
        "reason": None,
        "focus": _list(_first(p, "focus")),
        "side": clean(_first(p, "side")),
        "side_reasoning": _text(_first(p, "side_reasoning")),
        "maintenance": clean(_first(p, "maintenance")),
        "items": items,
        "weekly_plan": _weekly(_first(p, "weekly_plan", "schedule")),
        "notes": _list(_first(p, "notes")),
        "load_cap": clean(_first(p, "load_cap")),
        "evidence_note": _text(_first(p, "evidence_note")),
        "safety_note": _text(_first(p, "safety_note", "safety")),
    }
