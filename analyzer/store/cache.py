"""The store's derived data: per-run gait summaries (cached) and averages (recomputed when their
algorithm changes). Both are computed from the stored records; a read-only store computes them
for its own use and writes nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from analyzer.store import check
from analyzer.store.frames import session_series
from analyzer.store.writer import AVG_COLUMNS, SOURCE_COLUMNS, ident, number

#: What these functions use of :class:`analyzer.store.database.Store` (which calls them).
Store = Any


def fill_gait_cache(store: Store, keys: list[int], version: int, cached: dict) -> None:
    """Summarise the runs ``keys`` missing from the gait cache into ``cached`` (and the cache,
    unless the store is read-only)."""
    from analyzer.metrics import gait
    from analyzer.schema import jsonable

    ids = {
        k: (r, src)
        for k, r, src in store.con.execute(
            "SELECT run_key, run_id, dynamics_source FROM runs"
        ).fetchall()
    }
    rows = []
    for key, records in store.records_by_key(keys):
        run_id, source = ids[key]
        payload = json.dumps(jsonable(dict(gait.summarize(records, dynamics_source=source))))
        rows.append((run_id, version, payload))
        cached[run_id] = payload
    if store.read_only:  # computed for this reader only; a writer caches them
        return
    df = pd.DataFrame(rows, columns=["run_id", "metric_version", "summary_json"])
    df["computed_at"] = pd.Timestamp.now(tz="UTC").tz_localize(None)
    store.in_transaction(
        "INSERT OR REPLACE INTO gait_cache SELECT * FROM _rows",
        df,
        ("DELETE FROM gait_cache WHERE metric_version <> ?", [version]),
    )


def refresh_averages(store: Store) -> None:
    """Recompute stored ``avg_*`` written by another version of :mod:`analyzer.metrics.averages`."""
    from analyzer.metrics.averages import run_averages, version_tag

    version = version_tag()
    stale = dict(
        store.con.execute(
            "SELECT run_key, [session_json, manufacturer, product] FROM runs "
            "WHERE avg_version IS DISTINCT FROM ?",
            [version],
        ).fetchall()
    )
    if not stale:
        return
    rows = []
    for key, records in store.records_by_key(list(stale)):
        session_json, manufacturer, product = stale[key]
        session = check.loads(session_json, store.path, "runs.session_json")
        avgs = dict(
            run_averages(
                records, session_series(session), manufacturer=manufacturer, product=product
            )
        )
        rows.append(
            [key]
            + [number(avgs.get(c)) for c in AVG_COLUMNS]
            + [avgs.get(c) for c in SOURCE_COLUMNS]
        )
    df = pd.DataFrame(rows, columns=["run_key", *AVG_COLUMNS, *SOURCE_COLUMNS])
    df = df.astype({"run_key": "int64", **dict.fromkeys(AVG_COLUMNS, "float64")})
    df[list(SOURCE_COLUMNS)] = df[list(SOURCE_COLUMNS)].astype(object)
    df["avg_version"] = version
    if store.read_only:
        # Nothing may be written: a temporary copy of the runs table, which DuckDB resolves
        # before the stored one, carries the fresh averages for this connection only.
        (db,) = store.con.execute("SELECT current_database()").fetchone()
        store.con.execute(f"CREATE TEMP TABLE runs AS SELECT * FROM {ident(db)}.main.runs")
    sets = ", ".join(f"{c} = _rows.{c}" for c in (*AVG_COLUMNS, *SOURCE_COLUMNS, "avg_version"))
    store.in_transaction(
        f"UPDATE runs SET {sets} FROM _rows WHERE runs.run_key = _rows.run_key", df
    )
