"""Import of a simulated Apple Health ``export.xml`` of at least 1 GB, for `make bench` (issue 23).

Opt-in (it writes ~1.2 GB to the temp folder and takes minutes): ``ANALYZER_BENCH_APPLE=1 make
bench``, or ``python benchmarks/apple_bench.py [GB]``. The export (two years of one runner,
four runs a week with Apple's running form, walks, the watch's all-day heart rate and active
energy, the phone's step counts; routes beside it) is generated once into
``$TMPDIR/analyzer-bench-apple/`` and kept between runs. ``analyzer import export.xml`` runs
in a subprocess; the figures are wall time, time per GB of XML and the peak resident memory of
the import's process tree (psutil, sampled every 50 ms). Target: peak <= 400 MB.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

#: Issue 23 target: peak memory of the import of a >= 1 GB export.xml [MB].
TARGET_PEAK_MB = 400
#: Environment variable that turns the section on inside `make bench`.
ENV = "ANALYZER_BENCH_APPLE"


def simulated_export(min_gb: float = 1.0) -> Path:
    """The cached ``export.xml`` of at least ``min_gb`` GB (written when missing)."""
    from datetime import UTC, datetime

    from analyzer.simulate.applehealth import write_apple_health_export
    from analyzer.simulate.history import AthleteProfile

    out = Path(tempfile.gettempdir()) / "analyzer-bench-apple" / f"{min_gb:g}gb"
    xml = out / "apple_health_export" / "export.xml"
    if (out / ".complete").exists():
        return xml
    weeks = max(8, int(104 * min_gb))
    print(f"  simulating a {weeks}-week Apple Health export into {out} ...", flush=True)
    start = time.perf_counter()
    profile = AthleteProfile(
        name="ana",
        seed=23,
        weeks=weeks,
        start=datetime(2023, 1, 2, tzinfo=UTC),
        runs_per_week=(4, 4),
    )
    truth = write_apple_health_export(out, profile, zipped=False, background_per_day=1300)
    print(
        f"  simulated {truth['size_bytes'] / 1e9:.2f} GB, {len(truth['runs'])} runs, "
        f"{truth['walks']} walks in {time.perf_counter() - start:.0f} s",
        flush=True,
    )
    (out / ".complete").write_text("ok")
    return xml


def bench_apple_health(min_gb: float = 1.0, workers: int = 2) -> dict:
    """Import the simulated export; print and return wall time, s/GB and peak memory."""
    print(f"\nImport of a simulated Apple Health export.xml (>= {min_gb:g} GB, workers={workers})")
    try:
        import psutil  # noqa: F401  (the bench extra; `make bench` installs it)
    except ImportError as exc:
        print(f"  skipped: {exc}")
        return {}
    from run import run_sampled  # the process-tree sampler of benchmarks/run.py

    xml = simulated_export(min_gb)
    size = xml.stat().st_size
    with tempfile.TemporaryDirectory(prefix="analyzer-bench-apple-store-") as tmp:
        cmd = [sys.executable, "-m", "analyzer", "import", "--store", f"{tmp}/s.duckdb"]
        cmd += ["--workers", str(workers), str(xml)]
        proc, output, wall, peak, cpu_by_pid = run_sampled(cmd)
    lines = output.decode(errors="replace").strip().splitlines()
    for line in lines[:3]:
        print(f"  | {line}")
    gb = size / 1e9
    cpu_main = cpu_by_pid.get(proc.pid, 0.0)
    cpu = sum(cpu_by_pid.values())
    figures = {"gb": gb, "wall_s": wall, "s_per_gb": wall / gb, "peak_mb": peak / 2**20}
    figures |= {"cpu_main_s_per_gb": cpu_main / gb, "cpu_s_per_gb": cpu / gb}
    print(
        f"  {gb:.2f} GB export.xml: exit status {proc.returncode}, wall {wall:.0f} s = "
        f"{wall / gb:.0f} s per GB; peak memory of the process tree {peak / 2**20:.0f} MB "
        f"(target <= {TARGET_PEAK_MB} MB); 1-min load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores"
    )
    print(
        f"  CPU time (sampled): main process {cpu_main:.0f} s = {cpu_main / gb:.0f} s per GB "
        f"(reading export.xml twice, writing the store), whole tree {cpu:.0f} s = "
        f"{cpu / gb:.0f} s per GB (a figure that does not depend on the machine's other load)"
    )
    return figures


if __name__ == "__main__":
    bench_apple_health(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
