"""The imbalance-risk index of a whole cohort, scored athlete by athlete on a Dask cluster.

Each task loads ONE athlete's per-run gait rows (``load(part)``, e.g.
:func:`analyzer.store.datasets.athlete_gait` of an athlete folder of a Parquet dataset), builds
that athlete's analysis there (:func:`analyzer.analysis.analyse_frames`, the same one the CLI
reads) and sends back one row;
this process only concatenates the rows. So no process ever holds the cohort's runs, and the
work spreads over every worker. Usage::

    from analyzer.store.datasets import athlete_gait, athlete_parts
    from analyzer.analysis.cohort_risk import assess_cohort

    table = assess_cohort(client, athlete_parts("cohort/"), athlete_gait)

It is an imbalance-risk index per athlete, not a diagnosis (see :data:`~analyzer.risk.scoring.DISCLAIMER`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from analyzer.analysis.build import analyse_frames
from analyzer.risk.scoring import FEATURES

#: Columns of :func:`assess_cohort`'s table before the features.
COLUMNS = (
    "athlete",
    "asof",
    "n_runs",
    "index",
    "level",
    "state",
    "top_driver",
    "flagged",
    "note",
)


def assess_rows(rows: pd.DataFrame, *, model=None, asof=None, athlete: str | None = None) -> dict:
    """One athlete's row of the cohort table from their ``Store.gait()``-like rows.

    Too little data gives no index (NaN) and the reason in ``note``, never a number; an index
    whose balance part could not be judged has no ``level`` (``state`` says why, in ``note``).
    """
    if athlete is None and len(rows) and "athlete" in rows:
        athlete = str(rows["athlete"].iloc[0])
    out: dict[str, Any] = dict.fromkeys(COLUMNS)
    out.update(athlete=athlete, n_runs=int(len(rows)), index=math.nan, flagged="", note="")
    an = analyse_frames(rows, athlete=athlete, asof=asof, model=model)
    out["state"] = an.state
    a = an.assessment
    if a is None:
        out["note"] = an.reason
        return out
    out.update(
        asof=a.asof,
        index=a.index,
        level=a.level,
        top_driver=a.drivers[0].feature if a.drivers and a.drivers[0].contribution > 0 else None,
        flagged=";".join(d.feature for d in a.flagged),
        note=a.status.get("text") or "",
    )
    out.update({f: a.features.get(f, math.nan) for f in FEATURES})
    return out


def _assess_part(part: Any, load: Callable[[Any], pd.DataFrame], model, asof) -> dict:
    return assess_rows(load(part), model=model, asof=asof)


def assess_cohort(
    client, parts: Sequence[Any], load: Callable[[Any], pd.DataFrame], *, model=None, asof=None
) -> pd.DataFrame:
    """Score every athlete on the cluster; one row per athlete (:data:`COLUMNS` + features).

    Parameters
    ----------
    client : distributed.Client or None
        Where to run (None: in this process, one athlete after the other).
    parts : sequence
        One item per athlete, handed to ``load`` on a worker (e.g. a folder path).
    load : callable
        ``load(part)`` → that athlete's ``Store.gait()``-like rows (a module-level function,
        so that the workers can import it).
    model : LinearIndex, optional
        Default: the documented priors.
    asof : Timestamp-like, optional
        Score as of this instant (default: each athlete's last run).
    """
    if client is None:
        rows = [_assess_part(p, load, model, asof) for p in parts]
    else:
        futures = client.map(
            _assess_part, list(parts), load=load, model=model, asof=asof, pure=False
        )
        rows = client.gather(futures)
    table = pd.DataFrame(rows, columns=[*COLUMNS, *FEATURES])
    return table.sort_values("athlete", ignore_index=True)
