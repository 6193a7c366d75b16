"""Self-contained HTML for an athlete report and for the team page, drawn with Jinja2.

The page is one file: CSS inline, figures embedded as base64 PNG, no script, and a
Content-Security-Policy that forbids loading anything (so it opens offline and can be mailed).

Escaping is the default, not a habit: the templates (``templates/*.html``) are rendered by an
environment with ``autoescape=True``, and this module hands them plain strings only. Device
names, developer field names, athlete names and file names come from files someone else may
have written; none of them is ever marked safe. The only trusted inserts are our own stylesheet
(``report.css``, marked ``|safe`` in ``base.html``) and the PNG data URIs we encode here (base64
has nothing to escape). File names are shown without their folders (:func:`fmt.file_name`): a
report may be mailed to a physio; the full paths stay in the store and the JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any
from urllib.parse import quote

from markupsafe import escape

from analyzer.report import plan_so_far_view, views
from analyzer.report.fmt import Units, is_missing, not_judged, plural
from analyzer.report.views import FIGURE_DPI, figure_png, source_label

__all__ = [
    "SECTION_IDS",
    "FIGURE_DPI",
    "esc",
    "figure_png",
    "render",
    "render_team",
    "athlete_context",
    "team_context",
    "page",
    "source_label",
]

#: Section ids of an athlete page, in order (tests look for each one).
SECTION_IDS: tuple[str, ...] = (
    "summary",
    "risk",
    "balance",
    "trends",
    "latest-run",
    "load",
    "plan",
    "data-quality",
    "disclaimer",
)

_BADGES = frozenset({"low", "moderate", "high", "green", "orange", "red", "blue", "purple"})


def esc(value: Any) -> str:
    """HTML-escape any value as the templates do (None → ``"–"``), quotes included."""
    if is_missing(value):
        return "–"
    return str(escape(str(value)))


@cache
def environment(*packages: str):
    """The Jinja2 environment: package templates, autoescape on, undefined names are errors.

    ``packages`` name further packages whose ``templates`` folder is searched first (the local
    app's pages extend the report's templates).
    """
    import jinja2

    loaders = [jinja2.PackageLoader(p, "templates") for p in (*packages, "analyzer.report")]
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.globals["known_badges"] = _BADGES
    return env


def _css() -> str:
    from importlib import resources

    return resources.files("analyzer.report").joinpath("templates", "report.css").read_text("utf-8")


# ---------------------------------------------------------------------------------------------
# pages
# ---------------------------------------------------------------------------------------------


def page(
    template: str,
    *,
    title: str,
    heading: str,
    subheading: str,
    packages: tuple[str, ...] = (),
    **context,
) -> str:
    """Render ``template`` (from ``packages``' templates, then the report's) with the page frame:
    title, headings, the report stylesheet and the version."""
    from analyzer._base.version import __version__

    return (
        environment(*packages)
        .get_template(template)
        .render(
            title=title,
            heading=heading,
            subheading=subheading,
            css=_css(),
            version=__version__,
            **context,
        )
    )


def render(data: Mapping, *, units: str = "metric", team_href: str | None = None) -> str:
    """One athlete's report dict (see :mod:`analyzer.report`) → a self-contained HTML page.

    Parameters
    ----------
    data : mapping
        A report dict from :func:`analyzer.report.build`.
    units : {"metric", "imperial"}
        Display units of distance, pace and speed (:mod:`analyzer.report.fmt`).
    team_href : str, optional
        The team page's file name, relative to this page: adds a link back to it.
    """
    return page(
        "athlete.html",
        team_href=quote(team_href) if team_href else None,
        **athlete_context(data, units=units),
    )


def athlete_context(data: Mapping, *, units: str = "metric") -> dict[str, Any]:
    """What ``athlete.html`` shows of a report dict: titles, sections, figures (the slow part)."""
    u = Units(units)
    return dict(
        title=f"Running report: {data['athlete']}",
        heading=f"Running dynamics report: {data['athlete']}",
        subheading="Gait trends, an imbalance-risk index and a hip-exercise plan",
        generated_at=views.show(data.get("generated_at")),
        disclaimer=[str(x) for x in data["disclaimer"]],
        s=views.summary(data, u),
        r=views.risk(data),
        b=views.balance(data),
        t=views.trends(data, u),
        lr=views.latest(data, u),
        ld=views.load(data, u),
        p=views.plan(data, u),
        q=views.quality(data),
        f=plan_so_far_view.plan_so_far(data),
    )


def render_team(team: Mapping) -> str:
    """The team dict (see :mod:`analyzer.report`) → a self-contained HTML page with links."""
    return page("team.html", team_href=None, **team_context(team))


def team_context(team: Mapping) -> dict[str, Any]:
    """What ``team.html`` shows of a team dict; an athlete's ``file`` becomes their link."""
    rows = []
    for a in team["athletes"]:
        name: Any = views.show(a["athlete"])
        if a.get("file"):
            name = {"href": quote(a["file"]), "text": name}
        if a.get("level"):
            level: Any = {"badge": "level", "value": a["level"]}
        elif a.get("state") == "balance_not_judged":
            level = {"badge": "level", "value": not_judged(a)}
        else:
            level = views.show(a.get("error"))
        rows.append(
            [
                name,
                views.show(a["n_runs"]),
                views.day(a.get("last_date") or a["last_run"]),
                views.number(a["index"], 0),
                level,
                views.show(a["top_exercise"]),
                *plan_so_far_view.team_cells(a),
            ]
        )
    return dict(
        title="Team report",
        heading="Team report",
        subheading="Imbalance-risk level and first exercise per athlete",
        generated_at=views.show(team.get("generated_at")),
        disclaimer=[str(x) for x in team["disclaimer"]],
        team_heading=f"Team: {plural(len(team['athletes']), 'athlete')}",
        rows=rows,
    )
