"""Scenario athletes for measuring the judgement: gait changes with ground truth, and controls.

A :class:`Scenario` is a runner (drawn with :func:`analyzer.simulate.history.draw_gait`, optionally
with a chosen natural balance) with a training plan (:class:`Training`: easy, recovery, long,
tempo, interval and race runs, a marathon build, breaks), the kit they wear over time
(:class:`Kit`: watch and dynamics sensor) and the gait changes injected into them
(:class:`GaitChange`). :func:`simulate_scenario` turns it into :class:`SimulatedRun` objects with
the existing run model, :func:`scenario_truth` into the ground truth written beside the athlete,
and :func:`cohort` builds the seeded test cohort (sudden, counter-direction, gradual, transient,
fatigue-drift and cadence changes, and controls whose only change is training or kit).

Everything is composed from :mod:`analyzer.simulate.model` and :mod:`analyzer.simulate.history`;
nothing here changes what those produce for the bundled sample data.

The size conventions follow :class:`analyzer.simulate.model.RunPlan`: GCT balance changes are
signed percentage points, + = toward the left foot (the left foot's share of contact grows).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np

from analyzer.simulate import model
from analyzer.simulate.history import DEFAULT_START, AthleteProfile, draw_gait
from analyzer.simulate.model import GaitParams, RunPlan, SimulatedRun, quantize, simulate_run

#: Within-run growth used for fatigue-drift onsets: ``shift(f) = s * (1 + 4 (f - 0.5))``, so the
#: last third sits ``8/3 s`` beyond the first and the run median moves by ``s`` only; a drift of
#: D points (last minus first third) is injected as ``s = 3 D / 8``.
FATIGUE_DRIFT_GROWTH = 4.0

#: A Running Dynamics Pod (waist) reads vertical oscillation higher than a chest strap: Garmin's
#: green vertical-ratio band is 7.5-8.6 % for the strap and 8.4-10.0 % for the pod (Forerunner 945
#: manual, ja-JP), a ratio of 1.12-1.16 at the band edges; 1.12 is used (assumption).
POD_VO_FACTOR = 1.12

#: Record channels a watch without running dynamics does not write (it keeps speed and wrist
#: cadence).
DYNAMICS_CHANNELS = (
    "vertical_oscillation_mm",
    "stance_time_ms",
    "stance_time_pct",
    "gct_balance_left_pct",
    "step_length_mm",
    "vertical_ratio_pct",
)

#: Speeds of each kind of run as a share of the runner's easy reference speed (uniform ranges;
#: assumptions giving a recreational runner's spread: recovery ~6:50 min/km, easy ~5:50,
#: tempo ~4:50, 5-min repeats ~4:15, 5 km race ~4:10 for a 2.9 m/s easy pace).
SPEED_SHARE: dict[str, tuple[float, float]] = {
    "recovery": (0.80, 0.88),
    "easy": (0.92, 1.05),
    "long": (0.92, 0.98),
    "tempo": (1.18, 1.28),
    "intervals": (1.32, 1.45),
}
#: Race distances [m] and speed share of each.
RACES: dict[str, tuple[float, float]] = {
    "5k": (5000.0, 1.40),
    "10k": (10000.0, 1.32),
    "half": (21097.5, 1.22),
    "marathon": (42195.0, 1.10),
}
#: Weeks of a marathon build before race week (long runs grow from 90 to 180 min).
MARATHON_BUILD_WEEKS = 16


@dataclass(frozen=True)
class GaitChange:
    """One injected gait change.

    Parameters
    ----------
    kind : str
        ``"balance"`` (run-median GCT balance), ``"fatigue_drift"`` (balance asymmetry growing
        through each run, see :data:`FATIGUE_DRIFT_GROWTH`) or ``"cadence"`` (cadence at matched
        speed; step length follows, since step = speed / cadence).
    onset_day : float
        Days after the scenario's start when it begins.
    size : float
        Full size: balance [pts, + = toward left]; fatigue drift = last minus first third
        [pts, + = toward left]; cadence [steps/min, negative = drop].
    ramp_days : float
        0 = sudden; else the change grows linearly to ``size`` over this many days.
    end_day : float, optional
        Days after the start when it is gone again (a transient); None = lasts to the end.
    """

    kind: str
    onset_day: float
    size: float
    ramp_days: float = 0.0
    end_day: float | None = None

    def amount(self, day: float) -> float:
        """The change in effect ``day`` days after the start [its unit]."""
        if day < self.onset_day or (self.end_day is not None and day >= self.end_day):
            return 0.0
        if self.ramp_days <= 0:
            return self.size
        return self.size * min((day - self.onset_day) / self.ramp_days, 1.0)


@dataclass(frozen=True)
class Kit:
    """What the runner wears from ``from_day`` on: the watch and the dynamics sensor.

    ``dynamics`` is ``"chest_strap"`` (HRM-Pro), ``"pod"`` (Running Dynamics Pod) or ``"none"``
    (a watch without running dynamics: speed, heart rate and wrist cadence only).
    """

    from_day: float = 0.0
    watch: str = "fr965"
    dynamics: str = "chest_strap"


@dataclass(frozen=True)
class Training:
    """A training plan: runs per week, volume, session types, races, a marathon, breaks.

    Parameters
    ----------
    runs_per_week : (int, int)
        Inclusive range of runs in a normal week.
    weekly_minutes : float
        Moving minutes in week 1; +1.5 %/week, every 4th week a recovery week (x0.75).
    intervals, tempo : bool
        One interval session / one tempo run in most weeks of 4+ runs.
    races : tuple of (int, str)
        ``(week, distance)`` of races (keys of :data:`RACES`) on that week's Saturday.
    marathon_week : int, optional
        Week of a marathon (Sunday); the :data:`MARATHON_BUILD_WEEKS` before it build the long
        run from 90 to 180 minutes, the last two taper.
    breaks : tuple of (int, int)
        ``(first week, number of weeks)`` without running; the four weeks after a break build
        back from half the volume.
    """

    runs_per_week: tuple[int, int] = (4, 5)
    weekly_minutes: float = 210.0
    intervals: bool = True
    tempo: bool = True
    races: tuple[tuple[int, str], ...] = ()
    marathon_week: int | None = None
    breaks: tuple[tuple[int, int], ...] = ()

    def on_break(self, week: int) -> bool:
        return any(w0 <= week < w0 + n for w0, n in self.breaks)

    def weeks_back(self, week: int) -> int | None:
        """Weeks since the end of the latest break before ``week`` (None without one)."""
        ends = [w0 + n for w0, n in self.breaks if w0 + n <= week]
        return week - max(ends) if ends else None


@dataclass(frozen=True)
class Scenario:
    """A scenario athlete: who, which training, which kit, which changes, and why.

    ``group`` names the kind of case (``"sudden"``, ``"counter"``, ``"gradual"``,
    ``"transient"``, ``"fatigue_drift"``, ``"cadence"``, ``"control"``); ``control`` names a
    control's training or kit change (``"intervals"``, ``"marathon"``, ``"races"``,
    ``"break"``, ``"strap_to_pod"``, ``"watches"``). ``balance_bias_pts`` overrides the drawn
    natural balance (balance = 50 + bias % L).
    """

    name: str
    seed: int
    group: str
    control: str | None = None
    weeks: int = 52
    start: datetime = DEFAULT_START
    balance_bias_pts: float | None = None
    changes: tuple[GaitChange, ...] = ()
    training: Training = field(default_factory=Training)
    kit: tuple[Kit, ...] = (Kit(),)

    def profile(self) -> AthleteProfile:
        """The :class:`AthleteProfile` whose seeded generators this scenario uses."""
        return AthleteProfile(name=self.name, seed=self.seed, weeks=self.weeks, start=self.start)

    def gait(self) -> GaitParams:
        g = draw_gait(self.profile())
        if self.balance_bias_pts is not None:
            g = replace(g, balance_bias_pts=float(self.balance_bias_pts))
        return g

    def kit_on(self, day: float) -> Kit:
        """The kit worn ``day`` days after the start."""
        current = self.kit[0]
        for k in self.kit:
            if k.from_day <= day:
                current = k
        return current


def _week_minutes(t: Training, week: int) -> float:
    minutes = t.weekly_minutes * (1 + 0.015 * (week - 1)) * (0.75 if week % 4 == 0 else 1.0)
    back = t.weeks_back(week)
    if back is not None and back < 4:
        minutes *= 0.5 + 0.125 * back  # building back after a break
    return minutes


def _long_minutes(t: Training, week: int, minutes: float) -> float:
    if t.marathon_week is not None and 0 < t.marathon_week - week <= MARATHON_BUILD_WEEKS:
        k = t.marathon_week - week  # weeks to go
        return 75.0 if k <= 2 else 90.0 + 90.0 * (MARATHON_BUILD_WEEKS - k) / 13.0
    return min(0.3 * minutes, 110.0)


def _interval_seconds(reps: int) -> float:
    """Moving time of an interval session of ``reps`` repeats [s]."""
    cycle = model.INTERVAL_WORK_S + model.INTERVAL_REST_S
    return model.INTERVAL_WARM_S + reps * cycle - model.INTERVAL_REST_S + model.INTERVAL_COOL_S


def _kinds(t: Training, n: int, days: list[int], rng: np.random.Generator) -> list[str]:
    kinds = ["easy"] * (n - 1) + ["long"]
    free = list(range(n - 1))
    if n > 1 and days[0] == 0:
        kinds[0] = "recovery"  # Monday, the day after the long run
        free.remove(0)
    if n >= 4 and t.intervals and free:
        kinds[free.pop(int(rng.integers(0, len(free))))] = "intervals"
    if n >= 4 and t.tempo and free:
        kinds[free.pop(int(rng.integers(0, len(free))))] = "tempo"
    return kinds


def plan_runs(sc: Scenario, gait: GaitParams) -> list[RunPlan]:
    """Every run of a scenario as a :class:`RunPlan`, with its gait changes applied.

    Randomness: ``profile.rng(11)`` for the schedule (independent of the sample-data streams).
    """
    rng = sc.profile().rng(11)
    t = sc.training
    plans: list[RunPlan] = []
    for w in range(1, sc.weeks + 1):
        if t.on_break(w):
            continue
        minutes = _week_minutes(t, w)
        lo, hi = t.runs_per_week
        n = int(rng.integers(lo, hi + 1))
        back = t.weeks_back(w)
        if back is not None and back < 2:
            n = max(2, n - 2)
        days = sorted(rng.choice(6, size=n - 1, replace=False).tolist()) + [6]
        race = dict(t.races).get(w)
        if race is not None and 5 not in days:
            days = sorted({*days[:-2], 5, 6}) if n > 2 else [5, 6]  # the race is on Saturday
        kinds = _kinds(t, len(days), days, rng)
        if (back is not None and back < 2) or race is not None or t.marathon_week == w:
            # no hard sessions in the first fortnight back or in a race week
            kinds = ["easy" if k in ("intervals", "tempo") else k for k in kinds]
        if race is not None:
            kinds[days.index(5)] = race
        if t.marathon_week == w:
            kinds[-1] = "marathon"
        long_min = _long_minutes(t, w, minutes)
        rest = max(minutes - long_min, 25.0 * (len(days) - 1)) / max(len(days) - 1, 1)
        week_start = sc.start + timedelta(weeks=w - 1)
        for day, kind in zip(days, kinds, strict=True):
            if kind in RACES:
                dist, share = RACES[kind]
                speed = gait.v_ref_mps * share * rng.uniform(0.98, 1.02)
                dur_s = dist / speed
                run_kind = "race"
            else:
                speed = gait.v_ref_mps * rng.uniform(*SPEED_SHARE[kind])
                if kind == "long":
                    dur = long_min * rng.uniform(0.95, 1.05)
                elif kind == "intervals":
                    reps = int(rng.integers(5, 7))
                    dur = _interval_seconds(reps) / 60.0
                elif kind == "tempo":
                    dur = float(np.clip(rest * rng.uniform(0.9, 1.1), 35, 55))
                elif kind == "recovery":
                    dur = float(np.clip(0.6 * rest * rng.uniform(0.9, 1.1), 20, 40))
                else:
                    dur = float(np.clip(rest * rng.uniform(0.8, 1.2), 25, 65))
                dur_s = dur * 60.0
                run_kind = kind
            hour = 6.0 + rng.uniform(0, 1.5) if day < 5 else 8.0 + rng.uniform(0, 2.0)
            start = week_start + timedelta(days=int(day), seconds=int(hour * 3600))
            plans.append(_apply_changes(sc, RunPlan(start, run_kind, int(dur_s), float(speed), w)))
    return plans


def _apply_changes(sc: Scenario, plan: RunPlan) -> RunPlan:
    day = (plan.start_time - sc.start).total_seconds() / 86400.0
    shift = cad = 0.0
    growth = 0.0
    for c in sc.changes:
        a = c.amount(day)
        if c.kind == "balance":
            shift += a
        elif c.kind == "fatigue_drift" and a != 0.0:
            shift += 3.0 * a / 8.0
            growth = FATIGUE_DRIFT_GROWTH
        elif c.kind == "cadence":
            cad += a
    return replace(plan, balance_shift_pts=shift, balance_growth=growth, cadence_offset_spm=cad)


def apply_kit(run: SimulatedRun, kit: Kit) -> SimulatedRun:
    """What the sensor makes of a run: pod VO reads :data:`POD_VO_FACTOR` higher (vertical ratio
    follows); a watch without dynamics drops :data:`DYNAMICS_CHANNELS`. Changes ``run`` in place."""
    r = run.records
    if kit.dynamics == "pod":
        r["vertical_oscillation_mm"] = quantize(
            "vertical_oscillation_mm", r["vertical_oscillation_mm"] * POD_VO_FACTOR
        )
        r["vertical_ratio_pct"] = quantize(
            "vertical_ratio_pct", 100.0 * r["vertical_oscillation_mm"] / r["step_length_mm"]
        )
    elif kit.dynamics == "none":
        for c in DYNAMICS_CHANNELS:
            r.pop(c, None)
    run.truth["watch"] = kit.watch
    run.truth["dynamics"] = kit.dynamics
    return run


def simulate_scenario(sc: Scenario, *, interval_s: int = 5) -> list[SimulatedRun]:
    """Simulate a scenario's runs (in start order), the kit applied to each.

    Randomness: ``profile.rng(12, i)`` for run ``i`` and ``profile.rng(3)`` for the route's
    altitude; deterministic in the scenario.
    """
    gait = sc.gait()
    prof = sc.profile()
    alt_base = float(prof.rng(3).uniform(20.0, 400.0))
    runs = []
    for i, plan in enumerate(plan_runs(sc, gait)):
        run = simulate_run(
            plan, gait, prof.rng(12, i), interval_s=interval_s, altitude_base_m=alt_base
        )
        day = (plan.start_time - sc.start).total_seconds() / 86400.0
        runs.append(apply_kit(run, sc.kit_on(day)))
    return runs
