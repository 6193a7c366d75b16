"""Report generation for a two-year history (part 3 of `make bench`).

Simulates one runner over 104 weeks (3-5 runs a week, 1 record/s; cached in the temp folder),
imports it into a fresh store, then times, in this process with libraries imported:

- the first ``report.build`` (it also fills the store's gait cache for every run),
- ``report.build`` again (cache warm: what a user pays for every later report),
- ``report.html.render`` (the matplotlib figures and the HTML page),

each as the median of several runs, and prints the size of the HTML file.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from issue15 import _median  # (benchmarks/ is on the path: run by run.py or as a script)

from analyzer import import_paths

REPO = Path(__file__).resolve().parents[1]
WEEKS = 104


def _history(weeks: int) -> Path:
    out = Path(tempfile.gettempdir()) / f"analyzer-bench-report-{weeks}w"
    if not (out / ".complete").is_file():
        print(f"  simulating {weeks} weeks into {out} (cached) ...", flush=True)
        cmd = [sys.executable, "-m", "analyzer", "simulate", "--athletes", "1"]
        cmd += ["--weeks", str(weeks), "--out", str(out), "--no-exports", "--seed", "11"]
        subprocess.run(cmd, check=True, cwd=REPO)
        (out / ".complete").write_text("ok")
    return out


def bench_report(*, weeks: int = WEEKS, repeats: int = 5, workers: int = 2) -> None:
    """Print the report-generation figures for a ``weeks``-long simulated history."""
    from analyzer import report
    from analyzer.report import html
    from analyzer.store.database import Store

    print(f"\nReport generation for a {weeks}-week history (median of {repeats} runs)")
    src = _history(weeks)
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "store.duckdb") as store:
        start = time.perf_counter()
        result = import_paths(store, [src], workers=workers)
        imported = time.perf_counter() - start
        athlete = store.athletes()[0]
        runs = store.runs(athlete)
        hours = runs["timer_s"].sum() / 3600
        print(
            f"  history: {len(runs)} runs, {hours:.0f} h, imported in {imported:.1f} s "
            f"({result.imported} files, workers={workers})"
        )
        start = time.perf_counter()
        data = report.build(store, athlete)
        cold = time.perf_counter() - start
        warm = _median(lambda: report.build(store, athlete), repeats)
        render = _median(lambda: html.render(data), repeats)
        page = html.render(data)
    print(f"  report.build, first (fills the gait cache): {cold * 1000:8.0f} ms")
    print(f"  report.build, cache warm:                    {warm * 1000:8.0f} ms")
    print(f"  html.render (figures + page):                {render * 1000:8.0f} ms")
    print(f"  one report end to end (warm build + render): {(warm + render) * 1000:8.0f} ms")
    print(f"  HTML size: {len(page.encode()) / 1e6:.2f} MB, self-contained")
