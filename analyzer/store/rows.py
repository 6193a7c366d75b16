"""The rows the store accepts: what :mod:`analyzer.ingest` builds and hands to a store.

A :class:`Decoded` is one payload decoded (an activity with its running sessions, or a failure
with its reason); each :class:`DecodedRun` carries its records and laps as columnar
:class:`~analyzer.store.blocks.Block` s. A :class:`LogEntry` is one row of the import log. They
are defined here, beside the writer that stores them, so that the store never needs the
importer: ingest imports these, the store never imports ingest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analyzer.store.blocks import Block

#: What can happen to one file or archive member of an import.
OUTCOMES = ("imported", "duplicate", "not_run", "failed", "skipped")


@dataclass(frozen=True, slots=True)
class LogEntry:
    """What happened to one file or archive member (one row of the import log).

    ``outcome`` is one of :data:`OUTCOMES`; ``detail`` says why (the failure reason, the
    sport of a non-run, the file it duplicates).
    """

    name: str
    outcome: str
    detail: str = ""
    activity_id: str | None = None
    n_runs: int = 0


@dataclass
class DecodedRun:
    """One running session, ready to be written (built in a worker process)."""

    run_id: str
    session_index: int
    session: dict
    records: Block
    laps: Block
    averages: dict
    avg_version: str | None
    gait: dict | None = None
    gait_version: int | None = None
    #: Why the start time is not a usable date (:func:`analyzer.fit.dates.date_problem`).
    date_problem: str | None = None


@dataclass
class Decoded:
    """The result of decoding one payload: an activity, or a failure with its reason."""

    name: str
    activity_id: str
    size: int
    reason: str | None = None
    file_type: str | None = None
    sports: list[str] = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    decoder: str | None = None
    runs: list[DecodedRun] = field(default_factory=list)
    #: Fields read otherwise than declared (:attr:`analyzer.fit.activity.Activity.notes`).
    notes: list[str] = field(default_factory=list)
    #: A damaged file read in part: ``str(Partial)`` and the damage's byte offset.
    partial_reason: str | None = None
    partial_offset: int | None = None
    #: What the import log adds after the outcome (:func:`analyzer.ingest.worker.log_notes_of`).
    log_notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.reason is not None
