"""CLI commands: ``report`` (HTML / terminal / JSON) and ``demo`` (the whole pipeline on sample data)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from analyzer.cli import options
from analyzer.cli.common import EXIT_FAILED, EXIT_OK, common
from analyzer.cli.config import resolve_units, units_arg
from analyzer.report.safe import visible

DEFAULT_OUT = Path("report.html")


def register(sub) -> None:
    """Add ``report`` and ``demo`` to the CLI's sub-parsers."""
    p = sub.add_parser(
        "report",
        help="HTML report (or team page with --all), terminal summary, JSON",
        description=(
            "Write one self-contained HTML report for an athlete (figures embedded, opens "
            "offline, can be mailed) and print a short summary. With --all, write a team page "
            "listing every athlete with a link to each athlete's report, written next to it. "
            "With --json, print the same content as JSON (shape: analyzer.report module doc)."
        ),
    )
    common.store_arg(p)
    common.athlete_arg(p, help="athlete to report on (needed when the store holds several)")
    p.add_argument(
        "--out",
        type=options.path,
        default=None,
        help=f"HTML file to write (default: {DEFAULT_OUT}; with --json, only when given)",
    )
    p.add_argument("--open", action="store_true", help="open the written HTML file in a browser")
    p.add_argument(
        "--json",
        action="store_true",
        help="print the report as JSON instead of the terminal summary",
    )
    p.add_argument(
        "--all",
        action="store_true",
        help="team page for every athlete in the store, with one report per athlete beside it",
    )
    p.add_argument(
        "--model",
        type=options.existing_file,
        default=None,
        help="model JSON from `analyzer train` (default: the packaged, documented priors)",
    )
    units_arg(p)
    p.set_defaults(func=cmd_report)

    d = sub.add_parser(
        "demo",
        help="the whole pipeline on the bundled sample data",
        description=(
            "Import the bundled sample_data/ (one folder per athlete) into a fresh store, write "
            "the team page and one report per athlete, and print the report's path and a "
            "summary. Nothing outside --out (default: a new temporary folder) is touched."
        ),
    )
    d.add_argument(
        "--out",
        type=options.path,
        default=None,
        help="folder for the demo store and reports (default: a new temporary folder)",
    )
    d.set_defaults(func=cmd_demo)


def _console():
    from analyzer.cli.common import console

    return console(pipe_width=80)


def _load_model(path: Path | None):
    if path is None:
        return None
    from analyzer import risk

    return risk.load_model(path)


def _open(path: Path) -> None:
    import webbrowser  # here: it costs every other command its import time

    webbrowser.open(path.resolve().as_uri())


def cmd_report(args: argparse.Namespace) -> int:
    """``analyzer report``: returns 0, or 1 when no athlete could be reported on."""
    from analyzer import report
    from analyzer.report import terminal

    units = resolve_units(args)
    cache = None
    if not args.all:
        params = {"athlete": args.athlete, "model": args.model}
        cache = common.view_cache(args, "report", params)
    data = common.load_view(cache)
    valid_until = cache.valid_until if data is not None else None
    if data is None:
        model = _load_model(args.model)
        with common.open_store(args) as store:
            if args.all:
                return _report_all(args, store, model, units)
            athlete = _with_runs(store, args.athlete)
            data, an = report.build_analysed(store, athlete, model=model)
        valid_until = common.save_view(cache, data, an)
    out = args.out if args.out is not None or not args.json else None
    if out is None and not args.json:
        out = DEFAULT_OUT
    if out is not None:
        report.write_athlete(data, out, units=units, page=_page(args, data, units, valid_until))
    if args.json:
        json.dump(data, sys.stdout, indent=2, allow_nan=False)
        sys.stdout.write("\n")
    else:
        terminal.render(data, _console(), units=units)
        print(f"Report written to {visible(out)}")
    if args.open and out is not None:
        _open(out)
    return EXIT_OK


def _page(args, data: dict, units: str, valid_until: float | None) -> str | None:
    """The HTML page of ``data`` saved beside the store (its charts take most of the time),
    keyed by the report dict itself and the units; rendered and saved when missing. None
    without a cache (``write_athlete`` renders it)."""
    if valid_until is None:
        return None
    from analyzer.store.viewcache import text_digest

    made_of = {"report": text_digest(json.dumps(data, sort_keys=True))}
    params = {"athlete": data.get("athlete"), "units": units}
    cache = common.view_cache(args, "report-html", params, varies=made_of)
    page = common.load_view(cache)
    if page is None and cache is not None:
        from analyzer import report

        page = report.render_athlete(data, units=units)
        cache.save(page, valid_until=valid_until)
    return page


def _with_runs(store, athlete: str | None) -> str:
    """The athlete to report on; NotEnoughData when they have no run (an empty page otherwise)."""
    from analyzer.errors import NotEnoughData

    name = store.resolve_athlete(athlete)
    summary = store.athlete_summary().set_index("athlete")
    if int(summary.loc[name, "runs"]) == 0:
        raise NotEnoughData(
            f"athlete {name!r} has no runs in {store.path}, so there is nothing to report; "
            f"import some with `analyzer import PATH --athlete {name}`"
        )
    return name


def _report_all(args: argparse.Namespace, store, model, units: str) -> int:
    from analyzer import report
    from analyzer.report import terminal

    if not store.athletes() or not store.athlete_summary()["runs"].any():
        from analyzer.errors import NotFound

        raise NotFound(
            f"{store.path} holds no runs yet, so there is nothing to report: "
            "run `analyzer import PATH` first"
        )
    reports = report.build_all(store, model=model)
    out = args.out if args.out is not None else (None if args.json else DEFAULT_OUT)
    if out is not None:
        _, team, _ = report.write_team(store, out, model=model, reports=reports, units=units)
    else:
        team = report.team_from_reports(reports)
    if args.json:
        payload = dict(team)
        payload["reports"] = {k: v for k, v in reports.items() if isinstance(v, dict)}
        json.dump(payload, sys.stdout, indent=2, allow_nan=False)
        sys.stdout.write("\n")
    else:
        terminal.render_team(team, _console())
        print(f"Team page written to {visible(out)} (one report per athlete beside it)")
    if args.open and out is not None:
        _open(out)
    ok = any(isinstance(v, dict) for v in reports.values())
    return EXIT_OK if ok else EXIT_FAILED


def cmd_demo(args: argparse.Namespace) -> int:
    """``analyzer demo``: import the sample data, write the reports, print path and summary."""
    from analyzer.demo import run_demo
    from analyzer.report import terminal

    console = _console()
    result = run_demo(args.out, progress=lambda msg: print(msg, flush=True))
    shown = result.highlight()
    if shown is not None:
        terminal.render(shown, console)
    terminal.render_team(result.team, console)
    print(f"Store:  {result.store_path}")
    print(f"Report: {result.team_html}")
    print(f"Open it in a browser: {result.team_html.resolve().as_uri()}")
    # shlex.quote: the store may sit under a folder with spaces (or worse) in its name
    import shlex

    print(
        f"Or open the app on the demo store: analyzer serve --store {shlex.quote(str(result.store_path))}"
    )
    return EXIT_OK if result.reports_ok else EXIT_FAILED
