"""The load drivers of the risk features: uncoupled ACWR and progression, with a chronic base.

No ratio without a chronic base (``load.chronic_base``); after a break of three weeks or more
the drivers are "building back" (``load.building_back``), never a spike. See
:mod:`analyzer.risk.features` for the feature definitions and sources.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analyzer.metrics import load
from analyzer.risk.evidence import column
from analyzer.risk.texts import OK, iso_day
from analyzer.schema import local_day

#: Upper end of the ACWR "sweet spot" [-]; Gabbett 2016, BJSM 50:273 (>=1.5 is his "danger zone").
GABBETT_ACWR_SWEET_SPOT_MAX = 1.3
#: Distance progression above which Nielsen et al. 2014 (JOSPT) saw HR 1.59 (95 % CI
#: 0.96-2.66, not significant) for distance-related injuries [%].
NIELSEN_PROGRESSION_PCT = 30.0
#: Saturation of the load features: beyond ACWR 2.3 (excess 1.0) or +130 % the numbers say more
#: about a thin chronic window than about risk. The contested drivers together are also capped
#: in the model (``priors.json`` "contested").
ACWR_EXCESS_CAP = 1.0
PROGRESSION_EXCESS_CAP_PCT = 100.0


#: Weeks with running that make up "your usual week" (the median of the latest of them).
USUAL_WEEKS = 8


def usual_week_km(distance_km: pd.Series) -> tuple[float, int]:
    """The runner's usual week [km]: the median of the latest :data:`USUAL_WEEKS` weeks with
    running, and how many weeks it rests on.

    Weeks without a run are left out, so one empty week (illness, travel) does not drag the cap
    below what the runner actually runs; the median keeps one race week from lifting it.
    """
    ran = distance_km[distance_km > 0].dropna().tail(USUAL_WEEKS)
    return (float(ran.median()), int(len(ran))) if len(ran) else (math.nan, 0)


def load_drivers(df, weekly_df, asof, offset_s: int = 0) -> dict[str, dict]:
    """The two load features with their status, dates and the runner's numbers behind them.

    Returns
    -------
    dict
        ``features`` (``{name: value}``, only where there is one), ``status`` and ``dates``
        (``{name: ...}``, as in :func:`analyzer.risk.features.compute`'s context) and
        ``context`` (acwr, progression_pct, building_back, chronic_base, chronic_weekly_km,
        usual_weeks).
    """
    names = ("acwr_excess", "progression_excess_pct")
    feats: dict[str, float] = {}
    status_of: dict[str, str] = {}
    dates: dict[str, dict] = {}
    info: dict = {"acwr": math.nan, "progression_pct": math.nan, "building_back": None}
    out = {"features": feats, "status": status_of, "dates": dates, "context": info}
    if weekly_df is None or len(weekly_df) == 0:
        for n in names:
            status_of[n] = "not enough data: no weekly training load"
        return out
    off = offset_s  # this week is the runner's local week (DESIGN §10)
    base = load.chronic_base(weekly_df, asof, off)
    window = {"start": iso_day(base["start"]), "end": iso_day(base["end"])}  # (local days)
    brk = load.building_back(df["start_time"], asof)
    info["chronic_base"] = {**base, "start": window["start"], "end": window["end"]}
    if not base["ok"]:
        if brk is not None:
            weeks = brk["break_days"] / 7
            info["building_back"] = {
                "break_start": iso_day(brk["break_start"], off),
                "break_end": iso_day(brk["break_end"], off),
                "break_weeks": round(weeks, 1),
                "runs_since": brk["runs_since"],
            }
            status = (
                f"building back: {brk['runs_since']} run(s) since {iso_day(brk['break_end'], off)} "
                f"after a {weeks:.0f}-week break; load ratios need a chronic base again (runs in "
                f"{load.BASE_WEEKS_WITH_RUNS} of {load.BASE_WEEKS} weeks and "
                f"{load.BASE_MIN_RUNS} runs)"
            )
        else:
            status = (
                f"not enough data: a chronic base needs runs in {load.BASE_WEEKS_WITH_RUNS} of "
                f"the {load.BASE_WEEKS} weeks before this one and {load.BASE_MIN_RUNS} runs "
                f"({base['weeks_with_runs']} weeks, {base['runs']} runs from {window['start']} "
                f"to {window['end']})"
            )
        for n in names:
            status_of[n] = status
            dates[n] = {"chronic": window}
        return out
    idx = pd.to_datetime(weekly_df.index, utc=True)
    today = local_day(asof, off)
    mask = (idx <= today) & (idx > today - pd.Timedelta(days=14))
    recent = weekly_df.loc[np.asarray(mask)]
    acwr = column(recent, "acwr_uncoupled")
    prog = column(recent, "progression_pct")
    weeks = {"start": iso_day(idx[np.asarray(mask)].min()), "end": iso_day(asof, off)}
    for n, series in zip(names, (acwr, prog), strict=True):
        dates[n] = {"weeks": weeks, "chronic": window}
        status_of[n] = (
            OK if series.notna().any() else "not enough data: no ratio for the last two weeks"
        )
    a = float(acwr.max()) if acwr.notna().any() else math.nan
    p = float(prog.max()) if prog.notna().any() else math.nan
    prior = column(weekly_df.loc[np.asarray(idx < (idx[np.asarray(mask)].min()))], "distance_km")
    usual, n_usual = usual_week_km(prior)
    info.update(acwr=a, progression_pct=p, chronic_weekly_km=usual, usual_weeks=n_usual)
    feats["acwr_excess"] = min(a - GABBETT_ACWR_SWEET_SPOT_MAX, ACWR_EXCESS_CAP)
    feats["progression_excess_pct"] = min(p - NIELSEN_PROGRESSION_PCT, PROGRESSION_EXCESS_CAP_PCT)
    return out
