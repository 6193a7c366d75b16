"""Issue 12's acceptance figures for the current judgement, on a fresh scenario cohort.

Simulates the cohort of :func:`analyzer.simulate.scenario_cohort.cohort` at summary level (no FIT files),
judges every athlete week by week as the CLI would (:mod:`analyzer.simulate.evaluate`) and
prints the figures of :mod:`analyzer.simulate.figures` with their targets.

Usage::

    python benchmarks/judgement.py --seed 1            # 40 athletes x 52 weeks
    python benchmarks/judgement.py --seed 5 --size small --weeks 36 --json out.json

Figures, not pass/fail: the exit code is 0 whatever the figures say.
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=1, help="cohort seed (default 1)")
    p.add_argument("--size", choices=("full", "small"), default="full")
    p.add_argument("--weeks", type=int, default=52, help="history length (default 52)")
    p.add_argument("--interval", type=int, default=5, help="record interval [s] (default 5)")
    p.add_argument(
        "--stride",
        type=int,
        default=1,
        help="judge athletes with a change every N-th week (deadlines always; default 1)",
    )
    p.add_argument(
        "--control-stride", type=int, default=1, help="judge controls every N-th week (default 1)"
    )
    p.add_argument("--json", default=None, help="also write the figures as JSON here")
    p.add_argument("--athletes", action="store_true", help="print each athlete's judgements")
    args = p.parse_args(argv)

    from analyzer.simulate.evaluate import evaluate_cohort
    from analyzer.simulate.figures import format_figures
    from analyzer.simulate.scenario_cohort import cohort
    from analyzer.simulate.summaries import cohort_summaries

    t0 = time.perf_counter()
    c0 = time.process_time()
    scenarios = cohort(args.seed, weeks=args.weeks, size=args.size)
    data = cohort_summaries(scenarios, interval_s=args.interval)
    n_runs = sum(len(rows) for rows, _ in data.values())
    t1, c1 = time.perf_counter(), time.process_time()
    result = evaluate_cohort(data, stride=args.stride, control_stride=args.control_stride)
    t2, c2 = time.perf_counter(), time.process_time()
    n_points = sum(
        len({j.asof for js in r["points"].values() for j in js})
        for r in result["athletes"].values()
    )
    print(
        f"cohort seed {args.seed}: {len(scenarios)} athletes x {args.weeks} weeks, {n_runs} runs; "
        f"summaries {t1 - t0:.1f} s ({c1 - c0:.1f} s CPU), {n_points} judgements "
        f"{t2 - t1:.1f} s ({c2 - c1:.1f} s CPU)"
    )
    print(format_figures(result["figures"]))
    if args.athletes:
        for name, r in result["athletes"].items():
            print(f"\n{name} ({r['truth']['group']}, {r['truth']['control'] or '-'})")
            for purpose, js in r["points"].items():
                for j in js:
                    flags = ", ".join(f"{f['metric']} {f['side']}" for f in j.flags or [])
                    print(
                        f"  {purpose:8s} {j.asof:%Y-%m-%d %H:%M} {j.level or '-':9s} "
                        f"side={j.plan_side} flags=[{flags}] {j.error or ''}"
                    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"seed": args.seed, "figures": result["figures"]}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
