"""The import pipeline: payloads → decoded activities (process pool) → the store (one writer).

:func:`run_import` streams payloads from :func:`analyzer.ingest.sources.iter_payloads`, hashes
each (sha256 = the activity id: a file already in the store is never decoded again) and hands
the new ones to worker processes (:mod:`analyzer.ingest.worker`), which decode them, compute
the per-run averages and gait summary and write each run's records to its Parquet part beside
the store; the main process writes the rest, a batch of whole activities per transaction.

Memory stays bounded whatever the size of the export (:mod:`analyzer.ingest.pool` hands out a
bounded number of payloads and pulls the next only when there is room). A payload that fails
(broken file, decoder bug, even a crashed worker process) is logged with its reason and the
rest carries on. Because every
activity is committed atomically and known ids are skipped, an interrupted import (Ctrl-C,
SIGKILL, power loss) is finished by running the same command again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

if TYPE_CHECKING:
    from analyzer.store.database import Store

from analyzer.ingest.pool import DecoderPool
from analyzer.ingest.sources import Limits, SourceProblem, check_paths, iter_payloads
from analyzer.store.blocks import Block
from analyzer.store.rows import OUTCOMES, Decoded, LogEntry

#: A write transaction holds at most this many activities, this many runs with records in
#: memory (a decoder that wrote them to their part hands back a receipt), or this many records
#: in memory; decoded activities wait at most about this long [s] before they are written (one
#: commit per batch, ~20 ms of fixed work, is what keeps a single writer ahead of the decoders).
BATCH_ACTIVITIES, BATCH_IN_MEMORY, BATCH_RECORDS = 256, 32, 250_000
BATCH_SECONDS = 1.0
#: Athlete name used when ``--athlete`` is not given.
DEFAULT_ATHLETE = "default"


class Sink(Protocol):
    """Where an import writes: a :class:`~analyzer.store.Store`, or the Parquet writer.

    The importer writes only through these methods (:func:`import_paths` hands it a store;
    :mod:`analyzer.ingest.scale` a Parquet writer); the store never imports ingest.
    A sink may also offer ``activity_owners() -> {activity_id: athlete}``; a duplicate then
    names the athlete who already has it.
    """

    def ensure_athlete(self, athlete: str) -> None: ...

    def known_activities(self) -> dict[str, str]: ...

    def log_entries(self, entries: list[LogEntry], *, import_id: str, athlete: str) -> None: ...

    def write_batch(
        self, batch: list[Decoded], *, athlete: str, import_id: str
    ) -> list[LogEntry]: ...


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------
@dataclass
class ImportReport:
    """The outcome of one import: counts, one :class:`LogEntry` per file, timing.

    ``workers`` is the number of decoder processes used (1: decoded in-process, which small
    imports do whatever was asked); ``discovered`` counts the FIT files seen in folders and
    opened archives so far (a progress total); ``records`` counts the records stored.
    """

    import_id: str
    athlete: str
    workers: int
    entries: list[LogEntry] = field(default_factory=list)
    discovered: int = 0
    elapsed_s: float = 0.0
    records: int = 0
    # Running counts of ``entries`` (the progress display reads them after every file: a
    # recount would make an import of n files O(n^2)). Brought up to date from the entries
    # added since the last read; rebuilt when the list is replaced.
    _tally: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)
    _tallied: int = field(default=0, init=False, repr=False, compare=False)
    _tally_of: list | None = field(default=None, init=False, repr=False, compare=False)

    def _counts(self) -> dict[str, int]:
        entries = self.entries
        if self._tally_of is not entries or self._tallied > len(entries):
            self._tally = dict.fromkeys((*OUTCOMES, "runs"), 0)
            self._tallied, self._tally_of = 0, entries
        tally = self._tally
        for i in range(self._tallied, len(entries)):
            e = entries[i]
            tally[e.outcome] = tally.get(e.outcome, 0) + 1
            if e.outcome == "imported":
                tally["runs"] += e.n_runs
        self._tallied = len(entries)
        return tally

    #: Runs recorded twice (another watch or export) that involve a file of this import:
    #: :class:`analyzer.store.duplicates.Link` (run left out, the run kept).
    recorded_twice: list = field(default_factory=list)
    #: Every file name in the order read, and the first run's start of each imported file
    #: (UTC): what :mod:`analyzer.ingest.holes` dates failed files by.
    order: list[str] = field(default_factory=list)
    starts: dict = field(default_factory=dict)

    def count(self, outcome: str) -> int:
        """Number of entries with this outcome (O(1) per new entry, not a recount)."""
        return self._counts().get(outcome, 0)

    @property
    def imported(self) -> int:
        return self.count("imported")

    @property
    def duplicates(self) -> int:
        return self.count("duplicate")

    @property
    def not_run(self) -> int:
        return self.count("not_run")

    @property
    def failed(self) -> int:
        return self.count("failed")

    @property
    def skipped(self) -> int:
        return self.count("skipped")

    @property
    def runs(self) -> int:
        """Runs added to the store (a multisport file can add more than one)."""
        return self._counts()["runs"]

    @property
    def done(self) -> int:
        """FIT payloads handled so far (skipped non-FIT members excluded)."""
        return len(self.entries) - self.skipped

    @property
    def failures(self) -> list[LogEntry]:
        return [e for e in self.entries if e.outcome == "failed"]

    @property
    def ok(self) -> bool:
        """True when every file was handled (nothing failed)."""
        return self.failed == 0


def import_paths(store: Store, paths: Iterable[str | os.PathLike], **options: Any) -> ImportReport:
    """Import files, folders and export archives into an open :class:`~analyzer.store.Store`.

    ``import_paths(store, ["export.zip"], athlete="me")``; ``options`` are those of
    :func:`run_import` (``athlete``, ``progress``, ``workers``, ``limits``, ``decoder``,
    ``strict``, ``on_read``). The store caps its memory while it writes
    (:meth:`~analyzer.store.database.Store.importing`).
    """
    with store.importing():
        return run_import(store, paths, **options)


def run_import(
    store: Sink,
    paths: Iterable[str | os.PathLike],
    *,
    athlete: str | None = None,
    progress: Callable[[LogEntry, ImportReport], None] | None = None,
    workers: int | None = None,
    limits: Limits | None = None,
    decoder: str = "auto",
    pipeline: Callable[[str], Any] | None = None,
    strict: bool = False,
    on_read: Callable[[str, int, int], None] | None = None,
) -> ImportReport:
    """Import every FIT payload under ``paths`` into ``store``; see the module docstring.

    Parameters
    ----------
    store : Sink
        An open store (the single writer), or any other :class:`Sink`.
    paths : iterable of path-like
        Files, folders and archives in any mix.
    athlete : str, optional
        Owner of the imported runs (default :data:`DEFAULT_ATHLETE`).
    progress : callable, optional
        Called as ``progress(entry, report)`` after each file; ``report.done`` and
        ``report.discovered`` give the position.
    workers : int, optional
        Decoder processes (default: all cores); 1 decodes in this process.
    limits : Limits, optional
        Archive safety limits.
    decoder : str
        Passed to :func:`analyzer.fit.activity.read_fit` (``"auto"``, ``"fast"``, ``"fitparse"``).
    strict : bool
        Fail a damaged file instead of importing the part before the damage as a partial run
        (:mod:`analyzer.fit.recover`); passed to ``read_fit``. A custom ``pipeline`` must
        pass it on itself.
    pipeline : callable, optional
        Decodes elsewhere than in the process pool: ``pipeline(decoder)`` returns a context
        manager with ``submit(payload, activity_id) -> list[Decoded]`` (the results ready so
        far; blocks while too many are out), ``finish() -> list[Decoded]`` (all the rest) and a
        ``workers`` attribute (reported). ``workers`` is then not used. :mod:`analyzer.ingest.scale`
        passes one that decodes on a Dask cluster; writing stays here.

    on_read : callable, optional
        ``on_read(name, bytes_done, bytes_total)`` while a large export (an Apple Health
        ``export.xml``) is streamed before its runs are handed out: a progress bar on bytes.

    Returns
    -------
    ImportReport

    Raises
    ------
    UnsupportedExport
        Before anything is read, when a path does not exist.
    """
    checked = check_paths(paths)
    workers = (os.cpu_count() or 1) if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    athlete = athlete or DEFAULT_ATHLETE
    report = ImportReport(import_id=uuid.uuid4().hex, athlete=athlete, workers=workers)
    started = time.perf_counter()
    known = store.known_activities()
    owners_of = getattr(store, "activity_owners", None)
    owners: dict[str, str] = owners_of() if owners_of is not None else {}
    athlete_added = False  # added with its first run: an import without runs adds no athlete
    pending_names: dict[str, str] = {}
    log_buffer: list[LogEntry] = []

    def discover(n: int) -> None:
        report.discovered += n

    def record(entry: LogEntry, *, logged: bool) -> None:
        if "\n" in entry.detail:  # one line per file in every report
            entry = replace(entry, detail=" ".join(entry.detail.split()))
        report.entries.append(entry)
        if not logged:
            log_buffer.append(entry)
            if len(log_buffer) >= 500:
                flush()
        if progress is not None:
            progress(entry, report)

    def flush() -> None:
        if log_buffer:
            store.log_entries(log_buffer, import_id=report.import_id, athlete=athlete)
            log_buffer.clear()

    batch: list[Decoded] = []
    held = [0, 0]  # runs of the batch with records in memory, and their records
    last_write = time.monotonic()

    def write(results: list[Decoded], *, force: bool = False) -> None:
        nonlocal last_write, athlete_added
        for dec in results:
            if dec.failed:
                pending_names.pop(dec.activity_id, None)
                entry = LogEntry(dec.name, "failed", dec.reason or "", dec.activity_id)
                record(entry, logged=False)
                continue
            batch.append(dec)
            mem = [len(r.records) for r in dec.runs if isinstance(r.records, Block)]
            held[0], held[1] = held[0] + len(mem), held[1] + sum(mem)
        due = (
            force
            or len(batch) >= BATCH_ACTIVITIES
            or held[0] >= BATCH_IN_MEMORY
            or held[1] >= BATCH_RECORDS
            or time.monotonic() - last_write >= BATCH_SECONDS
        )
        if not batch or not due:
            return
        if not athlete_added and any(d.runs for d in batch):
            store.ensure_athlete(athlete)
            athlete_added = True
        entries = store.write_batch(batch, athlete=athlete, import_id=report.import_id)
        for dec, entry in zip(batch, entries, strict=True):
            pending_names.pop(dec.activity_id, None)
            if entry.outcome != "failed":
                known[dec.activity_id] = dec.name
                report.records += sum(len(r.records) for r in dec.runs)
                # (the Parquet export hands back receipts without the session)
                first = dec.runs[0] if dec.runs else None
                start = (getattr(first, "session", None) or {}).get("start_time")
                # Only real dates place a failed neighbour in time (a run "in 9999" would put
                # every failed file in a hole centuries long, beyond pandas' range).
                if start is not None and not first.date_problem:
                    report.starts[dec.name] = pd.Timestamp(start)
            record(entry, logged=entry.outcome != "failed")
        batch.clear()
        held[:], last_write = [0, 0], time.monotonic()

    try:
        if pipeline is None:
            parts = getattr(store, "parts_dir", None)  # a store: the decoders write records
            pipe_cm = DecoderPool(
                workers,
                decoder,
                expected=lambda: report.discovered,
                strict=strict,
                parts_dir=None if parts is None else str(parts),
            )
        else:
            pipe_cm = pipeline(decoder)
        with pipe_cm as pipe:
            items = iter_payloads(
                checked, limits=limits or Limits(), on_discover=discover, on_read=on_read
            )
            for item in items:
                report.order.append(item.name)
                if isinstance(item, SourceProblem):
                    record(LogEntry(item.name, item.outcome, item.reason), logged=False)
                    continue
                aid = item.activity_id or hashlib.sha256(item.data).hexdigest()
                first = known.get(aid) or pending_names.get(aid)
                if first is not None:
                    owner = owners.get(aid)
                    same = "same workout" if item.activity_id else "same file"
                    detail = (
                        f"already imported for athlete {owner!r} (as {first})"
                        if owner is not None
                        else f"{same} as {first}"
                    )
                    entry = LogEntry(item.name, "duplicate", detail, aid)
                    record(entry, logged=False)
                    continue
                pending_names[aid] = item.name
                write(pipe.submit(item, aid))
            write(pipe.finish(), force=True)
            report.workers = pipe.workers
        link = getattr(store, "link_duplicates", None)  # the Parquet sink keeps every run
        if link is not None and report.imported:  # nothing new: nothing to relink
            report.recorded_twice = link(athlete, report.import_id)
    except BaseException:
        # Log what can be logged, but never let a second failure (the disk that just filled
        # up) hide the first one.
        with contextlib.suppress(Exception):
            flush()
        raise
    else:
        flush()
    finally:
        report.elapsed_s = time.perf_counter() - started
    return report
