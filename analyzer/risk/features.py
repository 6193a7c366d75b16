"""Risk features: one non-negative "badness" vector per athlete at a date.

Input is the output of :func:`analyzer.metrics.gait.trends` for ONE athlete (one row per run) and of
:func:`analyzer.metrics.load.weekly`. Every feature is 0 when nothing is wrong and grows as the runner's
numbers worsen, which is what lets :class:`analyzer.risk.assessment.ImbalanceRiskModel` be monotonic. A
feature that cannot be computed (no baseline yet, no sensor) is 0 and is listed in
``context["missing"]``: missing data is never evidence of risk.

Windows: the *recent* window is the ``RECENT_DAYS`` days up to and including ``asof``; the
*baseline* window is the ``BASELINE_DAYS`` days before it.

Features (all >= 0; medians over the recent runs unless said otherwise):

``balance_shift_pts``
    |recent GCT balance - personal baseline| [percentage points]; the baseline is
    ``gait.trends``' rolling baseline at the first recent run (earlier weeks only), else the
    median of the baseline window. A new, sustained change against one's own baseline is what
    the evidence leaves defensible (Malisoux et al. 2024 [1]_).
``fatigue_asymmetry_pts``
    Mean growth of |balance - 50| from the first to the last third of the recent runs [pts]
    (fatigue lowers hip-abductor torque, J Athl Train 2020 [2]_).
``balance_beyond_band_pts``
    |recent balance - 50| beyond Garmin's green band half-width of 0.7 [pts] [3]_.
``cadence_deficit_pct``
    The larger of: the drop of cadence at the reference speed below the own baseline, and the
    shortfall of the typical run's cadence below Garmin's green band (164 spm) [%]. Raising
    step rate 5-10 % lowers knee and hip loading (Heiderscheit et al. 2011 [4]_). The Garmin part
    ignores speed, like Garmin's bands do.
``vertical_ratio_excess_pct``
    Vertical ratio above the green band of the sensor (strap 8.6 %, pod 10.0 %) [pts] [3]_.
``gct_excess_ms``
    Ground contact time at the reference speed above the own baseline [ms].
``acwr_excess`` and ``progression_excess_pct``
    The load-spike driver, contested in runners: uncoupled ACWR above 1.3 (Gabbett 2016 [5]_,
    whose "danger zone" starts at 1.5; Lolli et al. 2019 for uncoupling) [-], and two-week
    distance progression above 30 % (Nielsen et al. 2014 [6]_, not significant) [%]; the
    highest value of the week containing ``asof`` and the week before.

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

import numpy as np
import pandas as pd

from analyzer.errors import NotEnoughData

#: Feature names, in the order the model uses them (also ``analyzer.risk.assessment.FEATURES``).
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

#: Length of the recent window [days].
RECENT_DAYS = 14
#: Length of the baseline window before the recent one [days].
BASELINE_DAYS = 42

#: Half-width of Garmin's green GCT-balance band: 49.3-50.7 % L [percentage points].
#: Garmin Enduro 3 manual (ja-JP), running-dynamics colour gauge.
GARMIN_BALANCE_GREEN_HALF_WIDTH_PTS = 0.7
#: Lower edge of Garmin's green cadence band [steps/min] (below: bottom 30 % of Garmin's runners).
#: Forerunner 945 manual (ja-JP), colour gauges.
GARMIN_CADENCE_GREEN_MIN_SPM = 164.0
#: Upper edge of Garmin's green vertical-ratio band by sensor [%]. Forerunner 945 manual (ja-JP):
#: HRM strap 7.5-8.6 %, Running Dynamics Pod 8.4-10.0 %. Wrist uses the strap band; Stryd has
#: none (Garmin publishes no band for it, as in analyzer.metrics.bands), so its runs give no value.
GARMIN_VR_GREEN_MAX_PCT: dict[str, float] = {"chest_strap": 8.6, "pod": 10.0, "stryd": math.nan}
GARMIN_VR_GREEN_MAX_DEFAULT_PCT = 8.6
#: Upper end of the ACWR "sweet spot" [-]; Gabbett 2016, BJSM 50:273 (>=1.5 is his "danger zone").
GABBETT_ACWR_SWEET_SPOT_MAX = 1.3
#: Two-week distance progression above which Nielsen et al. 2014 (JOSPT) saw HR 1.59
#: (95 % CI 0.96-2.66, not significant) for distance-related injuries [%].
NIELSEN_PROGRESSION_PCT = 30.0
#: Saturation of the load features. Gabbett's curves stop near an ACWR of 2, and Nielsen's
#: groups at ">30 %": beyond ACWR 2.3 (excess 1.0) or +130 % in two weeks the numbers say more
#: about a near-empty chronic window (a break, a first month of records) than about risk, and
#: a contested driver must not be able to fill the index on its own.
ACWR_EXCESS_CAP = 1.0
PROGRESSION_EXCESS_CAP_PCT = 100.0

#: Display label, unit and the value above which a feature counts as "flagged" (drives exercises).
FEATURE_INFO: dict[str, dict[str, Any]] = {
    "balance_shift_pts": {
        "label": "GCT balance shift from your baseline",
        "unit": "pts",
        # the green band's half-width: a shift this large moves an even runner out of green
        "flag": GARMIN_BALANCE_GREEN_HALF_WIDTH_PTS,
    },
    "fatigue_asymmetry_pts": {
        "label": "Balance asymmetry growing with fatigue",
        "unit": "pts",
        "flag": 0.3,
    },
    "balance_beyond_band_pts": {
        "label": "GCT balance beyond Garmin's green band",
        "unit": "pts",
        "flag": 0.3,
    },
    "cadence_deficit_pct": {"label": "Low cadence / long steps", "unit": "%", "flag": 3.0},
    "vertical_ratio_excess_pct": {
        "label": "Vertical ratio above green",
        "unit": "pts",
        "flag": 0.3,
    },
    "gct_excess_ms": {
        "label": "Longer ground contact at matched speed",
        "unit": "ms",
        "flag": 10.0,
    },
    "acwr_excess": {"label": "Acute:chronic load ratio above 1.3", "unit": "", "flag": 0.0},
    "progression_excess_pct": {
        "label": "Two-week distance progression above 30 %",
        "unit": "%",
        "flag": 0.0,
    },
}


def to_utc(ts) -> pd.Timestamp:
    """A Timestamp in UTC (naive input is taken as UTC)."""
    ts = pd.Timestamp(ts)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    if name in df.columns:
        return pd.to_numeric(df[name], errors="coerce").astype(float)
    return pd.Series(np.nan, index=df.index, dtype=float)


def _median(s: pd.Series) -> float:
    s = s.dropna()
    return float(s.median()) if len(s) else math.nan


def _prepare(trends_df: pd.DataFrame) -> pd.DataFrame:
    if trends_df is None or len(trends_df) == 0 or "start_time" not in trends_df.columns:
        raise NotEnoughData("no runs to compute risk features from (import some runs first)")
    df = trends_df.copy()
    df["start_time"] = pd.to_datetime(df["start_time"], utc=True)
    return df.dropna(subset=["start_time"]).sort_values("start_time", kind="stable")


def _fatigue_growth(dev: pd.Series, drift: pd.Series) -> pd.Series:
    """Growth of |balance - 50| from the first to the last third of each run [pts].

    With the run's median deviation ``dev`` and the drift ``d`` (last third - first third), the
    thirds sit at about ``dev - d/2`` and ``dev + d/2``.
    """
    return (dev + drift / 2).abs() - (dev - drift / 2).abs()


def _load_values(weekly_df: pd.DataFrame | None, asof: pd.Timestamp) -> tuple[float, float]:
    """Highest ACWR (uncoupled, else coupled) and 2-week progression of this week and the last."""
    if weekly_df is None or len(weekly_df) == 0:
        return math.nan, math.nan
    idx = pd.to_datetime(weekly_df.index, utc=True)
    mask = (idx <= asof) & (idx > asof - pd.Timedelta(days=14))
    recent = weekly_df.loc[np.asarray(mask)]
    acwr = _col(recent, "acwr_uncoupled")
    if acwr.isna().all():
        acwr = _col(recent, "acwr_coupled")
    prog = _col(recent, "progression_2wk_pct")
    return (
        float(acwr.max()) if acwr.notna().any() else math.nan,
        float(prog.max()) if prog.notna().any() else math.nan,
    )


def compute(
    trends_df: pd.DataFrame, weekly_df: pd.DataFrame | None = None, *, asof=None
) -> tuple[pd.Series, dict[str, Any]]:
    """Feature vector and the runner's own numbers behind it.

    Parameters
    ----------
    trends_df : DataFrame
        ``gait.trends`` rows of one athlete.
    weekly_df : DataFrame, optional
        ``load.weekly`` output (index = week start, UTC).
    asof : Timestamp-like, optional
        Runs that started at or before this instant count (default: the last run).

    Returns
    -------
    features : Series
        Indexed by :data:`FEATURES`, all finite and >= 0.
    context : dict
        Values in the runner's units (balance %, cadence spm, ...), the balance side and the
        list of features that could not be computed.

    Raises
    ------
    NotEnoughData
        No runs at all, or none in the recent window.
    """
    df = _prepare(trends_df)
    asof = df["start_time"].iloc[-1] if asof is None else to_utc(asof)
    recent_start = asof - pd.Timedelta(days=RECENT_DAYS)
    base_start = recent_start - pd.Timedelta(days=BASELINE_DAYS)
    t = df["start_time"]
    recent = df[(t > recent_start) & (t <= asof)]
    base = df[(t > base_start) & (t <= recent_start)]
    if recent.empty:
        raise NotEnoughData(
            f"no runs in the {RECENT_DAYS} days up to {asof:%Y-%m-%d}; the index needs recent runs"
        )
    ctx: dict[str, Any] = {
        "asof": asof.isoformat(),
        "recent_days": RECENT_DAYS,
        "baseline_days": BASELINE_DAYS,
        "n_recent_runs": len(recent),
        "n_baseline_runs": len(base),
    }
    feats = dict.fromkeys(FEATURES, math.nan)

    # -- GCT balance: change against the personal baseline, fatigue growth, beyond the band
    bal_recent = _median(_col(recent, "gct_balance_left_median_pct"))
    # gait.trends' rolling baseline at the first recent run covers earlier weeks only; without
    # it, fall back to the median of the baseline window
    tb = _col(recent, "gct_balance_baseline_pct").dropna()
    bal_base = float(tb.iloc[0]) if len(tb) else _median(_col(base, "gct_balance_left_median_pct"))
    ctx["balance_recent_pct"] = bal_recent
    ctx["balance_baseline_pct"] = bal_base
    ctx["balance_side"] = (
        None
        if math.isnan(bal_recent) or bal_recent == 50
        else ("left" if bal_recent > 50 else "right")
    )
    ctx["balance_shift_toward"] = (
        None
        if math.isnan(bal_recent) or math.isnan(bal_base) or bal_recent == bal_base
        else ("left" if bal_recent > bal_base else "right")
    )
    feats["balance_shift_pts"] = abs(bal_recent - bal_base)
    dev = _col(recent, "gct_balance_dev_pts")
    dev = dev.fillna(_col(recent, "gct_balance_left_median_pct") - 50)
    growth = _fatigue_growth(dev, _col(recent, "drift_gct_balance_left_pts")).dropna()
    ctx["balance_growth_pts"] = float(growth.mean()) if len(growth) else math.nan
    feats["fatigue_asymmetry_pts"] = ctx["balance_growth_pts"]
    feats["balance_beyond_band_pts"] = abs(bal_recent - 50) - GARMIN_BALANCE_GREEN_HALF_WIDTH_PTS
    ctx["balance_outside_green_share"] = _median(_col(recent, "gct_balance_outside_green_share"))

    # -- cadence at matched speed: against the own baseline and against Garmin's green floor
    cad_recent = _median(_col(recent, "cadence_spm_at_ref"))
    cad_base = _median(_col(base, "cadence_spm_at_ref"))
    cad_raw = _median(_col(recent, "cadence_median_spm"))
    ctx.update(
        cadence_recent_spm=cad_recent,
        cadence_baseline_spm=cad_base,
        cadence_recent_raw_spm=cad_raw,
        ref_speed_mps=_median(_col(recent, "ref_speed_mps")),
        cadence_green_min_spm=GARMIN_CADENCE_GREEN_MIN_SPM,
    )
    own = (cad_base - cad_recent) / cad_base * 100 if cad_base > 0 else math.nan
    norm = (GARMIN_CADENCE_GREEN_MIN_SPM - cad_raw) / GARMIN_CADENCE_GREEN_MIN_SPM * 100
    ctx["cadence_own_deficit_pct"] = own
    ctx["cadence_norm_deficit_pct"] = norm
    feats["cadence_deficit_pct"] = (
        float(np.nanmax([own, norm])) if not (math.isnan(own) and math.isnan(norm)) else math.nan
    )

    # -- vertical ratio against the sensor's green band
    sensor = None
    if "dynamics_source" in recent.columns and recent["dynamics_source"].notna().any():
        sensor = str(recent["dynamics_source"].dropna().mode().iloc[0])
    vr_max = GARMIN_VR_GREEN_MAX_PCT.get(sensor or "", GARMIN_VR_GREEN_MAX_DEFAULT_PCT)
    vr_recent = _median(_col(recent, "vertical_ratio_median_pct"))
    ctx.update(sensor=sensor, vr_recent_pct=vr_recent, vr_green_max_pct=vr_max)
    feats["vertical_ratio_excess_pct"] = vr_recent - vr_max

    # -- ground contact time at matched speed against the own baseline
    gct_recent = _median(_col(recent, "stance_time_ms_at_ref"))
    gct_base = _median(_col(base, "stance_time_ms_at_ref"))
    ctx.update(gct_recent_ms=gct_recent, gct_baseline_ms=gct_base)
    feats["gct_excess_ms"] = gct_recent - gct_base

    # -- training load (contested; see risk priors)
    acwr, prog = _load_values(weekly_df, asof)
    ctx.update(acwr=acwr, progression_pct=prog)
    feats["acwr_excess"] = min(acwr - GABBETT_ACWR_SWEET_SPOT_MAX, ACWR_EXCESS_CAP)
    feats["progression_excess_pct"] = min(
        prog - NIELSEN_PROGRESSION_PCT, PROGRESSION_EXCESS_CAP_PCT
    )

    ctx["missing"] = [k for k, v in feats.items() if v is None or math.isnan(v)]
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
        Index ``date`` (UTC day); columns ``asof``, :data:`FEATURES`, ``balance_side``.
    """
    df = _prepare(trends_df)
    rows = []
    for day, grp in df.groupby(df["start_time"].dt.floor("D"), sort=True):
        asof = grp["start_time"].max()
        feats, ctx = compute(df, weekly_df, asof=asof)
        rows.append(
            {"date": day, "asof": asof, **feats.to_dict(), "balance_side": ctx["balance_side"]}
        )
    cols = ["date", "asof", *FEATURES, "balance_side"]
    return pd.DataFrame(rows, columns=cols).set_index("date")


def _fmt(x: float, spec: str = ".1f") -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def _bal(x: float) -> str:
    """Balance the way the watch shows it: 51.9 % L / 50.4 % R."""
    if x is None or math.isnan(x):
        return "n/a"
    return f"{x:.1f} % L" if x >= 50 else f"{100 - x:.1f} % R"


def describe(name: str, value: float, ctx: dict[str, Any]) -> str:
    """One sentence with the runner's own numbers behind feature ``name``."""
    days = ctx.get("recent_days", RECENT_DAYS)
    n = ctx.get("n_recent_runs", 0)
    window = f"last {days} days, {n} run{'s' if n != 1 else ''}"
    if name == "balance_shift_pts":
        return (
            f"GCT balance {_bal(ctx.get('balance_recent_pct'))} vs your baseline "
            f"{_bal(ctx.get('balance_baseline_pct'))} ({window})"
        )
    if name == "fatigue_asymmetry_pts":
        return (
            f"balance moves {_fmt(ctx.get('balance_growth_pts'), '+.2f')} points further from 50/50 "
            f"in the last third of your runs ({window})"
        )
    if name == "balance_beyond_band_pts":
        return f"GCT balance {_bal(ctx.get('balance_recent_pct'))}; Garmin's green band is 49.3-50.7 % L"
    if name == "cadence_deficit_pct":
        return (
            f"cadence {_fmt(ctx.get('cadence_recent_spm'), '.0f')} spm at "
            f"{_fmt(ctx.get('ref_speed_mps'), '.2f')} m/s vs your baseline "
            f"{_fmt(ctx.get('cadence_baseline_spm'), '.0f')} spm; typical run "
            f"{_fmt(ctx.get('cadence_recent_raw_spm'), '.0f')} spm (Garmin green starts at 164)"
        )
    if name == "vertical_ratio_excess_pct":
        return (
            f"vertical ratio {_fmt(ctx.get('vr_recent_pct'))} % vs green up to "
            f"{_fmt(ctx.get('vr_green_max_pct'))} % ({ctx.get('sensor') or 'unknown sensor'})"
        )
    if name == "gct_excess_ms":
        return (
            f"ground contact {_fmt(ctx.get('gct_recent_ms'), '.0f')} ms at matched speed vs your "
            f"baseline {_fmt(ctx.get('gct_baseline_ms'), '.0f')} ms"
        )
    if name == "acwr_excess":
        text = f"acute:chronic distance ratio {_fmt(ctx.get('acwr'), '.2f')} (above 1.3 counts"
        if (ctx.get("acwr") or 0) > GABBETT_ACWR_SWEET_SPOT_MAX + ACWR_EXCESS_CAP:
            text += f", up to {GABBETT_ACWR_SWEET_SPOT_MAX + ACWR_EXCESS_CAP:.1f}"
        return text + ")"
    if name == "progression_excess_pct":
        return f"distance up {_fmt(ctx.get('progression_pct'), '.0f')} % over two weeks (above 30 % counts)"
    return f"{name} = {_fmt(value, '.2f')}"
