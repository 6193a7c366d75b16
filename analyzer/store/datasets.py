"""Parquet datasets and the store: append one to a store, copy a store out as one, read one
athlete's runs from one.

A dataset is one folder per table (:data:`~analyzer.store.parts.PARQUET_TABLES`) of
``part-*.parquet`` files, written by workers (:func:`~analyzer.store.parts.write_parts`, called
by :mod:`analyzer.ingest.cohort_export` on Dask) or copied out of a store (:func:`copy_out`).
:func:`append_dataset` brings one into a store in bulk SQL (DuckDB streams it, within its memory
limit); :func:`athlete_gait` gives one athlete folder's per-run gait rows, what
:func:`analyzer.analysis.cohort_risk.assess_cohort` scores on the cluster.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from analyzer.store import recordparts
from analyzer.store.parquetio import glob_literal, sql_text
from analyzer.store.rows import LogEntry
from analyzer.store.writer import AVG_COLUMNS, WATCH_COLUMNS, ident, log_rows

if TYPE_CHECKING:
    from analyzer.store.database import Store


def _source(out: Path, table: str) -> str:
    return (
        f"read_parquet({sql_text(glob_literal(out / table) + '/**/part-*.parquet')}, "
        "union_by_name = true, hive_partitioning = false)"
    )


def append_dataset(
    store: Store, out_dir: str | os.PathLike, import_id: str
) -> tuple[list[LogEntry], int]:
    """Append a Parquet dataset (written by the workers, :func:`~analyzer.store.parts.write_parts`)
    to ``store`` in one transaction; returns one ``imported`` / ``not_run`` log entry per new
    activity and the number of records added.

    Activities the store holds already are skipped; every athlete of the dataset is added.
    Runs get new ``run_key`` s; records and laps are joined to them by ``run_id``; the gait
    summaries the workers computed fill the store's cache.
    """
    out = Path(out_dir)
    entries: list[LogEntry] = []
    n_added = 0
    if not any((out / "activities").rglob("part-*.parquet")):
        return entries, n_added
    con = store.con
    con.begin()
    try:
        con.execute(
            f"CREATE TEMP TABLE _new AS SELECT * FROM {_source(out, 'activities')} "
            "WHERE activity_id NOT IN (SELECT activity_id FROM activities)"
        )
        con.execute(
            "INSERT OR IGNORE INTO athletes SELECT DISTINCT athlete, now()::TIMESTAMP FROM _new"
        )
        con.execute(
            "INSERT INTO activities BY NAME SELECT * EXCLUDE (import_id), ? AS import_id FROM _new",
            [import_id],
        )
        con.execute(
            f"CREATE TEMP TABLE _runs AS SELECT nextval('run_key_seq') AS run_key, "
            f"r.* FROM {_source(out, 'runs')} r "
            "WHERE activity_id IN (SELECT activity_id FROM _new)"
        )
        con.execute(
            "INSERT INTO runs BY NAME SELECT * EXCLUDE (gait_version, gait_json) FROM _runs"
        )
        con.execute(
            "INSERT OR REPLACE INTO gait_cache SELECT run_id, gait_version, gait_json, "
            "now()::TIMESTAMP FROM _runs WHERE gait_json IS NOT NULL AND gait_json <> 'null'"
        )
        if any((out / "laps").rglob("part-*.parquet")):
            src = f"SELECT * FROM {_source(out, 'laps')}"
            _add_columns(store, "laps", src)
            con.execute(
                "INSERT INTO laps BY NAME SELECT r.run_key, t.* EXCLUDE (run_id) "
                f"FROM ({src}) t JOIN _runs r USING (run_id)"
            )
        if any((out / "records").rglob("part-*.parquet")):
            _record_parts(store, out)
        rows = con.execute(
            "SELECT a.source_name, a.activity_id, a.n_runs, a.file_type, "
            "coalesce(sum(r.n_records), 0) FROM _new a LEFT JOIN _runs r USING (activity_id) "
            "GROUP BY ALL ORDER BY a.source_name"
        ).fetchall()
        for name, aid, n_runs, file_type, n_records in rows:
            if n_runs:
                entry = LogEntry(
                    name, "imported", f"{n_runs} runs, {n_records} records", aid, n_runs
                )
                n_added += int(n_records)
            else:
                entry = LogEntry(name, "not_run", f"not a run ({file_type})", aid)
            entries.append(entry)
        log_rows(store, entries, import_id=import_id, athlete="")
        con.execute("DROP TABLE _new")
        con.execute("DROP TABLE _runs")
        con.commit()
    except BaseException:
        con.rollback()
        store.load_columns()
        raise
    return entries, n_added


def _record_parts(store: Store, out: Path) -> None:
    """Write the new runs' records as the store's parts and register them (in the caller's
    transaction; a part left by a rollback is swept at the next open)."""
    con = store.con
    con.execute(
        f"CREATE TEMP TABLE _recs AS SELECT t.* FROM {_source(out, 'records')} t "
        "WHERE run_id IN (SELECT run_id FROM _runs)"
    )
    try:
        runs = con.execute(
            "SELECT r.run_key, r.run_id, count(*) FROM _recs JOIN _runs r USING (run_id) "
            "GROUP BY ALL ORDER BY 1"
        ).fetchall()
        rows = recordparts.copy_parts(con, store.parts_dir, "_recs", runs, by="run_id")
        recordparts.register(con, store.parts_dir, rows)
    finally:
        con.execute("DROP TABLE _recs")


def _add_columns(store: Store, table: str, src: str) -> None:
    known = store.known_columns[table]
    for name, dtype, *_ in store.con.execute(f"DESCRIBE {src}").fetchall():
        if name.lower() in known or name == "run_id":
            continue
        sql_type = _store_type(dtype)
        store.con.execute(f"ALTER TABLE {table} ADD COLUMN {ident(name)} {sql_type}")
        known[name.lower()] = sql_type


def _store_type(parquet_type: str) -> str:
    """The type a normal import gives a new column (``writer.ensure_columns``), from the type
    DuckDB reads in Parquet: times µs TIMESTAMP, integers BIGINT, numbers DOUBLE."""
    t = parquet_type.upper()
    if t.startswith("TIMESTAMP"):
        return "TIMESTAMP"
    if t == "BOOLEAN":
        return "BOOLEAN"
    if t.removeprefix("U") in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"):
        return "BIGINT"
    if t in ("FLOAT", "DOUBLE", "REAL") or t.startswith("DECIMAL"):
        return "DOUBLE"
    return "VARCHAR"


def athlete_parts(out_dir: str | os.PathLike) -> list[str]:
    """The athlete folders of a dataset's ``runs`` table (one per athlete), sorted."""
    runs = Path(out_dir) / "runs"
    return sorted(str(p) for p in runs.iterdir() if p.is_dir()) if runs.is_dir() else []


def athlete_gait(folder: str | os.PathLike) -> pd.DataFrame:
    """One athlete folder's runs as ``Store.gait()`` rows (identity, gait summary, means),
    oldest first, ``start_time`` in UTC: what :func:`analyzer.analysis.cohort_risk.assess_cohort` scores.
    Reads only the small ``runs`` parts (the workers summarised the records already)."""
    from analyzer.metrics import gait
    from analyzer.store.database import GAIT_ID_COLUMNS

    keys = gait.summary_keys()
    means = list(AVG_COLUMNS + WATCH_COLUMNS)
    runs = duckdb.sql(
        f"SELECT * FROM read_parquet({sql_text(glob_literal(folder) + '/part-*.parquet')}, "
        "union_by_name = true, hive_partitioning = false) ORDER BY start_time, run_id"
    ).df()
    summary = pd.DataFrame.from_records(
        [json.loads(g) if isinstance(g, str) else {} for g in runs["gait_json"]],
        columns=keys,
        index=runs.index,
    )
    df = pd.concat(
        [runs.reindex(columns=list(GAIT_ID_COLUMNS)), summary, runs.reindex(columns=means)],
        axis=1,
    )
    df["start_time"] = pd.to_datetime(df["start_time"]).dt.tz_localize("UTC")
    return df


def copy_out(store: Store, out: Path, athlete: str | None) -> tuple[list[LogEntry], int]:
    """Copy the store's runs, records, laps and activities (``athlete``'s only, when given) into
    the dataset folder ``out`` as one part per table; returns one ``imported`` entry per
    activity copied and the number of records."""
    where = "WHERE ru.athlete = $athlete" if athlete else ""
    params = {"athlete": athlete} if athlete else {}
    from analyzer.metrics.gait import METRIC_VERSION

    queries = {
        "runs": "SELECT ru.* EXCLUDE (run_key), g.metric_version AS gait_version, "
        "g.summary_json AS gait_json FROM runs ru LEFT JOIN gait_cache g "
        f"ON g.run_id = ru.run_id AND g.metric_version = {int(METRIC_VERSION)} {where}",
        "records": "SELECT rec.* EXCLUDE (run_key), ru.run_id FROM records rec "
        f"JOIN runs ru USING (run_key) {where}",
        "laps": "SELECT l.* EXCLUDE (run_key), ru.run_id FROM laps l "
        f"JOIN runs ru USING (run_key) {where}",
        "activities": "SELECT * FROM activities ru " + where,
    }
    part = "part-store-" + hashlib.sha256(str(store.path.resolve()).encode()).hexdigest()[:12]
    for table, sql in queries.items():
        tmp = out / table / f"{part}.parquet.tmp"
        store.con.execute(f"COPY ({sql}) TO {sql_text(tmp)} (FORMAT parquet)", params)
        os.replace(tmp, out / table / f"{part}.parquet")
    rows = store.con.execute(
        f"SELECT source_name, activity_id, n_runs FROM activities ru {where}", params
    ).fetchall()
    entries = [LogEntry(n, "imported", "exported from the store", a, r) for n, a, r in rows]
    sql = (
        "SELECT coalesce(sum(p.n_records), 0) FROM record_parts p JOIN runs ru USING (run_key) "
        f"{where}"
    )
    return entries, store.con.execute(sql, params).fetchone()[0]
