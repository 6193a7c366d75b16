"""Writing one Parquet file atomically from a DataFrame, with one in-memory DuckDB connection
per thread: the one part writer of the package (record parts, :mod:`analyzer.store.parts`
datasets)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb
import pandas as pd

from analyzer.store.duck import open_duckdb


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Write ``df`` to ``path`` atomically (a temporary file renamed into place)."""
    tmp = path.with_name(path.name + ".tmp")
    con = _writer()
    con.register("part", df)
    try:
        con.execute(f"COPY part TO {sql_text(tmp)} (FORMAT parquet)")
    finally:
        con.unregister("part")
    os.replace(tmp, path)


_LOCAL = threading.local()


def _writer() -> duckdb.DuckDBPyConnection:
    """This thread's in-memory DuckDB connection for writing parts (opening one costs ~25 ms,
    more than writing a small part, so each worker thread keeps its own)."""
    con = getattr(_LOCAL, "con", None)
    if con is None:
        con = _LOCAL.con = open_duckdb()
    return con


def sql_text(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"
