"""CLI commands ``analyzer import`` and ``analyzer runs``."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
from pathlib import Path

from analyzer.cli import options
from analyzer.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, common, plural
from analyzer.cli.config import resolve_units, units_arg
from analyzer.cli.runs_table import print_table, record_power, runs_to_json, with_gait
from analyzer.ingest.folders import NOT_READ
from analyzer.report.safe import visible

#: Most "not a run" lines printed after an import (the import log keeps them all).
MAX_LISTED = 20
#: How the importer starts the detail of a duplicate that an athlete already has.
_OWNED = "already imported for athlete "
#: Most decoder processes ``--workers`` accepts (each holds a decoder and a payload in memory).
MAX_WORKERS = 256


def register(sub) -> None:
    """Add ``import`` and ``runs`` to the sub-command parser."""
    p = sub.add_parser(
        "import",
        help="import FIT files, folders and watch-export zips into the local store",
        description=(
            "Import running activities from any mix of .fit, .tcx and .gpx files (also gzipped), "
            "folders (searched recursively) and zips, including Garmin's 'Export your data' archive with its "
            "nested zips and Strava's bulk export. Re-importing the same files adds nothing; an "
            "interrupted import is completed by running the command again. Exit status: 0 when "
            "every file was handled, 1 when any file failed (each is listed with its reason)."
        ),
    )
    p.add_argument(
        "paths",
        nargs="+",
        type=options.path,
        metavar="PATH",
        help="FIT/TCX/GPX file (or .gz), folder or .zip",
    )
    common.athlete_arg(p, help="whose runs these are (default: 'default')")
    common.store_arg(p)
    p.add_argument(
        "--workers",
        type=options.int_range(1, MAX_WORKERS),
        default=None,
        metavar="N",
        help="decoder processes to use (default: one per CPU core; 1 = no extra processes)",
    )
    p.add_argument(
        "--decoder",
        choices=("auto", "fast", "fitparse"),
        default="auto",
        help=(
            "FIT decoder: auto (the vectorised decoder, falling back to fitparse where it "
            "declines), fast, or fitparse (the slow reference, to cross-check a file)"
        ),
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help=(
            "fail a damaged file (truncated, bad CRC, undescribed developer field...) instead of "
            "importing the part before the damage as a partial run"
        ),
    )
    p.add_argument(
        "--dask",
        type=options.scheduler,
        default=None,
        metavar="SCHEDULER",
        help=(
            "decode on a Dask cluster: a scheduler address (tcp://host:8786) or 'local' for a "
            "temporary cluster on this machine (--workers sets its size); the workers need "
            "analyzer installed (pip install 'analyzer[dask]'); this process still reads the "
            "files and writes the store"
        ),
    )
    p.add_argument(
        "--verbose",
        action="store_true",
        help="list every file's import notes (by default one line per kind of note)",
    )
    p.set_defaults(func=cmd_import)

    p = sub.add_parser(
        "runs",
        help="list the imported runs with distance, pace, device, dynamics and averages",
        description=(
            "List imported runs, oldest first: date, distance, duration, pace, device, where the "
            "running dynamics came from, and per-run averages computed from the records. "
            "--json prints one object per run, with the watch's own session averages under "
            "watch_avg_* beside ours (avg_*)."
        ),
    )
    common.athlete_arg(p, help="only this athlete's runs (default: all)")
    common.store_arg(p)
    common.json_arg(p)
    units_arg(p)
    p.set_defaults(func=cmd_runs)
    from analyzer.cli import athletes

    athletes.register_runs_delete(p)


# --------------------------------------------------------------------------------------------
# import
# --------------------------------------------------------------------------------------------
def cmd_import(args: argparse.Namespace) -> int:
    """Run ``analyzer import``; returns the exit code."""
    from analyzer._base.processes import POOL_MIN_PAYLOADS, start_worker_server

    many = _many_files(args.paths, POOL_MIN_PAYLOADS)
    if many and not args.dask and (args.workers or os.cpu_count() or 1) > 1:
        start_worker_server()  # the decoders' imports run beside ours
    from analyzer.ingest.importer import import_paths  # pandas: not for --help

    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        names = ", ".join(visible(p) for p in missing)
        print(f"Error: no such file or folder: {names}", file=sys.stderr)
        return EXIT_USAGE
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    err = Console(stderr=True)
    progress = Progress(
        SpinnerColumn(),
        TextColumn("importing"),
        BarColumn(),
        TextColumn("{task.fields[count]}"),
        TimeElapsedColumn(),
        # markup=False: the name is a file's; rich would otherwise parse "[/]" in it as markup
        TextColumn("{task.fields[name]}", style="dim", markup=False),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    task = progress.add_task("import", total=None, name="", count="")

    def on_progress(entry, report) -> None:
        total = max(report.discovered, report.done) or None
        name = visible(entry.name.rsplit("!", 1)[-1].rsplit("/", 1)[-1][-40:])
        count = f"{report.done}/{total}" if total else f"{report.done}"
        progress.update(task, completed=report.done, total=total, name=name, count=count)

    def on_read(name: str, done: int, total: int) -> None:
        # an Apple Health export.xml is streamed twice before its runs are handed out
        count = f"{done / 1e9:.2f}/{total / 1e9:.2f} GB read"
        short = visible(name.rsplit("!", 1)[-1].rsplit("/", 1)[-1][-40:])
        progress.update(task, completed=done, total=total, name=short, count=count)

    path = common.store_path(args)
    absent = _absent_parts(Path(path))  # what a store created here would add to the disk
    with common.open_store(args, create=True) as store, store.lending(), progress:
        if args.dask:
            from analyzer.ingest.scale import import_with_dask

            report = import_with_dask(
                store,
                args.paths,
                athlete=args.athlete,
                client=args.dask,
                workers=args.workers,
                progress=on_progress,
                decoder=args.decoder,
                strict=args.strict,
            )
        else:
            report = import_paths(
                store,
                args.paths,
                athlete=args.athlete,
                progress=on_progress,
                on_read=on_read,
                workers=args.workers,
                decoder=args.decoder,
                strict=args.strict,
            )
        store_path = store.path
        if report.runs == 0:  # nothing new (or only files already in the store): no holes
            found = ()
        else:
            from analyzer.ingest.holes import import_holes

            found = import_holes(report, store.runs(report.athlete)["start_time"])
    if report.runs == 0 and report.duplicates == 0:
        return _found_no_run(report, args.paths, store_path, absent)
    _print_summary(report, store_path, found, verbose=args.verbose)
    return EXIT_OK if report.ok else EXIT_FAILED


def _many_files(paths: list[str], enough: int) -> bool:
    """Whether ``paths`` look like enough work for the decoder processes (``enough`` files in
    folders, or a zip of a megabyte or more): a cheap look, before anything is read."""
    seen = 0
    for p in map(Path, paths):
        if p.is_file():
            seen += enough if p.suffix.lower() == ".zip" and p.stat().st_size >= 1 << 20 else 1
        elif p.is_dir():
            for _, _, files in os.walk(p):
                seen += len(files)
                if seen >= enough:
                    break
        if seen >= enough:
            return True
    return False


def _absent_parts(path: Path) -> list[Path]:
    """The store file, its side files and the folders above it that do not exist yet."""
    side = [path.with_name(path.name + suffix) for suffix in _SIDE_FILES]
    parts = [p for p in (path, *side) if not p.exists()]
    if path in parts:
        folder = path.parent
        while not folder.exists():
            parts.append(folder)
            folder = folder.parent
    return parts


#: The records folder beside the store (:func:`analyzer.store.recordparts.folder_of`).
_RECORDS = ".records"
#: Files DuckDB and the writer lock put beside the store, and its records folder.
_SIDE_FILES = (".wal", ".lock", _RECORDS)


def _found_no_run(report, paths, store_path: Path, absent: list[Path]) -> int:
    """An import that added no run and found none already there: say what was found, exit 1.

    A store this import created is removed again (with the folders it made), so a mistyped
    path leaves nothing behind; an existing store keeps the import log of what was seen.
    """
    created = store_path in absent
    if created:
        for part in absent:  # files first, then the folders from the deepest
            with contextlib.suppress(OSError):
                if part.name.endswith(_RECORDS):  # parts no run of the store names
                    shutil.rmtree(part)
                elif part.is_dir():
                    part.rmdir()  # only when empty
                else:
                    part.unlink()
    found = []
    if report.not_run:
        n = report.not_run
        found.append(
            f"{plural(n, 'activity file')} that {'is not a run' if n == 1 else 'are not runs'}"
        )
    if report.failed:
        found.append(f"{plural(report.failed, 'activity file')} that could not be read")
    if report.skipped:
        found.append(f"{plural(report.skipped, 'file')} skipped (not activity files: CSV, JSON...)")
    if found:
        _print_summary(report, store_path, headline=False)
    where = ", ".join(visible(p) for p in paths)
    kept = "no store was created" if created else f"no run was added to {visible(store_path)}"
    print(
        f"Error: no runs found in {where}: {', '.join(found) or 'no activity files at all'}; "
        f"{kept}. Give running activities: .fit, .tcx or .gpx files (or .gz), a folder holding "
        "them, or a Garmin or Strava export .zip",
        file=sys.stderr,
    )
    return EXIT_FAILED


#: Kinds of import note, by how the note starts or what it says: (test, sentence for N files).
_NOTE_KINDS: tuple[tuple, ...] = (
    (
        lambda n: "read as bytes" in n,
        "{n} with a field stored in an unexpected size (a known quirk of some watches, COROS "
        "among them): those fields were kept as raw bytes and are not used; nothing to do",
    ),
    (
        lambda n: "implausible sample" in n,
        "{n} with a few implausible samples (values no runner can have): left out of the "
        "averages; nothing to do",
    ),
    (
        lambda n: n.startswith("date unknown"),
        "{n} without a usable date (device-relative or impossible): kept, but out of load "
        "and baselines",
    ),
)


def note_kinds(entries) -> list[str]:
    """One line per kind of import note, in words a runner can act on (file counts, not the
    per-field details, which the import log keeps)."""
    counts = [0] * len(_NOTE_KINDS)
    other: dict[str, int] = {}
    for e in entries:
        kinds = set()
        for note in e.detail.split("; ")[1:]:
            k = next((i for i, (test, _) in enumerate(_NOTE_KINDS) if test(note)), None)
            if k is None:
                other[note] = other.get(note, 0) + 1
            else:
                kinds.add(k)
        for k in kinds:
            counts[k] += 1
    lines = [_NOTE_KINDS[k][1].format(n=plural(c, "file")) for k, c in enumerate(counts) if c]
    lines += [f"{plural(c, 'file')}: {visible(note)}" for note, c in sorted(other.items())]
    return lines


def _print_summary(
    report, store_path: Path, holes=(), *, headline: bool = True, verbose: bool = False
) -> None:
    # File names, details and the athlete come from files and arguments: shown, not obeyed.
    out = []
    decoded = report.done > report.duplicates  # a pool is only started for files to decode
    if headline:
        out.append(
            f"Imported {report.imported} file{'s' if report.imported != 1 else ''} "
            f"({report.runs} run{'s' if report.runs != 1 else ''}, {report.records:,} records) "
            f"for athlete {visible(repr(report.athlete))} into {visible(store_path)} "
            f"in {report.elapsed_s:.1f} s"
            + (
                f" with {report.workers} decoder processes"
                if decoded and report.workers > 1
                else ""
            )
        )
    out.append(f"  imported:    {report.imported}")
    out.append(f"  duplicates:  {report.duplicates}  (already in the store)")
    out.append(f"  not a run:   {report.not_run}")
    out.append(f"  failed:      {report.failed}")
    refused = [
        e for e in report.entries if e.outcome == "skipped" and e.detail.startswith(NOT_READ)
    ]
    if report.skipped:
        why = "not activity files: CSV, JSON..."
        if refused:
            why += f"; {len(refused)} not read, listed below"
        out.append(f"  skipped:     {report.skipped}  ({why})")
    not_run = [e for e in report.entries if e.outcome == "not_run"]
    if not_run:
        out.append("Not a run:")
        out += [f"  {visible(e.name)}: {visible(e.detail)}" for e in not_run[:MAX_LISTED]]
        if len(not_run) > MAX_LISTED:
            out.append(f"  ... and {len(not_run) - MAX_LISTED} more (see the store's import_log)")
    noted = [e for e in report.entries if e.outcome == "imported" and "; " in e.detail]
    if noted and verbose:
        out.append("Imported with notes:")
        out += [f"  {visible(e.name)}: {visible(e.detail)}" for e in noted]
    elif noted:
        # a file read in part is listed by name (the runner may export it again); the other
        # notes are one line per kind
        partial = [e for e in noted if "; partial:" in e.detail]
        rest = [e for e in noted if e not in partial]
        if partial:
            out.append("Imported in part (the runs before the damage were kept):")
            out += [f"  {visible(e.name)}: {visible(e.detail)}" for e in partial[:MAX_LISTED]]
            if len(partial) > MAX_LISTED:
                out.append(f"  ... and {len(partial) - MAX_LISTED} more (see --verbose)")
        if rest:
            out.append(
                "Imported with notes (every file's notes: --verbose, or the store's import_log):"
            )
            out += [f"  {line}" for line in note_kinds(rest)]
    if refused:
        out.append("Not read (links out of the folder, special files):")
        out += [f"  {visible(e.name)}: {visible(e.detail)}" for e in refused[:MAX_LISTED]]
        if len(refused) > MAX_LISTED:
            out.append(f"  ... and {len(refused) - MAX_LISTED} more (see the store's import_log)")
    twice = report.recorded_twice
    if twice:
        n = len(twice)
        out.append(
            f"{n} run{'s' if n != 1 else ''} recorded twice (another watch or export): kept the "
            "one with more dynamics, then more records; the other is left out of every figure:"
        )
        out += [
            f"  {visible(t.source_name)}: same run as {visible(t.kept_source_name)}"
            for t in twice[:MAX_LISTED]
        ]
        if n > MAX_LISTED:
            out.append(f"  ... and {n - MAX_LISTED} more (see `analyzer runs`)")
    theirs = [e for e in report.entries if e.outcome == "duplicate" and e.detail.startswith(_OWNED)]
    theirs = [e for e in theirs if not e.detail.startswith(f"{_OWNED}{report.athlete!r}")]
    if theirs:
        out.append("Already imported for another athlete:")
        out += [f"  {visible(e.name)}: {visible(e.detail)}" for e in theirs[:MAX_LISTED]]
        if len(theirs) > MAX_LISTED:
            out.append(f"  ... and {len(theirs) - MAX_LISTED} more")
        out.append(
            "Imported under the wrong name? `analyzer athletes rename OLD NEW` or "
            "`analyzer athletes merge FROM INTO` moves the runs."
        )
    if report.failures:
        out.append("Failed:")
        out += [f"  {visible(e.name)}: {visible(e.detail)}" for e in report.failures]
        from analyzer.ingest.holes import hole_lines

        out += hole_lines(list(holes))
        out.append("The other files were imported; fix or remove the failed ones and re-run.")
    print("\n".join(out))


# --------------------------------------------------------------------------------------------
# runs
# --------------------------------------------------------------------------------------------
#: Keys of every object printed by ``analyzer runs --json``.


def cmd_runs(args: argparse.Namespace) -> int:
    """Run ``analyzer runs``; returns the exit code."""
    units = resolve_units(args)
    with common.open_store(args) as store:
        runs = store.runs(athlete=args.athlete, include_duplicates=True)
        runs = with_gait(store, runs, athlete=args.athlete)
        power = record_power(store, runs)
        store_path = store.path
    if args.json:
        print(json.dumps(runs_to_json(runs), indent=2, allow_nan=False))
        return EXIT_OK
    if runs.empty:
        print(f"No runs in {visible(store_path)}; add some with `analyzer import PATH`.")
        return EXIT_OK
    print_table(runs, power, units)
    return EXIT_OK
