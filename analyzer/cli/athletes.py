"""CLI commands that fix mistakes: ``athletes`` (list, rename, merge, delete), ``runs delete``
and ``check`` (finish an interrupted write).

Each calls one :class:`~analyzer.store.database.Store` method, which runs as one transaction.
"""

from __future__ import annotations

import argparse
import json

from analyzer.cli import options
from analyzer.cli.common import EXIT_FAILED, EXIT_OK, common, json_value, plural


def _store_arg(p: argparse.ArgumentParser) -> None:
    # SUPPRESS: a value given before the action (`athletes --store X rename ...`) is kept
    # instead of being overwritten by the action's own default.
    p.add_argument(
        "--store",
        type=options.path,
        default=argparse.SUPPRESS,
        help="DuckDB file to use (default: $ANALYZER_STORE or the user data directory)",
    )


def register(sub) -> None:
    """Add ``athletes`` and its actions, and ``check``, to the sub-command parser."""
    c = sub.add_parser(
        "check",
        help="finish an interrupted write and check that the store is intact",
        description=(
            "Open the store for writing, which replays the write-ahead log an interrupted "
            "import, diary import or full disk left behind, and check its tables; then say how "
            "many athletes and runs it holds. A store that cannot be repaired is reported as "
            "damaged."
        ),
    )
    common.store_arg(c)
    c.set_defaults(func=cmd_check)
    p = sub.add_parser(
        "athletes",
        help="list athletes with run counts and dates; rename, merge or delete one",
        description=(
            "Without an action: list the athletes in the store with their number of runs and "
            "the dates of their first and last run. With an action: rename an athlete, merge "
            "one athlete's runs into another's (a wrong --athlete at import), or delete an "
            "athlete with all their runs (asks for --yes). Each change is one transaction."
        ),
    )
    common.store_arg(p)
    common.json_arg(p)
    p.set_defaults(func=cmd_list)
    actions = p.add_subparsers(
        dest="action", metavar="ACTION", help="rename, merge or delete (default: list)"
    )

    r = actions.add_parser(
        "rename",
        help="give an athlete another name",
        description="Rename athlete OLD to NEW (a name not in use; to join two, use merge).",
    )
    r.add_argument("old", type=options.name, metavar="OLD", help="the athlete's current name")
    r.add_argument("new", type=options.name, metavar="NEW", help="the new name")
    _store_arg(r)
    r.set_defaults(func=cmd_rename)

    m = actions.add_parser(
        "merge",
        help="move every run of one athlete to another and remove the first",
        description=(
            "Move every run of athlete FROM to athlete INTO (both must exist) and remove FROM: "
            "the fix for runs imported under the wrong --athlete."
        ),
    )
    m.add_argument("source", type=options.name, metavar="FROM", help="athlete to merge away")
    m.add_argument("target", type=options.name, metavar="INTO", help="athlete who keeps the runs")
    _store_arg(m)
    m.set_defaults(func=cmd_merge)

    d = actions.add_parser(
        "delete",
        help="delete an athlete with all their runs (needs --yes)",
        description=(
            "Delete athlete NAME with every file, run, record and import-log line of theirs. "
            "Without --yes, only says what would be deleted. The files can be imported again."
        ),
    )
    d.add_argument("athlete", type=options.name, metavar="NAME", help="athlete to delete")
    d.add_argument("--yes", action="store_true", help="really delete (nothing asks again)")
    _store_arg(d)
    d.set_defaults(func=cmd_delete)


def register_runs_delete(runs: argparse.ArgumentParser) -> None:
    """Add ``runs delete RUN_ID`` under the ``runs`` command."""
    actions = runs.add_subparsers(
        dest="action", metavar="ACTION", help="delete a run (default: list the runs)"
    )
    d = actions.add_parser(
        "delete",
        help="delete one run (with the file it came from); importing the file again restores it",
        description=(
            "Delete the run RUN_ID (as listed by `analyzer runs --json`) with the file it came "
            "from: its records, laps, cached summary and import-log lines. A file with several "
            "runs (multisport) goes as a whole, so that importing it again restores all of it."
        ),
    )
    d.add_argument("run_id", type=options.name, metavar="RUN_ID", help="id of the run to delete")
    _store_arg(d)
    d.set_defaults(func=cmd_delete_run)


# --------------------------------------------------------------------------------------------
def cmd_list(args: argparse.Namespace) -> int:
    """``analyzer athletes``: one line per athlete."""
    with common.open_store(args) as store:
        summary = store.athlete_summary()
        path = store.path
    if args.json:
        rows = [{k: json_value(v) for k, v in row.items()} for row in summary.to_dict("records")]
        print(json.dumps(rows, indent=2, allow_nan=False))
        return EXIT_OK
    if summary.empty:
        print(f"No athletes in {path}; add runs with `analyzer import PATH --athlete NAME`.")
        return EXIT_OK
    width = max(len("athlete"), *(len(a) for a in summary["athlete"]))
    print(f"{'athlete':<{width}}  {'runs':>5}  {'first run':<10}  last run")
    for row in summary.itertuples():
        first = row.first_date if row.runs else "-"  # the runner's own dates
        last = row.last_date if row.runs else "-"
        print(f"{row.athlete:<{width}}  {row.runs:>5}  {first:<10}  {last}")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    with common.open_store(args, write=True) as store:
        athletes = store.athletes()
        n = sum(len(store.runs(a)) for a in athletes)
        path = store.path
    print(f"{path}: intact ({plural(len(athletes), 'athlete')}, {plural(n, 'run')})")
    return EXIT_OK


def cmd_rename(args: argparse.Namespace) -> int:
    with common.open_store(args, write=True) as store:
        n = store.rename_athlete(args.old, args.new)
        path = store.path
    print(f"Renamed athlete {args.old!r} to {args.new!r} ({_runs(n)}) in {path}")
    return EXIT_OK


def cmd_merge(args: argparse.Namespace) -> int:
    with common.open_store(args, write=True) as store:
        n = store.merge_athletes(args.source, args.target)
        path = store.path
    print(
        f"Merged athlete {args.source!r} into {args.target!r}: moved {_runs(n)}; "
        f"{args.source!r} is removed from {path}"
    )
    return EXIT_OK


def cmd_delete(args: argparse.Namespace) -> int:
    if not args.yes:
        with common.open_store(args) as store:
            store.resolve_athlete(args.athlete)
            row = store.athlete_summary().set_index("athlete").loc[args.athlete]
        print(
            f"This would delete athlete {args.athlete!r} with {_runs(int(row['runs']))}; "
            f"run again with --yes to delete: analyzer athletes delete {args.athlete} --yes"
        )
        return EXIT_FAILED
    with common.open_store(args, write=True) as store:
        gone = store.delete_athlete(args.athlete)
        path = store.path
    print(
        f"Deleted athlete {args.athlete!r} from {path}: {plural(gone.activities, 'file')}, "
        f"{_runs(gone.runs)}, {gone.records:,} records"
    )
    return EXIT_OK


def cmd_delete_run(args: argparse.Namespace) -> int:
    with common.open_store(args, write=True) as store:
        gone = store.delete_run(args.run_id)
        path = store.path
    also = [r for r in gone.run_ids if r != args.run_id]
    extra = f" (and {', '.join(also)}, from the same file)" if also else ""
    print(
        f"Deleted run {args.run_id}{extra} from {path}: {_runs(gone.runs)}, "
        f"{gone.records:,} records; importing its file again restores it"
    )
    return EXIT_OK


def _runs(n: int) -> str:
    return plural(n, "run")
