"""The local store: one DuckDB file holding athletes, activities, runs, records, laps, the import
log and a cache of per-run gait summaries.

The tables and what each holds are described in :mod:`analyzer.store.ddl`.

Each activity (its row, runs, records, laps, log line) is written inside ONE transaction
(:mod:`analyzer.store.writer`; a transaction may carry several whole activities): an interrupted
import leaves whole activities or nothing, and re-running it skips what is already there.

One process writes at a time, any number read beside it (:mod:`analyzer.store.connection`);
mistakes are fixed by rename/merge/delete methods, one transaction each (:mod:`~.edits`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from analyzer.errors import NotFound, StoreError
from analyzer.schema import local_day_start, offset_on, resolve_offsets
from analyzer.store import (
    activity_meta,
    baselines,
    cache,
    check,
    duplicates,
    edits,
    recordparts,
)
from analyzer.store.baselines import TABLE_SQL
from analyzer.store.connection import (
    LEND_EVERY_S,
    READ_WAIT_S,
    REOPEN_WAIT_S,
    WriterLock,
    connect,
)
from analyzer.store.ddl import GAIT_ID_COLUMNS, RUN_ID_COLUMNS, SCHEMA, SCHEMA_VERSION
from analyzer.store.frames import utc, where_runs
from analyzer.store.writer import (
    AVG_COLUMNS,
    OFFSET_COLUMNS,
    SOURCE_COLUMNS,
    WATCH_COLUMNS,
    cap_memory,
    log_rows,
    write_batch,
)

if TYPE_CHECKING:
    from analyzer.store.rows import Decoded, LogEntry

#: The tables, in one place (analyzer.store.ddl), and the accepted baselines (store.baselines).
_SCHEMA = SCHEMA + TABLE_SQL
#: Columns an earlier store may lack: added on its first open (a read opens it for writing once).
_UPGRADABLE = check.upgradable(_SCHEMA, [*duplicates.RUN_COLUMNS, *SOURCE_COLUMNS, *OFFSET_COLUMNS])


class Store:
    """An analyzer database (a DuckDB file); use as a context manager.

    Parameters
    ----------
    path : path-like
        The DuckDB file; created (with its folder) when missing, unless ``read_only``.
    read_only : bool
        Read beside other readers and an import; nothing is written, not even the gait cache.
    wait_s : float, optional
        How long to wait while another process holds the file [s] (default: 0 read-write,
        ``READ_WAIT_S`` read-only).

    Raises
    ------
    StoreError
        When the file cannot be opened: not a DuckDB file, or held by another process.
    """

    def __init__(
        self, path: str | os.PathLike, *, read_only: bool = False, wait_s: float | None = None
    ):
        self.path = Path(path)
        #: The folder of the records' Parquet parts, beside the file (part of the store).
        self.parts_dir = recordparts.folder_of(self.path)
        self.read_only = read_only
        self._con: duckdb.DuckDBPyConnection | None = None
        self._writer: WriterLock | None = None
        self._lending = False
        self._lent_at = 0.0
        self._importing = False
        self._closed = False
        self.known_columns: dict[str, dict[str, str]] = {}
        had_wal = check.wal_path(self.path).exists()
        if read_only:
            wait = READ_WAIT_S if wait_s is None else wait_s
            self._con = connect(self.path, read_only=True, wait_s=wait)
            missing = check.missing_columns(self._con, _SCHEMA, _UPGRADABLE)
            if not had_wal and (missing or recordparts.old_format(self._con)):
                self._con = check.upgrade(
                    self._con,
                    self.path,
                    _SCHEMA,
                    migrate=lambda: Store(self.path, wait_s=0.0).close(),
                    reopen=lambda: connect(self.path, read_only=True, wait_s=wait),
                )
        else:
            wait = 0.0 if wait_s is None else wait_s
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"{self.path}: cannot open the store ({exc})") from None
            # The writer lock first: a second writer queues here, not on DuckDB's lock, so it
            # never takes the file while an import has lent it to readers.
            self._writer = WriterLock(self.path, wait_s=wait)
            try:
                self._con = connect(self.path, read_only=False, wait_s=wait)
                self._writer.cover()  # (a store DuckDB has just created)
            except StoreError:
                self.close()
                raise
        try:
            check.check_replayed(self.con, self.path, had_wal, read_only=read_only)
            self._init_schema()
        except StoreError:
            self.close()
            raise

    # -- lifecycle --------------------------------------------------------------------------
    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection (taken back from readers after :meth:`lend`)."""
        if self._con is None:
            if self._closed or self.read_only:
                raise StoreError(f"{self.path}: the store is closed")
            self._con = connect(self.path, read_only=False, wait_s=REOPEN_WAIT_S)
            self._set_zone()
            if self._importing:  # a connection reopened after a lend keeps the import's cap
                cap_memory(self._con)
            recordparts.create_view(self._con, self.parts_dir)  # (a temporary view: per connection)
            self.load_columns()
        return self._con

    @contextlib.contextmanager
    def lending(self) -> Iterator[Store]:
        """Within this block, write batches end by lending the file to readers (at most once
        every ``LEND_EVERY_S``): how the CLI imports, so that readers wait for one batch."""
        self._lending = not self.read_only
        try:
            yield self
        finally:
            self._lending = False

    def lend(self) -> None:
        """Close the connection so that readers can open the file (the writer lock stays
        held, so no other writer can); the next use reopens it."""
        if self._con is not None and not self.read_only:
            self._con.close()
            self._con = None

    def _after_write(self) -> None:
        # Each lend costs a checkpoint and a reopen (~0.1 s): at most one per LEND_EVERY_S.
        if self._lending and time.monotonic() - self._lent_at >= LEND_EVERY_S:
            self.lend()
            self._lent_at = time.monotonic()

    def _set_zone(self) -> None:
        # now() is stored as zone-less UTC; DuckDB would otherwise use the machine's zone (and
        # without its ICU extension its clock is UTC already).
        with contextlib.suppress(duckdb.Error):
            self._con.execute("SET TimeZone = 'UTC'")

    def _init_schema(self) -> None:
        self._set_zone()
        con = self.con
        try:
            check.check_existing(con, self.path)
            if not self.read_only:
                con.execute(_SCHEMA)
                # Columns added since the first stores were made (duplicates, average sources).
                added = {**duplicates.RUN_COLUMNS, **dict.fromkeys(SOURCE_COLUMNS, "VARCHAR")}
                for name, sql_type in added.items():
                    con.execute(f"ALTER TABLE runs ADD COLUMN IF NOT EXISTS {name} {sql_type}")
                con.execute(
                    "INSERT OR IGNORE INTO store_meta VALUES ('schema_version', ?)",
                    [SCHEMA_VERSION],
                )
                recordparts.migrate(con, self.parts_dir, self.path)  # a store of the last format
                recordparts.sweep(con, self.parts_dir)  # parts no registration names
            (version,) = con.execute(
                "SELECT value FROM store_meta WHERE key = 'schema_version'"
            ).fetchone()
        except (duckdb.Error, TypeError) as exc:  # TypeError: no row to unpack
            raise StoreError(f"{self.path}: not an analyzer store ({exc})") from None
        except OSError as exc:
            raise StoreError(f"{self.parts_dir}: cannot write the records ({exc})") from None
        if version != SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: store schema version {version}, this analyzer reads version "
                f"{SCHEMA_VERSION}; import into a new store"
            )
        check.check_columns(con, self.path, _SCHEMA)
        recordparts.create_view(con, self.parts_dir)  # SQL over every run's records
        self.load_columns()

    def load_columns(self) -> None:
        """Cache the columns of the table that grows new columns (laps)."""
        for table in ("laps",):
            rows = self.con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = ?",
                [table],
            ).fetchall()
            self.known_columns[table] = {name.lower(): dtype for name, dtype in rows}

    def close(self) -> None:
        """Close the connection and let the next writer in (idempotent)."""
        self._closed = True
        if self._con is not None:
            self._con.close()
            self._con = None
        if self._writer is not None:
            self._writer.release()
            self._writer = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # -- import -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def importing(self) -> Iterator[Store]:
        """A context in which an import writes (:func:`analyzer.import_paths` enters it): DuckDB's
        memory capped (:func:`~analyzer.store.writer.cap_memory`), on the connections reopened
        after each lend to readers too, so the writer stays flat whatever the export's size."""
        self._importing = True
        cap_memory(self.con)
        try:
            yield self
        finally:
            self._importing = False
            with contextlib.suppress(duckdb.Error, StoreError):  # (closed: nothing to reset)
                if self._con is not None:
                    self._con.execute("RESET memory_limit")

    def ensure_athlete(self, athlete: str) -> None:
        """Add ``athlete`` to the athletes table when new."""
        self.con.execute("INSERT OR IGNORE INTO athletes VALUES (?, now()::TIMESTAMP)", [athlete])

    def known_activities(self) -> dict[str, str]:
        """``{activity_id: source_name}`` of every activity in the store."""
        return dict(self.con.execute("SELECT activity_id, source_name FROM activities").fetchall())

    def activity_owners(self) -> dict[str, str]:
        """``{activity_id: athlete}`` of every activity in the store."""
        return dict(self.con.execute("SELECT activity_id, athlete FROM activities").fetchall())

    def log_entries(self, entries: list[LogEntry], *, import_id: str, athlete: str) -> None:
        """Append entries (not tied to a stored activity) to the import log."""
        log_rows(self, entries, import_id=import_id, athlete=athlete)
        self._after_write()

    def write_batch(self, batch: list[Decoded], *, athlete: str, import_id: str) -> list[LogEntry]:
        """Write decoded activities in one transaction (:mod:`analyzer.store.writer`); one log
        entry each: ``imported``/``not_run``, or ``failed`` when the database refused it (then
        nothing of it was kept)."""
        entries = write_batch(self, batch, athlete=athlete, import_id=import_id)
        self._after_write()
        return entries

    def link_duplicates(self, athlete: str, import_id: str) -> list[duplicates.Link]:
        """Relink ``athlete``'s runs recorded twice (:func:`analyzer.store.duplicates.link`);
        returns the links that involve a run of import ``import_id``."""
        duplicates.link(self.con, athlete, import_id)
        return duplicates.links_of_import(self.con, athlete, import_id)

    # -- fixing mistakes: one transaction each (analyzer.store.edits) ----------------------
    def athlete_summary(self) -> pd.DataFrame:
        """One row per athlete: ``athlete``, ``runs``, ``first_run``, ``last_run`` (UTC)."""
        return edits.athlete_summary(self)

    def rename_athlete(self, old: str, new: str) -> int:
        """Rename athlete ``old`` to ``new`` (a name not in use); returns their run count."""
        return edits.rename_athlete(self, old, new)

    def merge_athletes(self, source: str, target: str) -> int:
        """Move every run of ``source`` to ``target``, remove ``source``; returns runs moved."""
        return edits.merge_athletes(self, source, target)

    def delete_athlete(self, athlete: str) -> edits.Deleted:
        """Remove an athlete and everything of theirs (files, runs, records, cache, log, diary)."""
        return edits.delete_athlete(self, athlete)

    def delete_run(self, run_id: str) -> edits.Deleted:
        """Remove a run and the file it came from, so that the file can be imported again."""
        return edits.delete_run(self, run_id)

    # -- accepted baselines ------------------------------------------------------------------
    def accept_baseline(
        self, athlete: str, metric: str | None = None, *, asof=None
    ) -> pd.Timestamp:
        """Accept the runner's current level as the new reference for ``metric`` (None: every
        metric of :data:`analyzer.schema.BASELINE_METRICS`) from ``asof`` (UTC if naive; a
        :class:`datetime.date` starts at that day's local midnight; default: the latest run's
        start; ``trends --accept-baseline`` passes the flagged change's onset,
        ``Analysis.accept_from``). Returns the stored date (UTC).

        Raises ``NotFound`` (unknown athlete; no dated runs and no ``asof``) and
        ``AnalyzerError`` (unknown metric).
        """
        athlete = self.resolve_athlete(athlete)
        if isinstance(asof, dt.date) and not isinstance(asof, dt.datetime):  # a local day
            g = self.gait(athlete)
            asof = local_day_start(asof, offset_on(asof, g))
        if asof is None:
            g = self.gait(athlete)
            if len(g) == 0:
                raise NotFound(f"athlete {athlete!r} has no runs; give the date with --asof")
            asof = pd.to_datetime(g["start_time"], utc=True).max()
        return baselines.accept(self.con, athlete, metric, asof)

    def accepted_baselines(self, athlete: str) -> pd.DataFrame:
        """Accepted baselines of one athlete: columns ``metric`` (None = all), ``asof`` (UTC)."""
        return baselines.accepted(self.con, athlete)

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

    def runs(self, athlete: str | None = None, *, include_duplicates: bool = False) -> pd.DataFrame:
        """One row per run, oldest first: identity, totals, local clock (``utc_offset_s``, filled
        by :func:`~analyzer.schema.resolve_offsets`), ``avg_*`` (``avg_*_source``) and ``watch_avg_*``.

        Runs recorded twice (:mod:`analyzer.store.duplicates`) appear once: the others carry
        ``duplicate_of`` (the kept run's id) and are left out unless ``include_duplicates``.

        Raises
        ------
        NotFound
            When ``athlete`` is given and not in the store.
        """
        if athlete is not None:
            self.resolve_athlete(athlete)
        cache.refresh_averages(self)
        cols = RUN_ID_COLUMNS + AVG_COLUMNS + SOURCE_COLUMNS + WATCH_COLUMNS
        where, params = where_runs(athlete, include_duplicates=include_duplicates)
        df = self.con.execute(
            f"SELECT {', '.join(cols)} FROM runs {where} ORDER BY start_time, run_id", params
        ).df()
        return resolve_offsets(utc(df, ("start_time", "end_time")))

    def records(self, run_id: str) -> pd.DataFrame:
        """The records of one run in contract columns (UTC ``timestamp``), in file order.

        Raises
        ------
        NotFound
            When no run has this id.
        """
        key = self._run_key(run_id)
        return next(self.records_by_key([key]))[1]

    def laps(self, run_id: str) -> pd.DataFrame:
        """The laps of one run, in order (columns as the decoder gave them)."""
        key = self._run_key(run_id)
        df = self.con.execute("SELECT * FROM laps WHERE run_key = ? ORDER BY lap_index", [key]).df()
        df = df.drop(columns=["run_key", "lap_index"]).dropna(axis=1, how="all")
        return utc(df, [c for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c])])

    def developer_fields(self, athlete: str | None = None) -> pd.DataFrame:
        """Developer (third-party) fields of the imported activities
        (:func:`analyzer.store.activity_meta.developer_fields`)."""
        if athlete is not None:
            self.resolve_athlete(athlete)
        return activity_meta.developer_fields(self.con, self.path, athlete)

    def masked_samples(self, athlete: str | None = None) -> dict[str, int]:
        """Values set aside as implausible, per column
        (:func:`analyzer.store.activity_meta.masked_samples`)."""
        if athlete is not None:
            self.resolve_athlete(athlete)
        return activity_meta.masked_samples(self.con, self.path, athlete)

    def import_log(self, import_id: str | None = None) -> pd.DataFrame:
        """The import log (every payload's outcome and reason), oldest first."""
        where, params = ("WHERE import_id = ?", [import_id]) if import_id else ("", [])
        df = self.con.execute(f"SELECT * FROM import_log {where} ORDER BY logged_at", params).df()
        return utc(df, ("logged_at",))

    def gait(
        self, athlete: str | None = None, *, undated: bool = False, include_duplicates: bool = False
    ) -> pd.DataFrame:
        """One row per run: :data:`GAIT_ID_COLUMNS`, :func:`analyzer.metrics.gait.summarize`, then the
        watch-style means (``avg_*``, :func:`analyzer.metrics.averages.run_averages`) beside the watch's
        own session averages (``watch_avg_*``), so one frame holds the robust medians and the
        numbers that can be checked against the device.

        Runs flagged ``date_unknown`` are left out unless ``undated`` (this feeds load and
        baselines), and runs recorded twice unless ``include_duplicates``. Summaries are cached
        per (run_id, ``gait.METRIC_VERSION``) and recomputed when the version changes.
        """
        from analyzer.metrics import gait

        version = int(gait.METRIC_VERSION)
        if athlete is not None:
            self.resolve_athlete(athlete)
        cache.refresh_averages(self)
        # The one place where runs without a usable date leave load, trends and baselines.
        where, params = where_runs(athlete, include_duplicates=include_duplicates, undated=undated)
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
            cache.fill_gait_cache(self, missing, version, cached)

        keys = gait.summary_keys()
        rows = [json.loads(cached[r]) for r in runs["run_id"]]
        summary = pd.DataFrame.from_records(rows, columns=keys, index=runs.index)
        out = pd.concat([runs[list(GAIT_ID_COLUMNS)], summary, runs[list(means)]], axis=1)
        return resolve_offsets(utc(out, ("start_time",)))

    def in_transaction(self, sql: str, df: pd.DataFrame, *more: tuple[str, list]) -> None:
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

    def records_by_key(self, keys: list[int]) -> Iterator[tuple[int, pd.DataFrame]]:
        """``(run_key, records)`` for each key, a few runs per read: the one place records are
        read (:func:`analyzer.store.recordparts.read_by_key`)."""
        return recordparts.read_by_key(self.con, self.parts_dir, keys, self.path)
