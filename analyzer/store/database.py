"""The local store: one DuckDB file holding athletes, activities, runs, records, laps, the import
log and a cache of per-run gait summaries.

Tables (all timestamps are UTC, stored without a zone and handed out zone-aware):

- ``athletes(athlete, created_at)``
- ``activities``: one row per imported FIT payload (runs or not), keyed by ``activity_id`` =
  sha256 of its bytes, so importing the same file again is a no-op.
- ``runs``: one row per running session, ``run_id = f"{activity_id}:{session_index}"``, with the
  per-run averages computed from the records (``avg_*``, :mod:`analyzer.metrics.averages`) and the
  watch's own session averages (``watch_avg_*``). ``run_key`` is a dense integer used to key
  records and laps (DuckDB's zone maps then find one run's records without scanning).
- ``records``: contract columns (:data:`analyzer.schema.RECORD_COLUMNS` + Stryd and any other
  numeric columns, added on first sight) with ``run_key`` and ``record_index``.
- ``laps``: whatever lap columns the decoder provides, with ``run_key`` and ``lap_index``.
- ``import_log``: every payload's outcome (imported / duplicate / not_run / failed / skipped)
  with the reason, per import.
- ``gait_cache``: :func:`analyzer.metrics.gait.summarize` per run, keyed by (run_id, METRIC_VERSION).

Each activity (its row, runs, records, laps, log line) is written inside ONE transaction
(:mod:`analyzer.store.writer`; a transaction may carry several whole activities): an interrupted
import leaves whole activities or nothing, and re-running it skips what is already there.

Only one process can have the file open for writing at a time (DuckDB's file lock); a second
one gets a :class:`~analyzer.errors.StoreError` saying so.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from analyzer.errors import NotFound, StoreError
from analyzer.schema import RECORD_COLUMNS, STRYD_COLUMNS
from analyzer.store import check
from analyzer.store.frames import contract_records, empty_records, session_series, utc
from analyzer.store.writer import (
    ADDED_COLUMNS,
    AVG_COLUMNS,
    FLAG_COLUMNS,
    WATCH_COLUMNS,
    bounded_memory,
    log_rows,
    number,
    write_batch,
)

if TYPE_CHECKING:
    from analyzer.ingest.importer import ImportReport, LogEntry
    from analyzer.ingest.worker import Decoded

SCHEMA_VERSION = "1"
#: Columns of :meth:`Store.runs` before the averages.
RUN_ID_COLUMNS = (
    "run_id",
    "activity_id",
    "session_index",
    "athlete",
    "source_name",
    "start_time",
    "end_time",
    "sport",
    "sub_sport",
    "device",
    "manufacturer",
    "product",
    "dynamics_source",
    "dynamics_sensor",
    "has_dynamics",
    "distance_m",
    "timer_s",
    "elapsed_s",
    "n_records",
    "decoder",
) + FLAG_COLUMNS
#: Identity columns that start every row of :meth:`Store.gait`.
GAIT_ID_COLUMNS = ("run_id", "athlete", "start_time", "dynamics_source", "distance_m", "timer_s")
_RUNS_PER_QUERY = 64

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS store_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE SEQUENCE IF NOT EXISTS run_key_seq START 1;
CREATE TABLE IF NOT EXISTS athletes (athlete VARCHAR PRIMARY KEY, created_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS activities (
    activity_id VARCHAR PRIMARY KEY, athlete VARCHAR NOT NULL, source_name VARCHAR,
    size_bytes BIGINT, file_type VARCHAR, sports VARCHAR, n_runs INTEGER,
    time_created TIMESTAMP, manufacturer VARCHAR, product VARCHAR, serial_number VARCHAR,
    software_version VARCHAR, dynamics_source VARCHAR, dynamics_sensor VARCHAR,
    developer_apps VARCHAR, decoder VARCHAR, meta_json VARCHAR, import_id VARCHAR,
    imported_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY, run_key BIGINT NOT NULL, activity_id VARCHAR NOT NULL,
    session_index INTEGER, athlete VARCHAR, source_name VARCHAR, start_time TIMESTAMP,
    end_time TIMESTAMP, sport VARCHAR, sub_sport VARCHAR, device VARCHAR, manufacturer VARCHAR,
    product VARCHAR, dynamics_source VARCHAR, dynamics_sensor VARCHAR, has_dynamics BOOLEAN,
    distance_m DOUBLE, timer_s DOUBLE, elapsed_s DOUBLE, n_records INTEGER, decoder VARCHAR,
    {", ".join(f"{c} DOUBLE" for c in AVG_COLUMNS + WATCH_COLUMNS)},
    avg_version VARCHAR, session_json VARCHAR);
CREATE TABLE IF NOT EXISTS records (
    run_key BIGINT NOT NULL, record_index INTEGER NOT NULL, timestamp TIMESTAMP,
    {", ".join(f"{c} DOUBLE" for c in list(RECORD_COLUMNS)[1:] + list(STRYD_COLUMNS))});
CREATE TABLE IF NOT EXISTS laps (run_key BIGINT NOT NULL, lap_index INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS import_log (
    import_id VARCHAR, logged_at TIMESTAMP, athlete VARCHAR, source_name VARCHAR,
    outcome VARCHAR, detail VARCHAR, activity_id VARCHAR, n_runs INTEGER);
CREATE TABLE IF NOT EXISTS gait_cache (
    run_id VARCHAR, metric_version INTEGER, summary_json VARCHAR, computed_at TIMESTAMP,
    PRIMARY KEY (run_id, metric_version));
{ADDED_COLUMNS}"""


class Store:
    """An analyzer database (a DuckDB file), opened read-write; use as a context manager.

    Parameters
    ----------
    path : path-like
        The DuckDB file; created (with its folder) when missing.

    Raises
    ------
    StoreError
        When the file cannot be opened: not a DuckDB file, or locked by another process.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        had_wal = check.wal_path(self.path).exists()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.con = duckdb.connect(str(self.path))
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise StoreError(
                    f"{self.path}: the store is in use by another process (an import still "
                    "running?); try again when it has finished"
                ) from None
            raise StoreError(f"{self.path}: cannot open the store ({exc})") from None
        except (duckdb.Error, OSError) as exc:
            if "replaying WAL" in str(exc):
                raise check.damaged(self.path, f"its write-ahead log is corrupt ({exc})") from None
            raise StoreError(f"{self.path}: cannot open the store ({exc})") from None
        self._columns: dict[str, dict[str, str]] = {}
        try:
            check.check_replayed(self.con, self.path, had_wal)
            self._init_schema()
        except StoreError:
            self.close()
            raise

    # -- lifecycle --------------------------------------------------------------------------
    def _init_schema(self) -> None:
        # now() is stored as zone-less UTC; DuckDB would otherwise use the machine's zone (and
        # without its ICU extension its clock is UTC already).
        with contextlib.suppress(duckdb.Error):
            self.con.execute("SET TimeZone = 'UTC'")
        try:
            check.check_existing(self.con, self.path)
            self.con.execute(_SCHEMA)
            self.con.execute(
                "INSERT OR IGNORE INTO store_meta VALUES ('schema_version', ?)", [SCHEMA_VERSION]
            )
            (version,) = self.con.execute(
                "SELECT value FROM store_meta WHERE key = 'schema_version'"
            ).fetchone()
        except duckdb.Error as exc:
            raise StoreError(f"{self.path}: not an analyzer store ({exc})") from None
        if version != SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: store schema version {version}, this analyzer reads version "
                f"{SCHEMA_VERSION}; import into a new store"
            )
        check.check_columns(self.con, self.path, _SCHEMA)
        self._load_columns()

    def _load_columns(self) -> None:
        """Cache the columns of the tables that grow new columns (records, laps)."""
        for table in ("records", "laps"):
            rows = self.con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = ?",
                [table],
            ).fetchall()
            self._columns[table] = {name.lower(): dtype for name, dtype in rows}

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if getattr(self, "con", None) is not None:
            self.con.close()
            self.con = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # -- import -----------------------------------------------------------------------------
    def import_paths(
        self,
        paths,
        *,
        athlete: str | None = None,
        progress=None,
        workers: int | None = None,
        **options: Any,
    ) -> ImportReport:
        """Import files, folders and export archives; see :func:`analyzer.ingest.importer.run_import`.

        ``options`` may hold ``limits`` (:class:`analyzer.ingest.sources.Limits`), ``decoder``
        and ``strict`` (fail damaged files instead of importing them as partial runs).
        """
        from analyzer.ingest.importer import run_import

        with bounded_memory(self.con):
            return run_import(
                self, paths, athlete=athlete, progress=progress, workers=workers, **options
            )

    def ensure_athlete(self, athlete: str) -> None:
        """Add ``athlete`` to the athletes table when new."""
        self.con.execute("INSERT OR IGNORE INTO athletes VALUES (?, now()::TIMESTAMP)", [athlete])

    def known_activities(self) -> dict[str, str]:
        """``{activity_id: source_name}`` of every activity in the store."""
        return dict(self.con.execute("SELECT activity_id, source_name FROM activities").fetchall())

    def log_entries(self, entries: list[LogEntry], *, import_id: str, athlete: str) -> None:
        """Append entries (not tied to a stored activity) to the import log."""
        log_rows(self, entries, import_id=import_id, athlete=athlete)

    def write_activity(self, dec: Decoded, *, athlete: str, import_id: str) -> LogEntry:
        """Write one decoded activity (its row, runs, records, laps, log line) in one transaction.

        Returns its log entry: ``imported`` or ``not_run``, or ``failed`` when the database
        refused the data (then nothing of it was kept).
        """
        return write_batch(self, [dec], athlete=athlete, import_id=import_id)[0]

    def write_batch(self, batch: list[Decoded], *, athlete: str, import_id: str) -> list[LogEntry]:
        """Write several decoded activities in one transaction; see :mod:`analyzer.store.writer`."""
        return write_batch(self, batch, athlete=athlete, import_id=import_id)

    # -- queries ----------------------------------------------------------------------------
    def athletes(self) -> list[str]:
        """Athlete names, sorted."""
        return [
            r[0] for r in self.con.execute("SELECT athlete FROM athletes ORDER BY 1").fetchall()
        ]

    def resolve_athlete(self, athlete: str | None) -> str:
        """``athlete`` if known; when None, the store's only athlete.

        Raises
        ------
        NotFound
            Unknown name, an empty store, or several athletes and none named.
        """
        names = self.athletes()
        if athlete is not None:
            if athlete not in names:
                known = ", ".join(names) or "none yet"
                raise NotFound(f"no athlete named {athlete!r} in {self.path} (known: {known})")
            return athlete
        if len(names) == 1:
            return names[0]
        if not names:
            raise NotFound(f"{self.path} holds no runs yet; run `analyzer import PATH` first")
        raise NotFound(
            f"{self.path} holds several athletes ({', '.join(names)}); pick one with --athlete"
        )

    def runs(self, athlete: str | None = None) -> pd.DataFrame:
        """One row per run, oldest first: identity, totals, ``avg_*`` and ``watch_avg_*``.

        Raises
        ------
        NotFound
            When ``athlete`` is given and not in the store.
        """
        if athlete is not None:
            self.resolve_athlete(athlete)
        self._refresh_averages()
        cols = RUN_ID_COLUMNS + AVG_COLUMNS + WATCH_COLUMNS
        where, params = ("WHERE athlete = ?", [athlete]) if athlete is not None else ("", [])
        df = self.con.execute(
            f"SELECT {', '.join(cols)} FROM runs {where} ORDER BY start_time, run_id", params
        ).df()
        return utc(df, ("start_time", "end_time"))

    def records(self, run_id: str) -> pd.DataFrame:
        """The records of one run in contract columns (UTC ``timestamp``), in file order.

        Raises
        ------
        NotFound
            When no run has this id.
        """
        key = self._run_key(run_id)
        return next(self._records_by_key([key]))[1]

    def laps(self, run_id: str) -> pd.DataFrame:
        """The laps of one run, in order (columns as the decoder gave them)."""
        key = self._run_key(run_id)
        df = self.con.execute("SELECT * FROM laps WHERE run_key = ? ORDER BY lap_index", [key]).df()
        df = df.drop(columns=["run_key", "lap_index"]).dropna(axis=1, how="all")
        return utc(df, [c for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c])])

    def developer_fields(self, athlete: str | None = None) -> pd.DataFrame:
        """Developer (third-party) fields seen in the imported activities, one row per
        activity and field: activity_id, application_id, field_number, name, units and
        ``column`` (the contract column it was mapped to, or None). Names and units are the
        file's own strings: escape them before showing them in HTML.
        """
        if athlete is not None:
            self.resolve_athlete(athlete)
        where, params = ("WHERE athlete = ?", [athlete]) if athlete is not None else ("", [])
        rows = self.con.execute(
            f"SELECT activity_id, meta_json FROM activities {where} ORDER BY activity_id", params
        ).fetchall()
        cols = ["activity_id", "application_id", "field_number", "name", "units", "column"]
        out = [
            {"activity_id": aid, **field}
            for aid, meta in rows
            for field in (
                check.loads(meta, self.path, "activities.meta_json").get("developer_fields") or []
            )
        ]
        return pd.DataFrame(out, columns=cols)

    def masked_samples(self, athlete: str | None = None) -> dict[str, int]:
        """Record values set aside as implausible at import, per column, summed over the
        activities (:mod:`analyzer.fit.plausible`; ``meta["masked_samples"]`` of each)."""
        if athlete is not None:
            self.resolve_athlete(athlete)
        where, params = ("WHERE athlete = ?", [athlete]) if athlete is not None else ("", [])
        rows = self.con.execute(f"SELECT meta_json FROM activities {where}", params).fetchall()
        total: dict[str, int] = {}
        for (meta,) in rows:
            masked = check.loads(meta, self.path, "activities.meta_json").get("masked_samples")
            for column, n in (masked or {}).items():
                total[column] = total.get(column, 0) + int(n)
        return dict(sorted(total.items()))

    def import_log(self, import_id: str | None = None) -> pd.DataFrame:
        """The import log (every payload's outcome and reason), oldest first."""
        where, params = ("WHERE import_id = ?", [import_id]) if import_id else ("", [])
        df = self.con.execute(f"SELECT * FROM import_log {where} ORDER BY logged_at", params).df()
        return utc(df, ("logged_at",))

    def gait(self, athlete: str | None = None, *, undated: bool = False) -> pd.DataFrame:
        """One row per run: :data:`GAIT_ID_COLUMNS`, :func:`analyzer.metrics.gait.summarize`, then the
        watch-style means (``avg_*``, :func:`analyzer.metrics.averages.run_averages`) beside the watch's
        own session averages (``watch_avg_*``), so one frame holds the robust medians and the
        numbers that can be checked against the device.

        Runs flagged ``date_unknown`` are left out unless ``undated`` (this feeds load and
        baselines). Summaries are cached per (run_id, ``gait.METRIC_VERSION``), recomputed on change.
        """
        from analyzer.metrics import gait

        version = int(gait.METRIC_VERSION)
        if athlete is not None:
            self.resolve_athlete(athlete)
        self._refresh_averages()
        where, params = ("WHERE athlete = ?", [athlete]) if athlete is not None else ("", [])
        if not undated:
            # The one place where runs without a usable date leave load, trends and baselines.
            where = f"{where} {'AND' if where else 'WHERE'} NOT coalesce(date_unknown, false)"
        means = AVG_COLUMNS + WATCH_COLUMNS
        runs = self.con.execute(
            f"SELECT run_key, {', '.join((*GAIT_ID_COLUMNS, *means))} FROM runs {where} "
            "ORDER BY start_time, run_id",
            params,
        ).df()
        cached = {  # (a row that does not parse is recomputed: the cache derives from records)
            run_id: text
            for run_id, text in self.con.execute(
                "SELECT run_id, summary_json FROM gait_cache WHERE metric_version = ?", [version]
            ).fetchall()
            if check.is_json_object(text)
        }
        missing = [
            k for k, r in zip(runs["run_key"], runs["run_id"], strict=True) if r not in cached
        ]
        if missing:
            self._fill_gait_cache(missing, version, cached)
        from analyzer.ingest.worker import gait_to_json

        keys = list(gait_to_json(gait.summarize(empty_records())))
        rows = [json.loads(cached[r]) for r in runs["run_id"]]
        summary = pd.DataFrame.from_records(rows, columns=keys, index=runs.index)
        out = pd.concat([runs[list(GAIT_ID_COLUMNS)], summary, runs[list(means)]], axis=1)
        return utc(out, ("start_time",))

    def _fill_gait_cache(self, keys: list[int], version: int, cached: dict) -> None:
        from analyzer.ingest.worker import gait_to_json
        from analyzer.metrics import gait

        ids = {
            k: (r, src)
            for k, r, src in self.con.execute(
                "SELECT run_key, run_id, dynamics_source FROM runs"
            ).fetchall()
        }
        rows = []
        for key, records in self._records_by_key(keys):
            run_id, source = ids[key]
            payload = json.dumps(gait_to_json(gait.summarize(records, dynamics_source=source)))
            rows.append((run_id, version, payload))
            cached[run_id] = payload
        df = pd.DataFrame(rows, columns=["run_id", "metric_version", "summary_json"])
        df["computed_at"] = pd.Timestamp.now(tz="UTC").tz_localize(None)
        self._in_transaction(
            "INSERT OR REPLACE INTO gait_cache SELECT * FROM _rows",
            df,
            ("DELETE FROM gait_cache WHERE metric_version <> ?", [version]),
        )

    def _refresh_averages(self) -> None:
        """Recompute stored ``avg_*`` written by another version of :mod:`analyzer.metrics.averages`."""
        from analyzer.ingest.worker import averages_version, compute_averages

        version = averages_version()
        stale = dict(
            self.con.execute(
                "SELECT run_key, session_json FROM runs WHERE avg_version IS DISTINCT FROM ?",
                [version],
            ).fetchall()
        )
        if not stale:
            return
        rows = []
        for key, records in self._records_by_key(list(stale)):
            session = check.loads(stale[key], self.path, "runs.session_json")
            avgs = compute_averages(records, session_series(session))
            rows.append([key] + [number(avgs.get(c)) for c in AVG_COLUMNS])
        df = pd.DataFrame(rows, columns=["run_key", *AVG_COLUMNS]).astype({"run_key": "int64"})
        df[list(AVG_COLUMNS)] = df[list(AVG_COLUMNS)].astype("float64")
        df["avg_version"] = version
        sets = ", ".join(f"{c} = _rows.{c}" for c in (*AVG_COLUMNS, "avg_version"))
        self._in_transaction(
            f"UPDATE runs SET {sets} FROM _rows WHERE runs.run_key = _rows.run_key", df
        )

    def _in_transaction(self, sql: str, df: pd.DataFrame, *more: tuple[str, list]) -> None:
        """Run ``sql`` over ``df`` (registered as ``_rows``) and ``more`` in one transaction."""
        con = self.con
        con.begin()
        con.register("_rows", df)
        try:
            con.execute(sql)
            for stmt, params in more:
                con.execute(stmt, params)
            con.commit()
        except BaseException:
            con.rollback()
            raise
        finally:
            con.unregister("_rows")

    def _run_key(self, run_id: str) -> int:
        row = self.con.execute("SELECT run_key FROM runs WHERE run_id = ?", [run_id]).fetchone()
        if row is None:
            raise NotFound(f"no run with id {run_id!r} in {self.path}")
        return row[0]

    def _records_by_key(self, keys: list[int]) -> Iterator[tuple[int, pd.DataFrame]]:
        """``(run_key, records)`` for each key, a few runs per query."""
        for i in range(0, len(keys), _RUNS_PER_QUERY):
            chunk = keys[i : i + _RUNS_PER_QUERY]
            # The BETWEEN lets DuckDB skip row groups by their run_key min/max (zone maps).
            df = self.con.execute(
                "SELECT * FROM records WHERE run_key BETWEEN ? AND ? "
                "AND list_contains(?::BIGINT[], run_key) ORDER BY run_key, record_index",
                [min(chunk), max(chunk), chunk],
            ).df()
            groups = dict(tuple(df.groupby("run_key", sort=False))) if len(df) else {}
            for key in chunk:
                part = groups.get(key, df.iloc[0:0])
                yield key, contract_records(part)
