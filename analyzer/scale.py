"""Team and cohort scale: decoding on a Dask cluster, writing from this process.

:func:`import_with_dask` is :func:`analyzer.importer.run_import` with the process pool swapped
for a Dask cluster (``pip install 'analyzer[dask]'``); the rest is the normal import. This
process reads the sources, hashes each payload (known or repeated files are never sent), the
workers run :func:`analyzer.import_worker.decode_payload` (decode, averages, gait summary; a
bad file comes back with its reason) and this process, the single writer, stores the results
in the same batched transactions. Outcomes, import log and idempotence are those of
``analyzer import``.

Memory stays bounded: at most ``window`` tasks of ``batch`` payloads (and
:data:`analyzer.importer.MAX_INFLIGHT_BYTES`) are out at once, a sliding window over
:class:`distributed.as_completed`; the sources are read further only as results come back.
A task that fails on the cluster (worker killed, connection lost) is retried payload by
payload; a payload that still fails is logged as failed with the reason. The workers need the
same ``analyzer`` installed; that is checked before anything is sent.

:func:`export_parquet` is the larger-scale path: workers write Parquet parts themselves.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pandas as pd

from analyzer.errors import AnalyzerError
from analyzer.import_worker import Decoded, decode_payload
from analyzer.importer import MAX_INFLIGHT_BYTES, ImportReport, LogEntry, run_import
from analyzer.sources import Limits, Payload, check_paths

if TYPE_CHECKING:
    from distributed import Client

    from analyzer.store import Store

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


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise AnalyzerError(
            "Dask is not installed; install it with: pip install 'analyzer[dask]'"
        ) from None
    return distributed


# -- Worker side (module-level functions: pickled by name, so the workers need analyzer) -------
def decode_many(items: list[tuple[bytes, str, str]], decoder: str) -> list[Decoded]:
    """Decode ``(data, name, activity_id)`` payloads on a worker; never raises for a bad file."""
    return [decode_payload(data, name, aid, decoder) for data, name, aid in items]


def worker_check() -> str:
    """Runs on a worker before an import: imports the decoder stack, returns its version."""
    import analyzer
    import analyzer.fit  # noqa: F401 - the decoder must import there, not only here

    return str(getattr(analyzer, "__version__", "?"))


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
        distributed = _distributed()
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
    distributed = _distributed()
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
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
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
    store: Store,
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
) -> ImportReport:
    """Import files, folders and archives like :meth:`Store.import_paths`, decoding on Dask.

    Parameters
    ----------
    store : Store
        An open store; this process is its only writer.
    paths : iterable of path-like
        Read by this process (the workers only see payload bytes).
    athlete, progress, limits, decoder
        As for :func:`analyzer.importer.run_import`.
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
            pipeline=lambda dec: DaskPipeline(cl, dec, batch=batch, window=window),
        )


# -- Parquet export: at larger scale the workers write the tables themselves -------------------
#: The tables of an export, one folder of ``part-*.parquet`` files each. ``activities`` is
#: written last by every task: a part without its activities file is unfinished and removed.
PARQUET_TABLES = ("runs", "records", "laps", "activities")
#: Payloads per task of an export (each task writes one file per table).
EXPORT_BATCH = 16


def export_many(
    items: list[tuple[bytes, str, str]], decoder: str, out_dir: str, athlete: str
) -> list[Decoded]:
    """Decode payloads on a worker and write their rows as Parquet parts under ``out_dir``.

    Returns the :class:`Decoded` of each payload with every run reduced to a
    :class:`WrittenRun` receipt (what is sent back is a few hundred bytes per file).
    """
    from analyzer.store_write import _activity_row, _arrays, _run_row, _stack

    decoded = [decode_payload(data, name, aid, decoder) for data, name, aid in items]
    done = [d for d in decoded if not d.failed]
    rows: dict[str, list] = {"activities": [], "runs": [], "records": [], "laps": []}
    run_ids = []
    for dec in done:
        rows["activities"].append(_activity_row(dec, athlete, "parquet-export"))
        for run in dec.runs:
            key = len(run_ids)  # position in run_ids, replaced by the run_id below
            run_ids.append(run.run_id)
            row = _run_row(dec, run, athlete, key)
            row["gait_version"], row["gait_json"] = run.gait_version, json.dumps(run.gait)
            rows["runs"].append(row)
            rows["records"].append(_arrays(run.records, key, "record_index"))
            rows["laps"].append(_arrays(run.laps, key, "lap_index"))
    if done:
        part = hashlib.sha256("".join(d.activity_id for d in done).encode()).hexdigest()[:24]
        for table in PARQUET_TABLES:  # activities last: it marks the part as complete
            if table in ("runs", "activities"):
                df = _typed(pd.DataFrame(rows[table]))
            else:
                df = _stack([p for p in rows[table] if p])
            if "run_key" in df:
                if "run_id" not in df:
                    df.insert(0, "run_id", np.asarray(run_ids, dtype=object)[df["run_key"]])
                df = df.drop(columns="run_key")
            if len(df):
                _write_parquet(df, Path(out_dir) / table / f"part-{part}.parquet")
    for dec in done:
        dec.runs = [WrittenRun(r.run_id, len(r.records)) for r in dec.runs]
    return decoded


@dataclass(frozen=True)
class WrittenRun:
    """A run written to Parquet by a worker: what the import loop needs to know of it."""

    run_id: str
    n_records: int

    @property
    def records(self) -> range:  # only its length is used (ImportReport.records)
        return range(self.n_records)


class _ParquetSink:
    """The part of the Store interface that :func:`run_import` uses, for a Parquet export:
    the workers have written the rows already; activities under ``out`` are known."""

    def __init__(self, out: Path):
        self.known = _exported(out)

    def ensure_athlete(self, athlete: str) -> None:
        pass

    def known_activities(self) -> dict[str, str]:
        return dict(self.known)

    def log_entries(self, entries: list[LogEntry], *, import_id: str, athlete: str) -> None:
        pass

    def write_batch(self, batch: list[Decoded], *, athlete: str, import_id: str) -> list:
        from analyzer.store_write import classify

        return [LogEntry(d.name, *classify(d), d.activity_id, len(d.runs)) for d in batch]


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """Store column types for the row tables, also where every value of a part is missing."""
    from analyzer.store_write import AVG_COLUMNS, WATCH_COLUMNS

    floats = {"distance_m", "timer_s", "elapsed_s", *AVG_COLUMNS, *WATCH_COLUMNS}
    for col in df.columns:
        if col in ("start_time", "end_time", "time_created", "imported_at"):
            df[col] = pd.to_datetime(df[col])
        elif col in floats:
            df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    return df


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Write ``df`` to ``path`` atomically (a temporary file renamed into place)."""
    tmp = path.with_name(path.name + ".tmp")
    con = duckdb.connect()
    try:
        con.register("part", df)
        con.execute(f"COPY part TO {_sql_text(tmp)} (FORMAT parquet)")
    finally:
        con.close()
    os.replace(tmp, path)


def _sql_text(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _exported(out: Path) -> dict[str, str]:
    """``{activity_id: source_name}`` already under ``out``; removes unfinished parts."""
    complete = {p.name for p in (out / "activities").glob("part-*.parquet")}
    for table in PARQUET_TABLES:
        for p in (out / table).glob("part-*.parquet*"):
            if p.name not in complete or p.name.endswith(".tmp"):
                p.unlink()
    if not complete:
        return {}
    rows = duckdb.sql(
        "SELECT activity_id, source_name FROM read_parquet("
        f"{_sql_text(out / 'activities' / 'part-*.parquet')}, union_by_name = true)"
    ).fetchall()
    return dict(rows)


def export_parquet(
    store_or_paths: Store | Iterable[str | os.PathLike],
    out_dir: str | os.PathLike,
    *,
    athlete: str | None = None,
    client: Client | str | None = None,
    batch: int = EXPORT_BATCH,
    window: int | None = None,
    workers: int | None = None,
    progress: Callable[[LogEntry, ImportReport], None] | None = None,
    limits: Limits | None = None,
    decoder: str = "auto",
) -> ImportReport:
    """Write runs, records, laps and activities as Parquet that DuckDB or Dask read directly.

    From a :class:`~analyzer.store.Store`, DuckDB copies its tables out (``athlete``
    filters). From paths, the Dask workers decode and write the parts themselves, so
    ``out_dir`` must be writable by every worker; activities already there are duplicates (a
    re-run adds nothing, an interrupted export is finished). Other arguments as for
    :func:`import_with_dask`. Read with ``read_parquet('out/records/*.parquet', union_by_name
    = true)``; records and laps carry ``run_id``. Returns an :class:`ImportReport` (from a
    store: one entry per activity copied).
    """
    from analyzer.importer import DEFAULT_ATHLETE
    from analyzer.store import Store

    out = Path(out_dir)
    for table in PARQUET_TABLES:
        (out / table).mkdir(parents=True, exist_ok=True)
    if isinstance(store_or_paths, Store):
        return _export_store(store_or_paths, out, athlete)
    checked = check_paths(store_or_paths)
    args = (str(out.resolve()), athlete or DEFAULT_ATHLETE)
    with dask_client(client, n_workers=workers) as cl:
        return run_import(
            _ParquetSink(out),  # type: ignore[arg-type]
            checked,
            athlete=athlete,
            progress=progress,
            limits=limits,
            decoder=decoder,
            pipeline=lambda dec: DaskPipeline(
                cl, dec, batch=batch, window=window, task=export_many, task_args=args
            ),
        )


def _export_store(store: Store, out: Path, athlete: str | None) -> ImportReport:
    started = time.perf_counter()
    where = "WHERE ru.athlete = $athlete" if athlete else ""
    params = {"athlete": athlete} if athlete else {}
    try:
        from analyzer.gait import METRIC_VERSION
    except ImportError:
        METRIC_VERSION = -1  # noqa: N806
    queries = {
        "runs": "SELECT ru.* EXCLUDE (run_key), g.metric_version AS gait_version, "
        "g.summary_json AS gait_json FROM runs ru LEFT JOIN gait_cache g "
        f"ON g.run_id = ru.run_id AND g.metric_version = {int(METRIC_VERSION)} {where}",
        "records": "SELECT rec.* EXCLUDE (run_key), ru.run_id FROM records rec "
        f"JOIN runs ru USING (run_key) {where}",
        "laps": "SELECT l.* EXCLUDE (run_key), ru.run_id FROM laps l "
        f"JOIN runs ru USING (run_key) {where}",
        "activities": "SELECT * FROM activities ru " + where,
    }
    part = "part-store-" + hashlib.sha256(str(store.path.resolve()).encode()).hexdigest()[:12]
    for table, sql in queries.items():
        tmp = out / table / f"{part}.parquet.tmp"
        store.con.execute(f"COPY ({sql}) TO {_sql_text(tmp)} (FORMAT parquet)", params)
        os.replace(tmp, out / table / f"{part}.parquet")
    report = ImportReport(import_id=uuid.uuid4().hex, athlete=athlete or "", workers=1)
    rows = store.con.execute(
        f"SELECT source_name, activity_id, n_runs FROM activities ru {where}", params
    ).fetchall()
    report.entries = [LogEntry(n, "imported", "exported from the store", a, r) for n, a, r in rows]
    sql = f"SELECT count(*) FROM records JOIN runs ru USING (run_key) {where}"
    report.records = store.con.execute(sql, params).fetchone()[0]
    report.elapsed_s = time.perf_counter() - started
    return report
