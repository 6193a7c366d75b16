"""What the data can support: the windows, reference periods and "not enough data" reasons
behind each risk driver, and the change detector's verdict at the latest judged run.

Every gait driver is judged on the runs of the recent window (the window of the one comparison
of each metric with its reference, ``trends.current_vs_baseline``) that are compared with a
complete reference of the same sensor or watch; below :data:`MIN_RECENT_RUNS` such runs it says
what is missing instead of giving a number (:func:`missing_reference`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from analyzer.metrics import change, trends
from analyzer.risk.texts import OK, iso_day, offset_of

#: Length of the recent window [days].
RECENT_DAYS = trends.RECENT_DAYS
#: Fewest runs in the recent window for any gait driver (one or two runs are not a pattern).
MIN_RECENT_RUNS = 3


def column(df: pd.DataFrame, name: str) -> pd.Series:
    """Column ``name`` as floats (NaN where missing or not a number; all NaN if absent)."""
    if name in df.columns:
        return pd.to_numeric(df[name], errors="coerce").astype(float)
    return pd.Series(np.nan, index=df.index, dtype=float)


def flags(df: pd.DataFrame, name: str) -> pd.Series:
    """Column ``name`` as booleans (False where missing or absent)."""
    if name in df.columns:
        return df[name].fillna(False).astype(bool)
    return pd.Series(False, index=df.index)


def median(s: pd.Series) -> float:
    """Median of the values present, NaN when there are none."""
    s = s.dropna()
    return float(s.median()) if len(s) else math.nan


def window(rows: pd.DataFrame) -> dict[str, str | None]:
    """``{"start", "end"}`` local ISO days of the rows' first and last runs (empty for none)."""
    if not len(rows):
        return {}
    t = pd.to_datetime(rows["start_time"], utc=True)
    first, last = rows.loc[t.idxmin()], rows.loc[t.idxmax()]
    return {
        "start": iso_day(first["start_time"], offset_of(first)),
        "end": iso_day(last["start_time"], offset_of(last)),
    }


def reference_window(row: pd.Series, stem: str) -> dict[str, Any]:
    return {
        "start": iso_day(row.get(f"{stem}_ref_start"), offset_of(row)),
        "end": iso_day(row.get(f"{stem}_ref_end"), offset_of(row)),
        "runs": int(row.get(f"{stem}_ref_n") or 0),
    }


def missing_reference(df: pd.DataFrame, recent: pd.DataFrame, stem: str, value: str) -> str:
    """Why the recent runs cannot be judged against a reference for ``stem``."""
    has = recent[column(recent, value).notna()]
    if len(has) == 0:
        return f"not enough data: no runs with this metric in the last {RECENT_DAYS} days"
    judged = has[flags(has, f"{stem}_monitored")]
    if len(judged) >= MIN_RECENT_RUNS:
        return OK
    last = has.iloc[-1]
    need = change.REFERENCE_MIN_RUNS
    if not bool(last.get(f"{stem}_ref_ready", False)):
        key = "reference_source" if "reference_source" in df.columns else "dynamics_source"
        src = str(last.get(key) or "unknown")
        earlier = df[(df["start_time"] < has["start_time"].min()) & flags(df, f"{stem}_ref_ready")]
        so_far = int(last.get(f"{stem}_ref_n") or 0)
        if len(earlier) and key in df.columns:
            old = str(earlier[key].iloc[-1])
            first_new = df[df[key] == src]["start_time"].min()
            what = "watch" if src.startswith("watch:") else "dynamics sensor"
            return (
                f"not enough data: the {what} changed from {old.removeprefix('watch:')} to "
                f"{src.removeprefix('watch:')} on {iso_day(first_new, offset_of(last))}; a new {what} is not a gait "
                f"change, so a new reference needs {need} runs with "
                f"{trends.describe_source(src)} ({so_far} so far)"
            )
        return (
            f"not enough data: your reference needs {need} runs over "
            f"{change.REFERENCE_DAYS} days ({so_far} so far)"
        )
    if bool(last.get(f"{stem}_in_ref", False)):
        return (
            f"not enough data: the recent runs are part of your reference period (until "
            f"{iso_day(last.get(f'{stem}_ref_end'), offset_of(last))}); changes are judged after it"
        )
    return (
        f"not enough data: {len(judged)} of {MIN_RECENT_RUNS} runs needed in the last "
        f"{RECENT_DAYS} days"
    )


def detector_flag(judged: pd.DataFrame, stem: str) -> int:
    """The change detector's verdict at the latest judged run: +1 / -1 while a change is
    flagged above / below the reference, 0 otherwise (``trends.trends`` column
    ``<stem>_shift``)."""
    if not len(judged) or f"{stem}_shift" not in judged.columns:
        return 0
    value = judged[f"{stem}_shift"].iloc[-1]
    return 0 if pd.isna(value) else int(np.sign(value))
