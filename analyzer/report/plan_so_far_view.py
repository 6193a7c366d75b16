"""The "Your plan so far" section of the HTML report, from the report dict's ``plan_so_far``.

Plain strings and lists only (the templates escape them); the referral, when the safety stop
applies, is its own field so the page can put it first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DIRECTION = {"up": "up", "down": "down"}


def _pct(value: Any) -> str:
    return "no data" if value is None else f"{float(value):.0%}"


def plan_so_far(d: Mapping) -> dict | None:
    """The view of ``d["plan_so_far"]`` (None when the athlete has no plan and no diary)."""
    ps = d.get("plan_so_far")
    if not ps:
        return None
    safety = ps.get("safety") or {}
    view: dict[str, Any] = {
        "referral": safety.get("message") if safety.get("stop") else None,
        "available": bool(ps.get("available")),
        "reason": ps.get("reason"),
        "heading": "Your plan so far",
        "asof": ps.get("asof"),
        "open_pain": [p["text"] for p in ps.get("open_pain") or []],
        "rows": [],
        "adherence": None,
        "weeks": [],
        "work": None,
        "maintenance": (ps.get("maintenance") or {}).get("text"),
    }
    if not ps.get("available"):
        return view
    view["heading"] = f"Your plan so far (v{ps['version']}, started {ps['start_date']})"
    for e in ps.get("exercises") or []:
        view["rows"].append(
            [str(e["name"]), str(e["step"]), str(e["dose"]), str(e["sessions"]),
             e.get("last_session") or "none yet", str(e["why"])]
        )  # fmt: skip
    adh = ps.get("adherence") or {}
    if adh:
        view["adherence"] = (
            f"{_pct(adh.get('share'))} of planned sessions done "
            f"({adh.get('sessions_per_week')} a week planned), as of {ps.get('asof')}"
        )
        view["weeks"] = [
            [str(w["week_start"]), str(w["planned"]), str(w["done"]), _pct(w.get("share"))]
            for w in adh.get("weeks") or []
        ]
    work = ps.get("did_it_work")
    if work:
        view["work"] = {
            "text": str(work["text"]),
            "caveat": str(work["caveat"]),
            "windows": (
                f"Before: {work['before_window'][0]} to {work['before_window'][1]}; "
                f"after: {work['after_window'][0]} to {work['after_window'][1]} "
                f"({work['metric']}, {work['unit']})"
            ),
        }
    return view


def team_cells(a: Mapping) -> list[str]:
    """Adherence and open pain of one team-page row."""
    pain = "; ".join(a.get("open_pain") or []) or "none"
    if a.get("referral"):
        pain = "see a physiotherapist or doctor: " + pain
    return [_pct(a.get("adherence")) if a.get("adherence") is not None else "no plan", pain]
