"""Process pools (decoder, report rendering): forkserver workers that never re-run the caller's script.

With the ``spawn`` and ``forkserver`` start methods, :mod:`multiprocessing` sends every new
process the parent's ``__main__`` (its file, or its module name) and the child imports it again
as ``__mp_main__`` before it runs anything (``multiprocessing.spawn.prepare``). That is how
functions defined in a script reach the workers, and it is why the documentation asks for
``if __name__ == "__main__":``. A script without that guard (the README example saved to a file)
is run again in every worker: each one opens the store the parent holds, fails, and the
import loses every file.

Preloading modules into the fork server (``set_forkserver_preload``) does not help: the preload
only concerns the server; each child still gets the parent's main path in its preparation data.

The workers (decoders, report renderers) need nothing from ``__main__``: their job and
initializer are module-level functions of :mod:`analyzer`, pickled by name. So this context starts each worker with the
preparation data computed while ``sys.modules["__main__"]`` is a bare stand-in named
``__main__``, which the child skips (``spawn._fixup_main_from_name`` ignores ``"__main__"``).
The stand-in is in place only for the few milliseconds of each launch, under a lock, and the
real module is put back whatever happens. ``fork`` would avoid the issue too, but this process
holds DuckDB's threads, and forking a multi-threaded process is what forkserver is for.
"""

from __future__ import annotations

import contextlib
import importlib.machinery
import sys
import threading
import types
from collections.abc import Iterator
from multiprocessing import context, popen_forkserver

#: Fewer FIT files than this (known when the second one is read) are decoded in-process:
#: starting the worker processes costs about a second (:mod:`analyzer.ingest.pool`).
POOL_MIN_PAYLOADS = 16
#: Modules imported once in the decoder pool's fork server, so each worker starts with them loaded.
PRELOAD = ("analyzer.ingest.worker", "analyzer.fit.activity", "pyarrow.parquet")

_LAUNCH_LOCK = threading.Lock()


@contextlib.contextmanager
def _main_hidden() -> Iterator[None]:
    """Stand in for ``__main__`` while a worker's preparation data is taken."""
    stand_in = types.ModuleType("__main__")
    stand_in.__spec__ = importlib.machinery.ModuleSpec("__main__", None)
    with _LAUNCH_LOCK:
        real = sys.modules.get("__main__")
        sys.modules["__main__"] = stand_in
        try:
            yield
        finally:
            if real is not None:
                sys.modules["__main__"] = real


class _Popen(popen_forkserver.Popen):
    def _launch(self, process_obj) -> None:
        with _main_hidden():
            super()._launch(process_obj)


class _Process(context.ForkServerProcess):
    @staticmethod
    def _Popen(process_obj):
        return _Popen(process_obj)


class _Context(context.ForkServerContext):
    Process = _Process


def worker_context(preload: tuple[str, ...] = PRELOAD) -> context.BaseContext:
    """A forkserver context whose processes do not import the caller's ``__main__``.

    ``preload`` names the modules the fork server imports once for all its workers.
    """
    ctx = _Context()
    ctx.set_forkserver_preload(list(preload))
    return ctx


def start_worker_server(preload: tuple[str, ...] = PRELOAD) -> None:
    """Start the fork server now (it starts with the first worker otherwise), so that its
    imports (~0.5 s of CPU) run on the other core while the caller still starts up. Only a
    head start: where it cannot start, the pool says why when it is made."""
    with contextlib.suppress(ImportError, OSError, ValueError):
        from multiprocessing import forkserver

        worker_context(preload)  # (sets the server's preload)
        forkserver.ensure_running()
