"""Where in a history the files that failed to import belong: the holes they leave in the load.

A failed file leaves its run out of every weekly figure. When several fail together (a damaged
folder, a watch firmware that wrote unreadable files for a month), a stretch of the history is
missing and the load figures there are wrong; the import summary says so
(:func:`hole_lines`). Each failed file is dated by what it tells, in this order:

1. **its name**: a date in the file name (``2024-03-05-07-12-00.fit``, ``20210507_run.fit``,
   ``Move_2019_03_17_10_24_32_Running.fit``): Garmin, COROS, Suunto, Strava and most apps
   name activity files by their start;
2. **its neighbours**: the runs imported just before and after it in the order the files were
   read (folders sorted by name, archives in their own order; Garmin's export numbers
   its files in upload order), so the failed file lies between their starts. When it has no
   dated neighbour on one side it cannot be placed and is not counted in a hole.

(A failed file's own header is not read again: the reasons files fail are exactly a header or
data that cannot be read.) Dated failures closer than :data:`MERGE_DAYS` to each other form one
stretch; each stretch is reported with the number of runs the store holds inside it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

#: Failed files dated closer than this to each other form one stretch [days] (two weeks: the
#: span of the shortest load figure that a missing run changes, the two-week progression).
MERGE_DAYS = 14
#: A date in a file name: YYYY MM DD with -, _ or nothing between (years 2000-2099).
_TICK = pd.Timedelta(seconds=1)
_NAME_DATE = re.compile(r"(?<!\d)(20\d\d)[-_]?(0[1-9]|1[0-2])[-_]?(0[1-9]|[12]\d|3[01])(?!\d)")


@dataclass(frozen=True)
class Hole:
    """A stretch of history some failed files belong to.

    Attributes
    ----------
    first, last : pandas.Timestamp
        The earliest and latest time the failed files can have (UTC).
    n_failed : int
        Failed files dated inside it.
    n_runs : int
        Runs the store holds inside it (0: nothing at all was imported there).
    """

    first: pd.Timestamp
    last: pd.Timestamp
    n_failed: int
    n_runs: int = 0


def name_date(name: str) -> pd.Timestamp | None:
    """The date in a file's name (its last part), UTC midnight; None when there is none."""
    base = name.rsplit("!", 1)[-1].rsplit("/", 1)[-1]
    for m in _NAME_DATE.finditer(base):
        try:
            return pd.Timestamp(int(m[1]), int(m[2]), int(m[3]), tz="UTC")
        except ValueError:  # 2023-02-30
            continue
    return None


def date_failures(
    order: list[str], failed: set[str], starts: dict[str, pd.Timestamp]
) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """(earliest, latest) time of each failed file that can be dated (see the module docstring):
    the whole day of a name date, or the time strictly between two imported neighbours.

    Parameters
    ----------
    order : list of str
        Every file name in the order the import read them.
    failed : set of str
        The names that failed.
    starts : dict
        Start time (UTC) of the first run of each imported file, by name.
    """
    out = []
    dated = [(i, starts[n]) for i, n in enumerate(order) if n in starts]
    idx = [i for i, _ in dated]
    for i, name in enumerate(order):
        if name not in failed:
            continue
        day = name_date(name)
        if day is not None:
            out.append((day, day + pd.Timedelta(days=1) - _TICK))
            continue
        pos = pd.Index(idx).searchsorted(i) if idx else 0
        if 0 < pos < len(dated):
            before, after = dated[pos - 1][1], dated[pos][1]
            lo, hi = min(before, after), max(before, after)
            out.append((lo + _TICK, hi - _TICK))  # strictly between the two imported runs
    return out


def holes(
    ranges: list[tuple[pd.Timestamp, pd.Timestamp]], run_starts: Iterable[pd.Timestamp]
) -> list[Hole]:
    """Merge the failed files' date ranges into stretches and count the runs inside each."""
    if not ranges:
        return []
    from analyzer.fit.dates import real_dates

    runs = real_dates(run_starts)
    merged: list[list] = []
    for lo, hi in sorted(ranges):
        if merged and lo - merged[-1][1] <= pd.Timedelta(days=MERGE_DAYS):
            merged[-1][1] = max(merged[-1][1], hi)
            merged[-1][2] += 1
        else:
            merged.append([lo, hi, 1])
    out = []
    for lo, hi, n in merged:
        inside = ((runs >= lo) & (runs <= hi)).sum()
        out.append(Hole(lo, hi, n, int(inside)))
    return out


def hole_lines(found: list[Hole]) -> list[str]:
    """The import summary's lines about the holes."""
    out = []
    for h in found:
        files = f"{h.n_failed} file{'s' if h.n_failed != 1 else ''} failed"
        first, last = f"{h.first:%Y-%m-%d}", f"{h.last:%Y-%m-%d}"
        when = first if first == last else f"{first}..{last}"
        verb = "falls" if h.n_failed == 1 else "fall"
        pronoun = "it" if h.n_failed == 1 else "they"
        if h.n_runs == 0:
            where = "where no run imported"
        else:
            where = f"beside {h.n_runs} imported run{'s' if h.n_runs != 1 else ''}"
        out.append(
            f"{files}; {pronoun} {verb} in {when}, {where}: the load figures there are incomplete"
        )
    return out


def import_holes(report, run_starts: Iterable[pd.Timestamp]) -> list[Hole]:
    """The holes of an :class:`~analyzer.ingest.importer.ImportReport`: its failed activity
    files (not the files of a format we cannot use), dated and merged, with the runs of
    ``run_starts`` (the athlete's runs in the store) counted inside each."""
    from analyzer.ingest.formats import ACTIVITY_KINDS, classify

    failed = {
        e.name
        for e in report.failures
        if classify(e.name.rsplit("!", 1)[-1]) in ACTIVITY_KINDS or classify(e.name) == "zip"
    }
    if not failed:
        return []
    return holes(date_failures(report.order, failed, report.starts), run_starts)
