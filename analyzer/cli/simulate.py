"""CLI commands: ``simulate`` (synthetic exports) and ``simulate-sample-data`` (bundled sample data)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analyzer.cli import options

_positive = options.int_range(1)


def register(sub) -> None:
    p = sub.add_parser(
        "simulate",
        help="write synthetic runners as real FIT files (load tests, benchmarks, team demos)",
        description=(
            "Simulate N runners over W weeks (3-5 runs a week) with speed-dependent running "
            "dynamics, hills, pauses and fatigue, and write them as FIT files: one folder per "
            "athlete with a ground_truth.json, plus each athlete's runs as a Garmin or Strava "
            "account export under exports/. Some runners get an injected left/right balance "
            "shift, low cadence or a load spike (see ground_truth.json). Deterministic in --seed."
        ),
    )
    p.add_argument("--athletes", type=_positive, default=3, help="number of runners (default 3)")
    p.add_argument("--weeks", type=_positive, default=12, help="weeks of training (default 12)")
    p.add_argument(
        "--out", type=options.path, required=True, help="output folder (created if missing)"
    )
    p.add_argument("--seed", type=options.int_range(0), default=0, help="random seed (default 0)")
    p.add_argument(
        "--interval",
        type=_positive,
        default=None,
        help="recording interval in seconds (default 1 = every second; 2 for --scenario messy)",
    )
    p.add_argument(
        "--run-minutes",
        type=options.positive_float,
        default=None,
        help="every run lasts this many minutes of moving time (default: planned lengths)",
    )
    p.add_argument(
        "--runs-per-week",
        type=options.int_range(2, 6),
        default=None,
        help="exactly this many runs a week, 2-6 (default: 3-5; a load-spike week adds one)",
    )
    p.add_argument(
        "--start",
        type=options.iso_date,
        default=None,
        help=(
            "first day of the history, YYYY-MM-DD (default 2026-06-01; runs dated after today "
            "are imported as 'date unknown', so start long histories early enough; also for "
            "--scenario messy, 156 weeks)"
        ),
    )
    p.add_argument(
        "--no-exports",
        action="store_true",
        help="write only the athlete folders, not the Garmin/Strava export zips",
    )
    p.add_argument(
        "--format",
        choices=("fit", "apple-health"),
        default="fit",
        help=(
            "'fit' (default): FIT files and Garmin/Strava exports; 'apple-health': each "
            "runner's Health app export (<out>/<runner>/export.zip: export.xml with Apple's "
            "element names, units and local times with offsets, running form on every run, "
            "walks, all-day records and workout-routes/*.gpx), as an Apple Watch owner has it"
        ),
    )
    p.add_argument(
        "--scenario",
        choices=("messy", "cohort"),
        default=None,
        help=(
            "instead of N runners: 'messy' writes one three-year history (three watches, one "
            "without dynamics, strap then pod, breaks, walking stops, a run recorded twice, a "
            "Strava .fit.gz export of the last months; --weeks and --athletes are not used, "
            "--interval defaults to 2); 'cohort' writes the judgement-test cohort (40 athletes "
            "with injected changes and controls, --weeks of at least 30), each athlete with "
            "its ground_truth.json"
        ),
    )
    p.set_defaults(func=_simulate)

    q = sub.add_parser(
        "simulate-sample-data",
        help="regenerate the bundled sample_data/ folder byte for byte",
        description=(
            "Write the bundled sample data: two synthetic athletes over 12 weeks, 'balanced' and "
            "'imbalance' (GCT balance shifts 1.8 points to the left from week 8, growing with "
            "fatigue), as FIT files per athlete, ground truth JSON, and a Strava and a Garmin "
            "export zip. Running it again gives identical bytes (used by `make sample-data`)."
        ),
    )
    q.add_argument(
        "--out",
        type=options.path,
        default=Path("sample_data"),
        help="output folder (default: sample_data)",
    )
    q.set_defaults(func=_sample_data)


def _report(out: Path, truths: dict) -> None:
    files = [f for f in out.rglob("*") if f.is_file()]
    size = sum(f.stat().st_size for f in files)
    runs = sum(len(t["runs"]) for t in truths.values())
    print(
        f"Wrote {len(truths)} athletes, {runs} runs, {len(files)} files "
        f"({size / 1e6:.1f} MB) to {out}"
    )
    for name, t in truths.items():
        conds = ", ".join(c["kind"] for c in t.get("conditions", t.get("changes", [])))
        conds = conds or (f"none (control: {t['control']})" if t.get("control") else "none")
        print(f"  {name}: {len(t['runs'])} runs, conditions: {conds}")


def _scenario(args: argparse.Namespace) -> int:
    if args.scenario == "messy":
        from analyzer.simulate.files import write_messy_history

        truth = write_messy_history(
            args.out, args.seed, interval_s=args.interval or 2, start=_start(args.start)
        )
        watches = ", ".join(f"{w} {n}" for w, n in truth["watches"].items())
        print(
            f"Wrote a {truth['weeks']}-week history, {len(truth['runs'])} runs ({watches}; "
            f"one run also as {truth['duplicate']['copy']}; "
            f"{truth['strava_export']['runs']} runs again in {truth['strava_export']['file']}) "
            f"to {args.out}"
        )
        return 0
    from analyzer.simulate.files import write_scenario
    from analyzer.simulate.scenario_cohort import cohort

    if args.weeks < 30:
        print(
            f"Error: --scenario cohort needs --weeks of at least 30 (got {args.weeks}); "
            "add for example --weeks 52",
            file=sys.stderr,
        )
        return 2
    truths = {}
    for sc in cohort(args.seed, weeks=args.weeks):
        _, truths[sc.name] = write_scenario(sc, args.out, interval_s=args.interval or 1)
    _report(args.out, truths)
    return 0


def _simulate(args: argparse.Namespace) -> int:
    if args.scenario is not None:
        return _scenario(args)
    if args.format == "apple-health":
        return _apple_health(args)
    from analyzer.simulate import write_synthetic_export

    truths = write_synthetic_export(
        args.out,
        athletes=args.athletes,
        weeks=args.weeks,
        seed=args.seed,
        exports=not args.no_exports,
        interval_s=args.interval or 1,
        run_minutes=args.run_minutes,
        runs_per_week=args.runs_per_week,
        start=_start(args.start),
    )
    _report(args.out, truths)
    return 0


def _apple_health(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from analyzer.simulate import AthleteProfile, write_apple_health_export

    weekly = None if args.runs_per_week is None else (args.runs_per_week, args.runs_per_week)
    start = _start(args.start)
    for i in range(args.athletes):
        profile = replace(
            AthleteProfile(name=f"runner_{i:03d}"),
            seed=args.seed * 1000 + i,
            weeks=args.weeks,
            interval_s=args.interval or 1,
            run_minutes=args.run_minutes,
            **({"runs_per_week": weekly} if weekly else {}),
            **({"start": start} if start is not None else {}),
        )
        truth = write_apple_health_export(args.out / profile.name, profile)
        print(
            f"Wrote {truth['path']}: {len(truth['runs'])} runs, {truth['walks']} walks, "
            f"export.xml {truth['size_bytes'] / 1e6:.1f} MB"
        )
    return 0


def _start(day):
    """``--start`` as the zone-aware midnight UTC the simulator counts from (or None)."""
    if day is None:
        return None
    import datetime as dt

    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _sample_data(args: argparse.Namespace) -> int:
    from analyzer.simulate import write_sample_data

    truths = write_sample_data(args.out)
    _report(args.out, truths)
    return 0
