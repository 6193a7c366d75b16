"""Run the project's judgement on scenario athletes week by week, as the CLI would.

For one athlete's summary rows (:func:`analyzer.simulate.summaries.scenario_summaries`) and an
instant ``asof``, :func:`judge_asof` reads the athlete's analysis as ``analyzer trends`` /
``risk`` / ``recommend`` do on a store holding those runs
(:func:`analyzer.analysis.analyse_frames` of the rows up to ``asof``). :func:`evaluate_athlete` repeats that at every week end (Sunday 23:59:59 UTC)
and at the instants the acceptance figures need (a change's deadline, a transient's end + 7 days,
the first run after a break); :mod:`analyzer.simulate.figures` turns the results into the
issue-12 acceptance figures.

What is read (and nothing else), so a renamed or added column cannot break the harness:

- ``flag_changes`` rows: ``metric``, ``onset``, ``side``; whether a change is still on comes
  from a boolean ``active`` or ``ongoing`` column, else an ``end`` timestamp (NaT/None = still
  on), else is inferred from ``n_runs`` (the event reaches the latest run with that metric);
- the :class:`~analyzer.risk.assessment.Assessment`: ``level`` (else ``index`` through
  ``risk.level_of``), ``index``, ``drivers[*].feature`` / ``.flagged``;
- the :class:`~analyzer.plan.exercises.Plan`: ``side``.

A missing field makes the figures that need it "not measurable" instead of failing.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analyzer.schema import utc
from analyzer.simulate.figures import acceptance_figures
from analyzer.simulate.judged import BALANCE_METRIC, FIRST_WEEK, FLAG_COLUMNS, Judgement


def _metric_column(metric: str) -> str:
    return "gct_balance_left_median_pct" if metric == BALANCE_METRIC else f"{metric}_at_ref"


def _is_active(row: pd.Series, cols: set, tr: pd.DataFrame) -> bool:
    for name in ("active", "ongoing"):
        if name in cols:
            return bool(row[name])
    if "end" in cols:
        end = row["end"]
        return end is None or pd.isna(end) or pd.Timestamp(end) >= tr["start_time"].max()
    if "n_runs" in cols:
        col = _metric_column(str(row["metric"]))
        if col not in tr.columns:
            return False
        onset = pd.Timestamp(row["onset"])
        after = tr.loc[tr["start_time"] >= onset, col]
        return int(row["n_runs"]) >= int(pd.to_numeric(after, errors="coerce").notna().sum())
    return True  # nothing says it ended


def read_flags(fc, tr: pd.DataFrame) -> tuple[list[dict] | None, list[dict] | None, list[str]]:
    """``(active flags, all events, missing columns)`` from a ``flag_changes`` frame."""
    if fc is None or not hasattr(fc, "columns"):
        return None, None, ["flag_changes frame"]
    cols = set(fc.columns)
    missing = [c for c in FLAG_COLUMNS if c not in cols]
    if missing:
        return None, None, [f"flag_changes.{c}" for c in missing]
    events, active = [], []
    for _, row in fc.iterrows():
        onset = pd.to_datetime(row["onset"], utc=True, errors="coerce")
        ev = {"metric": str(row["metric"]), "side": row["side"], "onset": onset}
        events.append(ev)
        if _is_active(row, cols, tr):
            active.append(ev)
    return active, events, []


def _level(assessment) -> tuple[str | None, float | None]:
    from analyzer import risk

    index = getattr(assessment, "index", None)
    level = getattr(assessment, "level", None)
    if level is None and index is not None:
        level = risk.level_of(float(index))
    return (None if level is None else str(level)), (None if index is None else float(index))


def judge_asof(rows: pd.DataFrame, asof, athlete: str | None = None) -> Judgement:
    """The project's judgement of ``rows`` (one athlete) as of ``asof``, as the CLI makes it.

    Parameters
    ----------
    rows : pandas.DataFrame
        ``Store.gait``-style rows of one athlete (needs ``start_time``).
    asof : Timestamp-like
        Instant (UTC); runs that started at or before it count.
    athlete : str, optional
        Name passed on to the assessment.
    """
    from analyzer.analysis import analyse_frames

    asof = utc(asof)
    t = pd.to_datetime(rows["start_time"], utc=True)
    g = rows[(t <= asof).to_numpy()]
    j = Judgement(asof=asof, n_runs=len(g))
    if len(g) == 0:
        j.error = "no runs yet"
        return j
    an = analyse_frames(g, athlete=athlete, asof=asof, now=asof)
    j.flags, j.events, j.missing = read_flags(an.changes, an.trends)
    a = an.assessment
    if a is None:
        j.error = f"not enough data: {an.reason}"
        return j
    j.level, j.index = _level(a)
    if j.level is None:
        j.missing.append("Assessment.level")
    j.drivers = [
        str(getattr(d, "feature", ""))
        for d in getattr(a, "drivers", [])
        if getattr(d, "flagged", False)
    ]
    plan = an.plan
    if hasattr(plan, "side"):
        j.plan_side = plan.side
    else:
        j.plan_side = "n/a"
        j.missing.append("Plan.side")
    return j


def week_end(truth: dict, week: int) -> pd.Timestamp:
    """Sunday 23:59:59 UTC of ``week`` (1-based) of an athlete's history."""
    start = pd.Timestamp(truth["start"])
    start = utc(start)
    return start + pd.Timedelta(days=7 * week) - pd.Timedelta(seconds=1)


def _ts(text) -> pd.Timestamp:
    return pd.to_datetime(text, utc=True)


def first_runs_after_breaks(rows: pd.DataFrame, truth: dict) -> list[pd.Timestamp]:
    """Start of the first run after each break of the ground truth."""
    t = pd.to_datetime(rows["start_time"], utc=True).sort_values()
    out = []
    for b in truth.get("breaks", []):
        after = t[t >= _ts(b["back"])]
        if len(after):
            out.append(after.iloc[0])
    return out


def evaluation_points(
    rows: pd.DataFrame, truth: dict, *, stride: int = 1, control_stride: int = 1
) -> dict[str, list]:
    """The instants to judge an athlete at, by purpose.

    ``weekly``: week ends from :data:`FIRST_WEEK` (controls: every ``control_stride``-th week;
    athletes with a gait change: every ``stride``-th week from the week before the first onset;
    both always include the last week);
    ``deadline``: per change, its flaggable date + 3, 7, 10, 14 and 21 days, and a transient's
    end + 7 days; ``break``: the first run after each break (its start).
    """
    weeks = int(truth["weeks"])
    all_weeks = sorted({*range(FIRST_WEEK, weeks + 1, control_stride), weeks})
    changes = truth.get("changes", [])
    if changes and stride > 1:
        start = _ts(truth["start"])
        first = min(_ts(c["onset"]) for c in changes)
        w0 = max(FIRST_WEEK, int((first - start).days // 7))
        all_weeks = sorted({*range(w0, weeks + 1, stride), weeks})
    weekly = [week_end(truth, w) for w in all_weeks]
    deadline = []
    last = week_end(truth, weeks)
    for c in changes:
        ref = _ts(c["flaggable_date"])
        deadline += [ref + pd.Timedelta(days=d) for d in (3, 7, 10, 14, 21)]
        if c.get("end"):
            deadline.append(_ts(c["end"]) + pd.Timedelta(days=7))
    deadline = [d for d in deadline if d <= last]
    breaks = [t + pd.Timedelta(seconds=1) for t in first_runs_after_breaks(rows, truth)]
    return {"weekly": weekly, "deadline": deadline, "break": breaks}


def evaluate_athlete(
    rows: pd.DataFrame, truth: dict, *, stride: int = 1, control_stride: int = 1
) -> dict[str, Any]:
    """Judge one athlete at every point of :func:`evaluation_points`.

    Returns
    -------
    dict
        ``truth`` and ``points``: purpose -> list of :class:`Judgement` (same order as the
        instants).
    """
    points = evaluation_points(rows, truth, stride=stride, control_stride=control_stride)
    cache: dict[pd.Timestamp, Judgement] = {}
    out: dict[str, list[Judgement]] = {}
    for purpose, instants in points.items():
        out[purpose] = []
        for asof in instants:
            if asof not in cache:
                cache[asof] = judge_asof(rows, asof, truth.get("athlete"))
            out[purpose].append(cache[asof])
    return {"truth": truth, "points": out}


def evaluate_cohort(
    data: dict[str, tuple[pd.DataFrame, dict]], *, stride: int = 1, control_stride: int = 1
) -> dict:
    """:func:`evaluate_athlete` for every athlete of :func:`cohort_summaries` output, then
    :func:`analyzer.simulate.figures.acceptance_figures` over them.

    ``stride`` / ``control_stride`` thin out the weekly evaluations (see
    :func:`evaluation_points`); 1 (default) judges every week, as a runner checking weekly would.

    Returns
    -------
    dict
        ``figures`` (see :func:`~analyzer.simulate.figures.acceptance_figures`) and
        ``athletes`` (name -> per-athlete result).
    """
    results = {
        name: evaluate_athlete(rows, truth, stride=stride, control_stride=control_stride)
        for name, (rows, truth) in data.items()
    }
    return {"figures": acceptance_figures(results), "athletes": results}
