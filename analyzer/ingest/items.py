"""What the source walk yields: a :class:`Payload` to decode, or a :class:`SourceProblem`.

Kept apart from :mod:`analyzer.ingest.sources` so that the readers of multi-run exports
(:mod:`analyzer.ingest.applehealth`) yield the same items without importing the walk.
"""

from __future__ import annotations

from dataclasses import dataclass

from analyzer.errors import AnalyzerError


@dataclass(frozen=True, slots=True)
class Payload:
    """The bytes of one activity (a FIT, TCX or GPX file, or one workout of an Apple Health
    export) and where they came from.

    ``activity_id`` is set when the payload has an identity of its own that does not change
    with its bytes (an Apple Health workout: the same run in a newer export); otherwise the
    activity id is the sha256 of ``data``.
    """

    name: str
    data: bytes
    activity_id: str | None = None


@dataclass(frozen=True, slots=True)
class SourceProblem:
    """A member that yields no payload.

    Attributes
    ----------
    name : str
        The file or archive member concerned.
    reason : str
        One line saying why.
    outcome : str
        ``"skipped"`` (not an activity file: JSON, CSV...) or ``"failed"`` (unreadable,
        unsafe, or a file of an unusable format named on the command line).
    error : AnalyzerError or None
        The error behind a failure (an :class:`UnsafeArchive` for limit breaches).
    """

    name: str
    reason: str
    outcome: str
    error: AnalyzerError | None = None


Item = Payload | SourceProblem
