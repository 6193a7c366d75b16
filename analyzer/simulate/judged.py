"""What the project said about one scenario athlete as of one instant (shared by
:mod:`analyzer.simulate.evaluate`, which fills it, and :mod:`analyzer.simulate.figures`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

#: Columns of ``flag_changes`` the harness needs.
FLAG_COLUMNS = ("metric", "onset", "side")
#: ``flag_changes`` metric names of GCT balance and cadence.
BALANCE_METRIC = "gct_balance_left_pct"
CADENCE_METRIC = "cadence_spm"
#: First week end evaluated (earlier, no method has a reference yet).
FIRST_WEEK = 6


@dataclass
class Judgement:
    """What the project said about one athlete as of one instant.

    ``flags`` are the changes still on (dicts with ``metric``, ``side``, ``onset``), ``events``
    every change listed; None when ``flag_changes`` lacks :data:`FLAG_COLUMNS`. ``level`` is
    None when no assessment was possible (``error`` says why) or the Assessment has neither
    ``level`` nor ``index``; ``plan_side`` is ``"n/a"`` when the plan has no ``side`` attribute.
    """

    asof: pd.Timestamp
    n_runs: int
    flags: list[dict] | None = None
    events: list[dict] | None = None
    level: str | None = None
    index: float | None = None
    drivers: list[str] = field(default_factory=list)
    plan_side: str | None = None
    error: str | None = None
    missing: list[str] = field(default_factory=list)
