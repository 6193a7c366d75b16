"""Records as Parquet parts beside the store: where they live, how they are written, registered,
read, deleted and swept, and the one-time move out of an older store's ``records`` table.

A run's records are one file, ``<store>.records/run-<sha256(run_id)[:24]>.parquet`` (the folder
beside the DuckDB file, named after it: a store is the file and its folder). The name follows
from the ``run_id``, so a re-run of an interrupted import overwrites what a crash left. A part
is written (atomically, :func:`analyzer.store.parquetio.write_table`) by the decoder process
before the run exists in the store, and the writer registers it in the ``record_parts`` table
in the same transaction as the run's row: a part counts only once registered. Parts that no
registration names (a crash between writing and committing, a delete interrupted after its
commit) are removed by :func:`sweep` when the store is next opened for writing.

Every read of records goes through this module: :func:`read_by_key` (the runs' own files) and
the temporary view ``records`` (:func:`create_view`, the registered parts of the whole store,
with their ``run_key``) for SQL over all of them. ``schema.parquet``, with no rows, holds the
contract columns, so every read has them whatever the parts hold.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from analyzer.errors import StoreError
from analyzer.schema import RECORD_COLUMNS, STRYD_COLUMNS
from analyzer.store.blocks import Block
from analyzer.store.frames import contract_records, utc
from analyzer.store.parquetio import glob_literal, sql_text, write_table

#: The registration table: one row per run that has records (created with the schema).
REGISTRY_SQL = """
CREATE TABLE IF NOT EXISTS record_parts (
    run_key BIGINT PRIMARY KEY, run_id VARCHAR NOT NULL, part VARCHAR NOT NULL,
    n_records BIGINT);
"""
#: The part with no rows that gives every read the contract columns.
SCHEMA_PART = "schema.parquet"
#: Contract columns kept as DOUBLE whatever type the decoder gave them (as the table did).
NUMERIC = tuple(dict.fromkeys(list(RECORD_COLUMNS)[1:] + list(STRYD_COLUMNS)))
_RUNS_PER_QUERY = 64
BASE = list(RECORD_COLUMNS)


def folder_of(path: str | os.PathLike) -> Path:
    """The parts folder of the store file ``path``: ``<file>.records`` beside the file the path
    leads to (a symbolic link to a store reads the store's own parts)."""
    real = Path(os.path.realpath(path))
    return real.with_name(real.name + ".records")


def part_name(run_id: str) -> str:
    """The file name of a run's records (deterministic: a re-run overwrites it)."""
    return "run-" + hashlib.sha256(run_id.encode()).hexdigest()[:24] + ".parquet"


@dataclass(frozen=True)
class WrittenRecords:
    """A run's records once written to their part: what the writer needs of them (their
    number, the part, which columns hold values), in place of the :class:`Block`."""

    n: int
    part: str | None
    filled: frozenset[str] = frozenset()

    def __len__(self) -> int:
        return self.n

    def has_values(self, name: str) -> bool:
        return name in self.filled

    def count_values(self, names: Iterable[str]) -> int:
        return sum(name in self.filled for name in names)


def write_records(folder: str | os.PathLike, run_id: str, block: Block) -> WrittenRecords:
    """Write a run's records block to its part in ``folder``; returns its receipt (no file for
    a run without records)."""
    if not len(block):
        return WrittenRecords(0, None)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    name = part_name(run_id)
    write_table(_table(block, run_id), folder / name, split=_SPLIT, dictionary=["run_id"])
    filled = frozenset(c for c in block.columns if block.has_values(c))
    return WrittenRecords(len(block), name, filled)


def _table(block: Block, run_id: str):
    """A run's records as the pyarrow table of its part: ``run_id``, ``record_index``, then
    every contract column (all-null where the run has none, so that every part has them and
    the ``records`` view binds from :data:`SCHEMA_PART` alone), then the run's other columns."""
    import pyarrow as pa

    n = len(block)
    cols = block.columns
    stamps = cols.get("timestamp")
    out = {
        "run_id": pa.array([run_id] * n, pa.string()) if n else pa.array([], pa.string()),
        "record_index": pa.array(np.arange(n, dtype=np.int32)),
        "timestamp": (
            pa.array(stamps.astype("datetime64[us]"), from_pandas=True)
            if stamps is not None
            else pa.nulls(n, pa.timestamp("us"))
        ),
    }
    for name in NUMERIC:
        a = cols.get(name)
        if a is None:
            out[name] = pa.nulls(n, pa.float64())
            continue
        if a.dtype.kind not in "fiub":  # text there is refused (ValueError), as the table did
            a = pd.to_numeric(a, errors="raise")
        out[name] = pa.array(np.asarray(a, dtype=np.float64), from_pandas=True)
    for name, a in cols.items():
        if name in out:
            continue
        if a.dtype.kind == "M":
            a = a.astype("datetime64[us]")
        out[name] = pa.array(a, from_pandas=True)
    return pa.table(out)


#: Contract columns stored byte-stream-split (see :func:`analyzer.store.parquetio.write_table`).
_SPLIT = list(NUMERIC)


def part_columns(con: duckdb.DuckDBPyConnection, source: str, exclude: Iterable[str] = ()) -> str:
    """The SELECT list that turns the rows of the SQL relation ``source`` (which has ``run_id``
    or gets it from the caller) into a part's columns when DuckDB writes the part (a migration,
    a dataset import): the contract columns, NULL where ``source`` lacks them, then its
    others."""
    have = [n for n, *_ in con.execute(f"DESCRIBE {source}").fetchall() if n not in exclude]
    cols = ["CAST(record_index AS INTEGER) AS record_index"]
    cols.append(
        "CAST(timestamp AS TIMESTAMP) AS timestamp"
        if "timestamp" in have
        else "NULL::TIMESTAMP AS timestamp"
    )
    for name in NUMERIC:
        cols.append(
            f'CAST("{name}" AS DOUBLE) AS "{name}"' if name in have else f'NULL::DOUBLE AS "{name}"'
        )
    known = {"run_id", "record_index", "timestamp", *NUMERIC}
    cols += [f'"{n}"' for n in have if n not in known]
    return ", ".join(cols)


def ensure_folder(folder: Path) -> bool:
    """Create the parts folder and its ``schema.parquet`` (with the first parts registered, so
    that an import that stores no run leaves no folder); returns whether it did now."""
    if (folder / SCHEMA_PART).exists():
        return False
    folder.mkdir(parents=True, exist_ok=True)
    write_table(_table(Block({}, 0), ""), folder / SCHEMA_PART)
    return True


def register(
    con: duckdb.DuckDBPyConnection, folder: Path, rows: list[tuple[int, str, str, int]]
) -> None:
    """Register parts ``(run_key, run_id, part, n_records)`` of ``folder`` (in the caller's
    transaction), in one statement (``executemany`` costs ~1 ms a row); the store's first parts
    also give the folder its ``schema.parquet`` and the connection its ``records`` view."""
    if not rows:
        return
    if ensure_folder(folder):
        create_view(con, folder)
    keys, run_ids, parts, counts = (list(c) for c in zip(*rows, strict=True))
    con.execute(
        "INSERT OR REPLACE INTO record_parts SELECT unnest(?::BIGINT[]), "
        "unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::BIGINT[])",
        [keys, run_ids, parts, counts],
    )


def copy_parts(
    con: duckdb.DuckDBPyConnection, folder: Path, source: str, runs, *, by: str = "run_key"
) -> list[tuple[int, str, str, int]]:
    """Write runs' records from the SQL relation ``source`` as their parts, with DuckDB (a
    migration, a dataset import: not the import's hot path). ``runs`` are ``(run_key, run_id,
    n_records)``; a run's rows in ``source`` are those whose ``by`` column (``run_key`` or
    ``run_id``) is the run's. Returns the rows for :func:`register`."""
    if not runs:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    columns = part_columns(con, source, exclude=("run_key",))
    rows = []
    for key, run_id, n in runs:
        name = part_name(run_id)
        tmp = folder / (name + ".tmp")
        con.execute(
            f"COPY (SELECT ?::VARCHAR AS run_id, {columns} FROM {source} WHERE {by} = ? "
            f"ORDER BY record_index) TO {sql_text(tmp)} (FORMAT parquet)",
            [run_id, key if by == "run_key" else run_id],
        )
        os.replace(tmp, folder / name)
        rows.append((key, run_id, name, n))
    return rows


def _empty_view() -> str:
    cols = [
        "NULL::BIGINT AS run_key",
        "NULL::INTEGER AS record_index",
        "NULL::TIMESTAMP AS timestamp",
    ]
    cols += [f'NULL::DOUBLE AS "{c}"' for c in NUMERIC]
    return f"SELECT {', '.join(cols)} WHERE false"


def create_view(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """(Re)create the temporary view ``records``: every registered part, with ``run_key``, in
    the contract columns (the parts of this store only; a part no registration names is not
    seen). It binds from :data:`SCHEMA_PART` alone (every part has its columns), so creating it
    costs the same ~2 ms for ten parts or ten thousand; a run's other columns are read with
    :func:`read_by_key`."""
    if (folder / SCHEMA_PART).exists():
        where = glob_literal(folder)
        files = f"[{sql_text(where + '/' + SCHEMA_PART)}, {sql_text(where + '/*.parquet')}]"
        sql = (
            f"SELECT p.run_key, t.* EXCLUDE (run_id) FROM read_parquet({files}) t "
            "JOIN record_parts p USING (run_id)"
        )
    else:  # a store opened read-only without its folder: no parts to see
        sql = _empty_view()
    con.execute(f"CREATE OR REPLACE TEMP VIEW records AS {sql}")


def read_by_key(
    con: duckdb.DuckDBPyConnection, folder: Path, keys: list[int], store: Path
) -> Iterator[tuple[int, pd.DataFrame]]:
    """``(run_key, records)`` for each key in contract columns, a few runs per read."""
    for i in range(0, len(keys), _RUNS_PER_QUERY):
        chunk = keys[i : i + _RUNS_PER_QUERY]
        parts = con.execute(
            "SELECT run_key, run_id, part FROM record_parts "
            "WHERE list_contains(?::BIGINT[], run_key)",
            [chunk],
        ).fetchall()
        files = [folder / SCHEMA_PART] + [folder / p for _, _, p in parts]
        missing = [f for f in files if not f.exists()]
        if missing:
            raise StoreError(
                f"{store}: damaged: {len(missing)} records file(s) missing from {folder} (a "
                f"store is its file and that folder, copied together); restore it or import "
                "again into a new one"
            )
        listing = "[" + ", ".join(sql_text(glob_literal(f)) for f in files) + "]"
        # run_id → run_key in the query (mapping 230,000 strings in pandas cost more than the
        # read), sorted by run_key so that each run is one slice
        df = con.execute(
            f"SELECT p.run_key, t.* EXCLUDE (run_id) FROM read_parquet({listing}, "
            "union_by_name = true) t JOIN (SELECT unnest(?::VARCHAR[]) AS run_id, "
            "unnest(?::BIGINT[]) AS run_key) p USING (run_id) ORDER BY p.run_key, t.record_index",
            [[r for _, r, _ in parts], [k for k, _, _ in parts]],
        ).df()
        utc(df, ("timestamp",))
        at = df["run_key"].to_numpy()
        for key in chunk:
            lo, hi = np.searchsorted(at, key, "left"), np.searchsorted(at, key, "right")
            out = contract_records(df.iloc[lo:hi])
            # extra columns by name: the same whichever runs share the read
            yield key, out[BASE + sorted(c for c in out.columns if c not in RECORD_COLUMNS)]


def unregister(con: duckdb.DuckDBPyConnection, keys: list[int]) -> tuple[list[str], int]:
    """Unregister the parts of runs ``keys`` (in the caller's transaction); returns their file
    names, to remove once the transaction has committed (:func:`remove`), and their records."""
    rows = con.execute(
        "SELECT part, n_records FROM record_parts WHERE list_contains(?::BIGINT[], run_key)",
        [keys],
    ).fetchall()
    con.execute("DELETE FROM record_parts WHERE list_contains(?::BIGINT[], run_key)", [keys])
    return [p for p, _ in rows], sum(int(n or 0) for _, n in rows)


def remove(folder: Path, names: Iterable[str]) -> None:
    """Remove part files (after the commit that unregistered them; a crash before this leaves
    them to :func:`sweep`)."""
    for name in names:
        with contextlib.suppress(FileNotFoundError):
            (folder / name).unlink()


def discard_unregistered(con: duckdb.DuckDBPyConnection, folder: Path, run_ids) -> None:
    """Remove the parts of ``run_ids`` that no registration names (a write the database
    refused)."""
    names = {part_name(r) for r in run_ids}
    if not names:
        return
    kept = {p for (p,) in con.execute("SELECT part FROM record_parts").fetchall()}
    remove(folder, names - kept)


#: The names this module writes in a parts folder (a part, or one half-written).
_OURS = re.compile(r"(run-[0-9a-f]{24}|schema)\.parquet(\.tmp)?")


def sweep(con: duckdb.DuckDBPyConnection, folder: Path) -> int:
    """Remove the parts of ``folder`` that no registration names (parts of a crashed import,
    of a delete interrupted after its commit, half-written ``.tmp`` files); returns how many.
    Only files named as this module names them: anything else in the folder is left alone."""
    if not folder.is_dir():
        return 0
    kept = {p for (p,) in con.execute("SELECT part FROM record_parts").fetchall()}
    kept.add(SCHEMA_PART)
    gone = [
        f.name
        for f in folder.iterdir()
        if f.name not in kept and _OURS.fullmatch(f.name) and f.is_file()
    ]
    remove(folder, gone)
    return len(gone)


def migrate(con: duckdb.DuckDBPyConnection, folder: Path, path: Path) -> bool:
    """Move the records of a store of the previous format (a ``records`` table) into parts,
    once: the files first, then one transaction registers them and drops the table (a crash
    before the commit leaves the table as it was and the files to :func:`sweep`). Said on
    stderr through the ``analyzer`` logger. Returns whether there was anything to move."""
    (old,) = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_name = 'records' AND table_type = 'BASE TABLE'"
    ).fetchone()
    if not old:
        return False
    runs = con.execute(
        "SELECT ru.run_key, ru.run_id, count(*) FROM main.records x JOIN runs ru USING (run_key) "
        "GROUP BY ALL ORDER BY 1"
    ).fetchall()
    rows = copy_parts(con, folder, "main.records", runs)
    con.begin()
    try:
        con.execute("DROP TABLE main.records")  # (first: register makes the view "records")
        register(con, folder, rows)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    logging.getLogger("analyzer").warning(
        "Upgraded %s to this version's format, once: the records of %d runs moved to %s "
        "(the store is now that file and that folder).",
        path,
        len(rows),
        folder,
    )
    return True


def old_format(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the store still keeps its records in a table (the previous format)."""
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_name IN ('records', 'record_parts')"
    ).fetchall()
    return {n for (n,) in rows} != {"record_parts"} and bool(rows)
