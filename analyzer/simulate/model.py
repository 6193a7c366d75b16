"""One simulated run: speed, heart rate, hills, pauses and running dynamics, sample by sample.

Everything here is vectorised numpy and deterministic for a given :class:`numpy.random.Generator`.
The values a run carries are already quantised to the resolution of the FIT field they will be
written to (see :data:`FIT_RESOLUTION`), so what a decoder reads back equals what the simulator
meant to write.

The gait model (per sample, at speed ``v`` [m/s], run fraction ``f`` in [0, 1]; ``day`` is a
run-level offset drawn once per run, ``noise`` = slow AR(1) wander + white sample noise)::

    cadence [spm]  = cad_ref + day + cad_slope * (v - v_ref) - fatigue_cad * f + noise
    GCT [ms]       = gct_ref + day + gct_slope * (v - v_ref) + fatigue_gct * f + hill + noise
    VO [mm]        = vo_ref + day + vo_slope * (v - v_ref) + fatigue_vo * f + noise
    step [mm]      = 1000 * v / (cadence / 60)            (step length = speed / cadence)
    VR [%]         = 100 * VO / step                      (vertical ratio = VO / step length)
    GCT% [%]       = GCT * cadence / 1200                 (GCT as a share of the stride time)
    balance [% L]  = 50 + bias + day + shift(f) + noise

Speed follows the plan (warm-up ramp; a tempo block on tempo runs, repeats on interval runs),
slows on uphills of a rolling route (three sines over distance), wanders slowly and carries GPS
noise. Heart rate follows
effort with a 40-s lag and a slow cardiac drift. Pauses (0-2 per run, 15-90 s) stop the timer:
no records are written while stopped.

``shift(f) = sign * size * (1 + growth * (f - 0.5))`` for an injected balance shift, so the median
over a run equals ``size`` and the last third minus the first third equals ``2/3 * growth * size``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from scipy.signal import lfilter

#: Seconds between the Unix epoch and the FIT epoch (1989-12-31T00:00:00Z).
FIT_EPOCH_S = 631065600

#: FIT resolution of each simulated record channel: (scale, offset) of the profile field it is
#: written to (FIT profile 21.x); values are stored as ``round((x+o)*s)/s - o``.
FIT_RESOLUTION: dict[str, tuple[float, float]] = {
    "distance_m": (100, 0),
    "speed_mps": (1000, 0),
    "heart_rate_bpm": (1, 0),
    "cadence_spm": (1, 0),  # whole steps/min: per-foot cadence + fractional_cadence 0 or 0.5
    "vertical_oscillation_mm": (10, 0),
    "stance_time_ms": (10, 0),
    "stance_time_pct": (100, 0),
    "gct_balance_left_pct": (100, 0),
    "step_length_mm": (10, 0),
    "vertical_ratio_pct": (100, 0),
    "altitude_m": (5, 500),
    "power_w": (1, 0),
    "form_power_w": (1, 0),
}

# --- Physiology constants -------------------------------------------------------------------
#: Cadence rise with speed [spm per m/s]. Cadence rises and step length grows with speed; the
#: slope is an assumption chosen so easy-to-tempo changes stay inside Garmin's percentile bands
#: (faster runners show higher cadence, shorter GCT).
CADENCE_SLOPE_RANGE = (7.0, 11.0)
#: GCT fall with speed [ms per m/s] (same source and reasoning; §C.8 "speed strongly affects GCT").
GCT_SLOPE_RANGE = (-45.0, -30.0)
#: VO change with speed [mm per m/s]; VO is nearly flat across easy paces (assumption).
VO_SLOPE_RANGE = (0.0, 4.0)
#: Within-run fatigue drift from first to last sample of a 45-min run (assumption; fatigue
#: lengthens contact and lowers cadence; a fatiguing run lowers hip-abductor torque, J Athl
#: Train 2020;55(12):1270, and gait drifts with fatigue, Zandbergen et al. 2023).
FATIGUE_CADENCE_SPM = 1.5
FATIGUE_GCT_MS = 6.0
FATIGUE_VO_MM = 1.5
#: Run-to-run standard deviation of cadence [spm], GCT [ms], VO [mm] and balance [points]
#: at matched speed (assumption: day-to-day variation smaller than Garmin's band widths).
DAY_TO_DAY_SD = np.array([1.5, 5.0, 2.0, 0.2])
#: Reference run length for the fatigue drift [s].
FATIGUE_REF_S = 45 * 60
#: Speed loss per unit grade (uphill slower) and GCT gain per unit grade [ms] (assumptions).
GRADE_SPEED_FACTOR = 3.0
GRADE_GCT_MS = 150.0
#: Running economy: metabolic-equivalent mechanical power per kg per m/s [W/(kg m/s)], the
#: order of magnitude of Stryd/Garmin running power (about 1 kJ/kg/km; assumption).
POWER_PER_KG_MPS = 1.04
#: Form power as a share of total running power (Stryd-style; assumption).
FORM_POWER_SHARE = 0.24
#: Gravity [m/s^2].
G = 9.81
#: Interval sessions (``kind="intervals"``): warm-up, repeat, recovery jog and cool-down [s] and
#: the recovery jog's speed as a share of easy speed (a common "5-6 x 5 min" session with 1-min
#: jogs; 60 % of the moving time is at repeat pace; assumption).
INTERVAL_WARM_S = 480.0
INTERVAL_WORK_S = 300.0
INTERVAL_REST_S = 60.0
INTERVAL_COOL_S = 300.0
INTERVAL_REST_SPEED = 0.8


@dataclass(frozen=True)
class GaitParams:
    """A runner's personal gait relation to speed (values at the reference speed ``v_ref``)."""

    v_ref_mps: float
    cadence_ref_spm: float
    cadence_slope: float
    gct_ref_ms: float
    gct_slope: float
    vo_ref_mm: float
    vo_slope: float
    balance_bias_pts: float
    lss_kn_m: float
    mass_kg: float
    hr_rest_bpm: float
    hr_max_bpm: float


@dataclass(frozen=True)
class RunPlan:
    """What a run should be before it is simulated.

    Attributes
    ----------
    start_time : datetime
        UTC start (timer start).
    kind : str
        ``"easy"``, ``"long"``, ``"tempo"`` or ``"intervals"`` (repeats at ``speed_mps``); any
        other name (``"race"``, ``"recovery"``) runs at a steady ``speed_mps``.
    timer_s : int
        Planned moving time [s].
    speed_mps : float
        Target speed of the main part [m/s].
    week : int
        Training week, 1-based.
    balance_shift_pts : float
        Injected GCT-balance shift, signed (+ = toward left) [percentage points].
    balance_growth : float
        How much the shift grows with fatigue (0 = constant within the run).
    cadence_offset_spm, gct_offset_ms : float
        Injected low-cadence / overstriding offsets.
    """

    start_time: datetime
    kind: str
    timer_s: int
    speed_mps: float
    week: int
    balance_shift_pts: float = 0.0
    balance_growth: float = 0.0
    cadence_offset_spm: float = 0.0
    gct_offset_ms: float = 0.0


@dataclass
class SimulatedRun:
    """A simulated run, ready to be written as a FIT file.

    Attributes
    ----------
    name : str
        File name (``YYYY-MM-DD-HH-MM-SS.fit``).
    plan : RunPlan
        The plan it came from.
    records : dict of str to numpy.ndarray
        Per-record channels in contract units, already at FIT resolution; ``timestamp`` holds FIT
        seconds (int64). Stryd channels (``form_power_w``, ``leg_spring_stiffness_kn_m``) are present
        when the athlete wears a Stryd pod.
    segments : list of (int, int)
        Timer start/stop pairs in FIT seconds (a pause lies between two segments).
    interval_s : int
        Recording interval [s]; each record stands for the ``interval_s`` before its timestamp.
    truth : dict
        What was injected into this run and what it produced (for the ground-truth JSON).
    device : analyzer.fit.writer.Device or None
        Watch and sensors that "recorded" it.
    """

    name: str
    plan: RunPlan
    records: dict[str, np.ndarray]
    segments: list[tuple[int, int]]
    interval_s: int
    truth: dict = field(default_factory=dict)
    device: object | None = None  # analyzer.fit.writer.Device; None = the writer's default

    @property
    def n_records(self) -> int:
        return int(self.records["timestamp"].size)


def quantize(name: str, values: np.ndarray) -> np.ndarray:
    """Round a channel to the resolution of its FIT field (see :data:`FIT_RESOLUTION`)."""
    scale, offset = FIT_RESOLUTION[name]
    return np.round((values + offset) * scale) / scale - offset


def _ar1(rng: np.random.Generator, n: int, sd: float, tau_samples: float) -> np.ndarray:
    """Stationary AR(1) noise with standard deviation ``sd`` and time constant ``tau_samples``."""
    a = float(np.exp(-1.0 / max(tau_samples, 1e-9)))
    e = rng.normal(0.0, sd * np.sqrt(1 - a * a), n)
    e[0] = rng.normal(0.0, sd)
    return lfilter([1.0], [1.0, -a], e)


def _speed_profile(plan: RunPlan, t: np.ndarray, easy_mps: float) -> np.ndarray:
    """Target speed by moving time ``t`` [s]: warm-up ramp, and a tempo block for tempo runs."""
    v = np.full(t.shape, plan.speed_mps)
    if plan.kind == "intervals":
        # Warm-up and cool-down jogs at easy pace around repeats of INTERVAL_WORK_S at the planned
        # speed with INTERVAL_REST_S recovery jogs in between.
        cycle = INTERVAL_WORK_S + INTERVAL_REST_S
        main = (t >= INTERVAL_WARM_S) & (t < plan.timer_s - INTERVAL_COOL_S)
        work = main & (((t - INTERVAL_WARM_S) % cycle) < INTERVAL_WORK_S)
        rest_speed = INTERVAL_REST_SPEED * easy_mps
        v = np.where(work, plan.speed_mps, np.where(main, rest_speed, easy_mps))
    if plan.kind == "tempo":
        block_start, block_end = 480.0, plan.timer_s - 360.0
        ramp = np.clip((t - block_start) / 60.0, 0, 1) * np.clip((block_end - t) / 60.0, 0, 1)
        v = easy_mps + (plan.speed_mps - easy_mps) * ramp
    warm = np.clip(t / 180.0, 0, 1)
    return v * (0.9 + 0.1 * warm)


def _hills(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A rolling route as a sum of three sines over distance: amplitudes [m], wavelengths [m], phases."""
    amp = rng.uniform([4.0, 2.0, 0.5], [14.0, 6.0, 2.0])
    wave = rng.uniform([1800.0, 600.0, 200.0], [3500.0, 1200.0, 400.0])
    phase = rng.uniform(0, 2 * np.pi, 3)
    return amp, wave, phase


def _altitude(d: np.ndarray, hills) -> np.ndarray:
    amp, wave, phase = hills
    return (amp[:, None] * np.sin(2 * np.pi * d[None, :] / wave[:, None] + phase[:, None])).sum(0)


def _grade(d: np.ndarray, hills) -> np.ndarray:
    amp, wave, phase = hills
    k = 2 * np.pi / wave
    return (amp[:, None] * k[:, None] * np.cos(k[:, None] * d[None, :] + phase[:, None])).sum(0)


def _pauses(rng: np.random.Generator, n: int, interval: int) -> list[tuple[int, int]]:
    """Pause positions (record index after which the pause falls) and lengths [s]."""
    k = int(min(rng.poisson(0.7), 2))
    if k == 0 or n < 200:
        return []
    at = np.sort(rng.choice(np.arange(int(0.15 * n), int(0.85 * n)), size=k, replace=False))
    lengths = rng.integers(15, 91, size=k) // interval * interval + interval
    return [(int(a), int(b)) for a, b in zip(at, lengths, strict=True)]


def simulate_run(
    plan: RunPlan,
    gait: GaitParams,
    rng: np.random.Generator,
    *,
    interval_s: int = 1,
    altitude_base_m: float = 50.0,
    stryd: bool = False,
) -> SimulatedRun:
    """Simulate one run from its plan.

    Parameters
    ----------
    plan : RunPlan
        Start, kind, moving time [s], target speed [m/s] and injected offsets.
    gait : GaitParams
        The runner's gait relation to speed.
    rng : numpy.random.Generator
        Source of randomness (seeded by the caller).
    interval_s : int
        Recording interval [s] (1 = every second).
    altitude_base_m : float
        Altitude of the route's mean level [m].
    stryd : bool
        Also produce Stryd-style channels (form power [W], leg spring stiffness [kN/m]).

    Returns
    -------
    SimulatedRun
    """
    n = max(int(plan.timer_s // interval_s), 10)
    dt = float(interval_s)
    t = (np.arange(n) + 1) * dt  # moving time at each record [s]
    f = t / t[-1]  # run fraction

    # Speed: plan + slow wander; hills slow the runner uphill (one fixed-point pass on distance).
    v0 = _speed_profile(plan, t, gait.v_ref_mps) * (1 + _ar1(rng, n, 0.03, 90 / dt))
    hills = _hills(rng)
    d_first = np.cumsum(v0) * dt
    grade = np.clip(_grade(d_first, hills), -0.08, 0.08)
    v = v0 * np.clip(1 - GRADE_SPEED_FACTOR * grade, 0.75, 1.2)
    v = v + rng.normal(0, 0.04, n)  # GPS / foot-pod speed noise
    v = quantize("speed_mps", np.clip(v, 1.9, 7.0))
    dist = quantize("distance_m", np.cumsum(v) * dt)
    grade = np.clip(_grade(dist, hills), -0.08, 0.08)
    alt = quantize("altitude_m", altitude_base_m + _altitude(dist, hills))

    # Fatigue grows with the run's length; the imbalance grows with the run fraction.
    fatigue = f * min(plan.timer_s / FATIGUE_REF_S, 1.6)
    dv = v - gait.v_ref_mps
    day = rng.normal(0.0, 1.0, 4) * DAY_TO_DAY_SD  # shoes, surface, sleep: run-level offsets
    cad = (
        gait.cadence_ref_spm
        + day[0]
        + plan.cadence_offset_spm
        + gait.cadence_slope * dv
        - FATIGUE_CADENCE_SPM * fatigue
        + _ar1(rng, n, 1.2, 30 / dt)
        + rng.normal(0, 1.0, n)
    )
    cad = quantize("cadence_spm", np.clip(cad, 140, 215))
    gct = (
        gait.gct_ref_ms
        + day[1]
        + plan.gct_offset_ms
        + gait.gct_slope * dv
        + FATIGUE_GCT_MS * fatigue
        + GRADE_GCT_MS * grade
        + _ar1(rng, n, 4.0, 30 / dt)
        + rng.normal(0, 4.0, n)
    )
    gct = quantize("stance_time_ms", np.clip(gct, 150, 400))
    vo = (
        gait.vo_ref_mm
        + day[2]
        + gait.vo_slope * dv
        + FATIGUE_VO_MM * fatigue
        + _ar1(rng, n, 1.5, 30 / dt)
        + rng.normal(0, 1.5, n)
    )
    vo = quantize("vertical_oscillation_mm", np.clip(vo, 40, 160))
    step = quantize("step_length_mm", 1000.0 * v / (cad / 60.0))
    vr = quantize("vertical_ratio_pct", 100.0 * vo / step)
    gct_pct = quantize("stance_time_pct", gct * cad / 1200.0)
    shift = plan.balance_shift_pts * (1 + plan.balance_growth * (f - 0.5))
    bal = (
        50.0
        + gait.balance_bias_pts
        + day[3]
        + shift
        + _ar1(rng, n, 0.25, 60 / dt)
        + rng.normal(0, 0.5, n)
    )
    bal = quantize("gct_balance_left_pct", np.clip(bal, 40.0, 60.0))

    # Power: flat-ground cost plus climbing; never below a third of the flat value downhill.
    flat = POWER_PER_KG_MPS * gait.mass_kg * v
    power = quantize("power_w", np.maximum(flat + gait.mass_kg * G * v * grade, flat / 3))

    # Heart rate: share of reserve rises with effort (speed and grade), lags ~40 s, drifts up.
    v_thr = gait.v_ref_mps * 1.22
    effort = v * (1 + 6 * grade) / v_thr
    frac = np.clip(0.68 + 1.1 * (effort - 0.82), 0.35, 0.98)
    target = gait.hr_rest_bpm + (gait.hr_max_bpm - gait.hr_rest_bpm) * frac
    target = target + 0.08 * t / 60.0  # cardiac drift [bpm/min]
    a = float(np.exp(-dt / 40.0))
    start = gait.hr_rest_bpm + 30.0
    hr = lfilter([1 - a], [1.0, -a], target - start) + start
    hr = quantize("heart_rate_bpm", np.clip(hr + rng.normal(0, 1.0, n), 60, 220))

    # Pauses: the timer stops, no records are written, time jumps.
    pauses = _pauses(rng, n, interval_s)
    t0 = int(plan.start_time.timestamp()) - FIT_EPOCH_S
    offsets = np.zeros(n, dtype=np.int64)
    for at, length in pauses:
        offsets[at + 1 :] += length
    ts = t0 + (np.arange(n, dtype=np.int64) + 1) * interval_s + offsets
    segments = []
    seg_start = t0
    for at, length in pauses:
        segments.append((seg_start, int(ts[at])))
        seg_start = int(ts[at]) + length
    segments.append((seg_start, int(ts[-1])))

    records = {
        "timestamp": ts,
        "distance_m": dist,
        "speed_mps": v,
        "heart_rate_bpm": hr,
        "cadence_spm": cad,
        "vertical_oscillation_mm": vo,
        "stance_time_ms": gct,
        "stance_time_pct": gct_pct,
        "gct_balance_left_pct": bal,
        "step_length_mm": step,
        "vertical_ratio_pct": vr,
        "power_w": power,
        "altitude_m": alt,
    }
    if stryd:
        records["form_power_w"] = quantize("form_power_w", FORM_POWER_SHARE * flat * vo / 85.0)
        lss = gait.lss_kn_m * (1 - 0.03 * fatigue) + rng.normal(0, 0.15, n)
        records["leg_spring_stiffness_kn_m"] = lss.astype(np.float32).astype(np.float64)

    name = plan.start_time.strftime("%Y-%m-%d-%H-%M-%S") + ".fit"
    third = max(n // 3, 1)
    truth = {
        "balance_shift_pts": round(plan.balance_shift_pts, 3),
        "balance_shift_drift_pts": round(plan.balance_shift_pts * plan.balance_growth * 2 / 3, 3),
        "cadence_offset_spm": plan.cadence_offset_spm,
        "gct_offset_ms": plan.gct_offset_ms,
        "median_balance_left_pct": round(float(np.median(bal)), 3),
        "balance_drift_last_minus_first_third_pts": round(
            float(np.median(bal[-third:]) - np.median(bal[:third])), 3
        ),
        "n_pauses": len(pauses),
    }
    return SimulatedRun(name, plan, records, segments, interval_s, truth)
