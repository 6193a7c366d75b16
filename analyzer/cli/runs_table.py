"""The ``analyzer runs`` table: per-run gait joined on, power, notes, runs recorded twice."""

from __future__ import annotations

import math
from typing import Any

from analyzer.cli.common import json_value
from analyzer.report.safe import text, visible
from analyzer.schema import iso_local, local_clock, local_date

#: Most "not a run" lines printed after an import (the import log keeps them all).


JSON_KEYS = (
    "run_id",
    "activity_id",
    "athlete",
    "source_name",
    "start_time",
    "local_start_time",
    "local_date",
    "utc_offset_s",
    "utc_offset_source",
    "sport",
    "sub_sport",
    "device",
    "dynamics_source",
    "has_dynamics",
    "distance_m",
    "timer_s",
    "elapsed_s",
    "date_unknown",
    "date_problem",
    "partial_reason",
    "partial_offset",
    "duplicate_of",
)


def record_power(store, runs) -> dict[str, float]:
    """Mean running power [W] from the records of runs whose watch wrote no session power.

    Files with Stryd's Connect IQ fields carry power only per record (developer field 0); the
    session has no ``avg_power``. Only those runs are read (their activity maps a developer
    field to ``power_w``), so a long history without such files costs nothing.
    """
    if runs.empty or "watch_avg_power_w" not in runs:
        return {}
    devf = store.developer_fields(None)
    with_power = set(devf.loc[devf["column"] == "power_w", "activity_id"]) if len(devf) else set()
    out = {}
    for r in runs.to_dict("records"):
        if _num(r["watch_avg_power_w"]) or r["activity_id"] not in with_power:
            continue
        recs = store.records(r["run_id"])
        if "power_w" in recs:
            p = recs["power_w"]
            p = p[p > 0]
            if len(p):
                out[r["run_id"]] = float(p.mean())
    return out


def with_gait(store, runs, *, athlete: str | None = None):
    """``runs`` with the per-run gait summary (:func:`analyzer.metrics.gait.summarize`) joined on run_id."""
    if runs.empty:
        return runs
    gait = store.gait(athlete, undated=True, include_duplicates=True)
    extra = [c for c in gait.columns if c not in runs.columns]
    return runs.merge(gait[["run_id", *extra]], on="run_id", how="left")


def runs_to_json(runs) -> list[dict[str, Any]]:
    """The rows of :meth:`Store.runs` as JSON-able dicts (NaN → None, times in ISO 8601).

    Each object has :data:`JSON_KEYS` (``start_time`` the UTC instant, ``local_start_time`` /
    ``local_date`` the run's own clock, ``utc_offset_s`` and where it came from), the computed ``avg_*`` and the watch's ``watch_avg_*``
    averages, and, when the runs were joined with :func:`with_gait`, every field of the gait
    summary (medians, IQRs, GCT-balance deviation and bands, fatigue drift, variability).
    """
    avg_cols = [c for c in runs.columns if c.startswith(("avg_", "watch_avg_"))]
    gait_cols = [c for c in runs.columns if c not in JSON_KEYS and c not in avg_cols]
    gait_cols = [c for c in gait_cols if c not in ("run_key", "athlete_id")]
    out = []
    for row in runs.to_dict("records"):
        off = row.get("utc_offset_s")
        row["local_start_time"] = iso_local(row.get("start_time"), off)
        row["local_date"] = local_date(row.get("start_time"), off)
        obj = {k: json_value(row.get(k)) for k in JSON_KEYS}
        obj.update({k: json_value(row[k]) for k in avg_cols})
        obj.update({k: json_value(row[k]) for k in gait_cols})
        out.append(obj)
    return out


def _local(r: dict) -> str:
    """The run's start on its own clock; " UTC" when no local clock was known (DESIGN §10)."""
    clock = local_clock(r["start_time"], r.get("utc_offset_s"))
    utc = r.get("utc_offset_source") in (None, "utc")
    return clock.strftime("%Y-%m-%d %H:%M") + (" UTC" if utc else "")


#: Columns of the runs table: header, justify, priority (lower first when the terminal is
#: narrow) and whether the cell is text that may wrap. The date, distance, time and pace come
#: first, then the metrics the runner has; text columns wrap, numbers and dates never do.
_COLUMNS = (
    ("date (local)", "left", 0, False),
    ("athlete", "left", 30, True),
    ("{dist}", "right", 0, False),
    ("time", "right", 0, False),
    ("pace /{dist}", "right", 0, False),
    ("device", "left", 31, True),
    ("dynamics", "left", 32, True),
    ("cadence spm", "right", 10, False),
    ("GCT ms", "right", 11, False),
    ("balance L %", "right", 12, False),
    ("VO mm", "right", 13, False),
    ("step mm", "right", 14, False),
    ("VR %", "right", 15, False),
    ("L/R drift pts", "right", 16, False),
    ("power W", "right", 17, False),
    ("notes", "left", 5, True),
)
#: Narrowest a wrapping text column is shown [characters].
_MIN_TEXT = 8


def _row_cells(r: dict, u, power: dict[str, float]) -> list[str]:
    undated = _flag(r.get("date_unknown"))
    return [
        "unknown" if undated else (_local(r) if _num_time(r["start_time"]) else "?"),
        text(r["athlete"]),
        u.distance_figure(r["distance_m"] / 1000 if _num(r["distance_m"]) else None, 2, "-"),
        _duration(r["timer_s"]),
        u.pace(row_speed(r), "-").split(" ")[0],
        text(r["device"]) if isinstance(r["device"], str) else "-",
        text(r["dynamics_source"]) if r["has_dynamics"] else "-",
        _fmt(r["avg_cadence_spm"], "{:.0f}"),
        _fmt(r["avg_stance_time_ms"], "{:.0f}"),
        _fmt(r["avg_gct_balance_left_pct"], "{:.1f}"),
        _fmt(r["avg_vertical_oscillation_mm"], "{:.0f}"),
        _fmt(r["avg_step_length_mm"], "{:.0f}"),
        _fmt(r["avg_vertical_ratio_pct"], "{:.1f}"),
        _fmt(r.get("drift_gct_balance_left_pts"), "{:+.1f}"),
        _fmt(
            r["watch_avg_power_w"] if _num(r["watch_avg_power_w"]) else power.get(r["run_id"]),
            "{:.0f}",
        ),
        _notes(r),
    ]


def choose_columns(columns: list[tuple], cells: list[list[str]], width: int) -> list[int]:
    """The columns that fit ``width``, in table order: by priority, a column whose cells are
    all "-" (a metric this runner does not have) last. Each column costs its widest cell (a
    text column at least :data:`_MIN_TEXT`, as it wraps) plus 3 for its padding and border."""

    def cost(i: int) -> int:
        head = max(len(w) for w in columns[i][0].split())  # headers break between words
        widest = max([len(c[i]) for c in cells] + [head])
        return (min(widest, max(_MIN_TEXT, head)) if columns[i][3] else widest) + 3

    def rank(i: int) -> tuple:
        empty = all(c[i] in ("-", "") for c in cells)
        return (columns[i][2] > 0 and empty, columns[i][2], i)

    chosen, used = [], 1
    for i in sorted(range(len(columns)), key=rank):
        if columns[i][2] == 0 or used + cost(i) <= width:
            chosen.append(i)
            used += cost(i)
    return sorted(chosen)


def print_table(runs, power: dict[str, float], units: str) -> None:
    from rich.table import Table

    from analyzer.cli.common import console as terminal_console
    from analyzer.cli.common import terminal_width
    from analyzer.report.fmt import Units

    u = Units(units)
    width = terminal_width()
    console = terminal_console(pipe_width=220)  # a pipe or file: room for every column
    twice = runs["duplicate_of"].notna() if "duplicate_of" in runs else runs["run_id"].isna()
    source = dict(zip(runs["run_id"], runs["source_name"], strict=True))
    title = f"{len(runs)} run{'s' if len(runs) != 1 else ''}"
    if twice.any():
        title += f" ({int(twice.sum())} recorded twice, shown but not counted)"
    columns = [(h.format(dist=u.distance_unit), j, pr, wrap) for h, j, pr, wrap in _COLUMNS]
    rows = runs.to_dict("records")
    kept_ids = set(runs.loc[twice, "duplicate_of"]) if twice.any() else set()
    cells = [_row_cells(r, u, power) for r in rows]
    if twice.any():
        columns.append(("twice", "left", 1, False))
        cells = [c + [_twice(r, kept_ids)] for c, r in zip(cells, rows, strict=True)]
    natural = 1 + sum(
        max([len(columns[i][0])] + [len(c[i]) for c in cells]) + 3 for i in range(len(columns))
    )
    narrow = width is not None and natural > width
    shown = choose_columns(columns, cells, width) if narrow else list(range(len(columns)))
    hidden = [columns[i][0] for i in range(len(columns)) if i not in shown]
    caption = (
        f"Not shown at this width: {', '.join(hidden)} (a wider terminal or --json shows them)"
        if hidden
        else None
    )
    table = Table(title=title, caption=caption)
    for i in shown:
        name, justify, _, wrap = columns[i]
        # a narrow terminal: headers break between words, cells never do
        head = name.replace(" ", "\n") if narrow else name
        table.add_column(head, justify=justify, no_wrap=not wrap, overflow="fold")
    for row in cells:
        table.add_row(*(row[i] for i in shown))
    console.print(table)
    problems = list(
        dict.fromkeys(r.get("date_problem") for r in rows if _flag(r.get("date_unknown")))
    )
    if problems:
        from analyzer.fit.dates import date_note

        for problem in problems:
            console.print(date_note(problem), markup=False, highlight=False)
    if twice.any():
        console.print("Recorded twice (another watch or export); left out of every figure:")
        for r in runs[twice].to_dict("records"):
            console.print(
                f"  {visible(_base(r['source_name']))}: same run as "
                f"{visible(_base(source.get(r['duplicate_of'])))}",
                markup=False,
                highlight=False,
            )


def row_speed(r: dict) -> float | None:
    """The speed behind a row's pace: its own distance / timer time, so that distance, time and
    pace never contradict each other (issue 21: records with gaps gave '6:19 /km' beside
    11.66 km in 0:53:36); the averaged speed only when the row has no distance or time."""
    if _num(r["distance_m"]) and _num(r["timer_s"]) and r["distance_m"] > 0 and r["timer_s"] > 0:
        return r["distance_m"] / r["timer_s"]
    return r["avg_speed_mps"]


def _flag(v: Any) -> bool:
    """A stored boolean that may be missing (None / NaN in older rows)."""
    return v is not None and v == v and bool(v)


def _notes(r: dict) -> str:
    """The ``notes`` cell of a run: unknown date, partial file (with the byte offset)."""
    out = []
    if _flag(r.get("date_unknown")):
        out.append(f"date unknown ({r.get('date_problem')})")
    if isinstance(r.get("partial_reason"), str):
        out.append(f"partial (damage at byte {int(r['partial_offset'])})")
    return "; ".join(out) or "-"


def _twice(row: dict, kept_ids: set) -> str:
    if isinstance(row.get("duplicate_of"), str):
        return "left out"
    return "kept" if row["run_id"] in kept_ids else ""


def _base(name: str | None) -> str:
    """The file name of a source (the last part of ``archive.zip!folder/file.fit``)."""
    return (name or "?").rsplit("!", 1)[-1].rsplit("/", 1)[-1]


def _num(v: Any) -> bool:
    return v is not None and isinstance(v, int | float) and math.isfinite(v)


def _num_time(v: Any) -> bool:
    return v is not None and v == v


def _fmt(v: Any, spec: str) -> str:
    return spec.format(v) if _num(v) else "-"


def _duration(seconds: Any) -> str:
    if not _num(seconds):
        return "-"
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
