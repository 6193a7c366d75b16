"""CLI commands: ``log exercise``, ``log pain``, ``log resolve``, ``diary`` (list, import, export).

Exercises are named by id or name and may carry their dose: ``clamshell=3x10`` (sets x reps),
``hip_circles=2x20:left`` (one side), ``bridge=45s`` (seconds). ``--feel`` and ``--pain`` apply
to every exercise of the command. ``diary --json`` prints::

    {"athlete": str|null, "exercise": [{"entry_id", "athlete", "date", "exercise", "sets",
     "reps", "seconds", "side", "feel", "pain", "note"}],
     "pain": [{"entry_id", "athlete", "date", "body_part", "side", "pain", "running",
               "resolved", "note"}],
     "plan_so_far": <analyzer.analysis.plan_so_far.plan_so_far> | null,
     "stale": null | {"last_run": str, "days": int, "warning": str}}
"""

from __future__ import annotations

import argparse
import json
import re
from typing import Any

from analyzer.cli import options
from analyzer.cli.common import EXIT_OK, common, json_value, say
from analyzer.schema import FEELS, RUNNING_AFFECTED, SIDES

_DOSE = re.compile(
    r"^(?P<name>[^=:]+)(=(?:(?P<sets>\d+)x(?P<reps>\d+)|(?P<sec>\d+)s))?(:(?P<side>\w+))?$"
)


def register(sub) -> None:
    log = sub.add_parser(
        "log",
        help="log an exercise session or a pain entry in the training diary",
        description="Add to the training diary: exercise sessions and pain or injury entries.",
    )
    what = log.add_subparsers(dest="what", metavar="WHAT", help="exercise, pain or resolve")
    what.required = True

    p = what.add_parser(
        "exercise",
        help="log exercises done today (or --date): clamshell=3x10 bridge=3x10:left ...",
        description=(
            "Log one session: the exercises done, each NAME[=SETSxREPS|=SECONDSs][:SIDE], and "
            "how it felt. Two easy sessions in a row without pain move an exercise up a step; "
            "a hard one or pain of 3 or more moves it down."
        ),
    )
    _common(p)
    p.add_argument(
        "exercises",
        nargs="+",
        type=options.label,
        metavar="EXERCISE",
        help="e.g. clamshell=3x10:left",
    )
    p.add_argument("--feel", required=True, choices=FEELS, help="easy, right or hard")
    p.add_argument(
        "--pain", default=None, type=options.int_range(0, 10), help="pain during the session, 0-10"
    )
    p.add_argument("--note", default=None, type=options.label, help="free text")
    p.set_defaults(func=cmd_log_exercise)

    p = what.add_parser(
        "pain",
        help="log a pain or injury: body part, side, 0-10, how running was affected",
        description="Log a pain or injury entry (it stays open until `analyzer log resolve`).",
    )
    _common(p)
    p.add_argument(
        "--body-part", required=True, type=options.label, help="e.g. knee, hip, achilles, shin"
    )
    p.add_argument(
        "--side", default="both", choices=SIDES, help="left, right or both (default both)"
    )
    p.add_argument("--pain", required=True, type=options.int_range(0, 10), help="0-10")
    p.add_argument(
        "--running",
        default="none",
        choices=RUNNING_AFFECTED,
        help="none, reduced or stopped (default none)",
    )
    p.add_argument(
        "--resolved",
        default=None,
        type=options.iso_date,
        help="date it resolved, if it has (YYYY-MM-DD)",
    )
    p.add_argument("--note", default=None, type=options.label, help="free text")
    p.set_defaults(func=cmd_log_pain)

    p = what.add_parser(
        "resolve",
        help="mark a pain entry resolved (its id is in `analyzer diary`)",
        description="Mark a pain entry as resolved on a date (default today).",
    )
    common.store_arg(p)
    p.add_argument(
        "entry_id", type=options.label, help="the pain entry's id (from `analyzer diary`)"
    )
    p.add_argument(
        "--date",
        default=None,
        type=options.iso_date,
        help="date it resolved (YYYY-MM-DD, default today)",
    )
    p.set_defaults(func=cmd_resolve)

    p = sub.add_parser(
        "diary",
        help="show the training diary and the plan so far; import or export it as CSV",
        description=(
            "Show an athlete's exercise sessions, pain entries and the plan so far (step per "
            "exercise, adherence, safety). `diary import FILE.csv` / `diary export FILE.csv` "
            "move the diary in and out as CSV."
        ),
    )
    common.store_arg(p)
    common.athlete_arg(p)
    common.json_arg(p)
    p.set_defaults(func=cmd_diary)
    act = p.add_subparsers(
        dest="action", metavar="ACTION", help="import or export (default: show the diary)"
    )
    q = act.add_parser(
        "import",
        help="import a diary CSV (all rows or none)",
        description="Import a diary CSV: columns kind, athlete, date, exercise, sets, reps, "
        "seconds, side, feel, pain, body_part, running, resolved, note.",
    )
    common.store_arg(q)
    q.add_argument("file", type=options.existing_file, help="the CSV file")
    q.add_argument(
        "--athlete", default=None, type=options.name, help="athlete for rows that name none"
    )
    q.set_defaults(func=cmd_diary_import)
    q = act.add_parser(
        "export", help="write the diary as CSV", description="Write the diary as CSV."
    )
    common.store_arg(q)
    q.add_argument("file", type=options.path, help="where to write the CSV")
    q.add_argument("--athlete", default=None, type=options.name, help="only this athlete")
    q.set_defaults(func=cmd_diary_export)


def _common(p: argparse.ArgumentParser) -> None:
    common.store_arg(p)
    common.athlete_arg(p, help="athlete (needed when the store holds several)")
    p.add_argument(
        "--date", default=None, type=options.iso_date, help="date (YYYY-MM-DD, default today)"
    )


def parse_exercise(text: str) -> dict[str, Any]:
    """``NAME[=SETSxREPS|=SECONDSs][:SIDE]`` → an entry (dose defaults to the plan's)."""
    from analyzer.errors import DiaryError
    from analyzer.plan.exercises import BY_ID
    from analyzer.store.diary import exercise_id

    m = _DOSE.match(text.strip())
    if m is None:
        raise DiaryError(f"{text!r}: write NAME, NAME=3x10, NAME=45s or NAME=3x10:left")
    ex = exercise_id(m["name"])
    sets = m["sets"] or (None if m["sec"] else BY_ID[ex].dose["sets"])
    reps = m["reps"] or (None if m["sec"] else BY_ID[ex].dose["reps"])
    return {"exercise": ex, "sets": sets, "reps": reps, "seconds": m["sec"], "side": m["side"]}


def _athlete(store, name: str | None) -> str:
    return store.resolve_athlete(name)


def cmd_log_exercise(args) -> int:
    from analyzer.store.diary import Diary, today

    entries = [parse_exercise(t) for t in args.exercises]  # before the store opens
    with common.open_store(args, write=True) as store:
        athlete = _athlete(store, args.athlete)
        rows = [
            {**e, "athlete": athlete, "date": args.date or today(), "feel": args.feel,
             "pain": args.pain, "note": args.note}
            for e in entries
        ]  # fmt: skip
        added = Diary(store).log_exercises(rows)
        names = ", ".join(e["exercise"] for e in entries)
        _say(f"Logged {names} for {athlete} on {rows[0]['date']} ({args.feel}).")
        if added < len(rows):
            _say(f"{len(rows) - added} of them were already in the diary.")
        _print_safety(store, athlete)
    return EXIT_OK


def cmd_log_pain(args) -> int:
    from analyzer.store.diary import Diary, today

    with common.open_store(args, write=True) as store:
        athlete = _athlete(store, args.athlete)
        entry = {
            "athlete": athlete, "date": args.date or today(), "body_part": args.body_part,
            "side": args.side, "pain": args.pain, "running": args.running,
            "resolved": args.resolved, "note": args.note,
        }  # fmt: skip
        entry_id = Diary(store).log_pain(entry)
        _say(f"Logged pain entry {entry_id} for {athlete}.")
        _print_safety(store, athlete)
    return EXIT_OK


def cmd_resolve(args) -> int:
    from analyzer.store.diary import Diary, today

    with common.open_store(args, write=True) as store:
        Diary(store).resolve_pain(args.entry_id, args.date or today())
    _say(f"Pain entry {args.entry_id} marked resolved.")
    return EXIT_OK


def _print_safety(store, athlete: str) -> None:
    from analyzer.analysis import analyse

    an = analyse(store, athlete)
    if an.safety.get("stop"):
        _say(an.safety["message"])


def cmd_diary(args) -> int:
    import pandas as pd

    from analyzer.analysis import analyse
    from analyzer.store.diary import Diary

    with common.open_store(args) as store:
        athlete = _athlete(store, args.athlete)
        diary = Diary(store)
        ex, pain = diary.exercises(athlete), diary.pain(athlete)
        an = analyse(store, athlete)
        status = an.plan_so_far
    if args.json:
        print(json.dumps({
            "athlete": athlete,
            "exercise": [{k: json_value(v) for k, v in r.items()} for r in ex.to_dict("records")],
            "pain": [{k: json_value(v) for k, v in r.items()} for r in pain.to_dict("records")],
            "plan_so_far": status,
            "stale": an.stale,
        }, indent=2, default=json_value))  # fmt: skip
        return EXIT_OK
    if an.safety.get("stop"):
        _say(an.safety["message"])
    if an.stale:
        _say("Note: " + an.stale["warning"])
    print_plan_so_far(status, athlete, safety=False)
    if ex.empty and pain.empty:
        _say(f"The diary of {athlete} is empty: `analyzer log exercise ...` adds to it.")
        return EXIT_OK
    _say(f"Exercise sessions of {athlete} ({len(ex)} entries):")
    for r in ex.itertuples(index=False):
        dose = "" if pd.isna(r.sets) or pd.isna(r.reps) else f"{int(r.sets)}x{int(r.reps)}"
        dose = dose or ("" if pd.isna(r.seconds) else f"{int(r.seconds)} s")
        pain_txt = "" if pd.isna(r.pain) else f", pain {int(r.pain)}/10"
        side = "" if r.side == "both" else f" {r.side}"
        _say(f"  {r.date.date()}  {r.exercise} {dose}{side}: {r.feel}{pain_txt}")
    if len(pain):
        _say(f"Pain entries of {athlete}:")
        for r in pain.itertuples(index=False):
            state = "open" if pd.isna(r.resolved) else f"resolved {r.resolved.date()}"
            _say(f"  {r.entry_id}  {r.date.date()} {r.body_part} ({r.side}) {int(r.pain)}/10, "
                  f"running {r.running}; {state}")  # fmt: skip
    return EXIT_OK


def print_plan_so_far(status: dict | None, athlete: str, *, safety: bool = True) -> None:
    """The plan-so-far block of ``diary`` and ``recommend`` (plain text, safety first unless
    the caller printed it already: ``safety=False``)."""
    if not status:
        return
    if safety and status["safety"]["stop"]:
        _say(status["safety"]["message"])
    if not status["available"]:
        _say(f"{athlete}: {status['reason']}.")
        return
    _say(f"Plan v{status['version']} of {athlete}, started {status['start_date']}:")
    for e in status["exercises"]:
        _say(f"  {e['name']}: step {e['step']} ({e['dose']}); {e['why']}")
    adh = status["adherence"] or {}
    if adh.get("share") is not None:
        _say(f"  Adherence: {adh['share']:.0%} of planned sessions "
              f"({adh['sessions_per_week']} a week).")  # fmt: skip
    work = status.get("did_it_work")
    if work:
        _say("  Did it work? " + work["text"])
        _say("  " + work["caveat"])
    if status.get("maintenance"):
        _say("  " + status["maintenance"]["text"])


def cmd_diary_import(args) -> int:
    from analyzer.store.diary import Diary

    with common.open_store(args, write=True) as store:
        added = Diary(store).import_csv(args.file, athlete=args.athlete)
    _say(f"Imported {added} diary entries from {args.file.name}.")
    return EXIT_OK


def cmd_diary_export(args) -> int:
    from analyzer.store.diary import Diary

    with common.open_store(args) as store:
        n = Diary(store).export_csv(args.file, athlete=args.athlete)
    _say(f"Wrote {n} diary entries to {args.file}.")
    return EXIT_OK


def _say(message: str) -> None:
    """Print one line; names and notes from the diary are shown, not obeyed, by a terminal."""
    say(message)
