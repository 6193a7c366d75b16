"""Import of an export holding 100,000 non-FIT members (and three runs), for `make bench`.

Real exports carry thousands of JSON, CSV and GPX files beside the FIT files; each becomes a
"skipped" log entry, and the progress display reads the report's counts after every one. Those
counts were recounted from the whole log per file (20,000 junk members took 46 s instead of 8 s;
100,000 did not finish in 4 minutes); they are running counters now, so this import should be
linear in the number of members. Prints wall time and peak resident memory of ``analyzer
import`` run in a subprocess.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _export(folder: Path, members: int) -> Path:
    path = folder / f"junk-{members}.zip"
    runs = sorted((REPO / "sample_data" / "balanced").glob("*.fit"))[:3]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for i in range(members):
            zf.writestr(f"DI_CONNECT/DI-Connect-Fitness/{i:06d}_summary.json", b'{"ok": 1}')
        for run in runs:
            zf.writestr(f"activities/{run.name}", run.read_bytes())
    return path


def bench_junk_export(members: int = 100_000) -> None:
    """Import an export of ``members`` non-FIT members; print time and peak memory."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        export = _export(folder, members)
        cmd = [sys.executable, "-m", "analyzer", "import", str(export), "--workers", "1"]
        cmd += ["--store", str(folder / "store.duckdb")]
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, check=False)
        wall = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    ok = "ok" if proc.returncode == 0 else f"exit {proc.returncode}: {proc.stderr[-200:]}"
    print(
        f"Import of an export with {members:,} non-FIT members (+3 runs): {wall:.1f} s, "
        f"peak RSS {peak_mb:.0f} MB ({ok})"
    )


if __name__ == "__main__":
    bench_junk_export(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
