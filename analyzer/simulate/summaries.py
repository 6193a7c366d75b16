"""Scenario athletes at summary level: per-run gait rows without writing or importing FIT files.

Each simulated run's records go straight into :func:`analyzer.metrics.gait.summarize`, the same
function the store caches per run, and the row carries the identity columns of
``Store.gait(athlete)`` (``run_id``, ``athlete``, ``start_time``, ``dynamics_source``,
``distance_m``, ``timer_s``) plus the watch (``product``) and the sensor (``dynamics_sensor``). So
the frame can be handed to ``trends.trends`` / ``load.weekly`` exactly as the CLI hands over what
the store returns. A coarse record interval (5 s by default) keeps a year of one athlete near a
second; the summaries only depend on it through sampling noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analyzer.metrics import gait as gait_metrics
from analyzer.simulate.model import FIT_EPOCH_S, SimulatedRun
from analyzer.simulate.scenario_cohort import scenario_truth
from analyzer.simulate.scenarios import Scenario, simulate_scenario

#: Record channels that :func:`analyzer.metrics.gait.summarize` reads.
SUMMARY_CHANNELS = (
    "speed_mps",
    "cadence_spm",
    "stance_time_ms",
    "vertical_oscillation_mm",
    "vertical_ratio_pct",
    "step_length_mm",
    "gct_balance_left_pct",
)
#: Sensor names as the importer reports them (``dynamics_sensor``), by kit dynamics.
SENSOR_NAMES = {"chest_strap": "garmin hrm_pro", "pod": "garmin running_dynamics_pod", "none": None}


def records_frame(run: SimulatedRun) -> pd.DataFrame:
    """A run's records in contract columns, timed by ``elapsed_s`` [s] (pauses included)."""
    ts = run.records["timestamp"]
    cols = {c: run.records[c] for c in SUMMARY_CHANNELS if c in run.records}
    cols["elapsed_s"] = (ts - ts[0]).astype(float)
    return pd.DataFrame(cols)


def summary_row(run: SimulatedRun, athlete: str) -> dict:
    """One ``Store.gait``-style row for a simulated run."""
    source = run.truth.get("dynamics", "chest_strap")
    summary = gait_metrics.summarize(records_frame(run), dynamics_source=source)
    t0 = int(run.segments[0][0]) + FIT_EPOCH_S
    return {
        "run_id": f"{athlete}/{run.name}",
        "athlete": athlete,
        "start_time": pd.Timestamp(t0, unit="s", tz="UTC"),
        "dynamics_source": source,
        "distance_m": float(run.records["distance_m"][-1]),
        "timer_s": float(run.n_records * run.interval_s),
        **summary.to_dict(),
        "product": run.truth.get("watch"),
        "dynamics_sensor": SENSOR_NAMES.get(source),
        "kind": run.plan.kind,
    }


def scenario_summaries(sc: Scenario, *, interval_s: int = 5) -> tuple[pd.DataFrame, dict]:
    """Simulate a scenario and summarise every run.

    Returns
    -------
    (pandas.DataFrame, dict)
        One row per run in start order (see :func:`summary_row`; ``kind`` is the planned run
        type, which the store does not have) and the scenario's ground truth with per-run
        entries.
    """
    runs = simulate_scenario(sc, interval_s=interval_s)
    rows = [summary_row(r, sc.name) for r in runs]
    df = pd.DataFrame(rows)
    for c in gait_metrics.SUMMARY_KEYS:
        if c in df.columns and c.endswith("_band"):
            continue
        if c in df.columns:
            df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    return df, scenario_truth(sc, runs)


def cohort_summaries(
    scenarios: list[Scenario], *, interval_s: int = 5
) -> dict[str, tuple[pd.DataFrame, dict]]:
    """:func:`scenario_summaries` for every scenario, keyed by athlete name."""
    return {sc.name: scenario_summaries(sc, interval_s=interval_s) for sc in scenarios}


def speed_spread(df: pd.DataFrame) -> float:
    """Standard deviation of the runs' median speeds [m/s] (NaN with fewer than two runs)."""
    v = pd.to_numeric(df["speed_median_mps"], errors="coerce").dropna().to_numpy()
    return float(np.std(v, ddof=1)) if v.size > 1 else float("nan")
