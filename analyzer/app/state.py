"""The app's hold on the store: one lock, a version, and the report cache keyed by it.

Every page reads the one analysis through :func:`analyzer.report.build`; building it (and above
all drawing its figures) takes a second or two, so the report dict and each rendered page are
kept per athlete under the store's *version*: the size and modification time of the DuckDB
file and of its write-ahead log, plus a counter the app bumps after each of its own writes,
and until the instant the analysis names (:func:`analyzer.analysis.unchanged_until`: a new day,
a whole day more since the last run). An import (its own process) or a CLI command changes the
files, so the next request rebuilds. The report dict is shared with the CLI through the views
saved beside the store (:mod:`analyzer.store.viewcache`): a report the CLI built is not built
again by the app, and the other way round.

The store is opened per request, read-only to read (so an import running beside the app lends
it between batches, as with the CLI) and read-write only to write. DuckDB refuses two
configurations of one file in one process, so the app's requests take turns through one lock.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyzer.errors import AnalyzerError

#: Most athletes whose report the cache keeps (a coach's store holds tens).
MAX_CACHED = 64


@dataclass
class _Entry:
    version: tuple
    data: dict | str  # the report dict, or why there is none
    valid_until: float  # when the clock makes it old [s since the epoch]
    pages: dict[str, dict] = field(default_factory=dict)  # units -> the page's context


class AppState:
    """The store path, its lock and version, the report cache and the units preference.

    Parameters
    ----------
    store_path : Path
        The DuckDB file (it may not exist yet: the first import creates it).
    units : str
        The saved display units (``"metric"`` or ``"imperial"``).
    save_units : callable, optional
        Saves a new units preference (the CLI's config); None: the choice lasts for this run.
    max_upload_bytes : int
        Most bytes one import may upload.
    """

    def __init__(
        self,
        store_path: Path,
        *,
        units: str = "metric",
        save_units: Callable[[str], Any] | None = None,
        max_upload_bytes: int = 4 << 30,
    ):
        self.store_path = Path(store_path)
        self.units = units
        self.save_units = save_units
        self.max_upload_bytes = max_upload_bytes
        self._lock = threading.RLock()
        self._writes = 0
        self._cache: dict[str, _Entry] = {}
        self._team: tuple[tuple, dict] | None = None
        self._names: tuple[tuple, list[str]] | None = None

    # -- the store ------------------------------------------------------------------------
    def version(self) -> tuple:
        """What changes whenever the store does (see the module doc)."""
        parts: list[Any] = [self._writes]
        for p in (self.store_path, self.store_path.with_name(self.store_path.name + ".wal")):
            try:
                st = p.stat()
            except OSError:
                parts.append(None)
            else:
                parts.append((st.st_mtime_ns, st.st_size))
        return tuple(parts)

    @contextlib.contextmanager
    def reading(self) -> Iterator[Any]:
        """The store, read-only, or None when it does not exist yet."""
        from analyzer.store.database import Store

        with self._lock:
            if not self.store_path.exists():
                yield None
                return
            with Store(self.store_path, read_only=True) as store:
                yield store

    @contextlib.contextmanager
    def writing(self) -> Iterator[Any]:
        """The store, read-write (waiting for an import that holds it); bumps the version."""
        from analyzer.errors import NotFound
        from analyzer.store.connection import WRITE_WAIT_S
        from analyzer.store.database import Store

        with self._lock:
            if not self.store_path.exists():
                raise NotFound(f"no store at {self.store_path} yet: import some runs first")
            try:
                with Store(self.store_path, wait_s=WRITE_WAIT_S) as store:
                    yield store
            finally:
                self._writes += 1

    def changed(self) -> None:
        """Something outside :meth:`writing` changed the store (an import finished)."""
        with self._lock:
            self._writes += 1

    # -- cached views ---------------------------------------------------------------------
    def athletes(self) -> list[str]:
        """The athletes' names, cached per store version."""
        version = self.version()
        if self._names is not None and self._names[0] == version:
            return self._names[1]
        with self.reading() as store:
            names = [] if store is None else store.athletes()
        self._names = (version, names)
        return names

    def report(self, athlete: str) -> dict:
        """The athlete's report dict (``analyzer report --json``), cached per store version.

        Raises
        ------
        NotFound
            No such athlete.
        NotEnoughData
            The athlete has no run.
        """
        return self._entry(athlete).data  # type: ignore[return-value]

    def page_context(self, athlete: str, units: str) -> dict:
        """The athlete page's template context (sections and figures), cached per units."""
        from analyzer.report import html

        entry = self._entry(athlete)
        key = f"ctx:{units}"
        if key not in entry.pages:
            entry.pages[key] = html.athlete_context(entry.data, units=units)  # type: ignore[arg-type]
        return entry.pages[key]

    def _entry(self, athlete: str) -> _Entry:
        from analyzer import report
        from analyzer.errors import NotEnoughData, NotFound
        from analyzer.store.viewcache import open_view

        version = self.version()  # before reading: a write meanwhile makes this entry old
        hit = self._cache.get(athlete)
        if hit is not None and hit.version == version and time.time() < hit.valid_until:
            return hit
        # the report the CLI or an earlier run of the app saved beside the store, if it holds
        saved = open_view(self.store_path, "report", {"athlete": athlete, "model": None})
        data = saved.load() if saved is not None else None
        valid_until = saved.valid_until if saved is not None and data is not None else None
        if data is None:
            from analyzer.analysis import unchanged_until

            with self.reading() as store:
                if store is None:
                    raise NotFound("the store is empty: import some runs first")
                name = store.resolve_athlete(athlete)
                summary = store.athlete_summary().set_index("athlete")
                if int(summary.loc[name, "runs"]) == 0:
                    raise NotEnoughData(f"athlete {name!r} has no runs yet: import some first")
                data, an = report.build_analysed(store, name)
            valid_until = unchanged_until(an, asof_given=False)
            if saved is not None:
                saved.save(data, valid_until=valid_until)
        entry = _Entry(version, data, valid_until)
        if len(self._cache) >= MAX_CACHED:
            self._cache.pop(next(iter(self._cache)))
        self._cache[athlete] = entry
        return entry

    def team(self) -> dict:
        """The team dict (every athlete's status, index and last run), cached per version."""
        from analyzer import report

        version = self.version()
        if self._team is not None and self._team[0] == version:
            return self._team[1]
        reports: dict[str, dict | str] = {}
        for name in self.athletes():
            try:
                reports[name] = self.report(name)
            except AnalyzerError as exc:
                reports[name] = str(exc)
        team = report.team_from_reports(reports, {n: f"/athletes/{n}" for n in reports})
        self._team = (version, team)
        return team
