"""One analysis per athlete: everything a runner is told, built once from the store.

:func:`analyse` reads one athlete's runs, per-run gait summaries, accepted baselines and diary
from the store and hands them to :func:`analyse_frames`, which builds, in this order and
nowhere else: the trends with the accepted baselines (``metrics.trends.trends``), the
flagged changes, the one comparison of each metric with its reference, the weekly load, the
risk features and assessment, the open pain and the safety stop, the plan (shaped by the pain),
the plan so far and the staleness warning. Every surface reads the result: the ``trends``,
``risk``, ``recommend`` and ``diary`` commands, the report (HTML, terminal, JSON), the team
page, cohort risk, the simulator's evaluation and the notebooks. None assembles the pipeline
again (``tests/analysis/test_one_answer.py`` fails if one does).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from analyzer.analysis import plan_so_far as _so_far
from analyzer.errors import NotEnoughData
from analyzer.metrics import load
from analyzer.metrics import trends as metric_trends
from analyzer.plan import exercises, progress
from analyzer.risk import features as _features
from analyzer.risk.assessment import Assessment, assess_features
from analyzer.schema import local_date, local_day, local_day_end, offset_on
from analyzer.schema import utc as _utc

__all__ = [
    "STALE_AFTER_DAYS",
    "Analysis",
    "DiaryFrames",
    "analyse",
    "analyse_frames",
    "stale",
    "unchanged_until",
]

#: The latest run is "stale" when it is more than this many days older than the analysis: every
#: figure then describes that time, and no advice about next week is given.
STALE_AFTER_DAYS = 28


@dataclass(frozen=True)
class DiaryFrames:
    """One athlete's diary as the analysis reads it (``Diary`` of :mod:`analyzer.store.diary`)."""

    plan: dict[str, Any] | None = None  # Diary.current_plan
    exercises: pd.DataFrame = field(default_factory=pd.DataFrame)
    pain: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True)
class Analysis:
    """Everything one athlete is told, as of one instant. Build it with :func:`analyse`.

    Attributes
    ----------
    athlete : str
    asof : pandas.Timestamp or None
        The instant judged (UTC): the ``asof`` asked for, else the latest run.
    now : pandas.Timestamp
        When the analysis was made (UTC): what "stale" is measured against.
    runs : DataFrame
        ``Store.runs(athlete)`` (every run, dated or not).
    gait : DataFrame
        ``Store.gait(athlete)`` up to ``asof``, with the watch's ``device``.
    accepted : DataFrame
        Accepted baselines (``Store.accepted_baselines``).
    trends : DataFrame
        ``metrics.trends.trends`` with the accepted baselines.
    changes : DataFrame
        Flagged changes (``metrics.trends.flag_changes``).
    comparisons : DataFrame
        The one comparison of each metric with its reference
        (``metrics.trends.current_vs_baseline`` at ``asof``): every table, driver, flag and
        sentence quotes these numbers.
    weekly : DataFrame or None
        Weekly load (``metrics.load.weekly``).
    assessment : Assessment or None
        The imbalance-risk index with its drivers (each with its status: whether the data can
        support it) and the index's own status; None with ``reason`` when nothing could be
        scored.
    reason : str or None
    plan : Plan or None
        The ranked exercises, shaped by open pain and the safety stop.
    plan_so_far : dict or None
        The stored plan followed from the diary (:mod:`analyzer.analysis.plan_so_far`).
    open_pain : list of dict
        Pain entries open at ``asof``.
    safety : dict
        The safety stop (:func:`analyzer.plan.progress.safety`): ``stop``, ``message``, ...
    stale : dict or None
        ``{"last_run", "days", "warning"}`` when the latest run is more than
        :data:`STALE_AFTER_DAYS` days before ``now`` (or before an ``asof`` asked for).
    pain : DataFrame
        The diary's pain entries (all of them: :attr:`open_pain` is what is open at ``asof``).
    """

    athlete: str
    asof: pd.Timestamp | None
    now: pd.Timestamp
    runs: pd.DataFrame
    gait: pd.DataFrame
    accepted: pd.DataFrame
    trends: pd.DataFrame
    changes: pd.DataFrame
    comparisons: pd.DataFrame
    weekly: pd.DataFrame | None
    assessment: Assessment | None
    reason: str | None
    plan: exercises.Plan | None
    plan_so_far: dict[str, Any] | None
    open_pain: list[dict[str, Any]]
    safety: dict[str, Any]
    stale: dict[str, Any] | None
    pain: pd.DataFrame = field(default_factory=pd.DataFrame)

    def recommend(self, *, max_items: int = 5) -> exercises.Plan | None:
        """The plan with at most ``max_items`` exercises, shaped as :attr:`plan` is."""
        if self.assessment is None:
            return None
        return exercises.recommend(
            self.assessment,
            max_items=max_items,
            pain=self.open_pain,
            referral=self.safety.get("message") if self.safety.get("stop") else None,
            stale=self.stale is not None,
        )

    def accept_from(self, metric: str | None = None) -> pd.Timestamp:
        """Where a new reference accepted now starts (``trends --accept-baseline``): the onset
        of the change flagged at the latest run for ``metric`` (the earliest onset of every
        metric when None), else the latest run's start.

        Raises
        ------
        NotFound
            The athlete has no dated runs.
        """
        from analyzer.errors import NotFound

        if not len(self.trends):
            raise NotFound(
                f"athlete {self.athlete!r} has no runs; give the date with --accept-from"
            )
        on = (
            self.changes[self.changes["ongoing"].fillna(False).astype(bool)]
            if len(self.changes)
            else self.changes
        )
        if metric is not None and len(on):
            on = on[on["metric"] == metric]
        if len(on):
            return _utc(pd.to_datetime(on["onset"], utc=True).min())
        return _utc(self.trends["start_time"].max())

    @property
    def state(self) -> str:
        """``"judged"``, ``"balance_not_judged"`` or ``"not_enough_data"`` (no index at all)."""
        if self.assessment is None:
            return "not_enough_data"
        return str(self.assessment.status.get("state"))

    @property
    def headline(self) -> str:
        """The first line every surface shows: the index and level, or what cannot be judged."""
        if self.assessment is None:
            return f"No index yet: {self.reason}"
        a = self.assessment
        if a.level is None:
            return f"{a.status['text']} Index from those alone: {a.index:.0f} / 100, no level."
        return f"Imbalance-risk index {a.index:.0f} / 100 ({a.level})."


def stale(runs: pd.DataFrame, when: pd.Timestamp) -> dict[str, Any] | None:
    """The staleness warning: the latest dated run is more than :data:`STALE_AFTER_DAYS` days
    before ``when`` (None otherwise, and for a history without dated runs)."""
    dated = _dated(runs)
    times = pd.to_datetime(dated["start_time"], utc=True)
    if not times.notna().any():
        return None
    last = times.max()
    days = int((when - last).total_seconds() // 86400)
    if days <= STALE_AFTER_DAYS:
        return None
    off = dated["utc_offset_s"].loc[times.idxmax()] if "utc_offset_s" in dated else 0
    day = local_date(last, off)
    return {
        "last_run": day,
        "days": days,
        "warning": (
            f"The latest run is from {day}, {days} days before {local_date(when, off)}: every figure "
            "describes that time, not today, and no advice is given about next week's running."
        ),
    }


def _dated(runs: pd.DataFrame | None) -> pd.DataFrame:
    """The runs with a usable date (``Store`` flags the others ``date_unknown``)."""
    if runs is None or not len(runs):
        return pd.DataFrame({"start_time": pd.Series(dtype="datetime64[ns, UTC]")})
    if "date_unknown" not in runs:
        return runs
    return runs[~runs["date_unknown"].astype("boolean").fillna(False).to_numpy(dtype=bool)]


def _last_dated(runs: pd.DataFrame | None) -> pd.Timestamp | None:
    """The start of the latest run with a usable date (UTC), None without one."""
    last = pd.to_datetime(_dated(runs)["start_time"], utc=True).max()
    return None if pd.isna(last) else last


def unchanged_until(an: Analysis, *, asof_given: bool) -> float:
    """Until when [s since the epoch] everything ``an`` tells stays true as the clock moves on
    (what :class:`analyzer.store.viewcache.ViewCache` may show it for).

    Judged as of now (``asof_given`` False), the clock enters through whole days: the date of
    "today" (open pain, the plan so far, the texts), the whole days since the latest run (the
    staleness, the report's ``days_since_last_run``), the runs in the safety stop's window
    (:data:`analyzer.plan.progress.PAIN_RUNS_WINDOW_DAYS` days back, when pain was logged) and
    runs dated after now.
    So the answer is the next midnight (UTC, and local at each offset the runs were recorded
    at), the next whole day since each of those runs, or the first run after now, whichever
    comes first. Judged as of a date, only the next midnight
    (kept for safety: nothing is known to depend on the clock then).
    """
    now = _utc(an.now)
    day = pd.Timedelta(days=1)
    ends = [now.normalize() + day]
    # the dates shown are the runner's local dates: their midnights too (each offset seen)
    if "utc_offset_s" in an.runs and len(an.runs):
        for off in set(pd.to_numeric(an.runs["utc_offset_s"], errors="coerce").dropna()):
            shift = pd.Timedelta(seconds=float(off))
            ends.append((now + shift).normalize() + day - shift)
    times = pd.to_datetime(an.runs["start_time"], utc=True) if len(an.runs) else None
    if not asof_given and times is not None and times.notna().any():
        times = times.dropna()
        later = times[times > now]
        if len(later):
            ends.append(later.min())
        anchors = [times[times <= now].max(), _last_dated(an.runs)]
        if len(an.pain):  # without pain the safety stop does not look at the runs
            window = pd.Timedelta(days=progress.PAIN_RUNS_WINDOW_DAYS + 1)
            anchors += list(times[(times <= now) & (times > now - window)])
        for t in (a for a in anchors if a is not None and not pd.isna(a)):
            ends.append(t + ((now - t) // day + 1) * day)
    return min(ends).timestamp()


def _with_device(gait: pd.DataFrame, runs: pd.DataFrame | None) -> pd.DataFrame:
    """The gait rows with the watch's ``device`` (a new watch starts a new wrist reference)."""
    if "device" in gait.columns or runs is None or "device" not in runs.columns:
        return gait
    devices = runs.drop_duplicates("run_id").set_index("run_id")["device"]
    return gait.assign(device=gait["run_id"].map(devices))


def _cut(asof: Any, rows: pd.DataFrame) -> pd.Timestamp | None:
    """The instant judged for ``asof``: an instant as given (UTC if naive), or, for a calendar
    day (:class:`datetime.date`), the end of that day on the runner's local clock: the offset of
    their latest run dated on or before it (else of their first run; else UTC)."""
    if asof is None:
        return None
    if not isinstance(asof, _dt.date) or isinstance(asof, _dt.datetime):
        return _utc(asof)
    return local_day_end(asof, offset_on(asof, rows))


def analyse_frames(
    gait_rows: pd.DataFrame,
    *,
    athlete: str | None = None,
    runs: pd.DataFrame | None = None,
    accepted: pd.DataFrame | None = None,
    diary: DiaryFrames | None = None,
    asof: Any = None,
    model: Any = None,
    now: Any = None,
) -> Analysis:
    """The analysis of one athlete from frames (no store needed: cohorts, simulations).

    Parameters
    ----------
    gait_rows : DataFrame
        ``Store.gait(athlete)``-like rows of one athlete (needs ``start_time``).
    athlete : str, optional
    runs : DataFrame, optional
        ``Store.runs(athlete)``; default: the gait rows.
    accepted : DataFrame, optional
        ``Store.accepted_baselines(athlete)``.
    diary : DiaryFrames, optional
        The stored plan, exercise sessions and pain entries.
    asof : datetime-like or datetime.date, optional
        Judge as of this instant (UTC if naive), or as of the end of this calendar day on the
        runner's local clock (a :class:`datetime.date`, as ``--asof`` gives it); runs after it
        are left out. Default: the latest run.
    model : LinearIndex or path, optional
        Default: the documented priors.
    now : datetime-like, optional
        When the analysis is made (default: the current time); the latest run is stale when it
        is more than :data:`STALE_AFTER_DAYS` days older (older than ``asof`` when one is given).
    """
    now_ts = _utc(_dt.datetime.now(_dt.UTC) if now is None else now)
    cut = _cut(asof, gait_rows)
    diary = diary or DiaryFrames()
    runs = gait_rows if runs is None else runs
    g = _with_device(gait_rows, runs)
    if cut is not None and len(g):
        g = g[(pd.to_datetime(g["start_time"], utc=True) <= cut).to_numpy()]
    trends = metric_trends.trends(g, accepted=accepted) if len(g) else g
    at = cut if cut is not None else (trends["start_time"].max() if len(trends) else None)
    # computed once: the tables, the drivers and (judged as of the latest run) the flags quote it
    comparisons = metric_trends.current_vs_baseline(trends, asof=at)
    latest = comparisons if cut is None else None
    changes = metric_trends.flag_changes(trends, accepted=accepted, current=latest)
    weekly = load.weekly(g) if len(g) else None
    plan_start = (diary.plan or {}).get("start_date")
    started = plan_start is not None and (at is None or _utc(plan_start) <= at)

    reason = None
    assessment = None
    try:
        if not len(trends):
            raise NotEnoughData(f"athlete {athlete!r} has no runs to score")
        feats, ctx = _features.compute(
            trends, weekly, asof=cut, plan_started=started, comparisons=comparisons
        )
        assessment = assess_features(feats, ctx, model=model, athlete=athlete)
    except NotEnoughData as exc:
        reason = str(exc)

    when = cut if cut is not None else now_ts
    warn = stale(runs if cut is None else g, when)
    run_dates = local_day(runs["start_time"], runs.get("utc_offset_s", 0)) if len(runs) else []
    pain = diary.pain
    pain_at = (cut if cut is not None else now_ts).tz_localize(None)
    safety = progress.safety(pain, run_dates, asof=pain_at).to_dict()
    open_pain = _so_far.open_pain(pain, pain_at) if len(pain) else []
    so_far = _so_far.plan_so_far(
        diary.plan, diary.exercises, pain, runs, trends, asof=None if cut is None else cut
    )
    out = Analysis(
        athlete=athlete or "",
        asof=at,
        now=now_ts,
        runs=runs,
        gait=g,
        accepted=accepted if accepted is not None else pd.DataFrame(columns=["metric", "asof"]),
        trends=trends,
        changes=changes,
        comparisons=comparisons,
        weekly=weekly,
        assessment=assessment,
        reason=reason,
        plan=None,
        plan_so_far=so_far,
        open_pain=open_pain,
        safety=safety,
        stale=warn,
        pain=pain,
    )
    return replace(out, plan=out.recommend())


def analyse(store, athlete: str | None = None, *, asof=None, model=None, now=None) -> Analysis:
    """The analysis of one athlete in ``store`` (see the module docstring).

    Parameters
    ----------
    store : analyzer.store.database.Store
    athlete : str, optional
        Needed when the store holds several athletes.
    asof : datetime-like or datetime.date, optional
        Judge as of this instant, or the end of this local day (see :func:`analyse_frames`;
        default: the latest run).
    model : LinearIndex or path, optional
        Default: the documented priors.
    now : datetime-like, optional
        When the analysis is made (default: now).

    Raises
    ------
    NotFound
        Unknown athlete, an empty store, or several athletes and none named.
    ModelFileError
        A model file that cannot be used.
    """
    from analyzer.store.diary import Diary

    athlete = store.resolve_athlete(athlete)
    diary = Diary(store)
    frames = DiaryFrames(
        plan=diary.current_plan(athlete),
        exercises=diary.exercises(athlete),
        pain=diary.pain(athlete),
    )
    return analyse_frames(
        store.gait(athlete),
        athlete=athlete,
        runs=store.runs(athlete),
        accepted=store.accepted_baselines(athlete),
        diary=frames,
        asof=asof,
        model=model,
        now=now,
    )
