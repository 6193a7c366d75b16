"""Scenario athletes as real FIT files, and a long, messy three-year history.

:func:`write_scenario` writes any :class:`~analyzer.simulate.scenarios.Scenario` as one FIT file
per run (through :func:`analyzer.fit.writer.encode_run`) with its ``ground_truth.json``.
:func:`write_messy_history` writes what a real runner's folder looks like after three years:
three watches (one without running dynamics), a chest strap replaced by a Running Dynamics Pod,
breaks, a marathon and races, walking stops inside runs, one run recorded twice (a second
watch on the other wrist), a Strava bulk export (``.fit.gz``) holding the last months again, and
a gradual balance shift in the final months. Deterministic in ``seed``.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from analyzer.fit.writer import Device, encode_run
from analyzer.simulate.export import strava_export
from analyzer.simulate.model import SimulatedRun, quantize, simulate_run
from analyzer.simulate.scenario_cohort import scenario_truth
from analyzer.simulate.scenarios import (
    DYNAMICS_CHANNELS,
    GaitChange,
    Kit,
    Scenario,
    Training,
    apply_kit,
    simulate_scenario,
)

#: Walking stops inside runs (timer running): speed [m/s] and cadence [steps/min] of a brisk
#: walk, below the running thresholds of :func:`analyzer.metrics.gait.running_mask`, and their
#: length [s] (assumptions: a traffic light, a drink, a steep bit walked).
WALK_SPEED_MPS = 1.3
WALK_CADENCE_SPM = 112.0
WALK_SECONDS = (30, 90)


def device_for(sc: Scenario, kit: Kit) -> Device:
    """The :class:`Device` of a kit (serials drawn from the scenario's seed, one per product)."""
    rng = sc.profile().rng(4)
    watch_serial = int(rng.integers(3_300_000_000, 3_999_999_999))
    strap_serial = int(rng.integers(1_000_000, 9_999_999))
    pod_serial = int(rng.integers(100_000, 999_999))
    return Device(
        watch=kit.watch,
        watch_serial=watch_serial + sum(map(ord, kit.watch)),
        strap="hrm_pro" if kit.dynamics == "chest_strap" else None,
        strap_serial=strap_serial,
        pod_serial=pod_serial if kit.dynamics == "pod" else None,
    )


def _json(obj) -> bytes:
    return (json.dumps(obj, indent=1) + "\n").encode("utf-8")


def _encode(sc: Scenario, runs: list[SimulatedRun]) -> list[tuple[str, bytes]]:
    files = []
    for r in runs:
        day = (r.plan.start_time - sc.start).total_seconds() / 86400.0
        r.device = device_for(sc, sc.kit_on(day))
        files.append((r.name, encode_run(r)))
    return files


def write_scenario(
    sc: Scenario, out_dir: str | Path, *, interval_s: int = 1
) -> tuple[list[Path], dict]:
    """Write a scenario athlete into ``out_dir/<name>/``: one FIT file per run and
    ``ground_truth.json`` (:func:`analyzer.simulate.scenario_cohort.scenario_truth` with per-run entries).

    Returns
    -------
    (list of Path, dict)
        The FIT paths and the ground truth.
    """
    folder = Path(out_dir) / sc.name
    folder.mkdir(parents=True, exist_ok=True)
    runs = simulate_scenario(sc, interval_s=interval_s)
    paths = []
    for name, data in _encode(sc, runs):
        (folder / name).write_bytes(data)
        paths.append(folder / name)
    truth = scenario_truth(sc, runs)
    (folder / "ground_truth.json").write_bytes(_json(truth))
    return paths, truth


def with_walking_stops(run: SimulatedRun, rng: np.random.Generator) -> SimulatedRun:
    """Replace one or two stretches of a run by walking (timer running); distance follows.

    Changes ``run`` in place and records the stops in ``run.truth["walking_stops_s"]``.
    """
    r = run.records
    n = r["timestamp"].size
    stops = []
    for _ in range(int(rng.integers(1, 3))):
        k = max(int(rng.integers(*WALK_SECONDS)) // run.interval_s, 1)
        if n < 4 * k:
            break
        at = int(rng.integers(n // 5, n - 2 * k))
        r["speed_mps"][at : at + k] = quantize("speed_mps", np.full(k, WALK_SPEED_MPS))
        r["cadence_spm"][at : at + k] = WALK_CADENCE_SPM
        stops.append(k * run.interval_s)
    r["distance_m"] = quantize("distance_m", np.cumsum(r["speed_mps"]) * run.interval_s)
    if "step_length_mm" in r:
        r["step_length_mm"] = quantize(
            "step_length_mm", 1000.0 * r["speed_mps"] / (r["cadence_spm"] / 60)
        )
        r["vertical_ratio_pct"] = quantize(
            "vertical_ratio_pct", 100.0 * r["vertical_oscillation_mm"] / r["step_length_mm"]
        )
    run.truth["walking_stops_s"] = stops
    return run


def messy_scenario(seed: int = 0, start: datetime | None = None) -> Scenario:
    """The three-year runner behind :func:`write_messy_history` (from ``start``, zone-aware;
    default :data:`~analyzer.simulate.history.DEFAULT_START`)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x3E55]))
    pod_day = float(rng.uniform(380, 430))
    sc = Scenario(
        name="messy",
        seed=90_000 + seed,
        group="messy",
        weeks=156,
        balance_bias_pts=float(rng.uniform(-0.4, 0.4)),
        changes=(GaitChange("balance", float(rng.uniform(930, 960)), 1.5, ramp_days=30.0),),
        training=Training(
            runs_per_week=(3, 5),
            weekly_minutes=180.0,
            races=((20, "10k"), (44, "half"), (64, "half"), (110, "5k"), (140, "10k")),
            marathon_week=72,
            breaks=((30, 5), (96, 7), (124, 3)),
        ),
        kit=(
            Kit(0.0, "fr965", "chest_strap"),
            Kit(pod_day, "fr965", "pod"),
            Kit(560.0, "fr55", "none"),  # a month with the old spare watch (travelling)
            Kit(590.0, "fr255", "pod"),
        ),
    )
    return sc if start is None else replace(sc, start=start)


def write_messy_history(
    out_dir: str | Path, seed: int = 0, *, interval_s: int = 2, start: datetime | None = None
) -> dict:
    """Write a long, messy history into ``out_dir``.

    Layout: ``<watch>/YYYY-MM-DD-HH-MM-SS.fit`` per watch (fr965, fr55, fr255),
    ``exports/messy_strava_export.zip`` (the last 26 weeks again, as ``activities/*.fit.gz``) and
    ``ground_truth.json`` (scenario truth, per-run entries with the watch and file, the
    duplicated run and the files in the Strava export).

    Parameters
    ----------
    out_dir : str or Path
    seed : int
        Seeds the runner, the kit change dates and every run.
    interval_s : int
        Recording interval [s] (2 = Garmin smart recording's usual pace).
    start : datetime, optional
        First day (zone-aware). The default, 2026-06-01, puts most of the 156 weeks after
        today, where the import marks runs "date unknown"; pass a start three years back.

    Returns
    -------
    dict
        The ground truth (also written).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sc = messy_scenario(seed, start)
    runs = simulate_scenario(sc, interval_s=interval_s)
    rng = sc.profile().rng(21)
    for r in runs:
        if rng.uniform() < 0.2:
            with_walking_stops(r, rng)
    files = _encode(sc, runs)
    by_watch: dict[str, list[str]] = {}
    for r, (name, data) in zip(runs, files, strict=True):
        folder = out / r.truth["watch"]
        folder.mkdir(exist_ok=True)
        (folder / name).write_bytes(data)
        r.truth["file"] = f"{r.truth['watch']}/{name}"
        by_watch.setdefault(r.truth["watch"], []).append(name)

    # One race recorded twice: the spare watch on the other wrist, started 3 s later.
    races = [i for i, r in enumerate(runs) if r.plan.kind == "race" and r.truth["watch"] != "fr55"]
    orig = runs[races[len(races) // 2]]
    twin_plan = replace(orig.plan, start_time=orig.plan.start_time + timedelta(seconds=3))
    twin = simulate_run(twin_plan, sc.gait(), sc.profile().rng(22), interval_s=interval_s)
    twin = apply_kit(twin, Kit(0.0, "fr55", "none"))
    twin.device = device_for(sc, Kit(0.0, "fr55", "none"))
    (out / "fr55").mkdir(exist_ok=True)
    (out / "fr55" / twin.name).write_bytes(encode_run(twin))

    cut = sc.start + timedelta(weeks=sc.weeks - 26)
    tail = [(r, f) for r, f in zip(runs, files, strict=True) if r.plan.start_time >= cut]
    truth = scenario_truth(sc, runs)
    ex = out / "exports"
    ex.mkdir(exist_ok=True)
    tail_truth = {"runs": [e for e in truth["runs"] if e["start_time"] >= cut.isoformat()[:19]]}
    (ex / "messy_strava_export.zip").write_bytes(
        strava_export("messy", [f for _, f in tail], tail_truth)
    )
    truth.update(
        watches={w: len(v) for w, v in by_watch.items()},
        without_dynamics=sorted(e["file"] for e in truth["runs"] if e.get("dynamics") == "none"),
        duplicate={
            "original": orig.truth["file"],
            "copy": f"fr55/{twin.name}",
            "note": "the same race recorded by a second watch without running dynamics",
        },
        strava_export={"file": "exports/messy_strava_export.zip", "runs": len(tail)},
        walking_stops=sum(1 for r in runs if r.truth.get("walking_stops_s")),
        dynamics_channels_dropped_without_sensor=list(DYNAMICS_CHANNELS),
    )
    (out / "ground_truth.json").write_bytes(_json(truth))
    return truth


__all__ = ["device_for", "messy_scenario", "write_messy_history", "write_scenario"]
