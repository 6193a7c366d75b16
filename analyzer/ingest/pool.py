"""The decoder pool: payloads handed to worker processes in small chunks, a bounded number out
at a time (the import's main-process side of :mod:`analyzer.ingest.worker`).

A task carries as many payloads as take the workers about :data:`CHUNK_SECONDS` (measured as
the results come back; one until then, :data:`CHUNK_FILES` and :data:`CHUNK_BYTES` at most):
each task costs the main process ~0.5 ms of bookkeeping (its future, the pool's manager thread,
the pipes), more than writing the run it holds once the decoders write the records
themselves, while a slow decoder (the reference one takes seconds a file) gets one file a task
and its results as they come. A chunk is sent early while fewer tasks than workers are out, so
no worker waits for one to fill. At most
``3 × workers`` chunks' worth of payloads and :data:`MAX_INFLIGHT_BYTES` of payload bytes are
out at once, so memory stays bounded whatever the size of the export; the caller's source is
advanced only when there is room. A worker that dies (crash, OOM kill) costs only the payloads
it held: each is retried alone, once, and a second death fails that payload only.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from analyzer._base.processes import POOL_MIN_PAYLOADS
from analyzer.ingest.items import Payload
from analyzer.ingest.worker import decode_job, decode_many, decode_payload, quiet_worker
from analyzer.store.rows import Decoded

#: Upper bound on payload bytes handed to workers and not yet written [bytes].
MAX_INFLIGHT_BYTES = 128 << 20
#: Tasks per worker process before it is replaced (keeps heap fragmentation in check).
TASKS_PER_CHILD = 500
#: Decoding time one task aims at [s], and most payloads and payload bytes in one task.
CHUNK_SECONDS = 0.05
CHUNK_FILES = 8
CHUNK_BYTES = 4 << 20

_Item = tuple[Payload, str]


class DecoderPool:
    """Bounded hand-off of payloads to a process pool (or in-process when ``workers == 1``).

    ``submit(payload, activity_id)`` returns the results ready so far (blocking while too many
    are out), ``finish()`` all the rest. ``job`` (default :func:`~analyzer.ingest.worker.decode_job`)
    is a module-level function, pickled by name, called once per payload in the workers.
    """

    def __init__(
        self,
        workers: int,
        decoder: str,
        *,
        job: Callable[..., Decoded] | None = None,
        expected: Callable[[], int] = lambda: 0,
        min_pool: int = POOL_MIN_PAYLOADS,
        strict: bool = False,
        parts_dir: str | None = None,
    ):
        self.strict = strict
        self.parts_dir = parts_dir  # the store's records folder: the decoders write records
        self.workers = workers
        self.expected = expected  # FIT payloads known so far (decides whether a pool pays off)
        self.min_pool = min_pool
        self.decoder = decoder
        self.job = job or decode_job
        #: Most tasks out at once (each of up to :data:`CHUNK_FILES` payloads).
        self.max_tasks = max(2, 3 * workers)
        self.pool: ProcessPoolExecutor | None = None
        self.held: _Item | None = None
        self.inflight: dict[Future, list[_Item]] = {}
        self.chunk: list[_Item] = []
        self.chunk_bytes = 0
        self.n_out = 0  # payloads sent or in the chunk, not yet collected
        self.inflight_bytes = 0
        self.per_payload: float | None = None  # seconds a payload takes a worker (smoothed)

    def __enter__(self) -> DecoderPool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=exc[0] is None, cancel_futures=True)

    def _make_pool(self, workers: int) -> ProcessPoolExecutor:
        # forkserver: workers fork from a clean server process (not from this one, which holds
        # DuckDB's threads), with the decoder already imported so each start is cheap, and
        # without re-running the caller's script (a plain script needs no __main__ guard).
        from analyzer._base.processes import worker_context

        ctx = worker_context()
        return ProcessPoolExecutor(
            workers, mp_context=ctx, max_tasks_per_child=TASKS_PER_CHILD, initializer=quiet_worker
        )

    def submit(self, payload: Payload, aid: str) -> list[Decoded]:
        """Queue one payload; returns the results that are ready (blocks while full)."""
        if self.workers <= 1:
            return [self._decode(payload, aid)]
        if self.pool is None:
            if self.held is None:  # a single file is not worth starting processes for
                self.held = (payload, aid)
                return []
            held, self.held = self.held, None
            if self.expected() < self.min_pool:  # nor is a small import (start-up ~1 s)
                self.workers = 1
                return [self._decode(*held), self._decode(payload, aid)]
            self.pool = self._make_pool(self.workers)
            self._add(*held)
        self._add(payload, aid)
        out = self._collect(block=False)
        while self.n_out >= self.max_inflight or self.inflight_bytes > MAX_INFLIGHT_BYTES:
            self._send()  # (nothing waits in a chunk while we wait)
            out += self._collect(block=True)
        return out

    def _decode(self, payload: Payload, aid: str) -> Decoded:
        return decode_payload(
            payload.data, payload.name, aid, self.decoder, self.strict, self.parts_dir
        )

    def _args(self, payload: Payload, aid: str) -> tuple:
        # ``strict``, ``parts_dir`` only when set: a job taking the four classic ones still fits.
        extra = (self.strict, self.parts_dir) if self.parts_dir else (True,)[: self.strict]
        return (payload.data, payload.name, aid, self.decoder, *extra)

    def _add(self, payload: Payload, aid: str) -> None:
        self.chunk.append((payload, aid))
        self.chunk_bytes += len(payload.data)
        self.inflight_bytes += len(payload.data)
        self.n_out += 1
        if (
            len(self.chunk) >= self._chunk_files()
            or self.chunk_bytes >= CHUNK_BYTES
            or len(self.inflight) < self.workers
        ):
            self._send()

    @property
    def max_inflight(self) -> int:
        """Most payloads out at once (sent, or in the chunk being filled): as many tasks as
        :attr:`max_tasks` of today's chunk size (a slow decoder's results are not held back
        behind dozens of files still to decode)."""
        return self.max_tasks * self._chunk_files()

    def _chunk_files(self) -> int:
        if not self.per_payload:
            return 1
        return max(1, min(CHUNK_FILES, int(CHUNK_SECONDS / self.per_payload)))

    def _send(self) -> None:
        if not self.chunk:
            return
        args = [self._args(p, a) for p, a in self.chunk]
        self.inflight[self.pool.submit(decode_many, self.job, args)] = self.chunk
        self.chunk, self.chunk_bytes = [], 0

    def finish(self) -> list[Decoded]:
        """Everything still outstanding, waiting for it."""
        out = []
        if self.held is not None:
            payload, aid = self.held
            self.held = None
            out.append(self._decode(payload, aid))
        if self.pool is not None:
            self._send()
        while self.inflight:
            out += self._collect(block=True)
        return out

    def _collect(self, *, block: bool) -> list[Decoded]:
        if not self.inflight:
            return []
        done, _ = wait(
            list(self.inflight), timeout=None if block else 0, return_when=FIRST_COMPLETED
        )
        out, broken = [], []
        for fut in done:
            items = self.inflight.pop(fut)
            self.n_out -= len(items)
            self.inflight_bytes -= sum(len(p.data) for p, _ in items)
            try:
                results, seconds = fut.result()
            except BrokenProcessPool:
                broken += items
                continue
            out += results
            each = seconds / len(items)
            self.per_payload = (
                each if self.per_payload is None else 0.8 * self.per_payload + 0.2 * each
            )
        if broken:
            out += self._recover(broken)
        return out

    def _recover(self, first: list[_Item]) -> list[Decoded]:
        """A worker died (crash, OOM kill): retry each payload that was out alone, once."""
        pending = first + [item for items in self.inflight.values() for item in items]
        self.inflight.clear()
        self.n_out = len(self.chunk)
        self.inflight_bytes = self.chunk_bytes
        self.pool.shutdown(wait=False, cancel_futures=True)
        out = []
        for payload, aid in pending:
            solo = self._make_pool(1)
            try:
                out.append(solo.submit(self.job, *self._args(payload, aid)).result())
            except BrokenProcessPool:
                reason = "the decoder process crashed on this file"
                out.append(Decoded(payload.name, aid, len(payload.data), reason=reason))
            finally:
                solo.shutdown(wait=True)
        self.pool = self._make_pool(self.workers)
        return out
