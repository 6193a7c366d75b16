"""The writer's memory does not grow with what the store already holds.

A store is filled with 3,000 small runs (real decoded records, written through the writer
under new ids), then the same folder of simulated runs is imported into it and into an empty
store, each in a fresh process; the import's resident-memory growth must be about the same.
Not timed; the bound is generous (DuckDB's allocator is not exact).
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PREFILL_RUNS = 3000
#: Allowed extra growth of the import into the full store [MB].
SLACK_MB = 60

_IMPORT = """
import json, resource, sys
import psutil
from analyzer.store.database import Store
from analyzer import import_paths
store = Store(sys.argv[1])
before = psutil.Process().memory_info().rss
import_paths(store, [sys.argv[2]], athlete="a", workers=1)
store.close()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"growth_mb": (peak - before) / 2**20}))
"""


def _growth(db: Path, folder: Path) -> float:
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT, str(db), str(folder)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])["growth_mb"]


@pytest.mark.slow
def test_import_into_a_full_store_does_not_grow_with_the_store(tmp_path):
    pytest.importorskip("psutil")
    from analyzer.ingest.worker import decode_payload
    from analyzer.simulate import AthleteProfile, write_athlete
    from analyzer.store import writer
    from analyzer.store.database import Store

    write_athlete(AthleteProfile(name="a", seed=11, weeks=3, interval_s=10), tmp_path / "sim")
    folder = tmp_path / "sim" / "a"
    files = sorted(folder.glob("*.fit"))
    assert len(files) >= 5
    template = decode_payload(files[0].read_bytes(), files[0].name, "0" * 64)
    assert template.runs and len(template.runs[0].records) > 100

    full = tmp_path / "full.duckdb"
    with Store(full) as store:
        store.ensure_athlete("a")
        batch = []
        for i in range(PREFILL_RUNS):
            dec = copy.copy(template)
            dec.activity_id = f"{i:064x}"
            dec.name = f"prefill-{i}.fit"
            dec.runs = [copy.copy(template.runs[0])]
            dec.runs[0].run_id = f"{dec.activity_id}:0"
            batch.append(dec)
            if len(batch) == 250:
                entries = writer.write_batch(store, batch, athlete="a", import_id="prefill")
                assert all(e.outcome == "imported" for e in entries)
                batch = []
        (n_runs,) = store.con.execute("SELECT count(*) FROM runs").fetchone()
        assert n_runs == PREFILL_RUNS

    grown_full = _growth(full, folder)
    grown_empty = _growth(tmp_path / "empty.duckdb", folder)
    assert grown_full <= grown_empty + SLACK_MB, (grown_full, grown_empty)
    with Store(full) as store:  # and the import did land
        (n_runs,) = store.con.execute("SELECT count(*) FROM runs").fetchone()
    assert n_runs == PREFILL_RUNS + len(files)
