"""A long, sparse, multi-device history written as real FIT files (for the report tests).

Three years of short runs (12 min, one record every 5 s, so it stays fast) on three watches and
four sensor set-ups, with a three-month break, a sparse year without any dynamics sensor, and
the last weeks on a Stryd pod without balance. Files sit in deep folders with long names, as a
real export does, so that the report has long paths to keep out of its pages.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from analyzer.simulate import AthleteProfile, BalanceShift, Device, simulate_athlete, write_fit
from analyzer.simulate.scenarios import DYNAMICS_CHANNELS

ATHLETE = "Long History Runner"
#: Monday of the first week; 156 weeks later is 2026-11-23.
START = datetime(2023, 11, 27, tzinfo=UTC)
WEEKS = 156
#: The report is made three days after the last run (so it is not stale).
NOW = START + timedelta(weeks=WEEKS) + timedelta(days=1)
#: Folders a real export would sit in (long, personal, with spaces).
DEEP = (
    "Users",
    "alexandra-runner-with-a-long-name",
    "Documents",
    "Garmin exports kept since the first watch",
    "2023-2026 backup of every activity before the move",
)


def phase(week: int) -> str | None:
    """What the runner wore in a week (None: a break without runs)."""
    if 36 <= week < 49:
        return None  # a three-month injury break
    if week < 36:
        return "fr945+hrm_run"
    if week < 100:
        return "fenix7 (no sensor)" if week % 2 == 0 else None  # a sparse year, every 2nd week
    if week < WEEKS - 2:
        return "fr965+hrm_pro"
    return "fr965+stryd"


DEVICES = {
    "fr945+hrm_run": Device(watch="fr945", strap="hrm_run", watch_serial=3_400_000_001),
    "fenix7 (no sensor)": Device(watch="fenix7", strap=None, watch_serial=3_400_000_002),
    "fr965+hrm_pro": Device(watch="fr965", strap="hrm_pro", watch_serial=3_400_000_003),
    "fr965+stryd": Device(
        watch="fr965", strap=None, stryd_serial=777_001, watch_serial=3_400_000_003
    ),
}


def write_history(root: Path) -> tuple[Path, int]:
    """Write the history's FIT files under ``root``; returns the folder and the number of runs."""
    profile = AthleteProfile(
        name=ATHLETE,
        seed=11,
        weeks=WEEKS,
        start=START,
        runs_per_week=(2, 3),
        interval_s=5,
        run_minutes=12,
        stryd=True,
        conditions=(BalanceShift(from_week=120, side="left", size_pts=1.6),),
    )
    folder = root.joinpath(*DEEP)
    folder.mkdir(parents=True)
    n = 0
    for run in simulate_athlete(profile):
        kind = phase(run.plan.week)
        if kind is None:
            continue
        records = dict(run.records)
        if kind == "fenix7 (no sensor)":
            for c in DYNAMICS_CHANNELS:  # 0 is how a watch writes "no reading"
                records[c] = np.zeros_like(records[c])
        elif kind == "fr965+stryd":
            records["gct_balance_left_pct"] = np.zeros_like(records["gct_balance_left_pct"])
        run = dataclasses.replace(run, records=records, device=DEVICES[kind])
        write_fit(run, folder / f"{run.name[:-4]} activity from {kind}.fit")
        n += 1
    return folder, n
