"""The data contract: canonical column names and units, shared by every stage.

Units are converted once, in :mod:`analyzer.fit.activity`; everything downstream uses these names.
Each name carries its unit as a suffix. Missing or invalid values are NaN, never 0.
"""

from __future__ import annotations

import math
from typing import Any

#: Record columns (one row per FIT ``record`` message) with their units.
RECORD_COLUMNS: dict[str, str] = {
    "timestamp": "UTC datetime",
    "elapsed_s": "s since the first record of the run",
    "distance_m": "m",
    "speed_mps": "m/s",
    "heart_rate_bpm": "1/min",
    "cadence_spm": "steps/min (both feet)",
    "vertical_oscillation_mm": "mm",
    "stance_time_ms": "ms (ground contact time)",
    "stance_time_pct": "% of step time",
    "gct_balance_left_pct": "% of GCT on the left foot, 50 = even",
    "step_length_mm": "mm",
    "vertical_ratio_pct": "%",
    "power_w": "W",
    "altitude_m": "m",
}

#: Stryd developer fields, matched on application id + field number (see analyzer.fit.activity).
STRYD_COLUMNS: dict[str, str] = {
    "form_power_w": "W",
    "leg_spring_stiffness_kn_m": "kN/m",
    "air_power_w": "W",
    "impact_loading_rate_bw_s": "body weights/s",
}

#: The running-dynamics columns whose presence makes a run "have dynamics".
DYNAMICS_COLUMNS: tuple[str, ...] = (
    "vertical_oscillation_mm",
    "stance_time_ms",
    "gct_balance_left_pct",
    "step_length_mm",
    "vertical_ratio_pct",
)

#: Where a run's running dynamics came from.
DYNAMICS_SOURCES: tuple[str, ...] = ("chest_strap", "pod", "wrist", "stryd", "none")

#: Metric suffixes shared by computed per-run averages (``avg_*``) and the watch's own
#: session averages (``watch_avg_*``) in ``analyzer runs --json``.
AVERAGE_METRICS: tuple[str, ...] = (
    "speed_mps",
    "cadence_spm",
    "stance_time_ms",
    "vertical_oscillation_mm",
    "gct_balance_left_pct",
    "step_length_mm",
    "vertical_ratio_pct",
)

#: The eight hip exercises, by id (the plan's vocabulary, also what a training diary may log).
EXERCISE_IDS: tuple[str, ...] = (
    "bridge",
    "hip_circles",
    "clamshell",
    "side_leg_raises",
    "lateral_band_walks",
    "squats",
    "banded_side_step",
    "quadruped_hip_extension",
)

#: How an exercise session felt, as a runner logs it.
FEELS: tuple[str, ...] = ("easy", "right", "hard")
#: Sides a diary entry can name.
SIDES: tuple[str, ...] = ("left", "right", "both")

#: How a pain entry affected running.
RUNNING_AFFECTED: tuple[str, ...] = ("none", "reduced", "stopped")


#: Metrics with a personal reference, the names a runner can accept a new baseline for
#: (``analyzer.metrics.trends.METRICS`` is this tuple).
BASELINE_METRICS: tuple[str, ...] = (
    "gct_balance_left_pct",
    "cadence_spm",
    "stance_time_ms",
    "vertical_oscillation_mm",
    "step_length_mm",
    "vertical_ratio_pct",
)


# --- Time and JSON: one conversion of each for the whole package ------------------------------
# (pandas and numpy are imported inside the functions: every command imports this module at
# start-up, and ``analyzer --help`` must not pay for them.)


def utc(value: Any):
    """``value`` as a UTC :class:`pandas.Timestamp` (naive input is taken as UTC), or None.

    None, NaN, NaT and text that is not a time give None.
    """
    import pandas as pd

    if value is None or (isinstance(value, float) and value != value):
        return None
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if ts is pd.NaT or pd.isna(ts):
        return None
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def iso_utc(value: Any) -> str | None:
    """``value`` as ISO-8601 UTC text with a ``Z`` (``"2026-03-02T07:15:00Z"``), or None."""
    ts = utc(value)
    return None if ts is None else ts.isoformat().replace("+00:00", "Z")


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data, recursively: numpy and pandas scalars become Python numbers,
    NaN / NaT / inf / NA become None, times become :func:`iso_utc` text, frames a list of
    records. The one encoder behind every ``--json`` output and the report dict."""
    kind = type(value)
    if kind is float:  # (plain Python scalars first: most values are, and need no imports)
        return value if math.isfinite(value) else None
    if kind is str or kind is int or kind is bool:
        return value
    from collections.abc import Mapping

    import numpy as np
    import pandas as pd

    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, pd.DataFrame):
        return [jsonable(r) for r in value.to_dict(orient="records")]
    if isinstance(value, list | tuple | set | np.ndarray | pd.Series | pd.Index):
        return [jsonable(v) for v in list(value)]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, pd.Timestamp | np.datetime64):
        return iso_utc(value)
    if hasattr(value, "to_dict"):
        return jsonable(value.to_dict())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# --- Local time: the one conversion from a run's UTC instant to its local clock (DESIGN §10) ---
# A run keeps its UTC instant (``start_time``) and ``utc_offset_s``, the seconds its local clock
# was ahead of UTC; its date, its week and "this week" are read on that local clock. Days and
# weeks are midnights *labelled* UTC (the local calendar date at 00:00Z), so that day and week
# indexes stay one UTC-aware dtype whatever zones the runs were in.

#: Where a run's ``utc_offset_s`` came from, best first: the watch's own local time (FIT
#: ``activity.local_timestamp``), the time zone at the run's first position, the athlete's usual
#: offset (the most common one of their other runs), none (UTC, so labelled).
OFFSET_SOURCES: tuple[str, ...] = ("device", "position", "usual", "utc")


def _offsets(value: Any, offset_s: Any):
    """``offset_s`` as a timedelta (scalar) or timedelta Series aligned with ``value``; missing
    offsets are 0 (UTC)."""
    import pandas as pd

    if isinstance(value, pd.Series):
        off = (
            pd.Series(offset_s, index=value.index)
            if not isinstance(offset_s, pd.Series)
            else offset_s
        )
        off = pd.to_numeric(off, errors="coerce").fillna(0).to_numpy()
        return pd.to_timedelta(off, unit="s")
    try:
        off = float(offset_s)
    except (TypeError, ValueError):
        off = 0.0
    return pd.Timedelta(seconds=off if off == off else 0.0)


def local_clock(value: Any, offset_s: Any = 0):
    """The local wall clock of UTC instant(s) ``value`` at ``offset_s`` [s]: a naive
    :class:`pandas.Timestamp` (None when ``value`` is not a time), or, for a Series, a naive
    datetime Series (NaT where not a time)."""
    import pandas as pd

    if isinstance(value, pd.Series):
        t = pd.to_datetime(value, utc=True, errors="coerce")
        return (t + _offsets(t, offset_s)).dt.tz_localize(None)
    ts = utc(value)
    return None if ts is None else (ts + _offsets(ts, offset_s)).tz_localize(None)


def local_day(value: Any, offset_s: Any = 0):
    """The local calendar day of UTC instant(s) ``value`` at ``offset_s`` [s], as midnight
    labelled UTC (a run at 06:30 in Auckland, 17:30Z the day before, is on its local day).
    Scalar in, Timestamp or None out; Series in, Series out. Days and weeks everywhere."""
    import pandas as pd

    clock = local_clock(value, offset_s)
    if isinstance(clock, pd.Series):
        return clock.dt.floor("D").dt.tz_localize("UTC")
    return None if clock is None else clock.floor("D").tz_localize("UTC")


def local_monday(value: Any, offset_s: Any = 0):
    """The local Monday (midnight labelled UTC) of the week holding ``value`` on its local clock."""
    import pandas as pd

    day = local_day(value, offset_s)
    if isinstance(day, pd.Series):
        return day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    return None if day is None else day - pd.Timedelta(days=day.day_of_week)


def iso_local(value: Any, offset_s: Any = 0) -> str | None:
    """``value`` on its local clock as ISO-8601 text with the offset
    (``"2026-03-02T06:30:00+13:00"``), or None."""
    import datetime as dt

    ts = utc(value)
    if ts is None:
        return None
    off = _offsets(ts, offset_s)
    return ts.tz_convert(dt.timezone(off.to_pytimedelta())).isoformat().replace("+00:00", "Z")


def local_date(value: Any, offset_s: Any = 0) -> str | None:
    """``YYYY-MM-DD`` of ``value`` on its local clock, or None: every date shown to a runner."""
    day = local_day(value, offset_s)
    return None if day is None else day.strftime("%Y-%m-%d")


def local_day_end(day: Any, offset_s: Any = 0):
    """The last instant (UTC :class:`pandas.Timestamp`) of calendar day ``day`` on a local clock
    ``offset_s`` [s] ahead of UTC: ``--asof 2026-03-02`` in Auckland (UTC+13) ends at
    ``2026-03-02T10:59:59.999999Z``, so a run at 07:00 there on the 2nd (18:00Z on the 1st) is
    included and one at 07:00 on the 3rd is not."""
    import pandas as pd

    midnight = pd.Timestamp(day).normalize().tz_localize(None) + pd.Timedelta(days=1)
    return (midnight - _offsets(midnight, offset_s) - pd.Timedelta(1, "us")).tz_localize("UTC")


def offset_on(day: Any, runs: Any) -> int:
    """The runner's local offset [s] on calendar day ``day``: that of their latest run dated
    (locally) on or before it, else of their first run, else 0 (UTC). ``runs`` has
    ``start_time`` and ``utc_offset_s``; what ``--asof`` and ``--accept-from`` days are read in."""
    import pandas as pd

    if runs is None or not len(runs) or "utc_offset_s" not in runs.columns:
        return 0
    t = pd.to_datetime(runs["start_time"], utc=True)
    order = t.sort_values(kind="stable").index
    offsets = pd.to_numeric(runs["utc_offset_s"].loc[order], errors="coerce")
    days = local_day(t.loc[order], offsets.fillna(0))
    before = offsets[(days <= pd.Timestamp(day).tz_localize(None).tz_localize("UTC")).to_numpy()]
    before = before.dropna()
    if len(before):
        return int(before.iloc[-1])
    known = offsets.dropna()
    return int(known.iloc[0]) if len(known) else 0


def local_day_start(day: Any, offset_s: Any = 0):
    """The first instant (UTC :class:`pandas.Timestamp`) of calendar day ``day`` on a local
    clock ``offset_s`` [s] ahead of UTC (``--accept-from 2026-03-02`` in Auckland starts at
    ``2026-03-01T11:00:00Z``)."""
    import pandas as pd

    midnight = pd.Timestamp(day).normalize().tz_localize(None)
    return (midnight - _offsets(midnight, offset_s)).tz_localize("UTC")


def resolve_offsets(runs: Any):
    """``runs`` (with ``utc_offset_s``, ``utc_offset_source`` and, when several, ``athlete``)
    with every offset filled: runs without one take their athlete's usual offset (the most
    common one of their runs that have one, ties to the latest), else 0 labelled ``"utc"``."""
    import pandas as pd

    df = runs.copy()
    if "utc_offset_s" not in df.columns:
        df["utc_offset_s"] = pd.NA
    if "utc_offset_source" not in df.columns:
        df["utc_offset_source"] = None
    off = pd.to_numeric(df["utc_offset_s"], errors="coerce")
    src = df["utc_offset_source"].astype(object).where(off.notna(), None)
    who = df["athlete"] if "athlete" in df.columns else pd.Series("", index=df.index)
    for _, idx in who.groupby(who, dropna=False).groups.items():
        known = off.loc[idx].dropna()
        missing = off.loc[idx].isna()
        if not missing.any():
            continue
        gone = missing[missing].index
        if len(known):
            counts = known.iloc[::-1].value_counts(sort=True)  # ties: the latest first
            off.loc[gone], src.loc[gone] = float(counts.index[0]), "usual"
        else:
            off.loc[gone], src.loc[gone] = 0.0, "utc"
    df["utc_offset_s"] = off.round().astype("Int64") if len(df) else off
    df["utc_offset_source"] = src.where(off.notna(), None)
    return df
