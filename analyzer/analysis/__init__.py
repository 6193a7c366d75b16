"""The analysis stage: one immutable analysis per athlete, the answer every surface shows.

Takes the store (or frames of it); gives :class:`Analysis` (:func:`analyse`,
:func:`analyse_frames`): runs, gait, trends with the accepted baselines, flagged changes, the
one comparison of each metric with its reference, weekly load, the risk assessment (with the
status of each driver and of the index), the plan shaped by pain, the plan so far and
staleness. The CLI, the report, the team page, cohort risk and the simulator read it.
"""

from __future__ import annotations

from analyzer.analysis.build import (
    STALE_AFTER_DAYS,
    Analysis,
    DiaryFrames,
    analyse,
    analyse_frames,
    stale,
    unchanged_until,
)

__all__ = [
    "STALE_AFTER_DAYS",
    "Analysis",
    "DiaryFrames",
    "analyse",
    "analyse_frames",
    "assess",
    "recommend",
    "stale",
    "unchanged_until",
]


def assess(store, athlete: str | None = None, *, model=None, asof=None):
    """The imbalance-risk index of one athlete: ``analyse(...).assessment``.

    Raises
    ------
    NotFound, ModelFileError
        As :func:`analyse`.
    NotEnoughData
        Nothing could be scored (the reason is in the message).
    """
    from analyzer.errors import NotEnoughData

    a = analyse(store, athlete, model=model, asof=asof)
    if a.assessment is None:
        raise NotEnoughData(a.reason or "not enough data for an assessment")
    return a.assessment


def recommend(analysis_or_assessment, *, max_items: int = 5):
    """The ranked hip-exercise plan: of an :class:`Analysis` (shaped by its pain and staleness),
    or of a bare assessment (:func:`analyzer.plan.exercises.recommend`)."""
    if isinstance(analysis_or_assessment, Analysis):
        return analysis_or_assessment.recommend(max_items=max_items)
    from analyzer.plan.exercises import recommend as rank

    return rank(analysis_or_assessment, max_items=max_items)
