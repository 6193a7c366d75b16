"""View models of the athlete page: each section of a report dict as the plain strings, rows and
figures its template (``templates/athlete.html``) shows.

Everything returned is a plain ``str`` (or a list/dict of them, or a PNG data URI): the template
environment escapes all of it (:mod:`analyzer.report.html`). Numbers are formatted here, in the
display units chosen (:class:`analyzer.report.fmt.Units`); prose says "no data" where a value is
missing, tables a dash.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Mapping
from typing import Any

from analyzer.plan.exercises import display_notes
from analyzer.report import plots
from analyzer.report.band_shapes import (
    ACWR_DANGER,
    ACWR_SWEET_SPOT,
    GCT_BALANCE_GREEN_PCT,
    GCT_BALANCE_ORANGE_PCT,
    balance_text,
)
from analyzer.report.fmt import NO_DATA, Units, file_name, is_missing, plural
from analyzer.report.quality import SOURCE_NAMES

#: Resolution of embedded figures [dots per inch].
FIGURE_DPI = 90

#: Smallest share of the index [points] a driver must add for the drivers chart to be drawn (an
#: index at its baseline would draw an empty frame with a ±0.04 axis).
MIN_CHART_POINTS = 0.1

#: Exercises listed in "This week" on the first screen (the plan section has them all).
FIRST_SCREEN_EXERCISES = 3

#: Rows of the "runs without dynamics" table (the JSON lists every one).
MAX_RUNS_WITHOUT_DYNAMICS = 20


# ---------------------------------------------------------------------------------------------
# numbers and dates as text (plain strings: the template escapes them)
# ---------------------------------------------------------------------------------------------


def number(value: Any, digits: int = 1, unit: str = "", missing: str = "–") -> str:
    if is_missing(value):
        return missing
    try:
        f = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{f:.{digits}f}" + (f" {unit}" if unit else "")


def _signed(value: Any, digits: int = 1, unit: str = "", missing: str = "–") -> str:
    if is_missing(value):
        return missing
    f = float(value)
    if abs(f) < 0.5 * 10.0**-digits:
        f = 0.0  # no "-0.0"
    return f"{f:+.{digits}f}" + (f" {unit}" if unit else "")


def _value(value: Any, unit: Any) -> str:
    """A driver's value: numbers to at most 2 decimals, with the unit."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    else:
        text = "–" if value is None else str(value)
    return text + (f" {unit}" if unit else "")


def day(value: Any, missing: str = "–") -> str:
    return str(value)[:10] if value else missing


def show(value: Any) -> str:
    return "–" if value is None else str(value)


def figure_png(fig) -> str:
    """A figure as a ``data:image/png;base64,...`` URI (the figure is released afterwards)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=FIGURE_DPI)
    plots.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


#: Base text size of the charts [pt]: a chart shrinks to the phone's ~390 px, where 10 pt text
#: was ~5 px tall; at 12 pt (and titles and notes 2 pt larger than before) it stays readable.
FIGURE_FONT_PT = 12


def _figure(make: Callable[[], Any], alt: str, fid: str | None = None) -> dict:
    from matplotlib import rc_context

    with rc_context({"font.size": FIGURE_FONT_PT}):
        return {"src": figure_png(make()), "alt": alt, "id": fid}


def source_label(source: Any, sensor: Any = None) -> str:
    """What sent the dynamics, in words: the kind, and the sensor's own name when known."""
    label = SOURCE_NAMES.get(str(source), str(source)) if source is not None else NO_DATA
    if not sensor or str(sensor).lower() in label.lower():
        return label
    return f"{label}: {sensor}"


# ---------------------------------------------------------------------------------------------
# the sections' view models
# ---------------------------------------------------------------------------------------------


def _stale_text(d: Mapping) -> str | None:
    warn = d.get("stale")
    if not warn:
        return None
    return f"{warn['warning']} Import your recent runs for a current picture."


def _week_view(plan: Mapping) -> dict | None:
    items = plan.get("items") or []
    if not plan.get("available") or not items:
        return None
    wk = plan.get("weekly_plan") or {}
    days = [s["day"] for s in wk.get("sessions") or [] if s.get("day")]
    n = wk.get("sessions_per_week") or len(days) or None
    heading = "This week"
    if n:
        heading += f": {plural(n, 'session')}"
        if days:
            heading += f" ({', '.join(days)})"
        if wk.get("minutes_per_session"):
            heading += f", about {wk['minutes_per_session']} minutes each"
    top = items[:FIRST_SCREEN_EXERCISES]
    more = len(items) - len(top)
    return {
        "heading": heading,
        "exercises": [
            {"name": show(it["name"]), "dose": it.get("dose") or NO_DATA, "plane": it.get("plane")}
            for it in top
        ],
        "more": f"and {plural(more, 'more exercise')} in the plan below" if more > 0 else None,
    }


def summary(d: Mapping, u: Units) -> dict:
    p, r, b, dq, ld = d["period"], d["risk"], d["balance"], d["data_quality"], d["load"]
    n = p["n_runs"]
    runs = (
        f"{plural(n, 'run')} ({day(p.get('first_date'))} to {day(p.get('last_date'))}), "
        f"{u.distance(p['distance_km'], 0)}"
        if n
        else "no runs yet"
    )
    if b.get("latest_pct") is not None:
        bal = f"{b['latest_text']} on {day(b.get('latest_date'), NO_DATA)}"
        since = b.get("runs_since_latest") or 0
        if since:
            bal += f" (the {plural(since, 'run')} since carry no balance reading)"
    else:
        bal = f"{NO_DATA} (no run carries a balance reading)"
    facts = [
        ("Runs", runs, None),
        ("Runs with dynamics", f"{dq['n_with_dynamics']} of {dq['n_runs']}", None),
        ("Latest GCT balance", bal, b.get("latest_band")),
    ]
    lw = ld.get("latest")
    if lw:
        facts.append(
            (
                "Latest week",
                f"{u.distance(lw['distance_km'])} in {plural(lw['n_runs'] or 0, 'run')} "
                f"(week of {day(lw['week'])})",
                None,
            )
        )
    return {
        "risk": {
            "available": r["available"],
            "index": number(r["index"], 0, missing=NO_DATA),
            "level": r["level"],
            "reason": show(r["reason"]),
            "state": (r.get("status") or {}).get("state"),
            "state_text": show((r.get("status") or {}).get("text")),
        },
        "stale": _stale_text(d),
        "facts": facts,
        "week": _week_view(d["plan"]),
        "no_plan": f"No exercise plan yet: {show(d['plan'].get('reason'))}",
    }


def risk(d: Mapping) -> dict:
    r = d["risk"]
    rows = [
        [
            show(x["label"]),
            _signed(x["contribution"], 1),
            _value(x["value"], x.get("unit")),
            show(x["text"]),
            show(x["evidence"]),
            show(x["source"]),
        ]
        for x in r["drivers"]
    ]
    return {
        "available": r["available"],
        "reason": show(r["reason"]),
        "index": number(r["index"], 0),
        "level": r["level"],
        "state_text": show((r.get("status") or {}).get("text")) if not r["level"] else None,
        "model": r.get("model"),
        "asof": day(r.get("asof"), "") or None,
        "summary": r.get("summary"),
        "rows": rows,
        "figure": (
            _figure(lambda: plots.drivers(r), "drivers of the index")
            if any(abs(x["contribution"] or 0.0) >= MIN_CHART_POINTS for x in r["drivers"])
            else {"missing": "No driver adds a visible amount to the index: no chart."}
        ),
    }


def balance(d: Mapping) -> dict:
    b = d["balance"]
    rows = [
        [
            day(w["week"]),
            show(w["text"]),
            {"badge": "band", "value": w["band"]},
            show(w["n_runs"]),
            number(
                None if w["outside_green_share"] is None else 100 * w["outside_green_share"], 0, "%"
            ),
        ]
        for w in b["weeks"][-8:]
    ]
    return {
        "green": f"{GCT_BALANCE_GREEN_PCT[0]}–{GCT_BALANCE_GREEN_PCT[1]} %",
        "orange": f"{GCT_BALANCE_ORANGE_PCT[0]} % / {GCT_BALANCE_ORANGE_PCT[1]} %",
        "figure": (
            _figure(lambda: plots.balance(b), "GCT balance per week on Garmin's bands")
            if b["weeks"]
            else {"missing": "No run carries a left/right balance reading: no balance chart."}
        ),
        "rows": rows,
        "flags": [show(f["text"]) for f in d.get("flags") or []],
    }


def trends(d: Mapping, u: Units) -> dict:
    t = d["trends"]
    ref = t.get("ref_speed_mps")
    return {
        "ref": f"{u.speed(ref)}, {u.pace(ref)}" if ref else None,
        "figure": (
            _figure(lambda: plots.trends(t, units=u), "speed-normalised trends")
            if any(r["at_ref"] is not None for m in t["metrics"] for r in m["runs"])
            else {"missing": "No run carries running dynamics at a usable speed: no trend chart."}
        ),
        "rows": [
            [
                show(m["label"]),
                number(m["first_at_ref"], 1, m["unit"]),
                number(m["latest_at_ref"], 1, m["unit"]),
                _signed(m["change_at_ref"], 1, m["unit"]),
            ]
            for m in t["metrics"]
        ],
    }


def _has_series(lr: Mapping) -> bool:
    series = lr.get("series") or {}
    return any(
        v is not None
        for k in ("gct_balance_left_pct", "stance_time_ms")
        for v in series.get(k) or []
    )


def latest(d: Mapping, u: Units) -> dict | None:
    lr = d.get("latest_run")
    if not lr:
        return None
    dr = lr["drift"]
    src = source_label(lr["dynamics_source"], lr.get("dynamics_sensor"))
    bal = lr["gct_balance_text"] if lr["gct_balance_left_pct"] is not None else NO_DATA
    summary = (
        f"{day(lr.get('local_date'))}: {u.distance(lr['distance_km'])} in "
        f"{number(lr['duration_min'], 0, 'min', NO_DATA)}, device {show(lr['device'])}, dynamics "
        f"from {src} (file {file_name(lr['source_name']) or NO_DATA}). Median balance {bal}."
    )
    rows = [
        [
            show(th["third"]),
            balance_text(th["gct_balance_left_pct"]),
            number(th["stance_time_ms"], 0, "ms"),
            number(th["cadence_spm"], 0, "spm"),
            u.pace(th["speed_mps"], "–"),
        ]
        for th in lr["thirds"]
    ]
    drift = (
        "Drift, last third minus first third at matched speed: balance "
        f"{_signed(dr['gct_balance_left_pts'], 2, 'points', NO_DATA)}, contact time "
        f"{_signed(dr['stance_time_ms'], 0, 'ms', NO_DATA)}, cadence "
        f"{_signed(dr['cadence_spm'], 1, 'spm', NO_DATA)}, oscillation "
        f"{_signed(dr['vertical_oscillation_mm'], 1, 'mm', NO_DATA)}."
    )
    return {
        "summary": summary,
        "band": lr["gct_balance_band"],
        "figure": (
            _figure(lambda: plots.within_run(lr), "balance within the latest run")
            if _has_series(lr)
            else {"missing": "The latest run has no balance or contact-time samples: no chart."}
        ),
        "rows": rows,
        "drift": drift,
    }


def load(d: Mapping, u: Units) -> dict:
    ld = d["load"]
    lo, hi = ACWR_SWEET_SPOT
    weeks = ld["weeks"]
    shown = min(len(weeks), plots.LOAD_WEEKS)
    intro = (
        f'Acute:chronic ratio = last 7 days / 28-day average. The {lo}–{hi} "sweet spot" and the '
        f"{ACWR_DANGER} line come from team sports (Gabbett 2016) and are contested for runners; "
        "read them as context. ACWR in the table is the uncoupled ratio (this week is not part of "
        "its own 28-day base); the coupled one includes it."
    )
    overview = None
    if len(weeks) > plots.LOAD_WEEKS:
        intro += (
            f" The chart shows the last {plural(shown, 'week')}; the small chart below it the "
            f"whole history ({plural(len(weeks), 'week')})."
        )
        overview = _figure(
            lambda: plots.load_overview(ld, units=u),
            "weekly distance over the whole history",
            "load-overview",
        )
    rows = [
        [
            day(w["week"]),
            u.distance_figure(w["distance_km"], missing="–"),
            number(w["time_h"], 1),
            show(w["n_runs"]),
            number(w["acwr_uncoupled"], 2),
            number(w["acwr_coupled"], 2),
            _signed(w["progression_2wk_pct"], 0, "%"),
        ]
        for w in weeks[-6:]
    ]
    return {
        "intro": intro,
        "figure": _figure(
            lambda: plots.load(ld, units=u), "weekly load and acute:chronic ratio", "load-chart"
        ),
        "overview": overview,
        "head": [
            "Week of",
            u.distance_unit,
            "hours",
            "runs",
            "ACWR",
            "ACWR coupled",
            "vs last week",
        ],
        "rows": rows,
    }


def plan(d: Mapping, u: Units | None = None) -> dict:
    p = d["plan"]
    items = []
    for it in p["items"]:
        fields = [
            ("Why", it["why"]),
            ("Dose", it["dose"]),
            ("Side", it["side"]),
            ("Harder", it["progression"]),
            ("How to", list(it["how_to"]) if it["how_to"] else None),
            ("Works", it["works"]),
            ("Plane", it.get("plane")),
            ("Careful", it["cautions"]),
            ("Sources", "; ".join(it["citations"]) if it["citations"] else None),
        ]
        items.append(
            {
                "rank": show(it["rank"]),
                "name": show(it["name"]),
                "fields": [(k, v if isinstance(v, list) else str(v)) for k, v in fields if v],
            }
        )
    wk = p["weekly_plan"]
    week = None
    if wk["sessions"]:
        heading = f"A week: {plural(wk['sessions_per_week'], 'session')}"
        if wk.get("minutes_per_session"):
            heading += f" of about {wk['minutes_per_session']} minutes"
        week = {
            "heading": heading,
            "sessions": [
                (f"{s['day']}: " if s.get("day") else "") + ", ".join(s["exercises"])
                for s in wk["sessions"]
            ],
            "note": wk.get("note"),
        }
    return {
        "available": p["available"],
        "reason": show(p["reason"]),
        "focus": [str(f) for f in p["focus"]],
        "side_reasoning": p.get("side_reasoning"),
        "exercises": items,
        "week": week,
        "notes": [
            n
            for n in [
                *display_notes(p["notes"], p.get("load_cap"), (u or Units()).distance_whole),
                p.get("evidence_note"),
            ]
            if n
        ],
        "safety_note": p.get("safety_note"),
    }


def quality(d: Mapping) -> dict:
    q = d["data_quality"]
    without = q["runs_without_dynamics"]
    more = len(without) - MAX_RUNS_WITHOUT_DYNAMICS
    return {
        "notes": [str(n) for n in q["notes"]],
        "devices": [[show(x["device"]), show(x["n_runs"])] for x in q["devices"]],
        "sensors": [[show(x["sensor"]), show(x["n_runs"])] for x in q["sensors"]],
        "without": [
            [day(x.get("local_date")), file_name(x["source_name"]) or "–", show(x["device"])]
            for x in without[:MAX_RUNS_WITHOUT_DYNAMICS]
        ],
        "without_more": (
            f"and {plural(more, 'more run')} without dynamics (all listed in the JSON)"
            if more > 0
            else None
        ),
        "developer_fields": [str(f) for f in q["developer_fields"]],
    }
