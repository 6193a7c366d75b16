"""Opening the store's DuckDB file: one writer at a time, readers while an import runs.

DuckDB lets ONE process open a database file read-write, or any number of processes open it
read-only, never both at once: a read-only connection cannot open while a writer holds the
file, and the other way round (DuckDB documentation, "Concurrency", which also recommends
retrying when the lock is taken). So that ``analyzer runs`` or ``report`` can read while an
import runs, an import *lends* the file between its write batches: it commits a batch, closes
its connection (which releases DuckDB's lock), decodes the next batch and reopens, waiting
while readers hold the file. Readers see whole committed batches, never part of a transaction,
because DuckDB's lock is what they wait for.

While the file is lent, another writer must not slip in (two imports interleaving would each
miss what the other wrote). Every read-write :class:`~analyzer.store.database.Store` therefore
also holds an exclusive ``flock`` on a small ``<store>.lock`` file beside the database for as
long as it is open. The lock lives on its own file because closing any descriptor of the
database file in this process would drop DuckDB's POSIX lock on it. Where ``fcntl`` is missing
(Windows) that lock is skipped and only DuckDB's own lock protects the file.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb

from analyzer.errors import StoreError

try:  # POSIX only
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

#: How long a reader waits for a writer to lend the file [s] (an import lends it after every
#: batch, about once a second; a script holding a Store open never does).
READ_WAIT_S = 30.0
#: How long a command that writes waits for another writer or for readers to finish [s].
WRITE_WAIT_S = 30.0
#: How long an import waits to take the file back from readers between two batches [s].
REOPEN_WAIT_S = 600.0
#: An import lends the file to readers after a write batch at most this often [s]: a reader
#: waits about this long, an import pays one checkpoint and reopen per interval.
LEND_EVERY_S = 2.0
#: Pause between two attempts to take a lock [s].
POLL_S = 0.05


def lock_path(path: Path) -> Path:
    """The writer-lock file beside the store ``path``."""
    return path.with_name(path.name + ".lock")


def _busy(path: Path, waited: float) -> StoreError:
    return StoreError(
        f"{path}: the store is in use by another process (an import still running, or a "
        f"script holding analyzer.Store open?); waited {waited:.0f} s, try again when it has "
        "finished"
    )


def connect(path: Path, *, read_only: bool, wait_s: float) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection to ``path``, retrying for up to ``wait_s`` while it is locked.

    A read-only connection in a process that already holds the file read-write shares that
    connection's database instead (DuckDB refuses two configurations of one file in a process).
    """
    deadline = time.monotonic() + wait_s
    started = time.monotonic()
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.ConnectionException as exc:
            if read_only and "different configuration" in str(exc):
                return duckdb.connect(str(path))
            raise StoreError(f"{path}: cannot open the store ({exc})") from None
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise StoreError(f"{path}: cannot open the store ({exc})") from None
            if time.monotonic() >= deadline:
                raise _busy(path, time.monotonic() - started) from None
        except (duckdb.Error, OSError) as exc:
            if "checksum" in str(exc).lower():  # a write-ahead log damaged on disk
                from analyzer.store.check import damaged

                raise damaged(path, f"its write-ahead log is corrupt ({exc})") from None
            raise StoreError(f"{path}: cannot open the store ({exc})") from None
        time.sleep(POLL_S)


class WriterLock:
    """The exclusive lock every read-write store holds on ``<store>.lock`` while it is open."""

    def __init__(self, path: Path, *, wait_s: float):
        self.fd: int | None = None
        if fcntl is None:
            return
        started = time.monotonic()
        try:
            fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(f"{path}: cannot open the store ({exc})") from None
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() - started >= wait_s:
                    os.close(fd)
                    raise _busy(path, time.monotonic() - started) from None
                time.sleep(POLL_S)
            else:
                self.fd = fd
                return

    def release(self) -> None:
        """Let the next writer in (idempotent)."""
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor drops the flock
            self.fd = None
