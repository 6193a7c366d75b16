"""Issue 15 figures for `make bench`: end-to-end decode against the Rust decoders, start-up,
Dask scaling, a simulated cohort and parallel reports.

Every figure is printed with the 1-minute load average at the time (``os.getloadavg``) and the
number of cores: on a shared machine the ratios measured in one run are what carry over.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS_FILES = REPO.parent / "shared" / "fit-corpus" / "files"
MIN_BENCH_BYTES = 300_000

#: Issue 15 targets.
TARGET_VS_RUST = 2.0  # read_fit end to end, x fitfast and x pyroparse
TARGET_HELP_S = 0.15
TARGET_RISK_S = 0.6  # risk / recommend as fresh processes, warm view cache (issue 24)
TARGET_REPORT_S = 1.5  # report (HTML + terminal summary), fresh process, warm view cache
TARGET_DASK_SCALING = 1.7


def load() -> str:
    """The 1-minute load average and the core count, as printed beside every figure."""
    return f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def _median(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# --- decode end to end ------------------------------------------------------------------------
def bench_end_to_end(quick: bool = False) -> None:
    """``read_fit`` (records DataFrame + metadata) against fitfast and pyroparse, same process."""
    import pandas as pd

    from analyzer.fit.activity import read_fit

    try:
        import fitfast
        import pyroparse
    except ImportError as exc:
        print(f"\nEnd-to-end decode vs the Rust decoders: skipped ({exc}; pip install '.[bench]')")
        return

    def ours(data: bytes) -> None:
        act = read_fit(data, name="bench", decoder="fast")
        act.records, act.meta  # noqa: B018 - what a caller gets

    def rust_fitfast(data: bytes) -> None:
        pd.DataFrame(fitfast.records(data))  # records only, as a DataFrame: less work than ours

    def rust_pyroparse(data: bytes) -> None:
        # multi-activity files are refused by load_fit; read_fit's record table is the fallback
        try:
            pyroparse.Activity.load_fit(io.BytesIO(data), missing="ignore")
        except pyroparse.MultipleActivitiesError:
            pyroparse.read_fit(io.BytesIO(data), missing="ignore").to_pandas()

    files = sorted(
        (p for p in CORPUS_FILES.glob("*.fit*") if p.stat().st_size >= MIN_BENCH_BYTES),
        key=lambda p: -p.stat().st_size,
    )
    from analyzer.fit.fast import _compiled

    def python_walk(data: bytes) -> None:
        os.environ[_compiled.PURE_ENV] = "1"
        try:
            ours(data)
        finally:
            del os.environ[_compiled.PURE_ENV]

    repeats = 3 if quick else 7
    walk = "compiled" if _compiled.compiled_walk() else "Python (no compiled walk built)"
    print(
        f"\nread_fit end to end vs fitfast and pyroparse (median of {repeats}; header walk: "
        f"{walk}; 'py walk': read_fit with the Python walk; {load()})"
    )
    print(
        f"  {'file':42s} {'kB':>6s} {'read_fit':>10s} {'py walk':>10s} {'fitfast':>10s} "
        f"{'pyroparse':>10s}  ratios"
    )
    worst = {"fitfast": float("inf"), "pyroparse": float("inf")}
    for path in files:
        data = path.read_bytes()
        if path.name.endswith(".gz"):
            data = gzip.decompress(data)
        elif path.suffix == ".zip":
            continue
        try:
            ours(data)
        except Exception as exc:  # noqa: BLE001 - a broken corpus file is named and skipped
            print(f"  {path.name[:42]:42s} skipped: {type(exc).__name__}")
            continue
        t = {"read_fit": _median(lambda d=data: ours(d), repeats)}
        t["py walk"] = _median(lambda d=data: python_walk(d), repeats)
        for name, fn in (("fitfast", rust_fitfast), ("pyroparse", rust_pyroparse)):
            try:
                fn(data)
                t[name] = _median(lambda d=data, f=fn: f(d), repeats)
            except Exception:  # noqa: BLE001 - a library failing on a file is a result
                t[name] = float("nan")
        ratios = {k: t[k] / t["read_fit"] for k in worst}
        for k, r in ratios.items():
            if r == r:
                worst[k] = min(worst[k], r)
        print(
            f"  {path.name[:42]:42s} {len(data) / 1e3:6.0f} "
            + " ".join(
                f"{t[k] * 1e3:8.1f}ms" for k in ("read_fit", "py walk", "fitfast", "pyroparse")
            )
            + f"  {ratios['fitfast']:4.2f}x fitfast, {ratios['pyroparse']:4.2f}x pyroparse"
        )
    for k, w in worst.items():
        verdict = "meets" if w >= TARGET_VS_RUST else "MISSES"
        print(f"  worst file: read_fit is {w:.2f}x {k} (target {TARGET_VS_RUST}x: {verdict})")
    print(f"  ({load()} at the end)")


# --- start-up -----------------------------------------------------------------------------------
def _cli_wall(args: list[str], repeats: int) -> float:
    cmd = [sys.executable, "-m", "analyzer", *args]
    return _median(lambda: subprocess.run(cmd, check=True, cwd=REPO, capture_output=True), repeats)


def bench_startup_cli(store: Path | None, repeats: int = 5) -> None:
    """Wall time of ``analyzer --help`` and of ``risk``/``recommend``/``report`` on the bench
    store as fresh processes: warm (the views saved beside the store by a first call) and cold
    (``ANALYZER_VIEW_CACHE=0``: the whole analysis every time), interleaved."""
    # Byte-compile the package first, as an installer does: with PYTHONDONTWRITEBYTECODE set
    # (some containers set it) every fresh process would otherwise compile it from source.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "analyzer")], check=True)
    print(f"\nCLI start-up (median of {repeats} fresh processes; {load()})")
    base = _median(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), repeats)
    print(f"  python -c pass                         {base * 1000:7.0f} ms (the interpreter alone)")
    t = _cli_wall(["--help"], repeats)
    print(
        f"  analyzer --help                        {t * 1000:7.0f} ms (target <= "
        f"{TARGET_HELP_S * 1000:.0f} ms: {'meets' if t <= TARGET_HELP_S else 'MISSES'}; "
        f"{(t - base) * 1000:.0f} ms above the interpreter)"
    )
    if store is None:
        print("  risk / recommend: skipped (no 1,000-run store: run without --skip-import)")
        return
    from analyzer.store.database import Store
    from analyzer.store.viewcache import RACY_S

    with Store(store) as s:
        n = len(s.runs())
        s.gait()  # the import filled the gait cache; make sure (a user's first call would)
    time.sleep(RACY_S)  # a store state younger than this is never saved (viewcache)
    out = Path(tempfile.mkdtemp(prefix="analyzer-bench-report-")) / "report.html"
    cold_env = {**os.environ, "ANALYZER_VIEW_CACHE": "0"}
    commands = {
        "risk": (["risk", "--store", str(store)], TARGET_RISK_S),
        "recommend": (["recommend", "--store", str(store)], TARGET_RISK_S),
        "report": (["report", "--store", str(store), "--out", str(out)], TARGET_REPORT_S),
    }
    for name, (args, target) in commands.items():
        cmd = [sys.executable, "-m", "analyzer", *args]
        subprocess.run(cmd, check=True, cwd=REPO, capture_output=True)  # saves the views
        cold, warm = [], []
        for _ in range(repeats):  # interleaved: both see the same load
            for env, times in ((cold_env, cold), (None, warm)):
                start = time.perf_counter()
                subprocess.run(cmd, check=True, cwd=REPO, capture_output=True, env=env)
                times.append(time.perf_counter() - start)
        w, c = statistics.median(warm), statistics.median(cold)
        verdict = "meets" if w <= target else "MISSES"
        print(
            f"  analyzer {name:10s} ({n} runs) warm {w * 1000:6.0f} ms, cold {c * 1000:6.0f} ms "
            f"(target warm <= {target * 1000:.0f} ms: {verdict}; {load()})"
        )


# --- Dask ---------------------------------------------------------------------------------------
def _export(folder: Path, n_workers: int) -> tuple[float, int]:
    import distributed

    from analyzer.ingest.cohort_export import export_cohort

    with (
        distributed.LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
        tempfile.TemporaryDirectory() as tmp,
    ):
        client.run(lambda: __import__("analyzer.fit.activity"))  # workers warm, like a cluster
        start = time.perf_counter()
        report = export_cohort({"bench": [folder]}, tmp, client=client, batch=4)
        return time.perf_counter() - start, report.imported


def bench_dask_scaling(folder: Path, runs: int) -> None:
    """Throughput of the path-based Parquet export on a LocalCluster, 1 worker vs 2."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        print("\nDask scaling: skipped (pip install '.[dask]')")
        return
    files = sorted(folder.rglob("*.fit"))[:runs]
    with tempfile.TemporaryDirectory() as tmp:
        sub = Path(tmp) / "in"
        sub.mkdir()
        for p in files:  # hard links: an import does not follow symbolic links out of a folder
            try:
                os.link(p, sub / p.name)
            except OSError:
                shutil.copyfile(p, sub / p.name)
        print(f"\nDask: export_cohort of {len(files)} one-hour runs, LocalCluster ({load()})")
        one, n1 = _export(sub, 1)
        print(f"  1 worker : {one:6.1f} s ({n1 / one:5.1f} runs/s; {load()})")
        two, n2 = _export(sub, 2)
        print(f"  2 workers: {two:6.1f} s ({n2 / two:5.1f} runs/s; {load()})")
    ratio = one / two
    verdict = "meets" if ratio >= TARGET_DASK_SCALING else "MISSES"
    print(
        f"  2 workers / 1 worker throughput: {ratio:.2f}x (target {TARGET_DASK_SCALING}x: {verdict})"
    )


def bench_cohort(athletes: int, workers: int = 2) -> None:
    """A simulated cohort (small runs) exported and assessed on a LocalCluster; the client's
    peak memory (ru_maxrss of this process: the cluster runs in other processes)."""
    import resource

    import distributed

    from analyzer.analysis.cohort_risk import assess_cohort
    from analyzer.ingest.cohort_export import export_cohort
    from analyzer.simulate import AthleteProfile, write_athlete
    from analyzer.store.datasets import athlete_gait, athlete_parts

    root = Path(tempfile.gettempdir()) / f"analyzer-bench-cohort-{athletes}"
    if not (root / ".complete").is_file():
        print(f"  simulating {athletes} athletes into {root} (cached) ...", flush=True)
        for i in range(athletes):
            prof = AthleteProfile(name=f"a{i:05d}", seed=i, weeks=2, interval_s=30)
            write_athlete(prof, root)
        (root / ".complete").write_text("ok")
    folders = {p.name: [p] for p in sorted(root.iterdir()) if p.is_dir()}
    print(f"\nCohort: {len(folders)} simulated athletes, {workers} workers ({load()})")
    out = Path(tempfile.mkdtemp(prefix="analyzer-cohort-"))
    try:
        with (
            distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            start = time.perf_counter()
            report = export_cohort(folders, out, client=client)
            mid = time.perf_counter()
            table = assess_cohort(client, athlete_parts(out), athlete_gait)
            end = time.perf_counter()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        scored = int(table["index"].notna().sum())
        print(
            f"  export {mid - start:.0f} s ({report.imported} files, {report.records:,} records), "
            f"assessment {end - mid:.0f} s ({scored} of {len(table)} athletes scored); "
            f"client peak RSS {peak:.0f} MB ({load()})"
        )
    finally:
        shutil.rmtree(out, ignore_errors=True)


# --- report --all ---------------------------------------------------------------------------------
def bench_report_parallel(store: Path | None, copies: int = 4) -> None:
    """Render ``copies`` athlete reports serially and in the process pool (report --all)."""
    if store is None:
        return
    from analyzer import report
    from analyzer.store.database import Store

    with Store(store) as s:
        data = report.build(s, s.athletes()[0])
    with tempfile.TemporaryDirectory() as tmp:
        jobs = [(data, Path(tmp) / f"a{i}.html") for i in range(copies)]
        print(f"\nreport --all rendering of {copies} athletes ({load()})")
        one = _median(lambda: report.write_athletes(jobs, workers=1), 1)
        print(f"  serial     {one:6.1f} s ({load()})")
        two = _median(lambda: report.write_athletes(jobs, workers=os.cpu_count()), 1)
        print(f"  pool of {os.cpu_count()} {two:6.1f} s ({one / two:.2f}x; {load()})")
