"""`make bench`: FIT decode throughput and end-to-end import of a simulated 1,000-run history.

Part 1 decodes the real corpus's larger files (../shared/fit-corpus, files of 300 kB and more)
with the project's vectorised decoder and with fitparse, fitdecode and garmin-fit-sdk, all in
this one process with every library already imported (as a bulk import runs), and prints the
median wall time of several runs, records per second and the ratio to fitparse. The start-up
cost of a fresh Python process importing each decoder is measured apart.

Part 2 simulates an export of exactly 1,000 one-hour runs (``analyzer simulate --athletes 2
--weeks 100 --runs-per-week 5 --run-minutes 60``: 1 record/s, cached in the temp folder between
runs of this script; ``--quick``: 100 runs, 10 weeks) and imports it with ``analyzer import``
in a subprocess (2 workers by default), reporting wall time and the peak resident memory of the
whole process tree (psutil). Then ``benchmarks/loop_bench.py`` imports 300 of those runs with
``analyzer import`` and with the ten-line fitfast → pandas → DuckDB loop, interleaved, best of 2.

Part 3 (``benchmarks/report_bench.py``) times report generation for a two-year history.

Part 4 (``benchmarks/junk_bench.py``) imports an export of 100,000 non-FIT members.

Part 6 (``benchmarks/apple_bench.py``, opt-in: ``--apple-health`` or ``ANALYZER_BENCH_APPLE=1``)
imports a simulated Apple Health ``export.xml`` of at least 1 GB: time per GB, peak memory.

Part 5 (``benchmarks/issue15.py``): ``read_fit`` end to end against the Rust-backed fitfast and
pyroparse, CLI start-up (``--help``, ``risk`` and ``recommend`` on the 1,000-run store), parallel
``report --all`` rendering, Dask scaling (1 vs 2 workers) and a simulated cohort; every figure
with the load average at the time.

Usage: ``python benchmarks/run.py [--quick] [--skip-import] [--runs N] [--workers N]
[--skip-dask] [--skip-legacy] [--skip-junk] [--cohort N] [--apple-health]``.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS_FILES = REPO.parent / "shared" / "fit-corpus" / "files"
sys.path.insert(0, str(REPO))

#: Issue 7 target.
TARGET_SPEEDUP = 100  # x fitparse records/s on files of 1 MB and more
#: Issue 15 targets, for 1,000 one-hour runs on 2 idle cores.
TARGET_IMPORT_S = 8  # s wall
TARGET_PEAK_MB = 600  # MB peak memory of the import's process tree
TARGET_MAIN_CPU_S = 1.5  # s CPU of the main process (the single writer)
#: Files at least this large are benchmarked [bytes].
MIN_BENCH_BYTES = 300_000
BIG_BYTES = 1_000_000


# --- decoders, each a callable(data) -> None that reads every message -----------------------


def _fast(data: bytes) -> None:
    from analyzer.fit import fast as fastfit

    fastfit.decode(data, "bench")


def _fitparse(data: bytes) -> None:
    import fitparse

    fitparse.FitFile(io.BytesIO(data)).parse()


def _fitparse_reference(data: bytes) -> None:
    from analyzer.fit import reference as fitparse_decoder

    fitparse_decoder.decode(data, "bench")


def _fitdecode(data: bytes) -> None:
    import fitdecode

    with fitdecode.FitReader(io.BytesIO(data)) as reader:
        for _ in reader:
            pass


def _garmin(data: bytes) -> None:
    from garmin_fit_sdk import Decoder, Stream

    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read()
    if errors:
        raise RuntimeError(errors[0])


DECODERS = {
    "analyzer.fit.fast": (_fast, "import analyzer.fit.fast"),
    "fitparse": (_fitparse, "import fitparse"),
    "fitparse_decoder": (_fitparse_reference, "import analyzer.fit.reference, fitparse"),
    "fitdecode": (_fitdecode, "import fitdecode"),
    "garmin-fit-sdk": (_garmin, "import garmin_fit_sdk"),
}


def _load(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.name.endswith(".gz") else data


def _median_time(fn, data: bytes, repeats: int) -> float | str:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        try:
            fn(data)
        except Exception as exc:  # noqa: BLE001 - a library failing on a file is a result
            return f"fails ({type(exc).__name__})"
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_decoders(quick: bool) -> list[dict]:
    """Median decode time per file and decoder (same process, libraries imported)."""
    from analyzer.fit import fast as fastfit

    for _, stmt in DECODERS.values():
        exec(stmt, {})  # noqa: S102 - import every library before timing
    files = sorted(
        (p for p in CORPUS_FILES.glob("*.fit") if p.stat().st_size >= MIN_BENCH_BYTES),
        key=lambda p: -p.stat().st_size,
    )
    if quick:
        files = [p for p in files if p.stat().st_size >= BIG_BYTES]
    rows = []
    for path in files:
        data = _load(path)
        try:
            records = len(fastfit.decode(data, path.name).table(20))
        except Exception as exc:  # noqa: BLE001 - broken corpus files are skipped
            print(f"  skip {path.name}: {exc}")
            continue
        row = {"file": path.name, "mb": len(data) / 1e6, "records": records}
        for name, (fn, _) in DECODERS.items():
            slow = name.startswith("fitparse")
            repeats = (1 if quick else 3) if slow else (3 if quick else 7)
            row[name] = _median_time(fn, data, repeats)
            print(f"  {path.name:45s} {name:18s} {_fmt_time(row[name])}", flush=True)
        rows.append(row)
    return rows


def _fmt_time(t) -> str:
    return f"{t * 1000:9.1f} ms" if isinstance(t, float) else f"{t:>12s}"


def print_decoder_table(rows: list[dict]) -> None:
    names = list(DECODERS)
    print("\nDecode throughput (median wall time; records/s; speed-up vs fitparse)")
    head = f"{'file':40s} {'MB':>5s} {'records':>7s} " + " ".join(f"{n:>26s}" for n in names)
    print(head)
    print("-" * len(head))
    for row in rows:
        cells = []
        base = row["fitparse"]
        for name in names:
            t = row[name]
            if not isinstance(t, float):
                cells.append(f"{t:>26s}")
                continue
            rate = row["records"] / t
            ratio = f"{base / t:6.0f}x" if isinstance(base, float) else "   n/a"
            cells.append(f"{t * 1000:8.1f}ms {rate / 1000:7.0f}k/s {ratio}")
        print(f"{row['file'][:40]:40s} {row['mb']:5.2f} {row['records']:7d} " + " ".join(cells))
    big = [r for r in rows if r["mb"] * 1e6 >= BIG_BYTES and isinstance(r["fitparse"], float)]
    if big:
        worst = min(r["fitparse"] / r["analyzer.fit.fast"] for r in big)
        verdict = "meets" if worst >= TARGET_SPEEDUP else "MISSES"
        print(
            f"\nFiles >= 1 MB: analyzer.fit.fast is at least {worst:.0f}x fitparse "
            f"(target {TARGET_SPEEDUP}x: {verdict})"
        )


def bench_startup(repeats: int) -> None:
    """Wall time of a fresh interpreter importing each decoder (and decoding one small file)."""
    print("\nStart-up cost of a fresh process (median wall time)")
    base = _fresh("pass", repeats)
    print(f"  {'python -c pass':45s} {base * 1000:8.0f} ms")
    for _, stmt in DECODERS.values():
        t = _fresh(stmt, repeats)
        print(f"  {stmt:45s} {t * 1000:8.0f} ms  (+{(t - base) * 1000:.0f} ms)")
    small = CORPUS_FILES / "Activity.fit"
    if small.is_file():
        stmt = (
            f"from analyzer.fit.fast import decode; decode(open({str(small)!r}, 'rb').read(), 'a')"
        )
        t = _fresh(stmt, repeats)
        print(f"  {'import analyzer.fit.fast + decode a 1 kB file':45s} {t * 1000:8.0f} ms")


def _fresh(stmt: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", stmt], check=True, cwd=REPO)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# --- end-to-end import ----------------------------------------------------------------------


#: Layout of the simulated export: runs = BENCH_ATHLETES x weeks x BENCH_RUNS_PER_WEEK, every
#: run BENCH_RUN_MINUTES of moving time recorded every second (1,000 runs = 2 x 100 weeks x 5).
BENCH_ATHLETES = 2
BENCH_RUNS_PER_WEEK = 5
BENCH_RUN_MINUTES = 60
#: First day of the simulated export: early enough that 100 weeks end before today (runs dated
#: in the future are imported as "date unknown", which is not what the benchmark measures).
BENCH_START = "2024-06-03"


def _simulated_export(runs: int) -> Path:
    """A folder of ``runs`` simulated one-hour runs at 1 Hz, cached in the temp folder."""
    per_week = BENCH_ATHLETES * BENCH_RUNS_PER_WEEK
    weeks = max(1, -(-runs // per_week))
    if weeks * per_week != runs:
        print(f"  note: {runs} runs is not a multiple of {per_week}; simulating {weeks * per_week}")
    tag = f"{BENCH_ATHLETES}x{weeks}w{BENCH_RUNS_PER_WEEK}r{BENCH_RUN_MINUTES}m-{BENCH_START}"
    out = Path(tempfile.gettempdir()) / f"analyzer-bench-sim-{tag}"
    print(
        f"  export: {BENCH_ATHLETES} athletes x {weeks} weeks x {BENCH_RUNS_PER_WEEK} runs/week "
        f"= {weeks * per_week} runs of {BENCH_RUN_MINUTES} min moving time, 1 record/s"
    )
    if not (out / ".complete").is_file():
        print(f"  simulating into {out} (cached) ...", flush=True)
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "analyzer",
                "simulate",
                "--athletes",
                str(BENCH_ATHLETES),
                "--weeks",
                str(weeks),
                "--runs-per-week",
                str(BENCH_RUNS_PER_WEEK),
                "--run-minutes",
                str(BENCH_RUN_MINUTES),
                "--out",
                str(out),
                "--no-exports",
                "--seed",
                "7",
                "--start",
                BENCH_START,
            ],
            check=True,
            cwd=REPO,
        )
        (out / ".complete").write_text("ok")
        print(f"  simulated in {time.perf_counter() - start:.0f} s")
    return out


def _tree_sample(proc, cpu: dict[int, float]) -> int:
    """Resident memory of ``proc`` and its descendants [bytes]; records each one's CPU time
    [s] so far in ``cpu`` (by pid)."""
    import psutil

    try:
        parent = psutil.Process(proc.pid)
        procs = [parent, *parent.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error), p.oneshot():
            total += p.memory_info().rss
            times = p.cpu_times()
            cpu[p.pid] = max(cpu.get(p.pid, 0.0), times.user + times.system)
    return total


def run_sampled(cmd: list[str]) -> tuple:
    """Run ``cmd`` in the repository; ``(process, output bytes, wall [s], peak resident memory
    of its process tree [bytes], {pid: CPU seconds})``, memory sampled every 50 ms."""
    peak = 0
    cpu_by_pid: dict[int, float] = {}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_sample(proc, cpu_by_pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = proc.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    return proc, output, wall, peak, cpu_by_pid


def bench_import(runs: int, workers: int) -> Path | None:
    """Import the simulated export; returns the store (kept for the start-up benchmarks)."""
    print(f"\nEnd-to-end import of a simulated {runs}-run export (workers={workers})")
    try:
        import psutil  # noqa: F401  (the bench extra; `make bench` installs it)
    except ImportError as exc:
        print(f"  skipped: {exc}")
        return None
    folder = _simulated_export(runs)
    fits = sorted(folder.rglob("*.fit"))
    size_mb = sum(p.stat().st_size for p in fits) / 1e6
    # the store outlives this function (a temp folder, removed by main)
    store = Path(tempfile.mkdtemp(prefix="analyzer-bench-")) / "bench.duckdb"
    cmd = [
        sys.executable,
        "-m",
        "analyzer",
        "import",
        "--store",
        str(store),
        "--workers",
        str(workers),
        str(folder),
    ]
    load = os.getloadavg()[0]
    proc, output, wall, peak, cpu_by_pid = run_sampled(cmd)
    cpu = sum(cpu_by_pid.values())
    cpu_main = cpu_by_pid.get(proc.pid, 0.0)
    load_end = os.getloadavg()[0]
    summary = _store_summary(store)
    print(f"  {len(fits)} files, {size_mb:.0f} MB; exit status {proc.returncode}")
    tail = output.decode(errors="replace").strip().splitlines()[-3:]
    for line in tail:
        print(f"  | {line}")
    text, hours = summary
    print(f"  store: {text}")
    per_1000 = 1000 / max(len(fits), 1)
    print(
        f"  wall time {wall:.1f} s ({wall * per_1000:.1f} s per 1,000 runs; target <= "
        f"{TARGET_IMPORT_S} s on 2 idle cores); peak memory of the process tree "
        f"{peak / 2**20:.0f} MB (target <= {TARGET_PEAK_MB} MB)"
    )
    per_run = cpu * 1000 / max(len(fits), 1)
    print(
        f"  CPU time of the import's process tree (sampled) {cpu:.1f} s ({per_run:.0f} ms per "
        f"run): main process {cpu_main:.1f} s = {cpu_main * per_1000:.1f} s per 1,000 runs "
        f"(target <= {TARGET_MAIN_CPU_S} s), workers {cpu - cpu_main:.1f} s; 1-min load "
        f"average {load:.1f} at the start, {load_end:.1f} at the end, on {os.cpu_count()} cores"
    )
    if hours and hours == hours:
        print(
            f"  scaled linearly to 1,000 h of running: {wall * 1000 / hours:.1f} s "
            "(includes the fixed start-up, so it overstates small runs)"
        )
    from analyzer.fit import fast as fastfit
    from analyzer.fit.activity import build_activity

    decode_s = build_s = 0.0
    for path in fits:
        start = time.perf_counter()
        msgs = fastfit.decode(path.read_bytes(), path.name)
        mid = time.perf_counter()
        build_activity(msgs, activity_id="bench", source_name=path.name)
        decode_s += mid - start
        build_s += time.perf_counter() - mid
    n = max(len(fits), 1)
    print(
        "  where the time goes (same files, one process): "
        f"analyzer.fit.fast.decode {decode_s:.1f} s ({decode_s * 1000 / n:.1f} ms/run), "
        f"analyzer.fit.activity.build_activity {build_s:.1f} s ({build_s * 1000 / n:.1f} ms/run)"
    )
    return store


def _store_summary(store: Path) -> tuple[str, float]:
    try:
        from analyzer.store.database import Store

        with Store(store) as s:
            runs = s.runs()
        hours = float(runs["timer_s"].sum()) / 3600 if "timer_s" in runs else float("nan")
        mean = hours / max(len(runs), 1)
        return f"{len(runs)} runs, {hours:.0f} h of running (mean {mean:.2f} h)", hours
    except Exception as exc:  # noqa: BLE001 - the summary is informative only
        return f"(could not read the store: {exc})", float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer repeats, only files >= 1 MB, 100-run import"
    )
    parser.add_argument("--skip-import", action="store_true", help="only the decoder benchmark")
    parser.add_argument("--skip-decode", action="store_true", help="only the import benchmark")
    parser.add_argument(
        "--runs",
        type=int,
        default=None,
        help="one-hour runs to import (default 1000; a multiple of 10)",
    )
    parser.add_argument("--workers", type=int, default=2, help="import worker processes")
    parser.add_argument("--skip-report", action="store_true", help="no report benchmark")
    parser.add_argument("--skip-dask", action="store_true", help="no Dask scaling benchmark")
    parser.add_argument(
        "--skip-legacy",
        action="store_true",
        help="no fitparse/fitdecode/garmin-fit-sdk table (issue 7; slow on a loaded machine)",
    )
    parser.add_argument(
        "--cohort",
        type=int,
        default=None,
        help="athletes of the cohort run (default 2000; 0: none)",
    )
    parser.add_argument(
        "--skip-junk", action="store_true", help="no import of 100,000 non-FIT members"
    )
    parser.add_argument(
        "--apple-health",
        action="store_true",
        help="also import a simulated >= 1 GB Apple Health export.xml (issue 23; minutes; "
        "or set ANALYZER_BENCH_APPLE=1)",
    )
    args = parser.parse_args(argv)
    import issue15

    if not args.skip_decode:
        if not CORPUS_FILES.is_dir():
            print("../shared/fit-corpus is absent: decoder benchmark skipped")
        else:
            issue15.bench_end_to_end(args.quick)
            if not args.skip_legacy:
                print("\nDecoding the corpus's larger files ...")
                print_decoder_table(bench_decoders(args.quick))
                bench_startup(3 if args.quick else 5)
    store = None
    runs = args.runs or (100 if args.quick else 1000)
    if not args.skip_import:
        store = bench_import(runs, args.workers)
        from loop_bench import bench_vs_loop

        bench_vs_loop(_simulated_export(100 if args.quick else 300), args.workers)
    issue15.bench_startup_cli(store, 3 if args.quick else 5)
    if not args.skip_report:
        issue15.bench_report_parallel(store)
    if not args.skip_dask and not args.skip_import:
        issue15.bench_dask_scaling(_simulated_export(runs), 40 if args.quick else 100)
    cohort = args.cohort if args.cohort is not None else (200 if args.quick else 2000)
    if cohort:
        issue15.bench_cohort(cohort)
    if store is not None:
        import shutil

        shutil.rmtree(store.parent, ignore_errors=True)
    if not args.skip_report:
        from report_bench import bench_report

        bench_report(weeks=26 if args.quick else 104, repeats=3 if args.quick else 5)
    if not args.skip_junk:
        from junk_bench import bench_junk_export

        bench_junk_export(10_000 if args.quick else 100_000)
    if args.apple_health or os.environ.get("ANALYZER_BENCH_APPLE"):
        from apple_bench import bench_apple_health

        bench_apple_health(1.0, args.workers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
