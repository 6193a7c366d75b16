"""One import from the app, in its own process: ``python -m analyzer.app.import_worker``.

Arguments: the store, the job's upload folder, the athlete, then the uploaded paths (files and
folders inside the upload folder). It imports them as ``analyzer import`` does, with the store
lent to readers between batches (the app keeps answering), and writes JSON lines to stdout:
``{"progress": {"done", "total", "name"}}`` while it runs, then ``{"summary": {...}}``
(:func:`summary`) or ``{"error": "..."}``. A separate process, because DuckDB allows one
read-write configuration of a file per process and because Ctrl-C then reaches the import
exactly as it reaches the CLI's: whole activities are committed or nothing, and the same
upload imported again adds only what is missing.

Exit status: 0 every file imported, 1 something failed, 130 interrupted.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from analyzer.ingest.importer import import_paths

#: Least time between two progress lines [s].
PROGRESS_EVERY_S = 0.1
#: Most entries listed per outcome in a summary (the import log keeps them all).
MAX_LISTED = 50


def shown_name(name: str, folder: Path) -> str:
    """A payload name without the upload folder and its numbered slot: what the runner sent."""
    prefix = str(folder) + "/"
    if name.startswith(prefix):
        name = name[len(prefix) :].split("/", 1)[-1]
    return name


def summary(report, folder: Path) -> dict:
    """The import summary the app shows: counts, and the files behind each outcome."""

    def listed(entries) -> list[dict]:
        return [{"name": shown_name(e.name, folder), "detail": e.detail} for e in entries][
            :MAX_LISTED
        ]

    partial = [e for e in report.entries if e.outcome == "imported" and "partial:" in e.detail]
    return {
        "athlete": report.athlete,
        "imported": report.imported,
        "runs": report.runs,
        "records": report.records,
        "duplicates": report.duplicates,
        "partial": len(partial),
        "not_run": report.not_run,
        "failed": report.failed,
        "skipped": report.skipped,
        "elapsed_s": round(report.elapsed_s, 2),
        "failures": listed(report.failures),
        "partials": listed(partial),
        "not_runs": listed(e for e in report.entries if e.outcome == "not_run"),
        "skipped_files": listed(e for e in report.entries if e.outcome == "skipped"),
    }


def _emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def run(store_path: Path, folder: Path, athlete: str, paths: list[Path]) -> int:
    from analyzer.errors import AnalyzerError
    from analyzer.store.connection import WRITE_WAIT_S
    from analyzer.store.database import Store

    last = [0.0]

    def on_progress(entry, report) -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_EVERY_S:
            return
        last[0] = now
        total = max(report.discovered, report.done)
        name = shown_name(entry.name, folder)
        _emit({"progress": {"done": report.done, "total": total, "name": name}})

    try:
        with Store(store_path, wait_s=WRITE_WAIT_S) as store, store.lending():
            report = import_paths(store, paths, athlete=athlete, progress=on_progress)
    except AnalyzerError as exc:
        _emit({"error": str(exc)})
        return 1
    _emit({"progress": {"done": report.done, "total": report.done, "name": ""}})
    _emit({"summary": summary(report, folder)})
    return 0 if report.ok else 1


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    store_path, folder, athlete, *paths = args
    try:
        return run(Path(store_path), Path(folder), athlete, [Path(p) for p in paths])
    except KeyboardInterrupt:
        _emit({"error": "interrupted: import the same files again to finish; nothing is doubled"})
        return 130


if __name__ == "__main__":
    sys.exit(main())
