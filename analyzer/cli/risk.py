"""CLI commands: ``risk``, ``recommend``, ``train``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from analyzer.cli import options
from analyzer.report.safe import line, text
from analyzer.schema import local_date


def _model_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model",
        type=options.existing_file,
        default=None,
        help="model JSON written by `analyzer train` (default: the documented priors)",
    )


#: ``--start`` given without a date: today.
TODAY = object()


def _asof_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--asof",
        type=options.iso_date,
        default=None,
        help=(
            "score as of this date (YYYY-MM-DD: up to the end of that day on the runner's "
            "local clock; default: the last run)"
        ),
    )


def register(sub) -> None:
    from analyzer.cli.common import common

    p = sub.add_parser(
        "risk",
        help="imbalance-risk index (0-100), level and drivers with evidence grades",
        description=(
            "Score the imbalance-risk index of one athlete from recent runs against their own "
            "baseline. It is an index, not a diagnosis or an injury probability."
        ),
    )
    common.store_arg(p)
    common.athlete_arg(p)
    common.json_arg(p)
    _model_arg(p)
    _asof_arg(p)
    p.set_defaults(func=cmd_risk)

    p = sub.add_parser(
        "recommend",
        help="ranked plan among the eight hip exercises: why, dose, side, progression",
        description=(
            "Turn the imbalance-risk drivers into a prioritised plan among the eight hip "
            "exercises, with the measured reason, dose, side emphasis and next progression."
        ),
    )
    common.store_arg(p)
    common.athlete_arg(p)
    common.json_arg(p)
    _model_arg(p)
    _asof_arg(p)
    p.add_argument(
        "--max-items",
        type=options.int_range(1),
        default=5,
        help="most exercises in the plan (default 5)",
    )
    p.add_argument(
        "--start",
        nargs="?",
        const=TODAY,  # not a string: argparse would run it through ``type``
        default=None,
        type=options.iso_date,
        metavar="DATE",
        help="store this plan as the athlete's current one from DATE (YYYY-MM-DD, default "
        "today); its progress is then followed from the diary",
    )
    from analyzer.cli.config import units_arg

    units_arg(p)
    p.set_defaults(func=cmd_recommend)

    p = sub.add_parser(
        "train",
        help="fit the model to your own injury log, evaluated by athlete (GroupKFold)",
        description=(
            "Fit the imbalance-risk model to a labelled injury log (CSV: athlete, date, injured, "
            "side, body_part) using the runs in the store before each date; report grouped "
            "cross-validated ROC AUC, Brier score and calibration, and write a model JSON."
        ),
    )
    common.store_arg(p)
    common.json_arg(p)
    p.add_argument(
        "--labels",
        type=options.existing_file,
        default=None,
        help="injury log CSV (default: the training diary: pain that reduced or stopped running)",
    )
    p.add_argument(
        "--out",
        type=options.path,
        default=Path("model.json"),
        help="where to write the model (default model.json)",
    )
    p.add_argument(
        "--folds",
        type=options.int_range(2),
        default=5,
        help="GroupKFold splits by athlete (default 5)",
    )
    p.set_defaults(func=cmd_train)


def _console():
    from analyzer.cli.common import console

    return console()


def _model(args):
    """The ``--model`` file, read before the store opens (a bad file is the error to show)."""
    from analyzer import risk

    return risk.load_model(args.model) if args.model is not None else None


def _analysis(args, store, model):
    from analyzer.analysis import analyse

    return analyse(store, args.athlete, model=model, asof=args.asof)


def _no_index(an):
    from analyzer.errors import NotEnoughData

    if an.assessment is None:
        raise NotEnoughData(an.reason or "not enough data for an assessment")
    return an.assessment


def _first_lines(doc: dict) -> None:
    """What comes before any figure, each on one line: the safety stop, then staleness."""
    from analyzer.cli.common import say

    if doc["referral"]:
        say(doc["referral"])
    if doc["stale"]:
        say("Note: " + doc["stale"]["warning"])


def _risk_json(an) -> dict:
    return {**an.assessment.to_dict(), "stale": an.stale, "referral": _referral(an)}


def _referral(an) -> str | None:
    return an.safety.get("message") if an.safety.get("stop") else None


def _params(args, **more) -> dict:
    """What a saved ``risk``/``recommend`` view depends on besides the store and the package."""
    asof = None if args.asof is None else args.asof.isoformat()
    return {"athlete": args.athlete, "asof": asof, "model": args.model, **more}


def cmd_risk(args) -> int:
    from analyzer.cli.common import common

    cache = common.view_cache(args, "risk", _params(args))
    doc = common.load_view(cache)
    if doc is None:
        model = _model(args)
        with common.open_store(args) as store:  # (opened once: each open costs ~0.1 s)
            an = _analysis(args, store, model)
        _no_index(an)
        doc = _risk_json(an)
        common.save_view(cache, doc, an, asof_given=args.asof is not None)
    if args.json:
        print(json.dumps(doc, indent=2))
        return 0
    from rich.table import Table

    con = _console()
    _first_lines(doc)
    lv = doc["levels"]
    who, asof = doc["athlete"], local_date(doc["asof"], doc.get("utc_offset_s"))
    if doc["level"] is None:
        con.print(line((who, "bold"), f" as of {asof}: ", (doc["status"]["text"], "bold")))
        con.print(
            text(
                f"Index from what can be judged: {doc['index']:.0f} / 100, with no level: its "
                "main drivers, the balance ones, are missing, so it is not an all-clear."
            )
        )
    else:
        con.print(
            line(
                (who, "bold"),
                f" as of {asof}: imbalance-risk index ",
                (f"{doc['index']:.0f}", "bold"),
                " / 100 (",
                (doc["level"], "bold"),
                f"; low < {lv['low_below']:.0f} <= moderate < {lv['moderate_below']:.0f} <= high)",
            )
        )
    t = Table(
        title=f"Drivers (index points above the all-clear baseline {doc['baseline_index']:.0f})"
    )
    for col in ("driver", "points", "your numbers", "evidence"):
        t.add_column(col)
    for d in doc["drivers"]:
        pts = f"{d['contribution']:+.1f}" + (" *" if d["flagged"] else "")
        t.add_row(text(d["label"]), text(pts), text(d["text"]), text(d["grade"]))
    con.print(t)
    con.print(text("* flagged. Model: " + doc["model"]))
    con.print(text(doc["disclaimer"]))
    return 0


def _recommend_json(an, plan, status) -> dict:
    return {
        "assessment": an.assessment.to_dict(),
        "plan": plan.to_dict(),
        "plan_so_far": status,
        "stale": an.stale,
        "referral": _referral(an),
    }


def cmd_recommend(args) -> int:
    from analyzer.cli.common import common
    from analyzer.cli.diary import print_plan_so_far

    # --start writes the plan: never from (nor into) the saved views
    params = _params(args, max_items=args.max_items)
    cache = None if args.start else common.view_cache(args, "recommend", params)
    doc = common.load_view(cache)
    if doc is None:
        from analyzer.analysis.plan_so_far import plan_record

        model = _model(args)
        with common.open_store(args, write=bool(args.start)) as store:
            an = _analysis(args, store, model)
            a = _no_index(an)
            plan = an.recommend(max_items=args.max_items)
            status = an.plan_so_far
            if args.start:
                from analyzer.store.diary import Diary

                start = None if args.start is TODAY else args.start  # a date: back-filling
                record = plan_record(plan.to_dict(), a.to_dict())
                version = Diary(store).save_plan(a.athlete, record, start)
                status = _analysis(args, store, model).plan_so_far  # now with the stored plan
        doc = _recommend_json(an, plan, status)
        common.save_view(cache, doc, an, asof_given=args.asof is not None)
    if args.json:
        print(json.dumps(doc, indent=2))
        return 0
    con = _console()
    _first_lines(doc)
    a, plan = doc["assessment"], doc["plan"]
    print_plan_so_far(doc["plan_so_far"], a["athlete"], safety=False)
    if args.start:
        from analyzer.cli.common import say

        say(
            f"Started plan v{version} for {a['athlete']}; log sessions with `analyzer log exercise`."
        )
    from rich.table import Table

    head = f"index {a['index']:.0f} ({a['level']})" if a["level"] else a["status"]["text"]
    con.print(line((a["athlete"], "bold"), ": ", head, " Focus:"))
    for f in plan["focus"]:
        con.print(text(f"  - {f}"))
    t = Table(title="Hip-exercise plan")
    for col in ("#", "exercise", "dose", "why", "next step"):
        t.add_column(col)
    for i in plan["items"]:
        cells = (i["rank"], i["name"], i["dose"], i["why"][0], i["progression"])
        t.add_row(*(text(v) for v in cells))
    con.print(t)
    wp = plan["weekly_plan"]
    con.print(
        text(
            f"{wp['sessions_per_week']} sessions a week ("
            + ", ".join(s["day"] for s in wp["sessions"])
            + f"), about {wp['minutes_per_session']} min each."
        )
    )
    if plan["side_reasoning"]:
        con.print(text("Side: " + plan["side_reasoning"]))
    from analyzer.cli.config import resolve_units
    from analyzer.plan.exercises import display_notes
    from analyzer.report.fmt import Units

    distance = Units(resolve_units(args)).distance_whole
    for n in display_notes(plan["notes"], plan["load_cap"], distance):
        if n != doc["referral"]:  # printed first already
            con.print(text("Note: " + n))
    con.print(text(plan["evidence_note"]))
    con.print(line(("Safety:", "bold"), " ", plan["safety_note"]))
    return 0


def cmd_train(args) -> int:
    from analyzer.cli.common import common
    from analyzer.risk import training

    # a bad labels file fails before the store opens
    labels = training.read_labels(args.labels) if args.labels is not None else None
    with common.open_store(args) as store:
        if labels is None:
            from analyzer.analysis.training import injury_labels
            from analyzer.store.diary import Diary

            labels = injury_labels(Diary(store))
        from analyzer.analysis.training import train_from_store

        model, ev = train_from_store(store, args.labels, n_splits=args.folds, labels=labels)
    model.save(args.out, training=ev)
    if args.json:
        print(json.dumps({"model": str(args.out), "evaluation": ev}, indent=2))
        return 0
    from rich.table import Table

    con = _console()
    con.print(
        f"Trained on {ev['n_samples']} labels ({ev['n_injuries']} injuries) from "
        f"{ev['n_athletes']} athletes; {ev['n_splits']}-fold GroupKFold by athlete."
    )
    con.print(
        f"ROC AUC {ev['auc']:.3f} (folds: "
        + ", ".join(f"{x:.2f}" for x in ev["auc_folds"])
        + f"); Brier score {ev['brier']:.4f}"
    )
    skipped = ev.get("skipped") or {}
    if any(skipped.values()):
        con.print(text("Skipped labels: " + ", ".join(f"{k} {v}" for k, v in skipped.items() if v)))
    t = Table(title="Calibration (out of fold)")
    for col in ("score range", "n", "mean score", "observed rate"):
        t.add_column(col)
    for b in ev["calibration"]:
        t.add_row(
            f"{b['score_min']:.3f}-{b['score_max']:.3f}",
            str(b["n"]),
            f"{b['mean_score']:.3f}",
            f"{b['observed_rate']:.3f}",
        )
    con.print(t)
    con.print(text(f"Model written to {args.out}; use it with --model {args.out}"))
    return 0
