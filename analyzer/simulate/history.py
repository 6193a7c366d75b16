"""A runner's training history: weeks of 3-5 runs, injected conditions, and the runs themselves.

Randomness is derived from ``(seed, athlete name, purpose, run number)`` through
:class:`numpy.random.SeedSequence`, so one athlete's or one run's draws never depend on another's,
and nothing reads the wall clock.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from analyzer.simulate import model
from analyzer.simulate.model import GaitParams, RunPlan, SimulatedRun, simulate_run

#: Monday the sample histories start on (fixed so files are byte-identical on every machine).
DEFAULT_START = datetime(2026, 6, 1, tzinfo=UTC)

#: Personal values at the runner's easy speed, drawn around Garmin's middle percentile bands
#: (green cadence 164-173 spm / blue 174-183, green GCT 249-277 ms / blue
#: 218-248, green VO (HRM) 82-97 mm / blue 64-81), so easy-run medians of every simulated runner
#: stay inside the published ranges cadence 160-180 spm, GCT 220-300 ms, VO 60-110 mm.
CADENCE_REF_RANGE = (166.0, 176.0)
GCT_REF_RANGE = (245.0, 272.0)
VO_REF_RANGE = (78.0, 95.0)
#: Personal L/R bias inside Garmin's green balance band 49.3-50.7 %.
BALANCE_BIAS_RANGE = (-0.4, 0.4)
#: Leg spring stiffness typical of recreational runners [kN/m] (Stryd-style value; assumption).
LSS_RANGE = (8.5, 12.0)


@dataclass(frozen=True)
class BalanceShift:
    """A left/right GCT-balance shift from a given week on.

    Parameters
    ----------
    from_week : int
        First affected week (1-based).
    side : str
        ``"left"`` (left contact longer, balance above 50 %) or ``"right"``.
    size_pts : float
        Run-median shift [percentage points of GCT balance].
    grows_with_fatigue : bool
        When true the shift grows through each run: from ``size*(1-growth/2)`` at the start to
        ``size*(1+growth/2)`` at the end, median unchanged.
    growth : float
        Relative growth over a run when ``grows_with_fatigue``.
    """

    from_week: int
    side: str = "left"
    size_pts: float = 1.8
    grows_with_fatigue: bool = True
    growth: float = 1.0
    kind: str = "gct_balance_shift"


@dataclass(frozen=True)
class LowCadence:
    """Low cadence / overstriding at matched speed from a given week on (longer steps, longer GCT)."""

    from_week: int
    cadence_drop_spm: float = 9.0
    gct_rise_ms: float = 12.0
    kind: str = "low_cadence"


@dataclass(frozen=True)
class LoadSpike:
    """A week whose volume is multiplied by ``factor`` (a two-week progression well above 30 %)."""

    week: int
    factor: float = 1.6
    kind: str = "load_spike"


Condition = BalanceShift | LowCadence | LoadSpike


@dataclass(frozen=True)
class AthleteProfile:
    """Who the simulated runner is and what happens to them.

    Parameters
    ----------
    name : str
        Athlete name (also the folder name of their files).
    seed : int
        Seed of everything random about them.
    weeks : int
        Number of training weeks.
    start : datetime
        Monday (UTC) of week 1.
    runs_per_week : (int, int)
        Inclusive range of runs per week.
    weekly_minutes : float
        Moving minutes in week 1 (grows ~4 %/week, every 4th week is a recovery week).
    conditions : tuple
        Injected :class:`BalanceShift`, :class:`LowCadence`, :class:`LoadSpike`.
    interval_s : int
        Recording interval [s].
    stryd : bool
        Whether the runner also wears a Stryd pod (developer fields).
    run_minutes : float, optional
        When set, every run's planned moving time [min] (load tests: "1,000 one-hour runs");
        the kinds, speeds and days are drawn as usual. ``None`` (default) plans durations
        from the weekly volume.
    """

    name: str
    seed: int = 0
    weeks: int = 12
    start: datetime = DEFAULT_START
    runs_per_week: tuple[int, int] = (3, 5)
    weekly_minutes: float = 150.0
    conditions: tuple = field(default_factory=tuple)
    interval_s: int = 1
    stryd: bool = False
    run_minutes: float | None = None

    def rng(self, *purpose: int) -> np.random.Generator:
        """A generator for one purpose (0 = gait, 1 = schedule, 2+run = a run)."""
        entropy = [self.seed, *self.name.encode("utf-8"), 0xA11]
        return np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=purpose))


def draw_gait(profile: AthleteProfile) -> GaitParams:
    """Draw the athlete's personal gait parameters (deterministic in seed and name)."""
    rng = profile.rng(0)
    u = rng.uniform
    return GaitParams(
        v_ref_mps=float(u(2.7, 3.2)),
        cadence_ref_spm=float(u(*CADENCE_REF_RANGE)),
        cadence_slope=float(u(*model.CADENCE_SLOPE_RANGE)),
        gct_ref_ms=float(u(*GCT_REF_RANGE)),
        gct_slope=float(u(*model.GCT_SLOPE_RANGE)),
        vo_ref_mm=float(u(*VO_REF_RANGE)),
        vo_slope=float(u(*model.VO_SLOPE_RANGE)),
        balance_bias_pts=float(u(*BALANCE_BIAS_RANGE)),
        lss_kn_m=float(u(*LSS_RANGE)),
        mass_kg=float(u(55.0, 80.0)),
        hr_rest_bpm=float(u(45.0, 58.0)),
        hr_max_bpm=float(u(180.0, 195.0)),
    )


def plan_history(profile: AthleteProfile, gait: GaitParams) -> list[RunPlan]:
    """Plan every run: days, start times, kinds, moving times, speeds and injected offsets."""
    rng = profile.rng(1)
    plans: list[RunPlan] = []
    lo, hi = profile.runs_per_week
    for w in range(1, profile.weeks + 1):
        minutes = profile.weekly_minutes * (1 + 0.04 * (w - 1)) * (0.8 if w % 4 == 0 else 1.0)
        spike = [c for c in profile.conditions if isinstance(c, LoadSpike) and c.week == w]
        n = int(rng.integers(lo, hi + 1))
        if spike:
            minutes *= spike[0].factor
            n = min(n + 1, 6)
        days = sorted(rng.choice(6, size=n - 1, replace=False).tolist()) + [6]  # long run Sunday
        long_min = min(0.3 * minutes, 110.0)
        kinds = ["easy"] * (n - 1) + ["long"]
        if n >= 4:
            kinds[int(rng.integers(0, n - 1))] = "tempo"
        rest = (minutes - long_min) / (n - 1)
        week_start = profile.start + timedelta(weeks=w - 1)
        for day, kind in zip(days, kinds, strict=True):
            if kind == "long":
                dur = long_min * rng.uniform(0.95, 1.05)
                speed = gait.v_ref_mps * rng.uniform(0.95, 0.99)
            elif kind == "tempo":
                dur = float(np.clip(rest * rng.uniform(0.9, 1.1), 35, 55))
                speed = gait.v_ref_mps * rng.uniform(1.17, 1.25)
            else:
                dur = float(np.clip(rest * rng.uniform(0.8, 1.2), 25, 60))
                speed = gait.v_ref_mps * rng.uniform(0.93, 1.06)
            if profile.run_minutes is not None:
                dur = float(profile.run_minutes)
            hour = 6.0 + rng.uniform(0, 1.5) if day < 5 else 8.0 + rng.uniform(0, 2.0)
            start = week_start + timedelta(days=int(day), seconds=int(hour * 3600))
            plans.append(_with_conditions(profile, start, kind, int(dur * 60), float(speed), w))
    return plans


def _with_conditions(
    profile: AthleteProfile, start: datetime, kind: str, timer_s: int, speed: float, week: int
) -> RunPlan:
    shift = growth = cad = gct = 0.0
    for c in profile.conditions:
        if isinstance(c, BalanceShift) and week >= c.from_week:
            shift += c.size_pts if c.side == "left" else -c.size_pts
            growth = c.growth if c.grows_with_fatigue else 0.0
        elif isinstance(c, LowCadence) and week >= c.from_week:
            cad -= c.cadence_drop_spm
            gct += c.gct_rise_ms
    return RunPlan(start, kind, timer_s, speed, week, shift, growth, cad, gct)


def simulate_athlete(profile: AthleteProfile) -> list[SimulatedRun]:
    """Simulate an athlete's whole history.

    Parameters
    ----------
    profile : AthleteProfile

    Returns
    -------
    list of SimulatedRun
        In start-time order, deterministic in ``profile``.
    """
    gait = draw_gait(profile)
    alt_base = float(profile.rng(3).uniform(20.0, 400.0))
    runs = []
    for i, plan in enumerate(plan_history(profile, gait)):
        rng = profile.rng(2, i)
        runs.append(
            simulate_run(
                plan,
                gait,
                rng,
                interval_s=profile.interval_s,
                altitude_base_m=alt_base,
                stryd=profile.stryd,
            )
        )
    return runs


def ground_truth(profile: AthleteProfile, runs: list[SimulatedRun]) -> dict:
    """The JSON-able truth about an athlete: profile, gait parameters, conditions, runs."""
    gait = draw_gait(profile)
    conditions = []
    for c in profile.conditions:
        d = asdict(c)
        week = d.get("from_week", d.get("week"))
        d["from_date"] = (profile.start + timedelta(weeks=week - 1)).date().isoformat()
        if isinstance(c, BalanceShift):
            sign = 1 if c.side == "left" else -1
            d["expected_balance_left_pct_change"] = round(sign * c.size_pts, 3)
            g = c.growth if c.grows_with_fatigue else 0.0
            d["expected_last_minus_first_third_pts"] = round(sign * c.size_pts * g * 2 / 3, 3)
        conditions.append(d)
    return {
        "athlete": profile.name,
        "seed": profile.seed,
        "weeks": profile.weeks,
        "start": profile.start.date().isoformat(),
        "interval_s": profile.interval_s,
        "stryd": profile.stryd,
        "gait": {k: round(v, 4) for k, v in asdict(gait).items()},
        "baseline_balance_left_pct": round(50.0 + gait.balance_bias_pts, 3),
        "conditions": conditions,
        "runs": run_entries(runs),
    }


def run_entries(runs: list[SimulatedRun]) -> list[dict]:
    """One ground-truth entry per run: file, start, week, kind, moving time, distance, truth."""
    return [
        {
            "file": r.name,
            "start_time": r.plan.start_time.isoformat().replace("+00:00", "Z"),
            "week": r.plan.week,
            "kind": r.plan.kind,
            "timer_s": r.n_records * r.interval_s,
            "distance_m": round(float(r.records["distance_m"][-1]), 2),
            **r.truth,
        }
        for r in runs
    ]
