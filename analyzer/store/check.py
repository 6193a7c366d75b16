"""Is a DuckDB file an analyzer store, and an intact one? Checks made when a store is opened,
and the one-line errors for a store that cannot be written (disk full).

- A file with tables but no ``store_meta`` table is some other program's database: "not an
  analyzer store" (before anything is created in it).
- A ``store_meta`` without its schema-version row, a missing table or column, a write-ahead log
  that could not be replayed, or cached JSON that does not parse: "damaged: restore it or
  import again into a new one".

The write-ahead log (``<store>.wal``) holds the changes committed since the last checkpoint.
DuckDB replays it on open, but skips one it cannot read (a zeroed header, a file cut short
inside its only transaction) without saying so, and those changes are gone. So when a log is
there at open, the store is checkpointed at once: a log that was replayed is then folded into
the file and removed; a log still there was not replayed. A read-only open cannot checkpoint:
it says the last write was interrupted and that the next import or ``analyzer check`` finishes
it. (A process killed in the very moment
of committing its first transaction after a checkpoint leaves such a log too; its changes were
never confirmed to the importer, but the store cannot tell that case apart, so it refuses as
well.)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import duckdb

from analyzer.errors import StoreError
from analyzer.store.duck import open_duckdb

#: Messages of writes refused by the file system (full disk, file-size limit, quota).
_STORAGE_FAILURE = re.compile(
    r"could not write|no space left|file too large|disk (is )?full|quota exceeded", re.IGNORECASE
)
#: What to do, ending every "damaged" message.
DAMAGED_HINT = "restore it or import again into a new one"


def damaged(path: Path, what: str) -> StoreError:
    """The error for a store that is an analyzer store but not intact."""
    return StoreError(f"{path}: damaged: {what}; {DAMAGED_HINT}")


def tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Names of the tables (and views) in the file's main schema."""
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
    ).fetchall()
    return {name for (name,) in rows}


def check_existing(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Before creating anything: refuse a database with tables of its own (no ``store_meta``),
    and an analyzer store without its schema-version row."""
    existing = tables(con)
    if not existing:
        return  # a new store
    if "store_meta" not in existing:
        names = ", ".join(sorted(existing)[:5]) + (", ..." if len(existing) > 5 else "")
        raise StoreError(
            f"{path}: not an analyzer store (it holds other tables: {names}); pass a new file "
            "with --store"
        )
    row = con.execute("SELECT value FROM store_meta WHERE key = 'schema_version'").fetchone()
    if row is None:
        raise damaged(path, "its schema-version row is missing")


@cache
def expected_columns(schema: str) -> dict[str, frozenset[str]]:
    """The columns of each table ``schema`` creates (built once in an in-memory database)."""
    con = open_duckdb()
    try:
        con.execute(schema)
        rows = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'main'"
        ).fetchall()
    finally:
        con.close()
    out: dict[str, set[str]] = {}
    for table, column in rows:
        out.setdefault(table, set()).add(column.lower())
    return {t: frozenset(c) for t, c in out.items()}


def upgradable(schema: str, added: Iterable[str] = ()) -> frozenset[str]:
    """``runs`` columns a later version added (``ADD COLUMN IF NOT EXISTS`` in ``schema``, and
    ``added``): a store lacking only these was made by an earlier analyzer, not damaged."""
    import re

    found = re.findall(r"ADD COLUMN IF NOT EXISTS (\w+)", schema, flags=re.IGNORECASE)
    return frozenset(f"runs.{c.lower()}" for c in [*found, *added])


def table_columns(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """``{table: {column, ...}}`` of the store's tables as they are (column names lower-case)."""
    rows = con.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main'"
    ).fetchall()
    have: dict[str, set[str]] = {}
    for table, column in rows:
        have.setdefault(table, set()).add(column.lower())
    return have


def missing_columns(
    con: duckdb.DuckDBPyConnection, schema: str, only: frozenset[str] | None = None
) -> list[str]:
    """``table.column`` of every column ``schema`` creates that the store lacks (with ``only``:
    [] unless every missing one is in it, i.e. the store is merely older)."""
    have = table_columns(con)
    if "store_meta" not in have:
        return []  # a new store, or not an analyzer store (check_existing says which)
    missing = [
        f"{table}.{c}"
        for table, columns in sorted(expected_columns(schema).items())
        if table in have
        for c in sorted(columns - have[table])
    ]
    return [] if only is not None and not set(missing) <= only else missing


def upgrade(con, path: Path, schema: str, *, migrate, reopen):
    """A store made by an earlier analyzer, opened to read: add the new columns once (a short
    write, as any import's first step would: ``migrate()``), then read as asked (``reopen()``
    gives the read-only connection back). Said once on stderr through the ``analyzer`` logger.

    Raises
    ------
    StoreError
        The store cannot be written now (an import holds it): the next import or
        ``analyzer check`` upgrades it.
    """
    import logging

    missing = missing_columns(con, schema)
    con.close()
    try:
        migrate()
    except StoreError as exc:
        raise StoreError(
            f"{path}: made by an earlier version of analyzer; the next import or "
            f"`analyzer check` upgrades it ({exc})"
        ) from None
    if missing:  # (a store of the previous records format says so itself when migrated)
        logging.getLogger("analyzer").warning(
            "Upgraded %s to this version's format, once (added %s).", path, ", ".join(missing)
        )
    return reopen()


def check_columns(con: duckdb.DuckDBPyConnection, path: Path, schema: str) -> None:
    """Every table and column of ``schema`` is there (extra columns are fine: records and laps
    grow new ones)."""
    have = table_columns(con)
    for table, columns in sorted(expected_columns(schema).items()):
        missing = sorted(columns - have.get(table, set()))
        if missing:
            raise damaged(path, f"table {table} lacks column(s) {', '.join(missing)}")


def wal_path(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def interrupted(path: Path) -> StoreError:
    """The error of a read-only open that finds a write-ahead log (a write was cut short)."""
    return StoreError(
        f"{path}: the last write was interrupted; the next import or `analyzer check` finishes "
        "it (nothing is lost)"
    )


def check_replayed(
    con: duckdb.DuckDBPyConnection, path: Path, had_wal: bool, *, read_only: bool = False
) -> None:
    """Checkpoint a store opened with a write-ahead log; a log left over was not replayed.

    A read-only connection cannot checkpoint, and cannot tell a log it replayed from one it
    skipped: it says the last write was interrupted (:func:`interrupted`), which the next
    writer finishes, instead of calling the store damaged.
    """
    if not had_wal:
        return
    if read_only and _read_only(con):  # (else this process's own writer holds the log)
        wal = wal_path(path)
        if wal.exists() and wal.stat().st_size > 0:
            raise interrupted(path)
        return
    con.execute("CHECKPOINT")
    wal = wal_path(path)
    if wal.exists() and wal.stat().st_size > 0:
        raise damaged(
            path, f"its write-ahead log {wal.name} could not be replayed (recent changes are lost)"
        )


def _read_only(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``con`` really is read-only (a reader in a process that writes the same file
    shares the writer's connection: :func:`analyzer.store.connection.connect`)."""
    (mode,) = con.execute("SELECT current_setting('access_mode')").fetchone()
    return str(mode).lower() == "read_only"


def is_storage_failure(exc: BaseException) -> bool:
    """Whether a database error is the file system refusing a write (disk full...)."""
    if isinstance(exc, duckdb.IOException | duckdb.FatalException):
        return True
    return isinstance(exc, duckdb.Error | OSError) and bool(_STORAGE_FAILURE.search(str(exc)))


def storage_error(path: Path, exc: BaseException) -> StoreError:
    """The one-line error for a write the file system refused."""
    reason = " ".join(str(exc).split())
    if len(reason) > 400:  # (the cause, e.g. "File too large", is at the end: keep that)
        reason = "…" + reason[-399:]
    return StoreError(
        f"{path}: cannot write to the store: the disk is full or the file too large ({reason}); "
        "free some space and run the same import again (what was stored is kept, nothing is "
        "doubled)"
    )


def loads(text: str | None, path: Path, where: str) -> dict:
    """A JSON object stored by the writer (``{}`` for NULL); damaged when it does not parse."""
    if not text:
        return {}
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        data = None
    if not isinstance(data, dict):
        raise damaged(path, f"{where} holds text that is not a JSON object")
    return data


def is_json_object(text: str | None) -> bool:
    """Whether ``text`` parses as a JSON object (a cache row that does not is recomputed)."""
    try:
        return isinstance(json.loads(text or ""), dict)
    except (json.JSONDecodeError, RecursionError):
        return False
