"""Issue 24 figure for `make bench`: ``analyzer import`` against the loop a data scientist would
write in ten lines (fitfast → pandas → one DuckDB table, one process), on the same files,
interleaved, best of two each, with the load printed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: The loop, as a user would write it: every FIT file's records into one DuckDB table.
LOOP = """
import sys, pathlib, duckdb, fitfast, pandas as pd
con = duckdb.connect(sys.argv[2])
first = True
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.fit")):
    df = pd.DataFrame(fitfast.records(path.read_bytes()))
    df["file"] = path.name
    if first:
        con.execute("CREATE TABLE records AS SELECT * FROM df"); first = False
    else:
        con.execute("INSERT INTO records BY NAME SELECT * FROM df")
con.close()
"""
TARGET = 0.5


def _timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def bench_vs_loop(folder: Path, workers: int = 2, rounds: int = 2) -> None:
    """Print best-of-``rounds`` wall times of both, interleaved, and their ratio."""
    try:
        import fitfast  # noqa: F401
    except ImportError as exc:
        print(f"\nImport against the fitfast loop: skipped ({exc}; pip install '.[bench]')")
        return
    n = len(list(folder.rglob("*.fit")))
    print(f"\n`analyzer import` against a fitfast → pandas → DuckDB loop, {n} files")
    ours, loop = [], []
    load = os.getloadavg()[0]
    for _ in range(rounds):
        tmp = Path(tempfile.mkdtemp(prefix="analyzer-bench-loop-"))
        try:
            ours.append(
                _timed(
                    [sys.executable, "-m", "analyzer", "import", str(folder), "--store",
                     str(tmp / "a.duckdb"), "--workers", str(workers)]
                )
            )  # fmt: skip
            loop.append(_timed([sys.executable, "-c", LOOP, str(folder), str(tmp / "l.duckdb")]))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    a, b = min(ours), min(loop)
    verdict = "meets" if a / b <= TARGET else "misses"
    print(
        f"  analyzer import ({workers} workers) {a:.1f} s, loop {b:.1f} s: {a / b:.2f}x the "
        f"loop's time ({verdict} <= {TARGET}x); load {load:.1f} -> {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores"
    )
