"""CLI commands ``analyzer import`` and ``analyzer runs``."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from analyzer.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, common, json_value
from analyzer.ingest.folders import NOT_READ
from analyzer.report.safe import text, visible

#: Most "not a run" lines printed after an import (the import log keeps them all).
MAX_LISTED = 20


def register(sub) -> None:
    """Add ``import`` and ``runs`` to the sub-command parser."""
    p = sub.add_parser(
        "import",
        help="import FIT files, folders and watch-export zips into the local store",
        description=(
            "Import running activities from any mix of .fit / .fit.gz files, folders (searched "
            "recursively) and zips, including Garmin's 'Export your data' archive with its "
            "nested zips and Strava's bulk export. Re-importing the same files adds nothing; an "
            "interrupted import is completed by running the command again. Exit status: 0 when "
            "every file was handled, 1 when any file failed (each is listed with its reason)."
        ),
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="FIT file, .fit.gz, folder or .zip")
    common.athlete_arg(p, help="whose runs these are (default: 'default')")
    common.store_arg(p)
    p.add_argument(
        "--workers",
        type=_positive_int,
        default=None,
        metavar="N",
        help="decoder processes to use (default: one per CPU core; 1 = no extra processes)",
    )
    p.add_argument(
        "--decoder",
        choices=("auto", "fast", "fitparse"),
        default="auto",
        help=(
            "FIT decoder: auto (the vectorised decoder, falling back to fitparse where it "
            "declines), fast, or fitparse (the slow reference, to cross-check a file)"
        ),
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help=(
            "fail a damaged file (truncated, bad CRC, undescribed developer field...) instead of "
            "importing the part before the damage as a partial run"
        ),
    )
    p.add_argument(
        "--dask",
        default=None,
        metavar="SCHEDULER",
        help=(
            "decode on a Dask cluster: a scheduler address (tcp://host:8786) or 'local' for a "
            "temporary cluster on this machine (--workers sets its size); the workers need "
            "analyzer installed (pip install 'analyzer[dask]'); this process still reads the "
            "files and writes the store"
        ),
    )
    p.set_defaults(func=cmd_import)

    p = sub.add_parser(
        "runs",
        help="list the imported runs with distance, pace, device, dynamics and averages",
        description=(
            "List imported runs, oldest first: date, distance, duration, pace, device, where the "
            "running dynamics came from, and per-run averages computed from the records. "
            "--json prints one object per run, with the watch's own session averages under "
            "watch_avg_* beside ours (avg_*)."
        ),
    )
    common.athlete_arg(p, help="only this athlete's runs (default: all)")
    common.store_arg(p)
    common.json_arg(p)
    p.set_defaults(func=cmd_runs)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


# --------------------------------------------------------------------------------------------
# import
# --------------------------------------------------------------------------------------------
def cmd_import(args: argparse.Namespace) -> int:
    """Run ``analyzer import``; returns the exit code."""
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        names = ", ".join(visible(p) for p in missing)
        print(f"Error: no such file or folder: {names}", file=sys.stderr)
        return EXIT_USAGE
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    err = Console(stderr=True)
    progress = Progress(
        SpinnerColumn(),
        TextColumn("importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        # markup=False: the name is a file's; rich would otherwise parse "[/]" in it as markup
        TextColumn("{task.fields[name]}", style="dim", markup=False),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    task = progress.add_task("import", total=None, name="")

    def on_progress(entry, report) -> None:
        total = max(report.discovered, report.done) or None
        name = visible(entry.name.rsplit("!", 1)[-1].rsplit("/", 1)[-1][-40:])
        progress.update(task, completed=report.done, total=total, name=name)

    with common.open_store(args, create=True) as store, progress:
        if args.dask:
            from analyzer.ingest.scale import import_with_dask

            report = import_with_dask(
                store,
                args.paths,
                athlete=args.athlete,
                client=args.dask,
                workers=args.workers,
                progress=on_progress,
                decoder=args.decoder,
                strict=args.strict,
            )
        else:
            report = store.import_paths(
                args.paths,
                athlete=args.athlete,
                progress=on_progress,
                workers=args.workers,
                decoder=args.decoder,
                strict=args.strict,
            )
        store_path = store.path
    _print_summary(report, store_path)
    return EXIT_OK if report.ok else EXIT_FAILED


def _print_summary(report, store_path: Path) -> None:
    # File names, details and the athlete come from files and arguments: shown, not obeyed.
    out = []
    out.append(
        f"Imported {report.imported} file{'s' if report.imported != 1 else ''} "
        f"({report.runs} run{'s' if report.runs != 1 else ''}, {report.records:,} records) "
        f"for athlete {visible(repr(report.athlete))} into {visible(store_path)} "
        f"in {report.elapsed_s:.1f} s"
    )
    out.append(f"  imported:    {report.imported}")
    out.append(f"  duplicates:  {report.duplicates}  (already in the store)")
    out.append(f"  not a run:   {report.not_run}")
    out.append(f"  failed:      {report.failed}")
    refused = [
        e for e in report.entries if e.outcome == "skipped" and e.detail.startswith(NOT_READ)
    ]
    if report.skipped:
        why = "not FIT files: GPX, TCX, CSV, JSON..."
        if refused:
            why += f"; {len(refused)} not read, listed below"
        out.append(f"  skipped:     {report.skipped}  ({why})")
    not_run = [e for e in report.entries if e.outcome == "not_run"]
    if not_run:
        out.append("Not a run:")
        out += [f"  {visible(e.name)}: {visible(e.detail)}" for e in not_run[:MAX_LISTED]]
        if len(not_run) > MAX_LISTED:
            out.append(f"  ... and {len(not_run) - MAX_LISTED} more (see the store's import_log)")
    noted = [e for e in report.entries if e.outcome == "imported" and "; " in e.detail]
    if noted:
        out.append("Imported with notes:")
        out += [f"  {visible(e.name)}: {visible(e.detail)}" for e in noted[:MAX_LISTED]]
        if len(noted) > MAX_LISTED:
            out.append(f"  ... and {len(noted) - MAX_LISTED} more (see the store's import_log)")
    refused = [
        e for e in report.entries if e.outcome == "skipped" and e.detail.startswith(NOT_READ)
    ]
    if refused:
        out.append("Not read (links out of the folder, special files):")
        out += [f"  {visible(e.name)}: {visible(e.detail)}" for e in refused[:MAX_LISTED]]
        if len(refused) > MAX_LISTED:
            out.append(f"  ... and {len(refused) - MAX_LISTED} more (see the store's import_log)")
    if report.failures:
        out.append("Failed:")
        out += [f"  {visible(e.name)}: {visible(e.detail)}" for e in report.failures]
        out.append("The other files were imported; fix or remove the failed ones and re-run.")
    print("\n".join(out))


# --------------------------------------------------------------------------------------------
# runs
# --------------------------------------------------------------------------------------------
#: Keys of every object printed by ``analyzer runs --json``.
JSON_KEYS = (
    "run_id",
    "activity_id",
    "athlete",
    "source_name",
    "start_time",
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
)


def cmd_runs(args: argparse.Namespace) -> int:
    """Run ``analyzer runs``; returns the exit code."""
    with common.open_store(args) as store:
        runs = with_gait(store, store.runs(athlete=args.athlete), athlete=args.athlete)
        store_path = store.path
    if args.json:
        print(json.dumps(runs_to_json(runs), indent=2, allow_nan=False))
        return EXIT_OK
    if runs.empty:
        print(f"No runs in {visible(store_path)}; add some with `analyzer import PATH`.")
        return EXIT_OK
    _print_table(runs)
    return EXIT_OK


def with_gait(store, runs, *, athlete: str | None = None):
    """``runs`` with the per-run gait summary (:func:`analyzer.metrics.gait.summarize`) joined on run_id."""
    if runs.empty:
        return runs
    gait = store.gait(athlete, undated=True)
    extra = [c for c in gait.columns if c not in runs.columns]
    return runs.merge(gait[["run_id", *extra]], on="run_id", how="left")


def runs_to_json(runs) -> list[dict[str, Any]]:
    """The rows of :meth:`Store.runs` as JSON-able dicts (NaN → None, times in ISO 8601).

    Each object has :data:`JSON_KEYS`, the computed ``avg_*`` and the watch's ``watch_avg_*``
    averages, and, when the runs were joined with :func:`with_gait`, every field of the gait
    summary (medians, IQRs, GCT-balance deviation and bands, fatigue drift, variability).
    """
    avg_cols = [c for c in runs.columns if c.startswith(("avg_", "watch_avg_"))]
    gait_cols = [c for c in runs.columns if c not in JSON_KEYS and c not in avg_cols]
    gait_cols = [c for c in gait_cols if c not in ("run_key", "athlete_id")]
    out = []
    for row in runs.to_dict("records"):
        obj = {k: json_value(row.get(k)) for k in JSON_KEYS}
        obj.update({k: json_value(row[k]) for k in avg_cols})
        obj.update({k: json_value(row[k]) for k in gait_cols})
        out.append(obj)
    return out


def _print_table(runs) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:
        console = Console(width=180)
    table = Table(title=f"{len(runs)} run{'s' if len(runs) != 1 else ''}")
    for name, justify in (
        ("date (UTC)", "left"),
        ("athlete", "left"),
        ("km", "right"),
        ("time", "right"),
        ("pace /km", "right"),
        ("device", "left"),
        ("dynamics", "left"),
        ("cadence spm", "right"),
        ("GCT ms", "right"),
        ("balance L %", "right"),
        ("VO mm", "right"),
        ("step mm", "right"),
        ("VR %", "right"),
        ("L/R drift pts", "right"),
        ("notes", "left"),
    ):
        table.add_column(name, justify=justify)
    rows = runs.to_dict("records")
    for r in rows:
        speed = r["avg_speed_mps"]
        if not _num(speed) and _num(r["distance_m"]) and _num(r["timer_s"]) and r["timer_s"] > 0:
            speed = r["distance_m"] / r["timer_s"]
        undated = _flag(r.get("date_unknown"))
        table.add_row(
            "unknown"
            if undated
            else (
                r["start_time"].strftime("%Y-%m-%d %H:%M") if _num_time(r["start_time"]) else "?"
            ),
            text(r["athlete"]),
            _fmt(r["distance_m"] / 1000 if _num(r["distance_m"]) else None, "{:.2f}"),
            _duration(r["timer_s"]),
            _pace(speed),
            text(r["device"]) if isinstance(r["device"], str) else "-",
            text(r["dynamics_source"]) if r["has_dynamics"] else "-",
            _fmt(r["avg_cadence_spm"], "{:.0f}"),
            _fmt(r["avg_stance_time_ms"], "{:.0f}"),
            _fmt(r["avg_gct_balance_left_pct"], "{:.1f}"),
            _fmt(r["avg_vertical_oscillation_mm"], "{:.0f}"),
            _fmt(r["avg_step_length_mm"], "{:.0f}"),
            _fmt(r["avg_vertical_ratio_pct"], "{:.1f}"),
            _fmt(r.get("drift_gct_balance_left_pts"), "{:+.1f}"),
            _notes(r),
        )
    console.print(table)
    problems = list(
        dict.fromkeys(r.get("date_problem") for r in rows if _flag(r.get("date_unknown")))
    )
    if problems:
        from analyzer.fit.dates import date_note

        for problem in problems:
            console.print(date_note(problem), markup=False, highlight=False)


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


def _pace(speed: Any) -> str:
    if not _num(speed) or speed <= 0.5:  # slower than 33 min/km is not a running pace
        return "-"
    s = int(round(1000 / speed))
    return f"{s // 60}:{s % 60:02d}"
