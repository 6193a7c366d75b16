"""Team and cohort scale: decoding on a Dask cluster, writing from this process.

:func:`import_with_dask` is :func:`analyzer.ingest.importer.run_import` with the process pool swapped
for a Dask cluster (``pip install 'analyzer[dask]'``); the rest is the normal import. This
process reads the sources, hashes each payload (known or repeated files are never sent), the
workers run :func:`analyzer.ingest.worker.decode_payload` (decode, averages, gait summary; a
bad file comes back with its reason) and this process, the single writer, stores the results
in the same batched transactions. Outcomes, import log and idempotence are those of
``analyzer import``.

Memory stays bounded: at most ``window`` tasks of ``batch`` payloads (and
:data:`analyzer.ingest.pool.MAX_INFLIGHT_BYTES`) are out at once, a sliding window over
:class:`distributed.as_completed`; the sources are read further only as results come back.
A task that fails on the cluster (worker killed, connection lost) is retried payload by
payload; a payload that still fails is logged as failed with the reason. The workers need the
same ``analyzer`` installed; that is checked before anything is sent.

:func:`analyzer.ingest.parquet.export_parquet` is the larger-scale
path: workers write Parquet parts themselves.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from analyzer.errors import AnalyzerError
from analyzer.ingest.importer import ImportReport, Sink, run_import
from analyzer.ingest.pool import MAX_INFLIGHT_BYTES
from analyzer.ingest.sources import Limits, Payload, check_paths
from analyzer.ingest.worker import decode_payload
from analyzer.store.rows import Decoded, LogEntry

if TYPE_CHECKING:
    from distributed import Client

#: Tasks out per worker thread by default: no worker waits while this process writes.
WINDOW_PER_THREAD = 4
#: Payloads per task by default: a decode takes 10-1000 ms against ~1 ms of scheduler
#: overhead per task, so one per task costs little and balances the load best.
DEFAULT_BATCH = 1
#: ``--dask`` value that starts a temporary cluster on this machine.
LOCAL = "local"
#: How long to wait for a scheduler to answer [s].
CONNECT_TIMEOUT_S = 20
#: Prefix of the Dask task keys (what the dashboard shows).
TASK_PREFIX = "analyzer-decode"

_Item = tuple[Payload, str]  # a payload and its activity id


def distributed_module() -> Any:
    try:
        import distributed
    except ImportError:
        raise AnalyzerError(
            "Dask is not installed; install it with: pip install 'analyzer[dask]'"
        ) from None
    return distributed


# -- Worker side (module-level functions: pickled by name, so the workers need analyzer) -------
def decode_many(
    items: list[tuple[bytes, str, str]], decoder: str, strict: bool = False
) -> list[Decoded]:
    """Decode ``(data, name, activity_id)`` payloads on a worker; never raises for a bad file."""
    return [decode_payload(data, name, aid, decoder, strict) for data, name, aid in items]


def worker_check() -> str:
    """Runs on a worker before an import: imports the decoder stack, returns its version."""
    import analyzer.fit.activity  # noqa: F401 - the decoder must import there, not only here
    from analyzer._base.version import __version__

    return __version__


# -- Main-process side -------------------------------------------------------------------------
class DaskPipeline:
    """Bounded hand-off of payloads to a Dask cluster (the ``pipeline`` of ``run_import``).

    ``batch`` payloads per task, at most ``window`` tasks out (default
    :data:`WINDOW_PER_THREAD` per worker thread, at least 4). The workers run
    ``task(items, decoder, *task_args)`` (default :func:`decode_many`), ``items`` being
    ``(data, name, activity_id)`` tuples, which returns a list of results; a payload whose
    task fails comes back as a failed :class:`Decoded`.
    """

    def __init__(
        self,
        client: Client,
        decoder: str = "auto",
        *,
        batch: int = DEFAULT_BATCH,
        window: int | None = None,
        task: Callable[..., list] | None = None,
        task_args: tuple = (),
    ):
        if batch < 1:
            raise ValueError(f"batch must be at least 1, got {batch}")
        if window is not None and window < 1:
            raise ValueError(f"window must be at least 1, got {window}")
        self.client = client
        self.decoder = decoder
        self.task = task or decode_many
        self.task_args = tuple(task_args)
        self.batch = int(batch)
        self.window = window
        self.workers = 0  # worker threads seen at the start (ImportReport.workers)
        self.pending: list[_Item] = []  # payloads waiting to fill a task
        self.inflight: dict[Any, list[_Item]] = {}  # future -> its payloads
        self.inflight_bytes = 0
        self.retried = 0
        self._ac: Any = None

    def __enter__(self) -> DaskPipeline:
        distributed = distributed_module()
        self._check_workers()
        threads = sum(self.client.nthreads().values())
        self.workers = max(1, threads)
        if self.window is None:
            self.window = max(4, WINDOW_PER_THREAD * threads)
        self._ac = distributed.as_completed(with_results=True, raise_errors=False)
        return self

    def __exit__(self, *exc: object) -> None:
        # Interrupted (Ctrl-C, a write error): what is still out is not wanted any more.
        if self.inflight:
            with contextlib.suppress(Exception):
                self.client.cancel(list(self.inflight))
        self.inflight.clear()
        self.inflight_bytes = 0
        if self._ac is not None:
            self._ac.clear()

    def _check_workers(self) -> None:
        fut = self.client.submit(worker_check, pure=False, key=f"{TASK_PREFIX}-check-{_tag()}")
        try:
            fut.result()
        except Exception as exc:  # noqa: BLE001 - any failure here means: cannot decode there
            raise AnalyzerError(
                "the Dask workers cannot run the analyzer decoder "
                f"({type(exc).__name__}: {exc}); install the same analyzer version on every "
                "worker"
            ) from None
        finally:
            fut.release()

    # -- run_import's pipeline interface -----------------------------------------------------
    def submit(self, payload: Payload, aid: str) -> list:
        """Queue one payload; returns the results that are ready (blocks while the window is
        full)."""
        self.pending.append((payload, aid))
        if len(self.pending) < self.batch:
            return []
        items, self.pending = self.pending, []
        self._send(items)
        out = self._collect(block=False)
        while len(self.inflight) >= self.window or self.inflight_bytes > MAX_INFLIGHT_BYTES:
            out += self._collect(block=True)
        return out

    def finish(self) -> list:
        """Everything still outstanding, waiting for it."""
        if self.pending:
            items, self.pending = self.pending, []
            self._send(items)
        out = []
        while self.inflight:
            out += self._collect(block=True)
        return out

    # -- internals ---------------------------------------------------------------------------
    def _send(self, items: list[_Item]) -> None:
        args = [(p.data, p.name, aid) for p, aid in items]
        key = f"{TASK_PREFIX}-{items[0][1][:12]}-{_tag()}"
        fut = self.client.submit(
            self.task, args, self.decoder, *self.task_args, pure=False, key=key
        )
        self.inflight[fut] = items
        self.inflight_bytes += sum(len(p.data) for p, _ in items)
        self._ac.add(fut)

    def _collect(self, *, block: bool) -> list:
        if not self.inflight:
            return []
        out: list = []
        for fut, result in self._ac.next_batch(block=block):
            items = self.inflight.pop(fut, None)
            if items is None:  # not ours any more (cancelled on exit)
                continue
            self.inflight_bytes -= sum(len(p.data) for p, _ in items)
            if fut.status == "finished":
                out += result
            elif len(items) > 1:  # retry each payload alone: one bad file must not fail others
                self.retried += len(items)
                for item in items:
                    self._send([item])
            else:
                out.append(_task_failed(items[0], result))
        return out


def _task_failed(item: _Item, result: Any) -> Decoded:
    payload, aid = item
    exc = result[1] if isinstance(result, tuple) and len(result) == 3 else result
    name = type(exc).__name__
    if name == "KilledWorker":
        reason = "the Dask worker decoding this file died (KilledWorker)"
    else:
        reason = f"the Dask task failed ({name}: {exc})"
    return Decoded(payload.name, aid, len(payload.data), reason=reason)


def _tag() -> str:
    return uuid.uuid4().hex[:12]


@contextlib.contextmanager
def dask_client(
    address: str | Client | None = None, *, n_workers: int | None = None
) -> Iterator[Client]:
    """A Dask client for an import; closes what it opened (AnalyzerError when unreachable).

    ``address``: a scheduler address (``tcp://host:8786``); ``"local"`` for a temporary
    cluster on this machine (``n_workers`` single-threaded worker processes, default one per
    core); a client (used as it is); ``None``: the current default client, else ``"local"``.
    """
    distributed = distributed_module()
    if address is not None and not isinstance(address, str):
        yield address
        return
    if address is None:
        try:
            current = distributed.default_client()
        except ValueError:  # no client in this process
            address = LOCAL
        else:
            yield current
            return
    if address == LOCAL:
        n = n_workers or os.cpu_count() or 1
        with (
            distributed.LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0"
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = distributed.Client(address, timeout=f"{CONNECT_TIMEOUT_S}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise AnalyzerError(
            f"cannot reach the Dask scheduler at {address!r} ({exc}); give its address as "
            "tcp://host:port, or 'local'"
        ) from None
    try:
        yield client
    finally:
        client.close()


def import_with_dask(
    store: Sink,
    paths: Iterable[str | os.PathLike],
    *,
    athlete: str | None = None,
    client: Client | str | None = None,
    batch: int = DEFAULT_BATCH,
    window: int | None = None,
    workers: int | None = None,
    progress: Callable[[LogEntry, ImportReport], None] | None = None,
    limits: Limits | None = None,
    decoder: str = "auto",
    strict: bool = False,
) -> ImportReport:
    """Import files, folders and archives like :func:`~analyzer.ingest.importer.import_paths`, decoding on Dask.

    Parameters
    ----------
    store : Store or Sink
        An open store; this process is its only writer.
    paths : iterable of path-like
        Read by this process (the workers only see payload bytes).
    athlete, progress, limits, decoder, strict
        As for :func:`analyzer.ingest.importer.run_import`.
    client : distributed.Client or str, optional
        A client, a scheduler address or ``"local"``; see :func:`dask_client`.
    batch, window : int
        Payloads per task (:data:`DEFAULT_BATCH`), most tasks out (:class:`DaskPipeline`).
    workers : int, optional
        Worker processes of a temporary local cluster (default: one per core).

    Returns
    -------
    ImportReport
        ``workers`` is the number of Dask worker threads.

    Raises
    ------
    UnsupportedExport
        When a path does not exist (before any cluster is started).
    AnalyzerError
        When Dask is missing, the scheduler unreachable or the workers lack the decoder.
    """
    checked = check_paths(paths)  # fail on a missing path before starting a cluster
    with dask_client(client, n_workers=workers) as cl:
        return run_import(
            store,
            checked,
            athlete=athlete,
            progress=progress,
            limits=limits,
            decoder=decoder,
            pipeline=lambda dec: DaskPipeline(
                cl, dec, batch=batch, window=window, task_args=(strict,)
            ),
        )
