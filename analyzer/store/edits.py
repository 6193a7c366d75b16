"""Fixing mistakes in the store: rename, merge and delete athletes, delete runs.

Each edit is ONE transaction over every table that names the athlete or the run (athletes,
activities, runs, record_parts, laps, gait_cache, import_log), so an interruption leaves the
store as it was; the deleted runs' record files are removed once it has committed (a crash
before that leaves them to :func:`analyzer.store.recordparts.sweep`). Deleting removes the file's activity row too, so that importing the same file again
imports it afresh (the import skips only files whose activity is in the store), and its
import-log rows, so that the log never reports as imported something the store no longer
holds. The gait cache is keyed by run id and holds nothing about the athlete, so renames and
merges leave it as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from analyzer.errors import NotFound, StoreError
from analyzer.store import check, recordparts

#: What these functions use of :class:`analyzer.store.database.Store` (which calls them).
Store = Any
#: Tables with an ``athlete`` column, rewritten by a rename or a merge.
_ATHLETE_TABLES = ("activities", "runs", "import_log")
#: Training-diary tables (:mod:`analyzer.store.diary`, created on first use) with an athlete.
_DIARY_TABLES = ("diary_exercise", "diary_pain")


@dataclass(frozen=True)
class Deleted:
    """What a delete removed: files (activities), runs and records."""

    activities: int
    runs: int
    records: int
    run_ids: tuple[str, ...] = ()


def athlete_summary(store: Store) -> pd.DataFrame:
    """One row per athlete, by name: ``athlete``, ``runs``, ``first_run`` and ``last_run``
    (UTC start times, NaT without runs) and ``first_date`` / ``last_date`` (those runs' dates
    on their own clock, ``YYYY-MM-DD``; a run without an offset takes the athlete's usual one,
    as ``Store.runs`` does)."""
    usual = "(SELECT mode(u.utc_offset_s) FROM runs u WHERE u.athlete = a.athlete)"
    local = f"r.start_time + to_seconds(coalesce(r.utc_offset_s, {usual}, 0))"
    df = store.con.execute(
        "SELECT a.athlete, count(r.run_id) AS runs, min(r.start_time) AS first_run, "
        f"max(r.start_time) AS last_run, arg_min({local}, r.start_time) AS first_local, "
        f"arg_max({local}, r.start_time) AS last_local "
        "FROM athletes a LEFT JOIN runs r USING (athlete) GROUP BY a.athlete ORDER BY a.athlete"
    ).df()
    for col in ("first_run", "last_run"):
        df[col] = pd.to_datetime(df[col]).dt.tz_localize("UTC")
    for col, src in (("first_date", "first_local"), ("last_date", "last_local")):
        df[col] = pd.to_datetime(df.pop(src)).dt.strftime("%Y-%m-%d")
    df["runs"] = df["runs"].astype("int64")
    return df


def rename_athlete(store: Store, old: str, new: str) -> int:
    """Give athlete ``old`` the name ``new`` (which must be free); returns their run count."""
    _known(store, old)
    if not new.strip() or not new.isprintable():
        raise StoreError(f"{new!r} is not an athlete name (empty, or with control characters)")
    if new == old:
        return _run_count(store, old)
    if new in store.athletes():
        raise StoreError(
            f"an athlete named {new!r} is already in {store.path}; to put the runs of {old!r} "
            f"with theirs, merge: `analyzer athletes merge {old} {new}`"
        )
    with _transaction(store) as con:
        # A primary key is not updated in place (DuckDB applies index updates as delete +
        # insert, which it refuses inside one statement): add the new row, drop the old one.
        con.execute(
            "INSERT INTO athletes SELECT ?, created_at FROM athletes WHERE athlete = ?", [new, old]
        )
        _move(con, old, new)
        _move_plans(con, old, new)
        con.execute("DELETE FROM athletes WHERE athlete = ?", [old])
    return _run_count(store, new)


def merge_athletes(store: Store, source: str, target: str) -> int:
    """Move every run of ``source`` to ``target`` and remove ``source``; returns the moved runs."""
    _known(store, source)
    _known(store, target)
    if source == target:
        raise StoreError(f"cannot merge athlete {source!r} into itself")
    moved = _run_count(store, source)
    with _transaction(store) as con:
        _move(con, source, target)
        _move_plans(con, source, target)
        con.execute("DELETE FROM athletes WHERE athlete = ?", [source])
    return moved


def delete_athlete(store: Store, athlete: str) -> Deleted:
    """Remove an athlete with every file, run, record, lap, cached summary and log row."""
    _known(store, athlete)
    ids = [
        r
        for (r,) in store.con.execute(
            "SELECT activity_id FROM activities WHERE athlete = ?", [athlete]
        ).fetchall()
    ]
    with _transaction(store) as con:
        deleted, files = _delete_activities(con, ids)
        con.execute("DELETE FROM import_log WHERE athlete = ?", [athlete])
        for table in _DIARY_TABLES + ("plans",):
            if table in check.tables(con):
                con.execute(f"DELETE FROM {table} WHERE athlete = ?", [athlete])
        con.execute("DELETE FROM athletes WHERE athlete = ?", [athlete])
    recordparts.remove(store.parts_dir, files)  # after the commit
    return deleted


def delete_run(store: Store, run_id: str) -> Deleted:
    """Remove a run with the file it came from (and that file's other runs, if any).

    A file is the unit of import: removing the whole file is what lets it be imported again.
    """
    _writable(store)
    row = store.con.execute("SELECT activity_id FROM runs WHERE run_id = ?", [run_id]).fetchone()
    if row is None:
        raise NotFound(
            f"no run with id {run_id!r} in {store.path}; `analyzer runs --json` lists the ids"
        )
    with _transaction(store) as con:
        deleted, files = _delete_activities(con, [row[0]])
    recordparts.remove(store.parts_dir, files)  # after the commit
    return deleted


# --------------------------------------------------------------------------------------------
def _known(store: Store, athlete: str) -> None:
    _writable(store)
    store.resolve_athlete(athlete)  # NotFound naming the known athletes


def _writable(store: Store) -> None:
    if store.read_only:
        raise StoreError(f"{store.path}: opened read-only; open it for writing to edit it")


def _run_count(store: Store, athlete: str) -> int:
    sql = "SELECT count(*) FROM runs WHERE athlete = ?"
    return store.con.execute(sql, [athlete]).fetchone()[0]


def _move(con, source: str, target: str) -> None:
    present = check.tables(con)
    for table in _ATHLETE_TABLES + tuple(t for t in _DIARY_TABLES if t in present):
        con.execute(f"UPDATE {table} SET athlete = ? WHERE athlete = ?", [target, source])


def _move_plans(con, source: str, target: str) -> None:
    """Stored plans keyed (athlete, version): ``source``'s follow ``target``'s in version."""
    if "plans" not in check.tables(con):
        return
    (top,) = con.execute(
        "SELECT coalesce(max(version), 0) FROM plans WHERE athlete = ?", [target]
    ).fetchone()
    con.execute(
        "INSERT INTO plans SELECT ?, version + ?, start_date, plan_json, created_at FROM plans "
        "WHERE athlete = ?",
        [target, top, source],
    )
    con.execute("DELETE FROM plans WHERE athlete = ?", [source])


def _delete_activities(con, activity_ids: list[str]) -> tuple[Deleted, list[str]]:
    """Delete the activities with their runs (in the caller's transaction); returns what was
    deleted and the record files to remove after the commit."""
    if not activity_ids:
        return Deleted(0, 0, 0), []
    runs = con.execute(
        "SELECT run_id, run_key FROM runs WHERE list_contains(?::VARCHAR[], activity_id) "
        "ORDER BY start_time, run_id",
        [activity_ids],
    ).fetchall()
    keys = [k for _, k in runs]
    run_ids = [r for r, _ in runs]
    files, records = recordparts.unregister(con, keys)
    con.execute("DELETE FROM laps WHERE list_contains(?::BIGINT[], run_key)", [keys])
    con.execute("DELETE FROM gait_cache WHERE list_contains(?::VARCHAR[], run_id)", [run_ids])
    for table in ("runs", "activities", "import_log"):
        con.execute(
            f"DELETE FROM {table} WHERE list_contains(?::VARCHAR[], activity_id)", [activity_ids]
        )
    return Deleted(len(activity_ids), len(run_ids), int(records), tuple(run_ids)), files


class _transaction:
    """``with _transaction(store) as con``: commit at the end, roll back on any exception."""

    def __init__(self, store: Store):
        _writable(store)
        self.con = store.con

    def __enter__(self):
        self.con.begin()
        return self.con

    def __exit__(self, exc_type, *_: object) -> None:
        if exc_type is None:
            self.con.commit()
        else:
            self.con.rollback()
