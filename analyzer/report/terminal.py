"""Terminal summary of a report dict, drawn with rich.

Strings from the data go through :func:`analyzer.report.safe.text` (a :class:`rich.text.Text`,
never parsed as console markup, with control characters shown instead of sent), so a device
called ``[bold red]x[/]`` prints literally and an athlete named ``\x1b[2J`` clears no screen.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from analyzer.report.fmt import NO_DATA, Units, not_judged, plural
from analyzer.report.safe import text, visible

#: Drivers adding fewer index points than this are not listed in the terminal summary.
MIN_DRIVER_POINTS = 0.5

_LEVEL_STYLE = {"low": "bold green", "moderate": "bold dark_orange", "high": "bold red"}
_BAND_STYLE = {
    "green": "green",
    "orange": "dark_orange",
    "red": "red",
    "blue": "blue",
    "purple": "magenta",
}


def _t(value: Any, style: str = "") -> Text:
    return Text("–", style=style) if value is None else text(value, style)


def _f(value: Any, digits: int = 1, unit: str = "", signed: bool = False) -> Text:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return Text("–")
    spec = f"{'+' if signed else ''}.{digits}f"
    return Text(f"{float(value):{spec}}" + (f" {unit}" if unit else ""))


def _short(text: Any, limit: int = 80) -> str | None:
    """The part after a leading "When ...:" condition, cut at ``limit`` characters."""
    if text is None:
        return None
    text = str(text)
    head, sep, rest = text.partition(": ")
    if sep and head.lower().startswith("when "):
        text = rest
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render(data: Mapping, console: Console | None = None, *, units: str = "metric") -> None:
    """Print one athlete's report dict as a short summary.

    Parameters
    ----------
    data : mapping
        A report dict from :func:`analyzer.report.build`.
    console : rich.console.Console, optional
        Where to print (a new console on stdout when omitted).
    units : {"metric", "imperial"}
        Display units of distance and pace (:mod:`analyzer.report.fmt`).
    """
    console = console or Console()
    u = Units(units)
    r, p, b = data["risk"], data["period"], data["balance"]
    head = Text()
    head.append(visible(data["athlete"]), style="bold")
    head.append(
        f"  {plural(p['n_runs'], 'run')}, {p.get('first_date') or ''} to "
        f"{p.get('last_date') or ''}, {u.distance(p['distance_km'], 0)}\n"
    )
    if data.get("stale"):
        head.append(visible(data["stale"]["warning"]) + "\n", style="bold dark_orange")
    if r["available"] and not r["level"]:
        head.append(visible((r.get("status") or {}).get("text") or ""), style="bold")
        head.append(f"\nIndex from what can be judged: {r['index']:.0f}/100, no level.")
    elif r["available"]:
        head.append("Imbalance-risk index ")
        head.append(f"{r['index']:.0f}/100 " if r["index"] is not None else "– ", style="bold")
        head.append(visible(r["level"]), style=_LEVEL_STYLE.get(r["level"], "bold"))
    else:
        head.append("No index: ")
        head.append(visible(r["reason"]))
    head.append("\nLatest GCT balance ")
    if b.get("latest_pct") is None:
        head.append(NO_DATA)
    else:
        head.append(visible(b["latest_text"]), style=_BAND_STYLE.get(b["latest_band"] or "", ""))
        if b["latest_band"]:
            head.append(f" ({b['latest_band']} band)")
        head.append(f" on {(b.get('latest_date') or '')[:10] or NO_DATA}")
    console.print(Panel(head, title="analyzer report", expand=False))

    # Drivers that add (almost) nothing are left to the HTML report.
    shown = [d for d in r["drivers"] if (d["contribution"] or 0.0) >= MIN_DRIVER_POINTS][:5]
    if shown:
        t = Table(title="Drivers", title_justify="left")
        t.add_column("driver")
        t.add_column("points", justify="right")
        t.add_column("evidence")
        t.add_column("detail", overflow="fold", max_width=60)
        for d in shown:
            t.add_row(
                _t(d["label"]),
                _f(d["contribution"], 1, signed=True),
                _t(d["evidence"]),
                _t(d["text"]),
            )
        console.print(t)

    items = data["plan"]["items"]
    if items:
        # The reasons in full are in the HTML report; the terminal keeps to what to do.
        t = Table(title="Exercise plan", title_justify="left")
        t.add_column("#", justify="right")
        t.add_column("exercise")
        t.add_column("dose", overflow="fold", max_width=40)
        t.add_column("harder next", overflow="fold", max_width=40)
        for it in items:
            t.add_row(
                _t(it["rank"]),
                _t(it["name"], "bold"),
                _t(it["dose"]),
                _t(_short(it["progression"])),
            )
        console.print(t)
        for focus in data["plan"]["focus"]:
            console.print(text("Focus: " + str(focus)))
    elif not data["plan"]["available"]:
        console.print(text("No exercise plan: " + str(data["plan"]["reason"])))

    t = Table(title="Trends at reference speed", title_justify="left")
    t.add_column("metric")
    t.add_column("reference", justify="right")
    t.add_column("recent", justify="right")
    t.add_column("change", justify="right")
    for m in data["trends"]["metrics"]:
        t.add_row(
            _t(m["label"]),
            _f(m["first_at_ref"], 1, m["unit"]),
            _f(m["latest_at_ref"], 1, m["unit"]),
            _f(m["change_at_ref"], 1, m["unit"], True),
        )
    lw = data["load"]["latest"]
    extra = []
    if lw:
        extra.append(
            Text(
                f"Last week: {u.distance(lw['distance_km'] or 0)} in "
                f"{plural(lw['n_runs'] or 0, 'run')}; "
                f"ACWR {_f(lw['acwr_uncoupled'], 2)} (uncoupled)"
            )
        )
    lr = data.get("latest_run")
    if lr:
        dr = lr["drift"]
        extra.append(
            Text(
                f"Latest run {lr.get('local_date') or ''}: balance "
                f"{lr['gct_balance_text'] if lr['gct_balance_left_pct'] is not None else NO_DATA}, "
                f"drift over the run {_f(dr['gct_balance_left_pts'], 2, 'pts', True)}, "
                f"contact time {_f(dr['stance_time_ms'], 0, 'ms', True)}"
            )
        )
    console.print(Group(t, *extra))
    for note in data["data_quality"]["notes"]:
        console.print(text("• " + str(note), style="dim"))
    console.print(text(data["disclaimer"][0], style="italic"))


def render_team(team: Mapping, console: Console | None = None) -> None:
    """Print the team dict as one table."""
    console = console or Console()
    t = Table(title=f"Team: {plural(len(team['athletes']), 'athlete')}", title_justify="left")
    t.add_column("athlete")
    t.add_column("runs", justify="right")
    t.add_column("index", justify="right")
    t.add_column("level")
    t.add_column("first exercise")
    for a in team["athletes"]:
        if a["level"]:
            level = _t(a["level"], _LEVEL_STYLE.get(a["level"] or "", ""))
        elif a.get("state") == "balance_not_judged":
            level = _t(not_judged(a), "bold")
        else:
            level = _t(a.get("error"), "dim")
        t.add_row(
            _t(a["athlete"]), _t(a["n_runs"]), _f(a["index"], 0), level, _t(a["top_exercise"])
        )
    console.print(t)
