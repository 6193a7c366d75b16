"""Risk features: one non-negative "badness" vector per athlete at a date, with its evidence.

Input is the output of :func:`analyzer.metrics.trends.trends` for ONE athlete (one row per run,
with the frozen personal reference of :mod:`analyzer.metrics.change`) and of
:func:`analyzer.metrics.load.weekly`. Every feature is 0 when nothing is wrong and grows as the
runner's numbers worsen, which is what lets the model be monotonic.

**Enough evidence.** Each driver states the data it needs; below it the driver's status is
``"not enough data: <what is missing>"`` (or ``"building back: ..."`` for the load drivers after
a break), its value is NaN (``None`` in JSON, never a number) and it adds nothing to the index.
Missing data is never evidence of risk. The minimums (``context["status"]`` per feature):

- gait drivers against the own reference: :data:`MIN_RECENT_RUNS` runs in the recent
  :data:`RECENT_DAYS` days judged against a complete reference (at least
  ``change.REFERENCE_MIN_RUNS`` runs over ``change.REFERENCE_DAYS`` days **of the same
  dynamics sensor**: a change of sensor, strap to pod, is not a gait change, so the new sensor
  first builds its own reference);
- Garmin-band drivers: :data:`MIN_RECENT_RUNS` recent runs with the metric;
- load drivers: a chronic base (``load.chronic_base``: runs in 4 of the 6 weeks before the
  current one and 8 runs); after a break of 3 weeks or more they are "building back".

Features (all >= 0):

``balance_shift_pts``
    The change of GCT balance against the runner's own frozen reference, signed by the side it
    moved toward: with reference ``r`` and recent level ``n`` (reference + median change of the
    recent runs), ``w * |n - r|`` [percentage points], where ``w`` is 1 for a move away from
    50/50 or across it (a crossing counts its whole swing) and :data:`TOWARD_EVEN_WEIGHT` for a
    move toward 50/50 that does not cross it (0 during a started plan, where it is what "did it
    work?" measures). A new, sustained change against one's own reference is what the evidence
    leaves defensible (Malisoux et al. 2024 [1]_); the driver is *flagged* exactly when the
    change detector (``analyzer trends``) flags the change at the latest run.
``fatigue_asymmetry_pts``
    How much more |balance - 50| grows from the first to the last third of the recent runs than
    it did in the reference period [pts] (fatigue lowers hip-abductor torque, [2]_).
``balance_beyond_band_pts``
    |recent balance - 50| beyond Garmin's green band half-width of 0.7 [pts] [3]_; a population
    band, contested.
``cadence_deficit_pct``
    The drop of cadence at the reference speed below the runner's own reference [%] (raising
    step rate 5-10 % lowers knee and hip loading, Heiderscheit et al. 2011 [4]_). Garmin's
    population band (green from 164 spm) is context text only, never points.
``vertical_ratio_excess_pct``
    Vertical ratio above the green band of the sensor (strap 8.6 %, pod 10.0 %) [pts] [3]_; a
    population band, contested.
``gct_excess_ms``
    Ground contact time at the reference speed above the runner's own reference [ms].
``acwr_excess`` and ``progression_excess_pct``
    The load-spike driver, contested in runners: **uncoupled** ACWR (this week over the mean of
    the 3 weeks before; Lolli et al. 2019, Windt & Gabbett 2019) above 1.3 (Gabbett 2016 [5]_)
    [-], and the week's distance above 130 % of the largest of the 3 weeks before (Nielsen et al.
    2014's 30 % [6]_) [%]; the highest value of the week containing ``asof`` and the week before.

References
----------
.. [1] Malisoux L. et al. (2024) BMJ Open Sport Exerc Med 10:e001787.
.. [2] J Athl Train 2020;55(12):1270 (fatiguing run, hip-abductor torque and hip adduction).
.. [3] Garmin Forerunner 945 and Enduro 3 manuals (ja-JP), running-dynamics colour gauges.
.. [4] Heiderscheit B.C. et al. (2011) Med Sci Sports Exerc 43(2):296-302.
.. [5] Gabbett T.J. (2016) Br J Sports Med 50:273-280.
.. [6] Nielsen R.O. et al. (2014) J Orthop Sports Phys Ther 44(10):739-747.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from analyzer.errors import NotEnoughData
from analyzer.metrics import change, trends
from analyzer.risk.evidence import (
    MIN_RECENT_RUNS,
    RECENT_DAYS,
    column,
    detector_flag,
    flags,
    median,
    missing_reference,
    reference_window,
    window,
)
from analyzer.risk.loadfeatures import load_drivers
from analyzer.risk.texts import FEATURE_INFO, OK, describe, iso_day, offset_of
from analyzer.schema import local_day
from analyzer.schema import utc as to_utc

__all__ = [
    "FEATURES",
    "FEATURE_INFO",
    "athlete_features",
    "compute",
    "describe",
    "feature_timeline",
    "to_utc",
]

#: Feature names, in the order the model uses them (also ``analyzer.risk.FEATURES``).
FEATURES: tuple[str, ...] = (
    "balance_shift_pts",
    "fatigue_asymmetry_pts",
    "balance_beyond_band_pts",
    "cadence_deficit_pct",
    "vertical_ratio_excess_pct",
    "gct_excess_ms",
    "acwr_excess",
    "progression_excess_pct",
)


#: Half-width of Garmin's green GCT-balance band: 49.3-50.7 % L [percentage points].
#: Garmin Enduro 3 manual (ja-JP), running-dynamics colour gauge.
GARMIN_BALANCE_GREEN_HALF_WIDTH_PTS = 0.7
#: Lower edge of Garmin's green cadence band [steps/min] (context text only, never points).
#: Forerunner 945 manual (ja-JP), colour gauges.
GARMIN_CADENCE_GREEN_MIN_SPM = 164.0
#: Upper edge of Garmin's green vertical-ratio band by sensor [%]. Forerunner 945 manual (ja-JP):
#: HRM strap 7.5-8.6 %, Running Dynamics Pod 8.4-10.0 %. Wrist uses the strap band; Stryd has
#: none (Garmin publishes no band for it, as in analyzer.metrics.bands), so its runs give no value.
GARMIN_VR_GREEN_MAX_PCT: dict[str, float] = {"chest_strap": 8.6, "pod": 10.0, "stryd": math.nan}
GARMIN_VR_GREEN_MAX_DEFAULT_PCT = 8.6
#: The load thresholds live with the load drivers (re-exported here).

#: Share of a GCT-balance change toward 50/50 (without crossing it) that counts toward the index,
#: outside a started plan. A judgement, not a published figure: a sudden change of one's own
#: pattern is worth a look whichever way it goes (a sore leg, new shoes or a new sensor can move
#: the balance toward even as well as away), but toward even is also what strength work aims at,
#: so it weighs less than a move away. At 0.75 a sustained 1-point move toward even still lifts
#: the index by about 7 points with the default priors (1.4 per point): visible, not alarming.
TOWARD_EVEN_WEIGHT = 0.75


def _prepare(trends_df: pd.DataFrame) -> pd.DataFrame:
    if trends_df is None or len(trends_df) == 0 or "start_time" not in trends_df.columns:
        raise NotEnoughData("no runs to compute risk features from (import some runs first)")
    df = trends_df.copy()
    df["start_time"] = pd.to_datetime(df["start_time"], utc=True)
    df = df.dropna(subset=["start_time"]).sort_values("start_time", kind="stable")
    if "gct_balance_ref" not in df.columns:  # plain per-run values: add the reference columns
        df = trends.with_change_detection(df)
    return df


def balance_weight(reference: float, now: float, *, plan_started: bool = False) -> float:
    """How much of a GCT-balance change counts toward the index [0-1].

    A change away from 50/50, or across it, counts fully: with a crossing the whole swing is the
    change (49.1 % -> 51.3 % L is 2.2 points, not the 0.4 by which the gap to even grew). A
    change toward 50/50 that does not cross it counts :data:`TOWARD_EVEN_WEIGHT`: it is still a
    sudden change of the runner's own pattern (protecting a sore leg, new shoes, a new sensor),
    but it is also the direction strength work aims at. During a started plan it counts 0: it is
    what the plan's "did it work?" measures, not a risk.
    """
    if not (math.isfinite(reference) and math.isfinite(now)):
        return 0.0
    if trends.balance_move(reference, now) != trends.TOWARD:
        return 1.0
    return 0.0 if plan_started else TOWARD_EVEN_WEIGHT


def _compared(ctx: dict[str, Any], metric: str) -> tuple[float, float]:
    """``(reference, change)`` of ``metric`` from the one comparison of the athlete
    (``trends.current_vs_baseline``), which every table and sentence quotes."""
    row = ctx["comparisons"].loc[metric]
    return float(row["baseline"]), float(row["change"])


def _balance(df, recent, feats, ctx) -> None:
    stem, value = "gct_balance", "gct_balance_left_median_pct"
    status = missing_reference(df, recent, stem, value)
    judged = recent[flags(recent, f"{stem}_monitored") & column(recent, value).notna()]
    ctx["balance_measured"] = bool(column(df, value).notna().any())
    ctx["status"]["balance_shift_pts"] = status
    ctx["dates"]["balance_shift_pts"] = {"recent": window(judged)}
    ctx["flags"]["balance_shift_pts"] = detector_flag(judged, stem) if status == OK else 0
    if status == OK:
        ref, moved = _compared(ctx, trends.BALANCE_METRIC)
        last = judged.iloc[-1]
        now = ref + moved
        away = abs(now - 50) - abs(ref - 50)
        weight = balance_weight(ref, now, plan_started=bool(ctx.get("plan_started")))
        move = trends.balance_move(ref, now)
        toward = None if moved == 0 else ("left" if moved > 0 else "right")
        ctx.update(
            balance_reference_pct=ref,
            balance_baseline_pct=ref,  # the same reference, under its earlier name
            balance_recent_pct=now,
            balance_change_pts=moved,
            balance_away_pts=away,
            balance_shift_toward=toward,
            balance_toward_even=move == trends.TOWARD,
            balance_crossed_even=move == trends.ACROSS,
            balance_weight=weight,
        )
        ctx["dates"]["balance_shift_pts"]["reference"] = reference_window(last, stem)
        ctx["dates"]["balance_shift_pts"]["runs"] = len(judged)
        feats["balance_shift_pts"] = weight * abs(moved)
        # the plan's side is the side the flagged change moved toward, whichever way it went
        flagged = ctx["flags"]["balance_shift_pts"]
        ctx["balance_side"] = ("left" if flagged > 0 else "right") if flagged else None

    # fatigue: growth of |balance - 50| late in runs, against the same growth in the reference
    drift = column(recent, "drift_gct_balance_left_pts")
    dev = column(recent, value) - 50
    rec_growth = _fatigue_growth(dev, drift).dropna()
    ref_rows = df[flags(df, f"{stem}_in_ref")]
    if len(recent) and "dynamics_source" in df.columns and len(ref_rows):
        src = recent["dynamics_source"].dropna()
        if len(src):
            ref_rows = ref_rows[ref_rows["dynamics_source"] == src.mode().iloc[0]]
    ref_growth = _fatigue_growth(
        column(ref_rows, value) - 50, column(ref_rows, "drift_gct_balance_left_pts")
    ).dropna()
    name = "fatigue_asymmetry_pts"
    if len(rec_growth) < MIN_RECENT_RUNS:
        ctx["status"][name] = (
            f"not enough data: {len(rec_growth)} of {MIN_RECENT_RUNS} runs with a balance drift "
            f"in the last {RECENT_DAYS} days"
        )
    elif len(ref_growth) < change.REFERENCE_MIN_RUNS:
        ctx["status"][name] = (
            f"not enough data: your reference needs {change.REFERENCE_MIN_RUNS} runs with a "
            f"balance drift ({len(ref_growth)} so far)"
        )
    else:
        ctx["status"][name] = OK
        late = float(drift.dropna().mean())
        ctx.update(
            balance_growth_pts=float(rec_growth.mean()),
            balance_growth_reference_pts=float(ref_growth.mean()),
            fatigue_side=None if late == 0 else ("left" if late > 0 else "right"),
            fatigue_drift_pts=late,
        )
        feats[name] = float(rec_growth.mean() - ref_growth.mean())
    ctx["dates"][name] = {
        "recent": window(recent[drift.notna()]),
        "reference": window(ref_rows),
    }

    has = recent[column(recent, value).notna()]
    name = "balance_beyond_band_pts"
    ctx["dates"][name] = {"recent": window(has)}
    if len(has) < MIN_RECENT_RUNS:
        ctx["status"][name] = (
            f"not enough data: {len(has)} of {MIN_RECENT_RUNS} runs with GCT balance in the "
            f"last {RECENT_DAYS} days"
        )
    else:
        ctx["status"][name] = OK
        level = median(column(has, value))
        ctx["balance_level_pct"] = level
        feats[name] = abs(level - 50) - GARMIN_BALANCE_GREEN_HALF_WIDTH_PTS
    ctx["balance_outside_green_share"] = median(column(recent, "gct_balance_outside_green_share"))


def _fatigue_growth(dev: pd.Series, drift: pd.Series) -> pd.Series:
    """Growth of |balance - 50| from the first to the last third of each run [pts].

    With the run's median deviation ``dev`` and the drift ``d`` (last third - first third), the
    thirds sit at about ``dev - d/2`` and ``dev + d/2``.
    """
    return (dev + drift / 2).abs() - (dev - drift / 2).abs()


def _own(df, recent, feats, ctx, *, name, metric, sign) -> float:
    """Median change of the recent runs against the own reference for a normalised metric."""
    value = f"{metric}_at_ref"
    status = missing_reference(df, recent, metric, value)
    judged = recent[flags(recent, f"{metric}_monitored") & column(recent, value).notna()]
    ctx["status"][name] = status
    ctx["dates"][name] = {"recent": window(judged)}
    detector = detector_flag(judged, metric) if status == OK else 0
    ctx["flags"][name] = detector if detector == (1 if sign > 0 else -1) else 0
    if status != OK:
        return math.nan
    last = judged.iloc[-1]
    ctx["dates"][name]["reference"] = reference_window(last, metric)
    ctx["dates"][name]["runs"] = len(judged)
    ref, moved = _compared(ctx, metric)
    ctx[f"{metric}_reference"] = ref
    ctx[f"{metric}_recent"] = ref + moved
    ctx[f"{metric}_change"] = moved
    return sign * moved


def _gait(df, recent, feats, ctx) -> None:
    drop = _own(df, recent, feats, ctx, name="cadence_deficit_pct", metric="cadence_spm", sign=-1.0)
    ref = ctx.get("cadence_spm_reference", math.nan)
    if not math.isnan(drop):
        feats["cadence_deficit_pct"] = drop / ref * 100 if ref > 0 else math.nan
    ctx.update(
        cadence_recent_spm=ctx.get("cadence_spm_recent", math.nan),
        cadence_baseline_spm=ref,
        cadence_recent_raw_spm=median(column(recent, "cadence_median_spm")),
        ref_speed_mps=median(column(recent, "ref_speed_mps")),
        cadence_green_min_spm=GARMIN_CADENCE_GREEN_MIN_SPM,
    )
    gct = _own(df, recent, feats, ctx, name="gct_excess_ms", metric="stance_time_ms", sign=1.0)
    feats["gct_excess_ms"] = gct
    ctx.update(
        gct_recent_ms=ctx.get("stance_time_ms_recent", math.nan),
        gct_baseline_ms=ctx.get("stance_time_ms_reference", math.nan),
    )

    # vertical ratio against the sensor's green band (a population band)
    sensor = None
    if "dynamics_source" in recent.columns and recent["dynamics_source"].notna().any():
        sensor = str(recent["dynamics_source"].dropna().mode().iloc[0])
    vr_max = GARMIN_VR_GREEN_MAX_PCT.get(sensor or "", GARMIN_VR_GREEN_MAX_DEFAULT_PCT)
    vr = column(recent, "vertical_ratio_median_pct").dropna()
    name = "vertical_ratio_excess_pct"
    ctx["dates"][name] = {"recent": window(recent.loc[vr.index])}
    ctx.update(sensor=sensor, vr_green_max_pct=vr_max, vr_recent_pct=median(vr))
    if len(vr) < MIN_RECENT_RUNS:
        ctx["status"][name] = (
            f"not enough data: {len(vr)} of {MIN_RECENT_RUNS} runs with vertical ratio in the "
            f"last {RECENT_DAYS} days"
        )
    else:
        ctx["status"][name] = OK
        feats[name] = ctx["vr_recent_pct"] - vr_max


def compute(
    trends_df: pd.DataFrame,
    weekly_df: pd.DataFrame | None = None,
    *,
    asof=None,
    plan_started: bool = False,
    comparisons: pd.DataFrame | None = None,
) -> tuple[pd.Series, dict[str, Any]]:
    """Feature vector and the runner's own numbers, statuses and dates behind it.

    Parameters
    ----------
    trends_df : DataFrame
        ``trends.trends`` rows of one athlete (plain per-run values get the reference columns
        added by :func:`analyzer.metrics.trends.with_change_detection`).
    weekly_df : DataFrame, optional
        ``load.weekly`` output (index = week start, UTC).
    asof : Timestamp-like, optional
        Runs that started at or before this instant count (default: the last run).
    plan_started : bool
        The runner follows a started exercise plan: a balance change toward 50/50 is then what
        the plan measures ("did it work?"), not a risk (:func:`balance_weight`).
    comparisons : DataFrame, optional
        ``trends.current_vs_baseline`` of ``trends_df`` as of ``asof``, when the caller has
        it already (the analysis does; computed here otherwise).

    Returns
    -------
    features : Series
        Indexed by :data:`FEATURES`, all finite and >= 0 (0 where the status is not "ok").
    context : dict
        Values in the runner's units, ``status`` (per feature: "ok", "not enough data: ..." or
        "building back: ..."), ``dates`` (per feature: the recent window, the reference period
        and load weeks, ISO dates), the balance sides and ``missing`` (features without a
        value).

    Raises
    ------
    NotEnoughData
        No runs at all, or none in the recent window.
    """
    df = _prepare(trends_df)
    asof = df["start_time"].iloc[-1] if asof is None else to_utc(asof)
    df = df[df["start_time"] <= asof]
    # "Today" is read on the clock of the latest run judged (DESIGN §10).
    off = offset_of(df.iloc[-1]) if len(df) else 0
    recent_start = asof - pd.Timedelta(days=RECENT_DAYS)
    recent = df[df["start_time"] > recent_start]
    if recent.empty:
        raise NotEnoughData(
            f"no runs in the {RECENT_DAYS} days up to {iso_day(asof, off)}; the index needs "
            "recent runs"
        )
    ctx: dict[str, Any] = {
        "asof": asof.isoformat(),
        "utc_offset_s": off,
        "recent_days": RECENT_DAYS,
        "recent_window": {"start": iso_day(recent_start, off), "end": iso_day(asof, off)},
        "n_recent_runs": len(recent),
        "latest_run": iso_day(df["start_time"].iloc[-1], off),
        "balance_side": None,
        "fatigue_side": None,
        "status": {},
        "dates": {},
        # the change detector's verdict at the latest judged run, per own-reference driver
        "flags": {},
        "plan_started": bool(plan_started),
    }
    feats = dict.fromkeys(FEATURES, math.nan)
    if comparisons is None:
        comparisons = trends.current_vs_baseline(df, asof=asof)
    ctx["comparisons"] = comparisons
    _balance(df, recent, feats, ctx)
    _gait(df, recent, feats, ctx)
    loads = load_drivers(df, weekly_df, asof, ctx.get("utc_offset_s", 0))
    feats.update(loads["features"])
    ctx["status"].update(loads["status"])
    ctx["dates"].update(loads["dates"])
    ctx.update(loads["context"])
    for f in FEATURES:
        if ctx["status"].get(f, OK) != OK:
            feats[f] = math.nan
    ctx["missing"] = [k for k, v in feats.items() if v is None or math.isnan(v)]
    ctx.pop("comparisons")  # a frame: the analysis keeps it (Analysis.comparisons)
    out = pd.Series(feats, index=list(FEATURES), dtype=float).fillna(0.0).clip(lower=0.0)
    out.name = asof
    return out, ctx


def athlete_features(
    trends_df: pd.DataFrame, weekly_df: pd.DataFrame | None = None, *, asof=None
) -> pd.Series:
    """One feature vector (index :data:`FEATURES`) for one athlete at ``asof``.

    The runner's own numbers behind it are in ``result.attrs["context"]`` (see :func:`compute`).

    Raises
    ------
    NotEnoughData
        No runs, or no run in the recent window.
    """
    feats, ctx = compute(trends_df, weekly_df, asof=asof)
    feats.attrs["context"] = ctx
    return feats


def feature_timeline(
    trends_df: pd.DataFrame, weekly_df: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One feature row per run date (as of the last run that day).

    Returns
    -------
    DataFrame
        Index ``date`` (local day); columns ``asof``, :data:`FEATURES`, ``balance_side``.
    """
    df = _prepare(trends_df)
    rows = []
    days = local_day(df["start_time"], df.get("utc_offset_s", 0))
    for day, grp in df.groupby(days, sort=True):
        asof = grp["start_time"].max()
        feats, ctx = compute(df, weekly_df, asof=asof)
        rows.append(
            {"date": day, "asof": asof, **feats.to_dict(), "balance_side": ctx["balance_side"]}
        )
    cols = ["date", "asof", *FEATURES, "balance_side"]
    return pd.DataFrame(rows, columns=cols).set_index("date")
