"""The worker side of an import: one payload's bytes → a picklable :class:`Decoded`.

Given the store's parts folder (``parts_dir``), the worker writes each run's records there as
a Parquet part (:func:`analyzer.store.recordparts.write_records`) and hands back only a receipt,
so that the single writer registers them with the run's row and never touches a record.
Without it (a Dask worker, an export) records travel as columnar
:class:`~analyzer.store.blocks.Block` s (numpy columns in the store's types) and the writer
writes the part. Laps always travel as blocks.

:func:`decode_payload` runs in the decoder processes (or in-process with ``--workers 1``). It
decodes with :func:`analyzer.fit.activity.read_fit`, keeps only the running sessions, and computes what
is cheapest to compute while the records are at hand: the per-run averages
(:func:`analyzer.metrics.averages.run_averages`) and the gait summary (:func:`analyzer.metrics.gait.summarize`,
cached by the store). It never raises for a bad file: the reason comes back in the result.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from typing import Any

import pandas as pd

from analyzer.errors import AnalyzerError, FileTimeout, InvalidFitFile
from analyzer.metrics import gait
from analyzer.schema import jsonable
from analyzer.store.blocks import Block
from analyzer.store.recordparts import write_records
from analyzer.store.rows import Decoded, DecodedRun

#: Wall time one file may take to decode [s]: the largest real files take a few seconds; a
#: file that takes minutes is an attack on the parser (or a bug) and fails alone.
FILE_TIME_BUDGET_S = 120.0


def file_time_budget_s() -> float:
    """:data:`FILE_TIME_BUDGET_S`, read when a file starts (so a caller may lower it)."""
    return FILE_TIME_BUDGET_S


# --------------------------------------------------------------------------------------------
# Worker side
# --------------------------------------------------------------------------------------------
def compute_averages(
    records: pd.DataFrame | Block,
    session: Any = None,
    manufacturer: str | None = None,
    product: str | None = None,
) -> dict:
    """``analyzer.metrics.averages.run_averages`` as a plain dict (the device picks the rule;
    ``records``: a DataFrame, or a block of one)."""
    from analyzer.metrics.averages import run_averages

    return dict(run_averages(records, session, manufacturer=manufacturer, product=product))


def decode_payload(
    data: bytes,
    name: str,
    activity_id: str,
    decoder: str = "auto",
    strict: bool = False,
    parts_dir: str | None = None,
) -> Decoded:
    """Decode one payload into a :class:`Decoded` (never raises for a bad file).

    Runs in a worker process. Failures of the file (bad header, CRC, truncation; with
    ``strict``, any damage) and failures of our own code alike come back as a reason, so that
    one file never stops the others. A damaged file read in part carries ``partial_*``. With
    ``parts_dir`` (the store's records folder) each run's records are written there and come
    back as a receipt (see the module docstring).
    """
    out = Decoded(name=name, activity_id=activity_id, size=len(data))
    try:
        with time_budget(file_time_budget_s(), name):
            _decode_into(out, data, name, decoder, strict)
            if parts_dir is not None:
                _write_parts(out, parts_dir)
    except InvalidFitFile as exc:
        where = f" at byte {exc.offset}" if exc.offset is not None else ""
        out.reason = f"{exc.reason}{where}"
    except AnalyzerError as exc:
        out.reason = strip_name(str(exc), name)
    except Exception as exc:  # noqa: BLE001 - a decoder bug must not stop the whole import
        out.reason = f"could not be decoded ({type(exc).__name__}: {exc})"
    if out.failed:
        out.runs = []
    else:
        out.log_notes = log_notes_of(out)
    return out


def _write_parts(out: Decoded, parts_dir: str) -> None:
    """Write each run's records to its part. A part that cannot be written (a full disk, a
    value the part's types refuse) stays in memory: the writer tries again and, failing,
    says why for that file alone (or, for a full disk, for the whole import)."""
    for run in out.runs:
        with contextlib.suppress(OSError, ValueError, TypeError):
            run.records = write_records(parts_dir, run.run_id, run.records)


@contextlib.contextmanager
def time_budget(seconds: float, name: str):
    """Raise :class:`FileTimeout` in the block after ``seconds`` of wall time (a SIGALRM timer;
    only in a process's main thread, where the decoders run, and only on POSIX)."""
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def expired(signum, frame):
        raise FileTimeout(
            f"{name}: took more than {seconds:g} s to read (the per-file time limit); not "
            "imported, the other files are"
        )

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _decode_into(out: Decoded, data: bytes, name: str, decoder: str, strict: bool) -> None:
    from analyzer.fit.dates import date_problem
    from analyzer.ingest.xmlrun import MAX_SESSIONS

    act = read_activity(data, name, decoder, strict=strict)
    out.notes = list(getattr(act, "notes", None) or [])
    if getattr(act, "partial", None) is not None:
        out.partial_reason, out.partial_offset = str(act.partial), act.partial.offset
    out.file_type = act.file_type
    out.meta = dict(act.meta)
    out.meta["developer_fields"] = _developer_fields(act)
    out.decoder = act.decoder
    sessions = act.sessions
    if len(sessions) and "sport" in sessions:
        out.sports = [str(s) for s in sessions["sport"].tolist()]
    if act.file_type != "activity":
        return
    if len(sessions) > MAX_SESSIONS:
        raise AnalyzerError(
            f"{name}: holds {len(sessions):,} sessions, more than the {MAX_SESSIONS} one "
            "file may have; export the runs as separate files"
        )
    from analyzer.metrics.averages import version_tag

    version = version_tag()
    for run in _distinct(act.runs(), out.notes):
        if run.record_columns is not None:
            # (a FIT run: its blocks from its arrays, which the metrics read too)
            block = Block.from_columns(run.record_columns, skip=("record_index",))
            laps = Block.from_columns(run.lap_columns, skip=("lap_index",))
            records = block
        else:
            records = run.records
            block = Block.from_frame(records, skip=("record_index",))
            laps = Block.from_frame(run.laps, skip=("lap_index",))
        dec = DecodedRun(
            run_id=run.run_id,
            session_index=int(run.session_index),
            session=jsonable(dict(run.session)),
            records=block,
            laps=laps,
            averages={},
            avg_version=None,
            date_problem=date_problem(run.session.get("start_time")),
        )
        try:
            dec.averages = compute_averages(
                records, run.session, out.meta.get("manufacturer"), out.meta.get("product")
            )
            dec.avg_version = version
        except FileTimeout:
            raise
        except Exception:  # noqa: BLE001 - keep the run; Store.runs() recomputes (and shows why)
            dec.averages, dec.avg_version = {}, None
        try:
            dec.gait, dec.gait_version = gait.summary_json(records, out.meta.get("dynamics_source"))
        except FileTimeout:
            raise
        except Exception:  # noqa: BLE001 - the cache is optional; Store.gait() recomputes
            dec.gait = dec.gait_version = None
        out.runs.append(dec)


def _distinct(runs, notes: list[str]) -> list:
    """The runs of one payload with repeats left out: a chained FIT (or a multi-member
    ``.fit.gz``) may hold one recording twice, with the same start, end, distance and sport;
    of such sessions the one with the most records is kept."""
    best: dict[tuple, Any] = {}
    for run in runs:
        s = run.session
        key = tuple(str(s.get(k)) for k in ("start_time", "end_time", "total_distance_m", "sport"))
        if key in best:
            notes.append(f"session {int(run.session_index)} repeats an earlier one: counted once")
            if run.n_records <= best[key].n_records:
                continue
        best[key] = run
    return list(best.values())


def log_notes_of(dec: Decoded) -> list[str]:
    """The import-log notes of a decoded payload: the partial read, fields read as bytes, and
    the runs whose date is unknown (:func:`analyzer.fit.dates.date_note`)."""
    from analyzer.fit.dates import date_note

    notes = [f"partial: {dec.partial_reason}"] if dec.partial_reason else []
    notes += dec.notes
    problems = dict.fromkeys(r.date_problem for r in dec.runs if r.date_problem)
    return notes + [date_note(p) for p in problems]


def read_activity(data: bytes, name: str, decoder: str = "auto", *, strict: bool = False):
    """The :class:`~analyzer.fit.activity.Activity` of one payload: FIT, TCX, GPX or an Apple
    Health workout, by name."""
    from analyzer.ingest.formats import payload_format

    fmt = payload_format(name)
    if fmt == "apple-health":
        from analyzer.ingest.applerun import read_apple_workout

        return read_apple_workout(data, name)
    if fmt == "tcx":
        from analyzer.ingest.tcx import read_tcx

        return read_tcx(data, name)
    if fmt == "gpx":
        from analyzer.ingest.gpx import read_gpx

        return read_gpx(data, name)
    from analyzer.fit.activity import read_fit

    return read_fit(data, name=name, decoder=decoder, strict=strict)


def quiet_worker() -> None:
    # Ctrl-C reaches the whole process group; the main process handles it (it stops the pool
    # and reports), the workers should not each print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def decode_job(
    data: bytes,
    name: str,
    activity_id: str,
    decoder: str,
    strict: bool = False,
    parts_dir: str | None = None,
) -> Decoded:
    """The function the pool runs (positional arguments only, pickled by name)."""
    return decode_payload(data, name, activity_id, decoder, strict, parts_dir)


def decode_many(job, args: list[tuple]) -> tuple[list[Decoded], float]:
    """A chunk of payloads in one task (:mod:`analyzer.ingest.pool`): ``job(*a)`` for each, and
    the seconds they took (the pool sizes its chunks by them)."""
    start = time.perf_counter()
    return [job(*a) for a in args], time.perf_counter() - start


def strip_name(message: str, name: str) -> str:
    """``message`` without a leading ``"<name>: "``."""
    prefix = f"{name}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


def _developer_fields(act) -> list[dict]:
    """Developer field descriptions as plain dicts, kept in the activity's ``meta_json``: from
    the activity's rows where it has them (the table costs more to build than to read)."""
    from analyzer.fit.devices import DEVELOPER_FIELD_COLUMNS

    keys = ("application_id", "field_number", "name", "units", "column")
    rows = getattr(act, "developer_field_rows", None)
    if rows is not None:
        at = [DEVELOPER_FIELD_COLUMNS.index(k) for k in keys]
        return [jsonable({k: row[i] for k, i in zip(keys, at, strict=True)}) for row in rows]
    devf = act.developer_fields
    if devf is None or devf.empty:
        return []
    rows = []
    for values in zip(*(devf[k] if k in devf else [None] * len(devf) for k in keys), strict=True):
        rows.append(jsonable(dict(zip(keys, values, strict=True))))
    return rows
