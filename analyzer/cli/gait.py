"""CLI command ``analyzer trends``: personal baselines, speed-normalised trends, flagged changes.

``--json`` prints one object::

    {"athletes": [
        {"athlete": str, "n_runs": int, "ref_speed_mps": float | null,
         "stale": null | {"last_run": str, "days": int, "warning": str},
         "current_vs_baseline": [{"metric": str, "unit": str, "recent": float | null,
                                  "baseline": float | null, "change": float | null,
                                  "n_recent": int, "n_judged": int, "n_baseline": int,
                                  "recent_start", "recent_end", "baseline_start",
                                  "baseline_end": ISO-8601 UTC | null}, ...],
         "changes": [{"metric": str, "onset": ISO-8601 UTC, "side": "left"|"right"|"higher"|
                      "lower", "size": float, "n_runs": int, "baseline": float,
                      "last": ISO-8601 UTC, "ongoing": bool, "reference_start",
                      "reference_end": ISO-8601 UTC, "toward_even": bool | null}, ...],
         "runs": [{"run_id", "start_time" (UTC), "local_date", "utc_offset_s", "distance_m", "timer_s", "dynamics_source",
                   "speed_median_mps", "<m>_median", "<m>_at_ref", "<m>_resid" for the five
                   normalised metrics, "gct_balance_left_median_pct", "gct_balance_baseline_pct",
                   "gct_balance_change_pts", "balance_shift_flag"}, ...],
         "weekly_load": [{"week": local Monday YYYY-MM-DD, "distance_km", "time_h", "n_runs",
                          "acwr_coupled", "acwr_uncoupled", "progression_2wk_pct"}, ...]}
    ]}

Numbers are in the units of their names; NaN becomes null. Metrics in ``current_vs_baseline``
are the speed-normalised values (``cadence_spm`` means cadence at the reference speed) plus the
GCT balance run medians (``gct_balance_left_pct``). The "baseline" is the runner's frozen
reference period (their first four weeks per sensor, or from an accepted baseline on), and
changes are found by a two-sided CUSUM (:mod:`analyzer.metrics.change`): GCT balance from 0.8
points, cadence at the reference speed from 3 spm, the other metrics from 5 %.

``--accept-baseline [METRIC]`` stores that the runner accepts the current level as their new
reference (``Store.accept_baseline``) and prints one line.
"""

from __future__ import annotations

import argparse
import json
import math
from typing import TYPE_CHECKING, Any

from analyzer.cli import options
from analyzer.cli.common import EXIT_OK, common, json_value
from analyzer.cli.config import resolve_units, units_arg
from analyzer.errors import NotFound
from analyzer.report.safe import text
from analyzer.schema import BASELINE_METRICS, local_date

if TYPE_CHECKING:  # pandas is imported by the commands that need it (start-up time)
    pass

#: Days of the comparison with the reference (``metrics.trends.RECENT_DAYS``; a literal so
#: that ``analyzer --help`` does not import pandas).
RECENT_DAYS = 14
#: Runs shown in the "recent runs" table (the JSON always has all of them).
RECENT_RUNS = 12
#: Weeks of load shown in the table (the JSON has all of them).
RECENT_WEEKS = 6

_RUN_KEYS = (
    "run_id",
    "start_time",
    "distance_m",
    "timer_s",
    "dynamics_source",
    "speed_median_mps",
    "cadence_median_spm",
    "cadence_spm_at_ref",
    "cadence_spm_resid",
    "stance_time_median_ms",
    "stance_time_ms_at_ref",
    "stance_time_ms_resid",
    "vertical_oscillation_median_mm",
    "vertical_oscillation_mm_at_ref",
    "vertical_oscillation_mm_resid",
    "step_length_median_mm",
    "step_length_mm_at_ref",
    "step_length_mm_resid",
    "vertical_ratio_median_pct",
    "vertical_ratio_pct_at_ref",
    "vertical_ratio_pct_resid",
    "gct_balance_left_median_pct",
    "gct_balance_baseline_pct",
    "gct_balance_change_pts",
    "balance_shift_flag",
)

_LABELS = {
    "cadence_spm": "Cadence",
    "stance_time_ms": "Ground contact time",
    "vertical_oscillation_mm": "Vertical oscillation",
    "step_length_mm": "Step length",
    "vertical_ratio_pct": "Vertical ratio",
    "gct_balance_left_pct": "GCT balance",
}


def register(sub) -> None:
    """Add ``trends`` to the sub-command parser."""
    p = sub.add_parser(
        "trends",
        help="gait trends at a reference speed, personal baselines and flagged changes",
        description=(
            "Show each athlete's gait over time, compared fairly across paces: cadence, ground "
            "contact time, vertical oscillation, step length and vertical ratio at the "
            "athlete's reference (median) speed, GCT balance against the personal baseline of "
            "the previous weeks, new sustained shifts (not single noisy runs) and the weekly "
            "training load with its acute:chronic ratios. Without --athlete every athlete in "
            "the store is shown."
        ),
    )
    common.athlete_arg(p, help="only this athlete (default: every athlete in the store)")
    common.store_arg(p)
    common.json_arg(p)
    p.add_argument(
        "--accept-baseline",
        nargs="?",
        const="all",
        default=None,
        metavar="METRIC",
        choices=("all", *BASELINE_METRICS),
        help=(
            "accept the current level as the new personal reference, for METRIC (one of "
            "gct_balance_left_pct, cadence_spm, stance_time_ms, vertical_oscillation_mm, "
            "step_length_mm, vertical_ratio_pct) or every metric; needs --athlete when the "
            "store holds several athletes. The new reference starts at the onset of the flagged "
            "change (or at the latest run, or at --accept-from)"
        ),
    )
    p.add_argument(
        "--accept-from",
        default=None,
        type=options.iso_date,
        metavar="DATE",
        help="with --accept-baseline: start the new reference at DATE (YYYY-MM-DD, the start of "
        "that day where you ran)",
    )
    units_arg(p)
    p.set_defaults(func=cmd_trends)


@options.described("date")
def athlete_trends(an) -> dict[str, Any]:
    """Everything ``analyzer trends`` shows for one athlete, as a JSON-able dict.

    A view of the athlete's :class:`~analyzer.analysis.Analysis`: the table, the changes and the
    risk drivers quote the same comparison (``an.comparisons``).
    """
    import pandas as pd

    tr, weekly = an.trends, an.weekly if an.weekly is not None else pd.DataFrame()
    ref = tr["ref_speed_mps"].iloc[0] if len(tr) else math.nan
    return {
        "athlete": an.athlete,
        "n_runs": int(len(tr)),
        "ref_speed_mps": json_value(ref),
        "stale": an.stale,
        "current_vs_baseline": [
            {"metric": m, **{k: json_value(v) for k, v in row.items()}}
            for m, row in an.comparisons.iterrows()
        ],
        "changes": [{k: json_value(v) for k, v in row.items()} for _, row in an.changes.iterrows()],
        "runs": [
            {
                **{k: json_value(row.get(k)) for k in _RUN_KEYS},
                "utc_offset_s": json_value(row.get("utc_offset_s")),
                "local_date": local_date(row.get("start_time"), row.get("utc_offset_s")),
            }
            for _, row in tr.iterrows()
        ],
        "weekly_load": [  # weeks start on the runner's local Monday (metrics.load)
            {k: json_value(v) for k, v in row.items()} | {"week": local_date(row["week"])}
            for row in weekly.rename_axis("week").reset_index().to_dict("records")
        ],
    }


def cmd_trends(args: argparse.Namespace) -> int:
    """Run ``analyzer trends``; returns the exit code."""
    with common.open_store(args, write=args.accept_baseline is not None) as store:
        if args.accept_baseline is not None:
            return _accept(store, args)
        if args.athlete is not None:
            names = [store.resolve_athlete(args.athlete)]
        else:
            names = store.athletes()
            if not names:
                raise NotFound(f"{store.path} holds no runs yet; run `analyzer import PATH` first")
        from analyzer.analysis import analyse

        data = {"athletes": [athlete_trends(analyse(store, n)) for n in names]}
    if args.json:
        print(json.dumps(data, indent=2, allow_nan=False))
        return EXIT_OK
    from analyzer.cli.common import console as terminal_console
    from analyzer.report.fmt import Units

    console = terminal_console()
    units = Units(resolve_units(args))
    for item in data["athletes"]:
        _render(item, console, units)
    return EXIT_OK


def _accept(store, args: argparse.Namespace) -> int:
    """``trends --accept-baseline [METRIC]``: store the acceptance and say what it means."""
    metric = None if args.accept_baseline == "all" else args.accept_baseline
    from analyzer.analysis import analyse

    athlete = store.resolve_athlete(args.athlete)
    asof = args.accept_from
    if asof is None:  # the onset of the flagged change: the new level
        asof = analyse(store, athlete).accept_from(metric)
    when = store.accept_baseline(athlete, metric, asof=asof)
    what = "every metric" if metric is None else metric
    msg = (
        f"Accepted a new reference for {athlete} ({what}) from {when:%Y-%m-%d}: runs from that "
        "date on build the new reference, and earlier changes are no longer reported."
    )
    if args.json:
        print(json.dumps({"athlete": athlete, "metric": metric, "asof": when.isoformat()}))
    else:
        print(msg)
    return EXIT_OK


def _fmt(v: Any, spec: str = ".1f", signed: bool = False) -> str:
    if v is None:
        return "–"
    return format(v, ("+" if signed else "") + spec)


def _render(item: dict[str, Any], console, units) -> None:
    from rich import box
    from rich.table import Table

    ref = item["ref_speed_mps"]
    console.rule(text(item["athlete"], "bold"))
    if item.get("stale"):
        console.print(text("Note: " + item["stale"]["warning"], "bold"))
    if not item["n_runs"]:
        console.print("No runs yet.")
        return
    console.print(
        f"{item['n_runs']} runs; reference speed {_fmt(ref, '.2f')} m/s ({units.pace(ref, '–')}): "
        "the runner's median pace, at which every run is compared."
    )

    refs = {
        (r["baseline_start"] or "")[:10] + " to " + (r["baseline_end"] or "")[:10]
        for r in item["current_vs_baseline"]
        if r["baseline_start"]
    }
    period = ", ".join(sorted(refs)) or "not complete yet"
    t = Table(title=f"Your last {RECENT_DAYS} days against your reference ({period})")
    for col in ("metric", "unit", "recent", "reference", "change"):
        t.add_column(col, justify="left" if col in ("metric", "unit") else "right")
    for row in item["current_vs_baseline"]:
        spec = ".2f" if row["metric"] in ("vertical_ratio_pct", "gct_balance_left_pct") else ".1f"
        label = _LABELS[row["metric"]] + (
            "" if row["metric"] == "gct_balance_left_pct" else " @ ref"
        )
        t.add_row(
            label,
            row["unit"],
            _fmt(row["recent"], spec),
            _fmt(row["baseline"], spec),
            _fmt(row["change"], spec, signed=True),
        )
    console.print(t)

    if item["changes"]:
        c = Table(title="Changes against your reference")
        for col in ("metric", "from", "until", "toward", "size", "runs"):
            c.add_column(col)
        for ev in item["changes"]:
            toward = ev["side"] + (" (toward even)" if ev.get("toward_even") else "")
            c.add_row(
                _LABELS.get(ev["metric"], ev["metric"]),
                ev["onset"][:10],
                "ongoing" if ev.get("ongoing") else (ev.get("last") or "")[:10],
                toward,
                _fmt(abs(ev["size"]), ".2f"),
                str(ev["n_runs"]),
            )
        console.print(c)
    else:
        console.print("No changes against your reference.")

    r = Table(
        title=f"Recent runs: gait at {_fmt(ref, '.2f')} m/s; GCT balance % left vs reference",
        box=box.SIMPLE_HEAD,
    )
    for col in ("date", "m/s", "cad", "GCT", "VO", "VR", "bal", "ref", "chg", "flag"):
        r.add_column(col, justify="right")
    for run in item["runs"][-RECENT_RUNS:]:
        r.add_row(
            run["local_date"] or "",
            _fmt(run["speed_median_mps"], ".2f"),
            _fmt(run["cadence_spm_at_ref"]),
            _fmt(run["stance_time_ms_at_ref"], ".0f"),
            _fmt(run["vertical_oscillation_mm_at_ref"]),
            _fmt(run["vertical_ratio_pct_at_ref"], ".2f"),
            _fmt(run["gct_balance_left_median_pct"], ".2f"),
            _fmt(run["gct_balance_baseline_pct"], ".2f"),
            _fmt(run["gct_balance_change_pts"], ".2f", signed=True),
            "yes" if run["balance_shift_flag"] else "",
        )
    console.print(r)

    w = Table(title="Weekly load (distance)", box=box.SIMPLE_HEAD)
    cols = ("week", units.distance_unit, "hours", "runs", "ACWR coupled", "ACWR uncoupled")
    for col in (*cols, "vs last week %"):
        w.add_column(col, justify="right")
    for wk in item["weekly_load"][-RECENT_WEEKS:]:
        w.add_row(
            wk["week"][:10],
            units.distance_figure(wk["distance_km"], missing="–"),
            _fmt(wk["time_h"]),
            str(wk["n_runs"]),
            _fmt(wk["acwr_coupled"], ".2f"),
            _fmt(wk["acwr_uncoupled"], ".2f"),
            _fmt(wk["progression_2wk_pct"], ".0f", signed=True),
        )
    console.print(w)
