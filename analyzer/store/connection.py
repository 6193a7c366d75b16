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
import stat
import time
from pathlib import Path

import duckdb

from analyzer.errors import StoreError
from analyzer.store.duck import open_duckdb

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
    """The writer-lock file of the store ``path``: beside the file the path leads to, so a
    symbolic link to the store, or the store named by another path, takes the same lock (a
    hard link, which has no one true name, is caught by the lock's identity check in
    :class:`WriterLock`)."""
    real = Path(os.path.realpath(path))
    return real.with_name(real.name + ".lock")


def check_store_file(path: Path) -> None:
    """Refuse a store path that is not a regular file (a FIFO would block every command)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return  # a new store
    except OSError as exc:
        raise StoreError(f"{path}: cannot open the store ({exc.strerror or exc})") from None
    if not stat.S_ISREG(mode):
        from analyzer._base.files import kind_of

        raise StoreError(
            f"{path}: cannot open the store: the path is {kind_of(mode)}, not a file; pass a "
            "DuckDB file with --store"
        )


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
    check_store_file(path)
    deadline = time.monotonic() + wait_s
    started = time.monotonic()
    while True:
        try:
            return open_duckdb(path, read_only=read_only)
        except duckdb.ConnectionException as exc:
            if read_only and "different configuration" in str(exc):
                return open_duckdb(path)
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
    """The exclusive locks every read-write store holds while it is open.

    Two ``flock`` s, both taken before DuckDB opens the file: one on ``<store>.lock`` beside the
    file the path resolves to (:func:`lock_path`: the same for every symbolic link to it, and
    there for a store that does not exist yet), and one on the database file itself once it
    exists (:meth:`cover`): a hard link is the same file under another name, and only the file's
    identity tells. The database file's descriptor is closed only after DuckDB has closed the
    file (:meth:`release`), because closing it would drop DuckDB's own POSIX lock.
    """

    def __init__(self, path: Path, *, wait_s: float):
        self.fd: int | None = None
        self.file_fd: int | None = None
        if fcntl is None:
            return
        self.path = path
        self.started = time.monotonic()
        self.wait_s = wait_s
        try:
            fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(f"{path}: cannot open the store ({exc})") from None
        self.fd = self._take(fd)
        try:
            self.cover()
        except StoreError:
            self.release()
            raise

    def _take(self, fd: int) -> int:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                waited = time.monotonic() - self.started
                if waited >= self.wait_s:
                    os.close(fd)
                    raise _busy(self.path, waited) from None
                time.sleep(POLL_S)
            else:
                return fd

    def cover(self) -> None:
        """Lock the database file itself, once it exists (call again after creating it)."""
        if fcntl is None or self.file_fd is not None or self.fd is None:
            return
        check_store_file(self.path)
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except FileNotFoundError:
            return  # a new store: DuckDB creates it, then the store calls cover() again
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot open the store ({exc})") from None
        self.file_fd = self._take(fd)

    def release(self) -> None:
        """Let the next writer in (idempotent); after DuckDB has closed the file."""
        if self.file_fd is not None:
            os.close(self.file_fd)
            self.file_fd = None
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor drops the flock
            self.fd = None
