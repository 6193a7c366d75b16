"""How every DuckDB connection of the tool is made: with extension auto-install and auto-load off.

DuckDB downloads and loads "known" extensions by itself when a statement or a file needs one:
``sqlite_scanner`` when the store path is a SQLite file, ``httpfs`` for a URL, ``json`` or
``parquet`` on first use. This tool works offline and makes no network connection, ever, so
both settings are off from the moment a connection exists (they cannot be turned off later for
a database that is already attached), for the store and for the in-memory connections that
write Parquet alike. The extensions the tool uses (Parquet, JSON) are built into the wheel.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

#: Settings given to every connection when it is made.
CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def open_duckdb(path: str | Path = ":memory:", *, read_only: bool = False):
    """``duckdb.connect`` with :data:`CONFIG` (the store, and the in-memory helpers)."""
    return duckdb.connect(str(path), read_only=read_only, config=dict(CONFIG))
