"""The data contract: canonical column names and units, shared by every stage.

Units are converted once, in :mod:`analyzer.fit.activity`; everything downstream uses these names.
Each name carries its unit as a suffix. Missing or invalid values are NaN, never 0.
"""

from __future__ import annotations

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
#: (``analyzer.metrics.normalise.METRICS`` is this tuple).
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
    import math
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
