"""Synthetic runners that write real FIT files: sample data, load tests and ground truth.

``simulate_athlete(profile)`` gives a deterministic training history (a list of
:class:`SimulatedRun`), ``write_fit(run, path_or_buffer)`` encodes one run with garmin-fit-sdk,
``write_sample_data(out_dir)`` writes the bundled ``sample_data/`` and
``write_synthetic_export(out_dir, athletes=N, weeks=W, seed=S)`` larger synthetic exports, and
``write_apple_health_export(out_dir, profile)`` a runner's Apple Health export (issue 23).
See :mod:`analyzer.simulate.model` for the gait model and :mod:`analyzer.fit.writer` for the
FIT layout and how session averages are computed.

For judging the judgement (issue 12): :mod:`~analyzer.simulate.scenarios` (scenario athletes:
gait changes, training, kit), :mod:`~analyzer.simulate.scenario_cohort` (the seeded cohort and its ground
truth), :mod:`~analyzer.simulate.summaries` (per-run gait rows without FIT files),
:mod:`~analyzer.simulate.files` (scenarios and a messy three-year history as FIT files),
:mod:`~analyzer.simulate.evaluate` and :mod:`~analyzer.simulate.figures` (the harness and the
acceptance figures). They are not imported here, so ``import analyzer.simulate`` stays light.
"""

from __future__ import annotations

from analyzer.fit.writer import Device, encode_run, write_fit
from analyzer.simulate.applehealth import write_apple_health_export
from analyzer.simulate.export import (
    SAMPLE_ATHLETES,
    sample_profiles,
    write_athlete,
    write_sample_data,
    write_synthetic_export,
)
from analyzer.simulate.history import (
    AthleteProfile,
    BalanceShift,
    LoadSpike,
    LowCadence,
    ground_truth,
    simulate_athlete,
)
from analyzer.simulate.model import GaitParams, RunPlan, SimulatedRun, simulate_run

__all__ = [
    "AthleteProfile",
    "BalanceShift",
    "Device",
    "GaitParams",
    "LoadSpike",
    "LowCadence",
    "RunPlan",
    "SAMPLE_ATHLETES",
    "SimulatedRun",
    "encode_run",
    "ground_truth",
    "sample_profiles",
    "simulate_athlete",
    "simulate_run",
    "write_apple_health_export",
    "write_athlete",
    "write_fit",
    "write_sample_data",
    "write_synthetic_export",
]
