"""Your plan so far: the stored plan, each exercise's step, adherence, safety and "did it work?".

Takes the diary frames (:class:`analyzer.store.diary.Diary`), the runs and the trends of one
athlete, as the analysis (:mod:`analyzer.analysis`) read them, and hands them to the pure rules
of :mod:`analyzer.plan.progress` and :mod:`analyzer.plan.did_it_work`. The result is a JSON-able dict (the ``plan_so_far`` key of an
athlete report; ``None`` when the athlete has no stored plan and no diary).

.. code-block:: text

    {"available": bool, "reason": str|null,
     "version": int|null, "start_date": str|null,          # the stored plan
     "safety": {"stop": bool, "since": str|null, "reasons": [str], "message": str|null,
                "entries": [{"date", "body_part", "side", "pain", "running", "text"}]},
     "exercises": [{"exercise", "name", "step", "dose", "sessions", "last_session", "why",
                    "frozen", "moves": [{"date", "direction", "to_step", "reason"}]}],
     "adherence": {"sessions_per_week": int, "share": float|null,   # whole plan so far
                   "weeks": [{"week_start", "planned", "done", "share"}]},
     "did_it_work": null | {"metric", "unit", "verdict", "before_mean", "after_mean",
                            "change", "ci_low", "ci_high", "n_before", "n_after",
                            "before_window", "after_window", "reference",
                            "toward_reference", "returned", "text", "caveat"},
     "maintenance": null | {"text": str, "sessions_per_week": 1},
     "open_pain": [{"date", "body_part", "side", "pain", "running", "text"}],
     "asof": str}
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analyzer.plan import did_it_work, progress
from analyzer.plan.exercises import BY_ID

MAINTENANCE = (
    "Your numbers are back at your own reference: one session a week of the first three "
    "exercises at the starting dose keeps what you built."
)


def _reference(plan: dict[str, Any], metric: str | None) -> float | None:
    target = plan.get("followup") or {}
    if metric and target.get("metric") == metric:
        value = target.get("reference")
        return None if value is None else float(value)
    return None


def _asof(asof: Any, runs: pd.DataFrame, exercises: pd.DataFrame, pain: pd.DataFrame):
    """``asof``, or the last day with data (a run or a diary entry), not after today.

    Adherence and the before/after comparison stop where the runner's data stops: weeks after
    the last synced run or logged entry are not counted as missed sessions.
    """
    if asof is not None:
        when = pd.Timestamp(asof)
        return when.tz_localize(None) if when.tzinfo else when
    days = [pd.to_datetime(runs["start_time"], utc=True).max()] if len(runs) else []
    for df, col in ((exercises, "date"), (pain, "date"), (pain, "resolved")):
        if len(df) and df[col].notna().any():
            days.append(pd.Timestamp(df[col].max()).tz_localize("UTC"))
    now = pd.Timestamp.now(tz="UTC")
    last = max(days) if days else now
    return (
        min(last, now).tz_localize(None).normalize() + pd.Timedelta(days=1) - pd.Timedelta(1, "us")
    )


def plan_so_far(
    stored: dict[str, Any] | None,
    exercises: pd.DataFrame,
    pain: pd.DataFrame,
    runs: pd.DataFrame,
    trends_df: pd.DataFrame,
    *,
    asof: Any = None,
) -> dict[str, Any] | None:
    """The ``plan_so_far`` dict of one athlete (shape in the module docstring), or None.

    Parameters
    ----------
    stored : dict or None
        ``Diary.current_plan(athlete)``.
    exercises, pain : DataFrame
        ``Diary.exercises(athlete)`` and ``Diary.pain(athlete)``.
    runs : DataFrame
        ``Store.runs(athlete)``.
    trends_df : DataFrame
        The athlete's trends (the analysis's, with the accepted baselines).
    asof : datetime-like, optional
        Judge as of this instant (default: the last day with data, not after today).
    """
    if stored is None and exercises.empty and pain.empty:
        return None
    when = _asof(asof, runs, exercises, pain)
    run_dates = runs["start_time"] if len(runs) else []
    safety = progress.safety(pain, run_dates, asof=when)
    out: dict[str, Any] = {
        "available": stored is not None,
        "reason": None if stored else "no plan started yet: `analyzer recommend --start`",
        "version": None,
        "start_date": None,
        "safety": safety.to_dict(),
        "exercises": [],
        "adherence": None,
        "did_it_work": None,
        "maintenance": None,
        "open_pain": open_pain(pain, when),
        "asof": when.date().isoformat(),
    }
    if stored is None:
        return out
    plan, start = stored["plan"], stored["start_date"]
    ids = [i.get("exercise") or i.get("id") for i in plan.get("items", [])]
    ids = [i for i in ids if i in BY_ID]
    frozen = pd.Timestamp(safety.since) if safety.stop else None
    steps = progress.progress(ids, exercises, start=start, asof=when, frozen_from=frozen)
    spw = int((plan.get("weekly_plan") or {}).get("sessions_per_week") or 2)
    weeks = progress.adherence(exercises, start=start, sessions_per_week=spw, asof=when)
    planned = int(weeks["planned"].sum()) if len(weeks) else 0
    done = int(weeks["done"].clip(upper=weeks["planned"]).sum()) if len(weeks) else 0
    out.update(
        version=stored["version"],
        start_date=start.date().isoformat(),
        exercises=[
            {
                **{k: v for k, v in vars(p).items() if k != "moves"},
                "name": BY_ID[p.exercise].name,
                "moves": [vars(m) for m in p.moves],
            }
            for p in steps
        ],  # fmt: skip
        adherence={
            "sessions_per_week": spw,
            "share": (done / planned) if planned else None,
            "weeks": [
                {**r, "week_start": r["week_start"].date().isoformat()}
                for r in weeks.to_dict("records")
            ],
        },
    )
    target = did_it_work.followed_metric(plan)
    if target is not None and len(trends_df) and target[0] in trends_df:
        result = did_it_work.before_after(
            trends_df, target[0], start, reference=_reference(plan, target[0]), asof=when,
            unit=target[1],
        )  # fmt: skip
        out["did_it_work"] = result.to_dict()
        if result.returned:
            out["maintenance"] = {"text": MAINTENANCE, "sessions_per_week": 1}
    return out


def open_pain(pain: pd.DataFrame, when: pd.Timestamp) -> list[dict[str, Any]]:
    """Pain entries open at ``when`` (logged by then, not resolved by then), as dicts."""
    if not len(pain):
        return []
    live = pain[
        (pd.to_datetime(pain["date"]) <= when)
        & (pain["resolved"].isna() | (pd.to_datetime(pain["resolved"]) > when))
    ]
    return [
        {"date": pd.Timestamp(r.date).date().isoformat(), "body_part": r.body_part,
         "side": r.side, "pain": int(r.pain), "running": r.running,
         "text": progress.describe(r)}
        for r in live.itertuples(index=False)
    ]  # fmt: skip


def plan_record(plan: dict[str, Any], assessment: dict | None) -> dict[str, Any]:
    """The record stored when a runner starts ``plan`` (``Diary.save_plan``): the plan and what
    it will be followed by, the metric of its first focus and the runner's reference level of it
    at the time (from the assessment's context)."""
    target = did_it_work.followed_metric(plan)
    record = dict(plan)
    if target is not None and assessment:
        ctx = assessment.get("context") or {}
        reference = {
            "gct_balance_left_median_pct": ctx.get("balance_baseline_pct"),
        }.get(target[0])
        record["followup"] = {"metric": target[0], "reference": reference}
    return record
