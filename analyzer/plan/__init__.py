"""The plan: which of the eight hip exercises to prioritise, with dose, side and the reason.

Takes an :class:`~analyzer.risk.assessment.Assessment`; gives a
:class:`~analyzer.plan.exercises.Plan`: the exercises ranked by the drivers that fired, each with
its dose, side emphasis, next progression and the measured reason, and the safety note. The
exercise facts (from the seed article, in our own words) are in ``exercises.json``.
"""

from typing import TYPE_CHECKING

from analyzer._base.lazy import exports

_EXPORTS = {
    "recommend": "exercises",
    "Plan": "exercises",
    "PlanItem": "exercises",
    "Exercise": "exercises",
    "EXERCISES": "exercises",
    "BY_ID": "exercises",
    "FRONTAL_PLANE": "exercises",
    "SAFETY_NOTE": "exercises",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # what editors and type checkers see (the same names as _EXPORTS)
    from analyzer.plan.exercises import (
        BY_ID,
        EXERCISES,
        FRONTAL_PLANE,
        SAFETY_NOTE,
        Exercise,
        Plan,
        PlanItem,
        recommend,
    )
