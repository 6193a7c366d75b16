"""Self-contained HTML for an athlete report and for the team page.

The page is one file: CSS inline, figures embedded as base64 PNG, no script, and a
Content-Security-Policy that forbids loading anything (so it opens offline and can be mailed).
Every value taken from the report dict passes through :func:`esc` (``html.escape`` with quotes)
before it reaches the page, because device names, developer field names, athlete names and file
names come from files someone else may have written.
"""

from __future__ import annotations

import base64
import io
import math
import string
from collections.abc import Callable, Iterable, Mapping
from html import escape
from importlib import resources
from typing import Any
from urllib.parse import quote

from analyzer.report import plots
from analyzer.report.bands import ACWR_DANGER, ACWR_SWEET_SPOT, balance_text
from analyzer.report.quality import SOURCE_NAMES

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

#: Resolution of embedded figures [dots per inch].
FIGURE_DPI = 90


def esc(value: Any) -> str:
    """HTML-escape any value (None → ``"–"``), quotes included."""
    if value is None:
        return "–"
    if isinstance(value, float) and not math.isfinite(value):
        return "–"
    return escape(str(value), quote=True)


def _fmt(value: Any, digits: int = 1, unit: str = "") -> str:
    if value is None:
        return "–"
    try:
        f = float(value)
    except (TypeError, ValueError):
        return esc(value)
    if not math.isfinite(f):
        return "–"
    text = f"{f:.{digits}f}" + (f" {unit}" if unit else "")
    return esc(text)


def _signed(value: Any, digits: int = 1, unit: str = "") -> str:
    if value is None:
        return "–"
    f = float(value)
    if abs(f) < 0.5 * 10.0**-digits:
        f = 0.0  # no "-0.0"
    return esc(f"{f:+.{digits}f}" + (f" {unit}" if unit else ""))


def _value(value: Any, unit: Any) -> str:
    """A driver's value: numbers to at most 2 decimals, with the unit."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    else:
        text = "–" if value is None else str(value)
    return esc(text + (f" {unit}" if unit else ""))


def _template(name: str) -> str:
    return resources.files("analyzer.report").joinpath("templates", name).read_text("utf-8")


def figure_png(fig) -> str:
    """A figure as a ``data:image/png;base64,...`` URI (the figure is released afterwards)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=FIGURE_DPI)
    plots.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _img(make: Callable[[], Any], alt: str) -> str:
    return f'<img class="fig" src="{figure_png(make())}" alt="{esc(alt)}">'


def _table(
    head: Iterable[str], rows: Iterable[Iterable[str]], num_cols: set[int] = frozenset()
) -> str:
    """A table from already-escaped cells (headers are escaped here)."""
    th = "".join(
        f'<th class="num">{esc(h)}</th>' if i in num_cols else f"<th>{esc(h)}</th>"
        for i, h in enumerate(head)
    )
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{c}</td>' if i in num_cols else f"<td>{c}</td>"
            for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{th}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _badge(kind: str, value: Any) -> str:
    cls = (
        esc(str(value))
        if value in {"low", "moderate", "high", "green", "orange", "red", "blue", "purple"}
        else "none"
    )
    return f'<span class="badge {kind}-{cls}">{esc(value)}</span>'


def _section(sid: str, title: str, inner: str) -> str:
    return f'<section id="{sid}">\n<h2>{esc(title)}</h2>\n{inner}\n</section>'


def _date(value: Any) -> str:
    return esc(str(value)[:10]) if value else "–"


# ---------------------------------------------------------------------------------------------
# sections
# ---------------------------------------------------------------------------------------------


def _summary(d: Mapping) -> str:
    p, r, b, dq = d["period"], d["risk"], d["balance"], d["data_quality"]
    items = d["plan"]["items"]
    score = (
        f'<span class="big">{_fmt(r["index"], 0)}</span><span>/100 {_badge("level", r["level"])}</span>'
        if r["available"]
        else f'<span class="muted">No score: {esc(r["reason"])}</span>'
    )
    rows = [
        (
            "Runs",
            f"{esc(p['n_runs'])} ({_date(p['first_run'])} to {_date(p['last_run'])}), "
            f"{_fmt(p['distance_km'], 0, 'km')}",
        ),
        ("Runs with dynamics", f"{esc(dq['n_with_dynamics'])} of {esc(dq['n_runs'])}"),
        (
            "Latest GCT balance",
            f"{esc(b['latest_text'])} "
            + (_badge("band", b["latest_band"]) if b["latest_band"] else ""),
        ),
        ("First exercise", esc(items[0]["name"]) if items else "–"),
    ]
    table = "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return _section("summary", "Summary", f'<div class="score">{score}</div><table>{table}</table>')


def _risk(d: Mapping) -> str:
    r = d["risk"]
    if not r["available"]:
        return _section(
            "risk", "Imbalance-risk index", f'<p class="note">No score yet: {esc(r["reason"])}</p>'
        )
    parts = [
        f"<p>Index <strong>{_fmt(r['index'], 0)}</strong> of 100, level "
        f"{_badge('level', r['level'])}"
        + (f' <span class="muted">(model: {esc(r["model"])})</span>' if r.get("model") else "")
        + "</p>"
    ]
    if r.get("summary"):
        parts.append(f"<p>{esc(r['summary'])}</p>")
    if r["drivers"]:
        parts.append(_img(lambda: plots.drivers(r), "drivers of the index"))
        rows = [
            (
                esc(x["label"]),
                _signed(x["contribution"], 1),
                _value(x["value"], x.get("unit")),
                esc(x["text"]),
                esc(x["evidence"]),
                esc(x["source"]),
            )
            for x in r["drivers"]
        ]
        parts.append(
            _table(
                ["Driver", "Points", "Your value", "What it means", "Evidence", "Source"], rows, {1}
            )
        )
    else:
        parts.append("<p>No driver adds to the index.</p>")
    return _section("risk", "Imbalance-risk index and its drivers", "\n".join(parts))


def _balance(d: Mapping) -> str:
    b = d["balance"]
    parts = [
        "<p>Share of ground contact time on the left foot; 50 % is even. Garmin's colour bands: "
        "green 49.3–50.7 %, orange out to 47.8 % / 52.2 %, red beyond. The bands describe how "
        "runners in Garmin's data spread, not an injury threshold.</p>",
        _img(lambda: plots.balance(b), "GCT balance per week on Garmin's bands"),
    ]
    if b["weeks"]:
        rows = [
            (
                _date(w["week"]),
                esc(w["text"]),
                _badge("band", w["band"]),
                esc(w["n_runs"]),
                _fmt(
                    None if w["outside_green_share"] is None else 100 * w["outside_green_share"],
                    0,
                    "%",
                ),
            )
            for w in b["weeks"][-8:]
        ]
        parts.append(
            _table(
                ["Week of", "Median balance", "Band", "Runs", "Time outside green"], rows, {3, 4}
            )
        )
    if d.get("flags"):
        parts.append(
            "<h3>Sustained changes</h3><ul>"
            + "".join(f"<li>{esc(f['text'])}</li>" for f in d["flags"])
            + "</ul>"
        )
    return _section("balance", "Ground-contact balance over the weeks", "\n".join(parts))


def _trends(d: Mapping) -> str:
    t = d["trends"]
    rows = [
        (
            esc(m["label"]),
            _fmt(m["first_at_ref"], 1, m["unit"]),
            _fmt(m["latest_at_ref"], 1, m["unit"]),
            _signed(m["change_at_ref"], 1, m["unit"]),
        )
        for m in t["metrics"]
    ]
    parts = [
        "<p>Cadence, contact time and oscillation change with speed, so each run is shown at your "
        "own reference speed (fitted from your history), not raw.</p>",
        _img(lambda: plots.trends(t), "speed-normalised trends"),
        _table(
            ["Metric (at reference speed)", "First runs", "Latest runs", "Change"], rows, {1, 2, 3}
        ),
    ]
    return _section("trends", "Speed-normalised trends", "\n".join(parts))


def _latest(d: Mapping) -> str:
    lr = d.get("latest_run")
    if not lr:
        return _section("latest-run", "Latest run", "<p>No run yet.</p>")
    dr = lr["drift"]
    parts = [
        f"<p>{_date(lr['start_time'])}: {_fmt(lr['distance_km'], 1, 'km')} in "
        f"{_fmt(lr['duration_min'], 0, 'min')}, device {esc(lr['device'])}, dynamics from "
        f"{esc(SOURCE_NAMES.get(lr['dynamics_source'], lr['dynamics_source']))}"
        f' <span class="muted">(file {esc(lr["source_name"])})'
        f"</span>. Median balance {esc(lr['gct_balance_text'])} "
        + (_badge("band", lr["gct_balance_band"]) if lr["gct_balance_band"] else "")
        + ".</p>",
        _img(lambda: plots.within_run(lr), "balance within the latest run"),
    ]
    if lr["thirds"]:
        rows = [
            (
                esc(th["third"]),
                esc(balance_text(th["gct_balance_left_pct"])),
                _fmt(th["stance_time_ms"], 0, "ms"),
                _fmt(th["cadence_spm"], 0, "spm"),
                _fmt(th["speed_mps"], 2, "m/s"),
            )
            for th in lr["thirds"]
        ]
        parts.append(
            _table(["Third", "Balance", "Contact time", "Cadence", "Speed"], rows, {2, 3, 4})
        )
    parts.append(
        "<p>Drift, last third minus first third at matched speed: balance "
        f"{_signed(dr['gct_balance_left_pts'], 2, 'points')}, contact time "
        f"{_signed(dr['stance_time_ms'], 0, 'ms')}, cadence {_signed(dr['cadence_spm'], 1, 'spm')}"
        f", oscillation {_signed(dr['vertical_oscillation_mm'], 1, 'mm')}.</p>"
    )
    return _section("latest-run", "Latest run: balance and drift", "\n".join(parts))


def _load(d: Mapping) -> str:
    ld = d["load"]
    lo, hi = ACWR_SWEET_SPOT
    parts = [
        f'<p>Acute:chronic ratio = last 7 days / 28-day average. The {lo}–{hi} "sweet spot" and '
        f"the {ACWR_DANGER} line come from team sports (Gabbett 2016) and are contested for "
        "runners; read them as context.</p>",
        _img(lambda: plots.load(ld), "weekly load and acute:chronic ratio"),
    ]
    if ld["weeks"]:
        rows = [
            (
                _date(w["week"]),
                _fmt(w["distance_km"], 1),
                _fmt(w["time_h"], 1),
                esc(w["n_runs"]),
                _fmt(w["acwr_uncoupled"], 2),
                _fmt(w["acwr_coupled"], 2),
                _signed(w["progression_2wk_pct"], 0, "%"),
            )
            for w in ld["weeks"][-6:]
        ]
        parts.append(
            _table(
                [
                    "Week of",
                    "km",
                    "hours",
                    "runs",
                    "ACWR (uncoupled)",
                    "ACWR (coupled)",
                    "2-week change",
                ],
                rows,
                {1, 2, 3, 4, 5, 6},
            )
        )
    return _section("load", "Weekly load", "\n".join(parts))


def _plan(d: Mapping) -> str:
    p = d["plan"]
    if not p["available"]:
        return _section("plan", "Exercise plan", f'<p class="note">{esc(p["reason"])}</p>')
    parts = []
    if p["focus"]:
        parts.append("<p>Focus: " + "; ".join(esc(f) for f in p["focus"]) + "</p>")
    if p.get("side_reasoning"):
        parts.append(f'<p class="muted">{esc(p["side_reasoning"])}</p>')
    for it in p["items"]:
        how = (
            "<ol>" + "".join(f"<li>{esc(s)}</li>" for s in it["how_to"]) + "</ol>"
            if it["how_to"]
            else ""
        )
        fields = [
            ("Why", esc(it["why"]) if it["why"] else ""),
            ("Dose", esc(it["dose"]) if it["dose"] else ""),
            ("Side", esc(it["side"]) if it["side"] else ""),
            ("Harder", esc(it["progression"]) if it["progression"] else ""),
            ("How to", how),
            ("Works", esc(it["works"]) if it["works"] else ""),
            ("Careful", esc(it["cautions"]) if it["cautions"] else ""),
            ("Sources", "; ".join(esc(c) for c in it["citations"])),
        ]
        dl = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in fields if v)
        parts.append(
            f'<div class="exercise"><h3>{esc(it["rank"])}. {esc(it["name"])}</h3>'
            f"<dl>{dl}</dl></div>"
        )
    wk = p["weekly_plan"]
    if wk["sessions"]:
        head = f"<h3>A week: {esc(wk['sessions_per_week'])} sessions"
        if wk.get("minutes_per_session"):
            head += f" of about {esc(wk['minutes_per_session'])} minutes"
        parts.append(
            head
            + "</h3><ul>"
            + "".join(
                f"<li>{esc(s['day']) + ': ' if s.get('day') else ''}"
                f"{esc(', '.join(s['exercises']))}</li>"
                for s in wk["sessions"]
            )
            + "</ul>"
        )
        if wk.get("note"):
            parts.append(f'<p class="muted">{esc(wk["note"])}</p>')
    for note in [*p["notes"], p.get("evidence_note")]:
        if note:
            parts.append(f'<p class="muted">{esc(note)}</p>')
    if p.get("safety_note"):
        parts.append(f'<p class="note">{esc(p["safety_note"])}</p>')
    return _section("plan", "Exercise plan (ranked)", "\n".join(parts))


def _quality(d: Mapping) -> str:
    q = d["data_quality"]
    parts = ["<ul>" + "".join(f"<li>{esc(n)}</li>" for n in q["notes"]) + "</ul>"]
    if q["devices"]:
        parts.append(
            _table(
                ["Device", "Runs"],
                [(esc(x["device"]), esc(x["n_runs"])) for x in q["devices"]],
                {1},
            )
        )
    if q["sensors"]:
        parts.append(
            _table(
                ["Dynamics sensor", "Runs"],
                [(esc(x["sensor"]), esc(x["n_runs"])) for x in q["sensors"]],
                {1},
            )
        )
    if q["runs_without_dynamics"]:
        rows = [
            (_date(x["start_time"]), esc(x["source_name"]), esc(x["device"]))
            for x in q["runs_without_dynamics"][:20]
        ]
        parts.append(
            "<h3>Runs without running dynamics</h3>" + _table(["Date", "File", "Device"], rows)
        )
    if q["developer_fields"]:
        parts.append(
            "<p>Developer fields: "
            + ", ".join(f"<code>{esc(f)}</code>" for f in q["developer_fields"])
            + "</p>"
        )
    return _section("data-quality", "Data quality", "\n".join(parts))


def _disclaimer(lines: Iterable[str]) -> str:
    return _section("disclaimer", "Please read", "\n".join(f"<p>{esc(x)}</p>" for x in lines))


def _page(*, title: str, heading: str, subheading: str, body: str, generated_at: Any) -> str:
    from analyzer._version import __version__

    return string.Template(_template("report.html")).substitute(
        title=esc(title),
        heading=esc(heading),
        subheading=esc(subheading),
        body=body,
        css=_template("report.css"),
        version=esc(__version__),
        generated_at=esc(generated_at),
    )


def render(data: Mapping) -> str:
    """One athlete's report dict (see :mod:`analyzer.report`) → a self-contained HTML page."""
    body = (
        "\n".join(
            f(data) for f in (_summary, _risk, _balance, _trends, _latest, _load, _plan, _quality)
        )
        + "\n"
        + _disclaimer(data["disclaimer"])
    )
    return _page(
        title=f"Running report: {data['athlete']}",
        heading=f"Running dynamics report: {data['athlete']}",
        subheading="Gait trends, an imbalance-risk index and a hip-exercise plan",
        body=body,
        generated_at=data.get("generated_at"),
    )


def render_team(team: Mapping) -> str:
    """The team dict (see :mod:`analyzer.report`) → a self-contained HTML page with links."""
    rows = []
    for a in team["athletes"]:
        name = esc(a["athlete"])
        if a.get("file"):
            name = f'<a href="{esc(quote(a["file"]))}">{name}</a>'
        level = _badge("level", a["level"]) if a.get("level") else esc(a.get("error"))
        rows.append(
            (
                name,
                esc(a["n_runs"]),
                _date(a["last_run"]),
                _fmt(a["index"], 0),
                level,
                esc(a["top_exercise"]),
            )
        )
    table = _table(
        ["Athlete", "Runs", "Last run", "Index", "Level", "First exercise"], rows, {1, 3}
    )
    body = (
        _section("team", f"Team: {len(team['athletes'])} athletes", table)
        + "\n"
        + _disclaimer(team["disclaimer"])
    )
    return _page(
        title="Team report",
        heading="Team report",
        subheading="Imbalance-risk level and first exercise per athlete",
        body=body,
        generated_at=team.get("generated_at"),
    )
