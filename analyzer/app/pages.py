"""The app's HTML pages: athletes (the team page), an athlete's report, the diary, import.

Each page is a report template (``team.html``, ``athlete.html``) or a blank frame, wrapped by
``app_frame.html`` with the app's navigation and forms. Every value is escaped by the report's
Jinja environment; the report's own content comes from the cached report dict
(:class:`~analyzer.app.state.AppState`), so the page says what ``analyzer report`` says.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse

from analyzer._base import values
from analyzer.errors import AnalyzerError, NotEnoughData, NotFound

PACKAGES = ("analyzer.app",)
UNITS = ("metric", "imperial")


def athlete_href(name: str) -> str:
    return "/athletes/" + quote(name, safe="")


def diary_href(name: str) -> str:
    return "/diary/" + quote(name, safe="")


def render(request: Request, template: str, parent: str, status: int = 200, **context: Any):
    """An app page: ``template`` framed by ``app_frame.html`` around ``parent``."""
    from analyzer.report import advice, html

    ctx: dict[str, Any] = {
        "title": "analyzer",
        "heading": "analyzer",
        "subheading": "Running dynamics, imbalance risk and hip exercises, on this machine",
        "team_href": None,
        "generated_at": "–",
        "disclaimer": list(advice.DISCLAIMER),
        "athlete": None,
        "athlete_href": None,
        "diary_href": None,
        "units_links": None,
        "flash": request.query_params.get("msg"),
        "flash_error": request.query_params.get("error"),
    }
    ctx.update(context)
    if ctx["athlete"]:
        ctx["athlete_href"] = athlete_href(ctx["athlete"])
        ctx["diary_href"] = diary_href(ctx["athlete"])
    body = html.page(
        template, packages=PACKAGES, parent=parent, csrf=request.app.state.secrets.csrf, **ctx
    )
    return HTMLResponse(body, status_code=status)


def _units(request: Request) -> str:
    asked = request.query_params.get("units")
    return asked if asked in UNITS else request.app.state.app.units


def _units_links(request: Request, units: str) -> list[dict]:
    return [
        {"label": u, "current": u == units, "href": f"{request.url.path}?{urlencode({'units': u})}"}
        for u in UNITS
    ]


def _problem(request: Request, exc: AnalyzerError, athlete: str | None = None):
    status = 404 if isinstance(exc, NotFound) else 200 if isinstance(exc, NotEnoughData) else 400
    return render(
        request,
        "app_athletes.html",
        "app_blank.html",
        status=status,
        rows=[True],
        athlete=athlete if status != 404 else None,
        flash_error=str(exc),
    )


async def athletes(request: Request):
    """``/``: every athlete with status, index and last run, linked to their page."""
    from starlette.concurrency import run_in_threadpool

    from analyzer.report import html

    state = request.app.state.app
    team = await run_in_threadpool(state.team)
    ctx = html.team_context(team)
    ctx["heading"] = "Athletes"
    ctx["subheading"] = "Imbalance-risk index, status and last run of every athlete in the store"
    return render(request, "app_athletes.html", "team.html", **ctx)


async def athlete(request: Request):
    """``/athletes/{name}``: the athlete's report, live, in the chosen units."""
    from starlette.concurrency import run_in_threadpool

    state = request.app.state.app
    name = request.path_params["name"]
    units = _units(request)
    try:
        ctx = dict(await run_in_threadpool(state.page_context, name, units))
        others = [a for a in await run_in_threadpool(state.athletes) if a != name]
    except AnalyzerError as exc:
        return _problem(request, exc, name)
    return render(
        request,
        "app_athlete.html",
        "athlete.html",
        **ctx,
        athlete=name,
        others=others,
        units_links=_units_links(request, units),
    )


async def import_page(request: Request):
    """``/import``: file picker, folder picker and drop zone, progress, summary."""
    from starlette.concurrency import run_in_threadpool

    state = request.app.state.app
    names = await run_in_threadpool(state.athletes)
    default = request.query_params.get("athlete") or (names[0] if len(names) == 1 else "")
    limit = state.max_upload_bytes
    return render(
        request,
        "app_import.html",
        "app_blank.html",
        title="Import runs",
        heading="Import runs",
        athletes=names,
        athlete_default=default,
        max_bytes=limit,
        max_text=f"{limit / (1 << 20):,.0f} MiB",
    )


async def diary(request: Request):
    """``/diary/{name}``: log sessions and pain, start the recommended plan, the plan so far."""
    from starlette.concurrency import run_in_threadpool

    name = request.path_params["name"]
    try:
        ctx = await run_in_threadpool(_diary_context, request.app.state.app, name)
    except AnalyzerError as exc:
        return _problem(request, exc, name)
    return render(request, "app_diary.html", "app_blank.html", **ctx)


def _diary_context(state, name: str) -> dict:
    from analyzer.plan.exercises import EXERCISES
    from analyzer.report import plan_so_far_view
    from analyzer.schema import FEELS, RUNNING_AFFECTED, SIDES
    from analyzer.store.diary import Diary, today

    data = state.report(name)
    with state.reading() as store:
        d = Diary(store)
        ex, pain = d.exercises(name), d.pain(name)
    plan = data["plan"]
    return {
        "title": f"Diary: {name}",
        "heading": f"Diary and plan: {name}",
        "athlete": name,
        "f": plan_so_far_view.plan_so_far(data),
        "plan_items": [i["name"] for i in plan["items"]] if plan["available"] else [],
        "plan_reason": plan.get("reason") or "No plan to start.",
        "exercises": [{"id": e.id, "name": e.name} for e in EXERCISES],
        "sides": SIDES,
        "feels": FEELS,
        "running": RUNNING_AFFECTED,
        "today": today().isoformat(),
        "sessions": [_session_row(r) for r in ex.iloc[::-1].head(50).to_dict("records")],
        "pains": [_pain_row(r) for r in pain.iloc[::-1].head(50).to_dict("records")],
    }


def _session_row(r: dict) -> list:
    if not values.blank(r["sets"]) and not values.blank(r["reps"]):
        dose = f"{int(r['sets'])}x{int(r['reps'])}"
    else:
        dose = "" if values.blank(r["seconds"]) else f"{int(r['seconds'])} s"
    pain = "–" if values.blank(r["pain"]) else f"{int(r['pain'])}/10"
    return [r["date"].date().isoformat(), r["exercise"], dose, r["side"], r["feel"], pain]


def _pain_row(r: dict) -> list:
    state = "open" if values.blank(r["resolved"]) else f"resolved {r['resolved'].date()}"
    return [
        r["date"].date().isoformat(),
        r["body_part"],
        r["side"],
        f"{int(r['pain'])}/10",
        r["running"],
        state,
    ]
