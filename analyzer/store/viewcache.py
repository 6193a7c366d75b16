"""What a command last showed for a store, kept beside it, read back without pandas or DuckDB.

``risk``, ``recommend`` and ``report`` build one analysis of a whole history (about a second for
1,000 runs, most of it importing pandas and DuckDB) to print a few dicts. After a build they
save those dicts (the JSON views: the risk and recommend ``--json`` documents, the report dict)
in ``<store>.cache/``; the next process asks :meth:`ViewCache.load` with only ``os.stat`` and
the standard ``json`` module and renders from the saved dicts.

A saved view is shown only when all of its key is unchanged:

- the view and its parameters (athlete as asked, ``asof``, the model file's SHA-256, ...);
- the store's version: inode, size, and modification and change times [ns] of the ``.duckdb``
  file and of its ``.wal`` (or its absence). Every write (import, diary, accept-baseline,
  rename, ...) changes one of them;
- the package's version: the path, size and mtime of every file of the ``analyzer`` package
  (code, priors, exercise texts) and the versions of the libraries that compute the figures;
- the time: a view of "now" (staleness in days, open pain, the safety window) is valid only
  until the instant its builder names (:meth:`ViewCache.save` ``valid_until``).

A write within the file system's timestamp resolution of the state that was read could leave
the size and the times unchanged (the "racy" case of git's index), so a state younger than
:data:`RACY_S` when it was read is never saved: the next command builds again. Any doubt (an
unreadable or foreign file, a key that differs in any part, a clock that went back) is a miss,
and a miss only costs the build. Saving never fails a command: a folder that cannot be written
is left alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

__all__ = [
    "ENV",
    "RACY_S",
    "SCHEMA",
    "ViewCache",
    "file_digest",
    "open_view",
    "package_state",
    "text_digest",
]

#: Set to ``0`` to neither read nor save views (every command builds its analysis).
ENV = "ANALYZER_VIEW_CACHE"
#: Bump when a saved view's shape or meaning changes without a change to the package's files.
SCHEMA = "analyzer-views-1"
#: A store state whose files changed less than this many seconds before it was read is not
#: saved: a second write in the same timestamp tick (2 s on FAT) could look identical.
RACY_S = 2.0
#: Libraries whose versions change the figures (their results are saved); an upgrade rewrites
#: their ``__init__.py``, whose size and mtime are part of the key.
_LIBRARIES = ("numpy", "pandas", "duckdb", "sklearn", "scipy")
_PACKAGE = Path(__file__).resolve().parents[1]
_package_state: str | None = None


def _stat(path: Path) -> list[int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def package_state() -> str:
    """A digest of the package's files (path, size, mtime) and of the libraries' files."""
    global _package_state
    if _package_state is None:
        h = hashlib.sha256(f"{SCHEMA}\0{sys.version}\0{sys.platform}".encode())
        stack = [_PACKAGE]
        while stack:
            for entry in sorted(os.scandir(stack.pop()), key=lambda e: e.name):
                if entry.name == "__pycache__" or entry.name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                    continue
                st = entry.stat()
                h.update(f"{entry.path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        from importlib.util import find_spec  # finds, does not import

        for lib in _LIBRARIES:
            spec = find_spec(lib)
            origin = spec.origin if spec is not None and spec.origin else None
            h.update(f"{lib}={origin}:{origin and _stat(Path(origin))}\n".encode())
        _package_state = h.hexdigest()
    return _package_state


def text_digest(text: str) -> str:
    """The SHA-256 of ``text`` (UTF-8), for a view keyed by another one."""
    return hashlib.sha256(text.encode()).hexdigest()


def file_digest(path: str | os.PathLike | None) -> str | None:
    """The SHA-256 of a (small) file the views depend on, e.g. ``--model``; None for None."""
    if path is None:
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def open_view(
    store: str | os.PathLike,
    view: str,
    params: dict[str, Any],
    *,
    varies: dict[str, Any] | None = None,
) -> ViewCache | None:
    """The :class:`ViewCache` of ``view``, or None when ``$ANALYZER_VIEW_CACHE`` is ``0`` or
    the ``model`` file of ``params`` cannot be read (the build then says what is wrong).

    ``params["model"]`` (a ``--model`` path or None for the packaged priors) is replaced by
    the file's SHA-256, so that the CLI and the app share the views of the same model.
    """
    if os.environ.get(ENV, "1") == "0":
        return None
    try:
        key = {**params, "model": file_digest(params.get("model"))}
    except OSError:
        return None
    return ViewCache(store, view, key, varies=varies)


class ViewCache:
    """One saved view of one store: ``load`` it, or build it and ``save`` it.

    Create it *before* reading the store: the key holds the store's state as it was then, so a
    write that lands while the view is built makes the saved view a miss, never a stale hit.

    Parameters
    ----------
    store : path
        The ``.duckdb`` file.
    view : str
        Which view (``"risk"``, ``"recommend"``, ``"report"``).
    params : dict
        Everything else the view depends on, JSON-able (athlete as asked, asof, model digest):
        one file per distinct ``params``, overwritten as the store changes.
    varies : dict, optional
        More of the key that does not name a file of its own (a digest of the view it was
        made from), so that the folder does not grow with every version of it.
    """

    def __init__(
        self,
        store: str | os.PathLike,
        view: str,
        params: dict[str, Any],
        *,
        varies: dict[str, Any] | None = None,
    ) -> None:
        self.store = Path(store)
        self.read_at = time.time()
        slot = json.dumps([str(self.store.resolve()), view, params], sort_keys=True)
        name = hashlib.sha256(slot.encode()).hexdigest()[:32]
        self.path = self.store.parent / f"{self.store.name}.cache" / f"{view}-{name}.json"
        self.key = {
            "slot": slot,
            "varies": varies,
            "store": self._store_state(),
            "package": package_state(),
        }
        #: Until when the view :meth:`load` gave is true [s since the epoch].
        self.valid_until: float | None = None

    def _store_state(self) -> list | None:
        db = _stat(self.store)
        if db is None:
            return None
        return [db, _stat(self.store.with_name(self.store.name + ".wal"))]

    def load(self) -> Any:
        """The saved view, or None: no store, nothing saved, any part of the key changed, or
        the view's time is over."""
        if self.key["store"] is None:
            return None
        try:
            with open(self.path, encoding="utf-8") as f:
                saved = json.load(f)
            if saved["key"] != self.key:
                return None
            if not saved["built_at"] <= self.read_at < saved["valid_until"]:
                return None
            view = saved["view"]
            self.valid_until = float(saved["valid_until"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return view

    def save(self, view: Any, *, valid_until: float) -> bool:
        """Save ``view`` (JSON-able) for the key taken at creation; True when saved.

        Not saved when the store changed since the key was taken, when its state was younger
        than :data:`RACY_S` then, when ``valid_until`` has passed, or when the folder cannot be
        written.
        """
        state = self.key["store"]
        if state is None or self._store_state() != state:
            return False
        newest = max(t for s in state if s is not None for t in s[2:]) / 1e9
        if newest > self.read_at - RACY_S or valid_until <= time.time():
            return False
        from analyzer._base.files import write_user_file
        from analyzer.errors import FileProblem

        doc = {"key": self.key, "built_at": self.read_at, "valid_until": valid_until}
        try:
            self.path.parent.mkdir(exist_ok=True)
            write_user_file(self.path, json.dumps({**doc, "view": view}), what="view cache")
        except (OSError, FileProblem, ValueError, TypeError):
            return False
        return True
