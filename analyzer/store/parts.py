"""Parquet parts: how a worker writes the rows of decoded files, and how a dataset is read back.

A dataset is one folder per table (:data:`PARQUET_TABLES`), each holding ``part-*.parquet``
files, under ``athlete=<name>/`` folders when written by :func:`write_parts`. A worker writes
every table's part of a task and ``activities`` last, so a part without its activities file is
unfinished (removed by :func:`exported`). Shared by :mod:`analyzer.ingest.parquet` (exports)
and :mod:`analyzer.ingest.cohort_export` (Dask workers).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import duckdb
import numpy as np
import pandas as pd

from analyzer.store import writer as store_write
from analyzer.store.parquetio import glob_literal, sql_text, write_parquet

if TYPE_CHECKING:
    from analyzer.store.rows import Decoded

#: The tables of an export, one folder of ``part-*.parquet`` files each. ``activities`` is
#: written last by every task: a part without its activities file is unfinished and removed.
PARQUET_TABLES = ("runs", "records", "laps", "activities")


def athlete_dir(athlete: str) -> str:
    """The folder of one athlete's parts inside a table folder (``athlete=<quoted name>``)."""
    return "athlete=" + quote(athlete, safe="")


def write_parts(decoded: list[Decoded], out_dir: str, athlete: str) -> str | None:
    """Write the rows of the decoded (not failed) payloads as one part per table, under
    ``<out_dir>/<table>/athlete=<name>/``; reduces their runs to :class:`WrittenRun` receipts.
    Returns the part's path relative to a table folder (None: nothing to write)."""
    done = [d for d in decoded if not d.failed]
    rows: dict[str, list] = {"activities": [], "runs": [], "records": [], "laps": []}
    run_ids = []
    for dec in done:
        rows["activities"].append(store_write.activity_row(dec, athlete, "parquet-export"))
        for run in dec.runs:
            key = len(run_ids)  # position in run_ids, replaced by the run_id below
            run_ids.append(run.run_id)
            row = store_write.run_row(dec, run, athlete, key)
            row["gait_version"], row["gait_json"] = run.gait_version, json.dumps(run.gait)
            rows["runs"].append(row)
            rows["records"].append(store_write.arrays(run.records, key, "record_index"))
            rows["laps"].append(store_write.arrays(run.laps, key, "lap_index"))
    rel = None
    if done:
        part = hashlib.sha256("".join(d.activity_id for d in done).encode()).hexdigest()[:24]
        rel = f"{athlete_dir(athlete)}/part-{part}.parquet"
        for table in PARQUET_TABLES:  # activities last: it marks the part as complete
            if table in ("runs", "activities"):
                df = typed(pd.DataFrame(rows[table]))
            else:
                df = store_write.stack([p for p in rows[table] if p])
            if "run_key" in df:
                if "run_id" not in df:
                    df.insert(0, "run_id", np.asarray(run_ids, dtype=object)[df["run_key"]])
                df = df.drop(columns="run_key")
            if len(df):
                path = Path(out_dir) / table / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                write_parquet(df, path)
    for dec in done:
        dec.runs = [WrittenRun(r.run_id, len(r.records)) for r in dec.runs]
    return rel


@dataclass(frozen=True)
class WrittenRun:
    """A run written to Parquet by a worker: what the import loop needs to know of it."""

    run_id: str
    n_records: int

    @property
    def records(self) -> range:  # only its length is used (ImportReport.records)
        return range(self.n_records)


def typed(df: pd.DataFrame) -> pd.DataFrame:
    """Store column types for the row tables, also where every value of a part is missing."""
    floats = {
        "distance_m",
        "timer_s",
        "elapsed_s",
        *store_write.AVG_COLUMNS,
        *store_write.WATCH_COLUMNS,
    }
    for col in df.columns:
        if col in ("start_time", "end_time", "time_created", "imported_at"):
            df[col] = pd.to_datetime(df[col])
        elif col in floats:
            df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    return df


def exported(out: Path) -> dict[str, str]:
    """``{activity_id: source_name}`` already under ``out``; removes unfinished parts."""
    acts = out / "activities"
    complete = {str(p.relative_to(acts)) for p in acts.rglob("part-*.parquet")}
    for table in PARQUET_TABLES:
        for p in (out / table).rglob("part-*.parquet*"):
            if str(p.relative_to(out / table)) not in complete or p.name.endswith(".tmp"):
                p.unlink()
    if not complete:
        return {}
    rows = duckdb.sql(
        "SELECT activity_id, source_name FROM read_parquet("
        f"{sql_text(glob_literal(acts) + '/**/part-*.parquet')}, union_by_name = true, "
        "hive_partitioning = false)"
    ).fetchall()
    return dict(rows)
