"""The data contract: canonical column names and units, shared by every stage.

Units are converted once, in :mod:`analyzer.fit.activity`; everything downstream uses these names.
Each name carries its unit as a suffix. Missing or invalid values are NaN, never 0.
"""

from __future__ import annotations

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
