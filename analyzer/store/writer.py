"""Writing decoded activities into the store (the write half of :mod:`analyzer.store.database`).

:func:`write_batch` writes several activities in ONE transaction with one bulk insert per table
(laps of all runs concatenated, registered as a DataFrame and inserted ``BY NAME``): the
per-statement and per-commit costs of DuckDB are paid once per batch instead of once per run.
Records are not inserted: the decoder processes wrote each run's records to a Parquet part
(:mod:`analyzer.store.recordparts`), which the batch registers with the run's row, so the
writer handles only metadata. Every activity sits wholly
inside one transaction, so an interruption leaves whole activities or none. When the database
refuses a batch, the batch is rolled back and its activities are written one by one, so that
only the offending activity fails.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any, Protocol

import duckdb
import numpy as np
import pandas as pd

from analyzer.schema import AVERAGE_METRICS, DYNAMICS_COLUMNS, utc
from analyzer.store import recordparts
from analyzer.store.blocks import Block
from analyzer.store.check import is_storage_failure, storage_error
from analyzer.store.rows import Decoded, LogEntry


class Store(Protocol):
    """What the writer uses of :class:`analyzer.store.database.Store` (which calls it)."""

    con: duckdb.DuckDBPyConnection
    path: Path
    parts_dir: Path
    known_columns: dict[str, dict[str, str]]

    def load_columns(self) -> None: ...


AVG_COLUMNS = tuple(f"avg_{m}" for m in AVERAGE_METRICS)
#: Where each ``avg_*`` came from: "records", "watch" (the session's own value) or NULL.
SOURCE_COLUMNS = tuple(f"avg_{m}_source" for m in AVERAGE_METRICS)
WATCH_COLUMNS = tuple(f"watch_avg_{m}" for m in AVERAGE_METRICS) + (
    "watch_avg_power_w",
    "watch_avg_heart_rate_bpm",
)
_ERRORS = (duckdb.Error, ValueError, TypeError, OSError)
#: DuckDB's memory limit while importing: enough for a write batch (a few hundred thousand
#: records) and its indexes, small enough that the writer does not grow with the store.
IMPORT_MEMORY_LIMIT = "128MB"


def cap_memory(con: duckdb.DuckDBPyConnection) -> None:
    """Cap DuckDB's buffer pool at :data:`IMPORT_MEMORY_LIMIT` while importing
    (:meth:`analyzer.store.database.Store.importing` sets it on every connection it opens then,
    and ``RESET memory_limit`` ends it).

    DuckDB keeps the blocks it writes cached up to its memory limit (80 % of RAM by default),
    so without a cap the writer grows ~120 MB per 1,000 one-hour runs written; capped, it
    evicts written blocks (they are on disk already) and stays flat.
    """
    con.execute(f"SET memory_limit = '{IMPORT_MEMORY_LIMIT}'")


#: Run flags: unknown date (:func:`analyzer.fit.dates.date_problem`), damaged file read in part.
FLAG_COLUMNS = ("date_unknown", "date_problem", "partial_reason", "partial_offset")
#: The run's local clock (DESIGN §10, :mod:`analyzer.fit.localtime`): seconds ahead of UTC and
#: where that came from; NULL in stores made before, and for files with neither a local time
#: nor a position (read as the athlete's usual offset, :func:`analyzer.schema.resolve_offsets`).
OFFSET_COLUMNS = ("utc_offset_s", "utc_offset_source")
#: Columns added after schema version 1 was released (old stores gain them when opened).
ADDED_COLUMNS = """
ALTER TABLE runs ADD COLUMN IF NOT EXISTS date_unknown BOOLEAN DEFAULT false;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS date_problem VARCHAR;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS partial_reason VARCHAR;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS partial_offset BIGINT;
ALTER TABLE activities ADD COLUMN IF NOT EXISTS partial_reason VARCHAR;
ALTER TABLE activities ADD COLUMN IF NOT EXISTS partial_offset BIGINT;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS utc_offset_s INTEGER;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS utc_offset_source VARCHAR;
"""


def write_batch(
    store: Store, batch: list[Decoded], *, athlete: str, import_id: str
) -> list[LogEntry]:
    """Write decoded activities (not failures) to ``store``; one log entry per activity.

    An activity the database refuses comes back as a ``failed`` entry and leaves nothing behind.
    """
    if not batch:
        return []
    try:
        return _write(store, batch, athlete, import_id)
    except _ERRORS as exc:
        if is_storage_failure(exc):  # not this file's fault: stop the import, say what to do
            raise storage_error(store.path, exc) from None
        if len(batch) == 1:
            dec = batch[0]
            with contextlib.suppress(duckdb.Error, OSError):  # its parts, unless registered
                recordparts.discard_unregistered(
                    store.con, store.parts_dir, [r.run_id for r in dec.runs]
                )
            return [LogEntry(dec.name, "failed", f"could not be stored ({exc})", dec.activity_id)]
    out = []
    for dec in batch:
        out += write_batch(store, [dec], athlete=athlete, import_id=import_id)
    return out


def written(store: Store, run) -> Any:
    """The run's records as written to their part: the decoder process wrote them already
    (:class:`~analyzer.store.recordparts.WrittenRecords`), or they are written here (a
    :class:`Block`, from a caller that decoded without the parts folder)."""
    if isinstance(run.records, Block):
        run.records = recordparts.write_records(store.parts_dir, run.run_id, run.records)
    return run.records


def _write(store: Store, batch: list[Decoded], athlete: str, import_id: str) -> list[LogEntry]:
    con = store.con
    con.begin()
    try:
        entries = []
        n_runs = sum(len(d.runs) for d in batch)
        keys = iter(
            [
                k
                for (k,) in con.execute(
                    "SELECT nextval('run_key_seq') FROM range(?)", [n_runs]
                ).fetchall()
            ]
        )
        activities, runs, parts, laps, gait = [], [], [], [], []
        for dec in batch:
            outcome, text = detail(dec)
            entries.append(LogEntry(dec.name, outcome, text, dec.activity_id, len(dec.runs)))
            activities.append(activity_row(dec, athlete, import_id))
            for run in dec.runs:
                key = next(keys)
                recs = written(store, run)
                runs.append(run_row(dec, run, athlete, key))
                if recs.part is not None:
                    parts.append((key, run.run_id, recs.part, len(recs)))
                laps.append(arrays(run.laps, key, "lap_index"))
                if run.gait is not None:
                    gait.append((run.run_id, run.gait_version, json.dumps(run.gait)))
        _insert(store, "activities", activities)
        if runs:
            _insert(store, "runs", runs)
        recordparts.register(con, store.parts_dir, parts)  # the parts the decoders wrote
        df = stack([p for p in laps if p])
        if len(df):
            ensure_columns(store, "laps", df)
            _insert(store, "laps", df)
        if gait:
            cache = pd.DataFrame(gait, columns=["run_id", "metric_version", "summary_json"])
            cache["computed_at"] = pd.Timestamp.now(tz="UTC").tz_localize(None)
            store.con.register("_batch", cache)
            try:
                con.execute("INSERT OR REPLACE INTO gait_cache SELECT * FROM _batch")
            finally:
                store.con.unregister("_batch")
        log_rows(store, entries, import_id=import_id, athlete=athlete)
        con.commit()
    except BaseException:
        # (a failed commit has ended the transaction already: keep its error, not rollback's)
        with contextlib.suppress(duckdb.Error):
            con.rollback()
        with contextlib.suppress(duckdb.Error):
            store.load_columns()  # forget columns added by the rolled-back transaction
        raise
    return entries


def log_rows(store: Store, entries: list[LogEntry], *, import_id: str, athlete: str) -> None:
    """Append import-log rows (in the caller's transaction, if any)."""
    log = [
        {
            "import_id": import_id,
            "athlete": athlete,
            "source_name": e.name,
            "outcome": e.outcome,
            "detail": e.detail,
            "activity_id": e.activity_id,
            "n_runs": e.n_runs,
        }
        for e in entries
    ]
    try:
        _insert(store, "import_log", log, now="logged_at")
    except duckdb.Error as exc:
        if is_storage_failure(exc):
            raise storage_error(store.path, exc) from None
        raise


def _insert(
    store: Store, table: str, df: pd.DataFrame | list[dict], *, now: str | None = None
) -> None:
    """Insert ``df`` (a DataFrame, or row dicts of plain values: those go through an Arrow
    table, which DuckDB scans without pandas at about half the cost) into ``table`` by name."""
    if isinstance(df, list):
        if not df:
            return
        import pyarrow as pa

        df = pa.Table.from_pylist(df)
    extra = f", now()::TIMESTAMP AS {now}" if now else ""
    store.con.register("_batch", df)
    try:
        store.con.execute(f"INSERT INTO {table} BY NAME SELECT *{extra} FROM _batch")
    finally:
        store.con.unregister("_batch")


def ensure_columns(store: Store, table: str, df: pd.DataFrame) -> None:
    """Add to ``table`` the columns of ``df`` it does not have yet (typed from the dtype)."""
    known = store.known_columns[table]
    for col in df.columns:
        if str(col).lower() in known:
            continue
        sql_type = _sql_type(df[col])
        store.con.execute(f"ALTER TABLE {table} ADD COLUMN {ident(col)} {sql_type}")
        known[str(col).lower()] = sql_type


def classify(dec: Decoded) -> tuple[str, str]:
    """The log outcome and detail of a decoded payload (``imported`` or ``not_run``)."""
    if dec.file_type != "activity":
        return "not_run", f"not an activity file ({dec.file_type or 'unknown type'})"
    if not dec.runs:
        sports = list(dict.fromkeys(s for s in dec.sports if s and s != "None"))
        return "not_run", f"not a run ({', '.join(sports) if sports else 'no sessions'})"
    n = len(dec.runs)
    n_rec = sum(len(r.records) for r in dec.runs)
    extra = f" of a {len(dec.sports)}-session multisport file" if len(dec.sports) > 1 else ""
    detail = f"{n} run{'s' if n > 1 else ''}{extra}, {n_rec} records"
    return "imported", detail + masked_note(dec.meta.get("masked_samples"))


def masked_note(masked: dict | None) -> str:
    """``"; 3 implausible samples masked (speed_mps 3)"``, or "" when none were."""
    if not masked:
        return ""
    total = sum(masked.values())
    parts = ", ".join(f"{column} {n}" for column, n in sorted(masked.items()))
    return f"; {total} implausible sample{'s' if total != 1 else ''} masked ({parts})"


def detail(dec: Decoded) -> tuple[str, str]:
    """:func:`classify`, then what the worker noted (``Decoded.log_notes``: partial read, fields
    read as bytes, runs whose date is unknown), one line with ``; `` between the parts."""
    outcome, text = classify(dec)
    return outcome, "; ".join([text, *dec.log_notes])


def activity_row(dec: Decoded, athlete: str, import_id: str) -> dict:
    """The ``activities`` row of a decoded payload."""
    meta = dec.meta
    apps = meta.get("developer_apps")
    return {
        "activity_id": dec.activity_id,
        "athlete": athlete,
        "source_name": dec.name,
        "size_bytes": dec.size,
        "file_type": dec.file_type,
        "sports": json.dumps(dec.sports),
        "n_runs": len(dec.runs),
        "time_created": naive_utc(meta.get("time_created")),
        "manufacturer": text(meta.get("manufacturer")),
        "product": text(meta.get("product")),
        "serial_number": text(meta.get("serial_number")),
        "software_version": text(meta.get("software_version")),
        "dynamics_source": text(meta.get("dynamics_source")),
        "dynamics_sensor": text(meta.get("dynamics_sensor")),
        "developer_apps": json.dumps(list(apps) if apps is not None else [], default=str),
        "decoder": dec.decoder,
        "partial_reason": dec.partial_reason,
        "partial_offset": dec.partial_offset,
        "meta_json": json.dumps({**meta, "decode_notes": dec.notes}, default=str),
        "import_id": import_id,
        "imported_at": pd.Timestamp.now(tz="UTC").tz_localize(None),
    }


def run_row(dec: Decoded, run, athlete: str, key: int) -> dict:
    """The ``runs`` row of one run of a decoded payload, keyed by ``run_key`` ``key``."""
    s, meta, records = run.session, dec.meta, run.records
    n_dynamics = records.count_values(DYNAMICS_COLUMNS)
    row = {
        "run_id": run.run_id,
        "run_key": key,
        "activity_id": dec.activity_id,
        "session_index": run.session_index,
        "athlete": athlete,
        "source_name": dec.name,
        "start_time": naive_utc(s.get("start_time")),
        "end_time": naive_utc(s.get("end_time")),
        "sport": text(s.get("sport")),
        "sub_sport": text(s.get("sub_sport")),
        "device": device(meta),
        "manufacturer": text(meta.get("manufacturer")),
        "product": text(meta.get("product")),
        "dynamics_source": text(meta.get("dynamics_source")),
        "dynamics_sensor": text(meta.get("dynamics_sensor")),
        "has_dynamics": n_dynamics > 0,
        "n_dynamics": n_dynamics,
        "distance_m": number(s.get("total_distance_m")),
        "timer_s": number(s.get("total_timer_s")),
        "elapsed_s": number(s.get("total_elapsed_s")),
        "n_records": len(records),
        "decoder": dec.decoder,
        "date_unknown": run.date_problem is not None,
        "date_problem": run.date_problem,
        "partial_reason": dec.partial_reason,
        "partial_offset": dec.partial_offset,
        "utc_offset_s": _offset(meta.get("utc_offset_s")),
        "utc_offset_source": text(meta.get("utc_offset_source")),
        "avg_version": run.avg_version,
        "session_json": json.dumps(s, default=str),
    }
    for col in AVG_COLUMNS:
        row[col] = number(run.averages.get(col))
    for col in SOURCE_COLUMNS:
        row[col] = text(run.averages.get(col))
    for col in WATCH_COLUMNS:
        row[col] = number(s.get(col))
    return row


def _offset(value: Any) -> int | None:
    off = number(value)
    return None if off is None else int(off)


def arrays(block: Block, key: int, index_col: str) -> dict[str, np.ndarray]:
    """A run's records or laps block keyed by ``run_key`` ``key``, with its row index."""
    if not len(block):
        return {}
    n = len(block)
    return {
        "run_key": np.full(n, key, dtype=np.int64),
        index_col: np.arange(n, dtype=np.int32),
        **block.columns,
    }


def stack(parts: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    """One DataFrame from several runs' columns (a column missing from a run is NaN there)."""
    if not parts:
        return pd.DataFrame()
    names = list(dict.fromkeys(c for p in parts for c in p))
    cols = {}
    for name in names:
        like = next(p[name] for p in parts if name in p)
        pieces = [p[name] if name in p else _missing(like, len(p["run_key"])) for p in parts]
        cols[name] = pieces[0] if len(pieces) == 1 else np.concatenate(pieces)
    return pd.DataFrame(cols, copy=False)


def _missing(like: np.ndarray, n: int) -> np.ndarray:
    if like.dtype.kind == "M":
        return np.full(n, np.datetime64("NaT"), dtype=like.dtype)
    if like.dtype.kind in "biuf":
        return np.full(n, np.nan)
    return np.full(n, None, dtype=object)


def _sql_type(s: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(s):
        return "BOOLEAN"
    if pd.api.types.is_integer_dtype(s):
        return "BIGINT"
    if pd.api.types.is_float_dtype(s):
        return "DOUBLE"
    if pd.api.types.is_datetime64_any_dtype(s):
        return "TIMESTAMP"
    return "VARCHAR"


def ident(name: Any) -> str:
    """``name`` quoted as a SQL identifier (a column or database name from a file)."""
    return '"' + str(name).replace('"', '""') + '"'


def naive_utc(value: Any) -> pd.Timestamp | None:
    """``value`` as a zone-less UTC timestamp (µs), or None (DuckDB's TIMESTAMP is naive)."""
    ts = utc(value)
    return None if ts is None else ts.tz_localize(None).floor("us")


def number(value: Any) -> float | None:
    """``value`` as a float, None when missing or NaN."""
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(f) else f


def text(value: Any) -> str | None:
    """``value`` as a string, None when missing."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return str(value)


def device(meta: dict) -> str | None:
    """ "manufacturer product" of the recording device."""
    parts = [text(meta.get("manufacturer")), text(meta.get("product"))]
    parts = [p for p in parts if p and p != "None"]
    return " ".join(parts) or None
