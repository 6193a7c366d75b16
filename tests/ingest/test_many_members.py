"""An export of 100,000 non-FIT members (plus a few runs) imports with bounded memory.

The progress callback runs after every member and reads the report's counts, as the CLI's
progress bar does; those are running counters (a recount per member made such an import
quadratic: 100,000 members did not finish in 4 minutes). Speed is measured in
``benchmarks/junk_bench.py``, not here.
"""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from pathlib import Path

from analyzer import import_paths
from analyzer.store.database import Store

REPO = Path(__file__).resolve().parents[2]
MEMBERS = 100_000
#: Peak Python allocation of the whole import [bytes]: the report keeps one small log entry per
#: member (about 200 bytes each with its name), nothing per member beyond that.
MAX_PEAK_BYTES = 160 << 20


def junk_export(n: int) -> bytes:
    """A zip of ``n`` tiny text members and three real runs, built in memory."""
    runs = sorted((REPO / "sample_data" / "balanced").glob("*.fit"))[:3]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for i in range(n):
            zf.writestr(f"notes/{i:06d}.txt", b"x")
        for run in runs:
            zf.writestr(f"activities/{run.name}", run.read_bytes())
    return buf.getvalue()


def test_100000_non_fit_members_import_with_bounded_memory(tmp_path):
    path = tmp_path / "export.zip"
    path.write_bytes(junk_export(MEMBERS))
    calls = []

    def progress(entry, report):
        # what the CLI reads after every file
        calls.append((report.done, report.skipped, report.imported, report.discovered))

    tracemalloc.start()
    try:
        with Store(tmp_path / "s.duckdb") as store:
            report = import_paths(store, [path], progress=progress, workers=1)
            n_log = store.con.execute("SELECT count(*) FROM import_log").fetchone()[0]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (report.imported, report.skipped, report.failed) == (3, MEMBERS, 0)
    assert report.runs == 3
    assert len(calls) == MEMBERS + 3
    assert calls[-1] == (3, MEMBERS, 3, 3)
    assert n_log == MEMBERS + 3
    assert peak < MAX_PEAK_BYTES, f"{peak / 2**20:.0f} MiB"


def test_counts_follow_appended_and_replaced_entries():
    from analyzer.ingest.importer import ImportReport
    from analyzer.store.rows import LogEntry

    report = ImportReport("i", "a", 1)
    report.entries.append(LogEntry("a.fit", "imported", n_runs=2))
    assert (report.imported, report.runs, report.done) == (1, 2, 1)
    report.entries.append(LogEntry("b.txt", "skipped"))
    assert (report.skipped, report.done) == (1, 1)
    report.entries = [LogEntry("c.fit", "failed")]
    assert (report.imported, report.failed, report.skipped, report.runs) == (0, 1, 0, 0)
