"""Training load from run totals: weekly and daily distance and time, acute:chronic ratios,
two-week distance progression.

Load is measured as running distance (the exposure used in the running studies below).
Days and weeks are the runner's local calendar days and weeks (starting on the local Monday):
a run's day is read on its own clock (``utc_offset_s``, :func:`analyzer.schema.local_day`; UTC
without the column), and day and week indexes are those local midnights labelled UTC. Days or
weeks without a run count as zero load.

The acute:chronic workload ratio (ACWR) is computed two ways because the usual one is
mathematically coupled: the acute week is part of the 28-day chronic window, so the ratio
partly correlates with itself and cannot exceed 4 (Lolli et al. 2019 [2]_; Windt & Gabbett
2019 [5]_ discuss what coupling does and does not change). The **uncoupled** ratio divides by
the three weeks *before* the acute week instead; it is the one the risk index uses and the one
every text names "uncoupled". Both are shown in tables, each under its own name. Neither is a
validated injury predictor in runners (Nakaoka et al. 2021 found the opposite of the team-sport
pattern [4]_); they describe load.

No ratio is meaningful without a chronic base: :func:`chronic_base` needs runs in
:data:`BASE_WEEKS_WITH_RUNS` of the last :data:`BASE_WEEKS` weeks and :data:`BASE_MIN_RUNS`
runs (our convention: the 28-day chronic window of Gabbett 2016 [1]_ must be mostly filled,
with room for one or two missed weeks). After a break of :data:`BREAK_DAYS` days or more
without a run, the runs until the base is back are "building back" (:func:`building_back`),
not a spike.

References
----------
.. [1] Gabbett T.J. (2016) The training-injury prevention paradox: should athletes be training
   smarter and harder? Br J Sports Med 50:273-280.
.. [2] Lolli L. et al. (2019) Mathematical coupling causes spurious correlation within the
   conventional acute-to-chronic workload ratio calculations. Br J Sports Med 53:921-922.
.. [3] Nielsen R.O. et al. (2014) Excessive progression in weekly running distance and risk of
   running-related injuries: an association which varies according to type of injury.
   J Orthop Sports Phys Ther 44(10):739-747.
.. [4] Nakaoka G. et al. (2021) Sports Med 51:2437 (435 runners: the higher the ACWR, the
   lower the injury risk).
.. [5] Windt J., Gabbett T.J. (2019) Is it all for naught? What does mathematical coupling mean
   for acute:chronic workload ratios? Br J Sports Med 53(16):988-990.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analyzer.schema import local_day, local_monday

#: Acute window [days] of the ACWR (Gabbett 2016 [1]_).
ACUTE_DAYS: int = 7

#: Chronic window [days] of the ACWR, acute week included (Gabbett 2016 [1]_).
CHRONIC_DAYS: int = 28

#: ACWR "sweet spot" (Gabbett 2016 [1]_), derived mostly from team sports.
ACWR_SWEET_SPOT: tuple[float, float] = (0.8, 1.3)

#: ACWR at or above which Gabbett 2016 [1]_ speaks of a "danger zone".
ACWR_DANGER: float = 1.5

#: Week-to-week distance progression above which Nielsen et al. 2014 [3]_ saw more
#: distance-related injuries than below 10 % (HR 1.59, 95 % CI 0.96-2.66; not significant) [%].
PROGRESSION_HIGH_PCT: float = 30.0

#: Progression below which Nielsen et al. 2014 [3]_ placed their reference group [%].
PROGRESSION_LOW_PCT: float = 10.0

#: Chronic base: runs in at least BASE_WEEKS_WITH_RUNS of the last BASE_WEEKS weeks ...
BASE_WEEKS: int = 6
BASE_WEEKS_WITH_RUNS: int = 4
#: ... and at least this many runs in those weeks.
BASE_MIN_RUNS: int = 8
#: A gap of this many days without a run is a break; the runs after it are "building back"
#: until the chronic base is back [days].
BREAK_DAYS: int = 21
#: Weeks before the current one whose largest distance is the progression's reference.
PROGRESSION_REF_WEEKS: int = 3

_WEEKLY_COLUMNS = [
    "distance_km",
    "time_h",
    "n_runs",
    "acwr_coupled",
    "acwr_uncoupled",
    "progression_2wk_pct",
    "progression_pct",
]
_DAILY_COLUMNS = [
    "distance_km",
    "time_h",
    "n_runs",
    "acute_km",
    "chronic_weekly_km",
    "acwr_coupled",
    "acwr_uncoupled",
]


def _per_day(runs_df: pd.DataFrame) -> pd.DataFrame:
    """Sum runs per local day over a gap-free range of days (zeros where nothing was run)."""
    for col in ("start_time", "distance_m", "timer_s"):
        if col not in runs_df.columns:
            raise KeyError(f"runs_df needs column {col!r}")
    t = pd.to_datetime(runs_df["start_time"], utc=True, errors="coerce")
    frame = pd.DataFrame(
        {
            "day": local_day(t, runs_df.get("utc_offset_s", 0)),
            "distance_km": pd.to_numeric(runs_df["distance_m"], errors="coerce").fillna(0.0)
            / 1000.0,
            "time_h": pd.to_numeric(runs_df["timer_s"], errors="coerce").fillna(0.0) / 3600.0,
            "n_runs": 1,
        }
    ).dropna(subset=["day"])
    if frame.empty:
        idx = pd.DatetimeIndex([], tz="UTC", name="day")
        return pd.DataFrame({"distance_km": [], "time_h": [], "n_runs": []}, index=idx)
    daily = frame.groupby("day").sum()
    full = pd.date_range(daily.index.min(), daily.index.max(), freq="D", name="day")
    daily = daily.reindex(full, fill_value=0)
    daily["n_runs"] = daily["n_runs"].astype(int)
    return daily


def acwr(acute, chronic_weekly):
    """Acute:chronic workload ratio.

    Parameters
    ----------
    acute : array-like
        Load of the acute week [km].
    chronic_weekly : array-like
        Average weekly load of the chronic window [km/week].

    Returns
    -------
    numpy.ndarray or pandas.Series
        acute / chronic [-]; NaN where the chronic load is zero or missing.

    References
    ----------
    .. [1] Gabbett T.J. (2016) Br J Sports Med 50:273-280.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        chronic = np.asarray(chronic_weekly, dtype=float)
        out = np.where(chronic > 0, np.asarray(acute, dtype=float) / chronic, np.nan)
    if isinstance(acute, pd.Series):
        return pd.Series(out, index=acute.index)
    return out


def daily(runs_df: pd.DataFrame) -> pd.DataFrame:
    """Daily load and the acute:chronic ratio as of each day.

    Parameters
    ----------
    runs_df : pandas.DataFrame
        One row per run with ``start_time`` (UTC), ``distance_m`` [m] and ``timer_s`` [s].

    Returns
    -------
    pandas.DataFrame
        Indexed by local day (every day from the first to the last run): ``distance_km`` [km],
        ``time_h`` [h], ``n_runs``, ``acute_km`` (last 7 days including the day) [km],
        ``chronic_weekly_km`` (weekly average of the last 28 days) [km/week],
        ``acwr_coupled`` (acute / weekly average of the last 28 days, acute included) [-] and
        ``acwr_uncoupled`` (acute / weekly average of the 21 days before the acute week) [-].
        Ratios are NaN until 28 days of history exist, or when the chronic load is zero.
    """
    d = _per_day(runs_df)
    if d.empty:
        return pd.DataFrame(columns=_DAILY_COLUMNS, index=d.index)
    dist = d["distance_km"]
    acute = dist.rolling(ACUTE_DAYS, min_periods=ACUTE_DAYS).sum()
    chronic = dist.rolling(CHRONIC_DAYS, min_periods=CHRONIC_DAYS).sum() / (CHRONIC_DAYS / 7)
    prior_days = CHRONIC_DAYS - ACUTE_DAYS
    prior = dist.shift(ACUTE_DAYS).rolling(prior_days, min_periods=prior_days).sum() / (
        prior_days / 7
    )
    d["acute_km"] = acute
    d["chronic_weekly_km"] = chronic
    d["acwr_coupled"] = acwr(acute, chronic)
    d["acwr_uncoupled"] = acwr(acute, prior)
    return d[_DAILY_COLUMNS]


def weekly(runs_df: pd.DataFrame) -> pd.DataFrame:
    """Weekly load, acute:chronic ratios and two-week distance progression.

    Parameters
    ----------
    runs_df : pandas.DataFrame
        One row per run with ``start_time`` (UTC), ``distance_m`` [m] and ``timer_s`` [s].

    Returns
    -------
    pandas.DataFrame
        Indexed by week start (the local Monday), every week from the first to the last run:
        ``distance_km`` [km], ``time_h`` [h], ``n_runs``; ``acwr_coupled`` (the week's distance
        over the mean of that week and the 3 before it) [-]; ``acwr_uncoupled`` (over the mean
        of the 3 weeks before it) [-]; ``progression_2wk_pct`` (change of the week's distance
        from the week before, the two-week progression of Nielsen et al. 2014) [%];
        ``progression_pct`` (change of the week's distance from the largest of the
        :data:`PROGRESSION_REF_WEEKS` weeks before it: one light week does not make the next
        normal week look like a spike, and runs every other day, which give alternating 3- and
        4-run weeks, do not either) [%]. Ratios are NaN without 3 earlier weeks, and every
        ratio is NaN where its denominator is zero.

    References
    ----------
    .. [1] Gabbett T.J. (2016) Br J Sports Med 50:273-280.
    .. [2] Lolli L. et al. (2019) Br J Sports Med 53:921-922.
    .. [3] Nielsen R.O. et al. (2014) J Orthop Sports Phys Ther 44(10):739-747.
    """
    d = _per_day(runs_df)
    if d.empty:
        return pd.DataFrame(columns=_WEEKLY_COLUMNS, index=d.index.rename("week"))
    week_start = d.index - pd.to_timedelta(d.index.day_of_week, unit="D")
    w = d.groupby(week_start).sum()
    full = pd.date_range(w.index.min(), w.index.max(), freq="7D", name="week")
    w = w.reindex(full, fill_value=0)
    w["n_runs"] = w["n_runs"].astype(int)
    dist = w["distance_km"]
    n_weeks = CHRONIC_DAYS // 7
    chronic = dist.rolling(n_weeks, min_periods=n_weeks).mean()
    prior = dist.shift(1).rolling(n_weeks - 1, min_periods=n_weeks - 1).mean()
    w["acwr_coupled"] = acwr(dist, chronic)
    w["acwr_uncoupled"] = acwr(dist, prior)
    prev = dist.shift(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        w["progression_2wk_pct"] = np.where(prev > 0, 100.0 * (dist - prev) / prev, np.nan)
        ref = dist.shift(1).rolling(PROGRESSION_REF_WEEKS, min_periods=PROGRESSION_REF_WEEKS)
        ref = ref.max()
        w["progression_pct"] = np.where(ref > 0, 100.0 * (dist - ref) / ref, np.nan)
    return w[_WEEKLY_COLUMNS]


def chronic_base(weekly_df: pd.DataFrame, asof, offset_s=0) -> dict:
    """Whether a chronic base of running exists before the week containing ``asof``.

    Parameters
    ----------
    weekly_df : pandas.DataFrame
        Output of :func:`weekly`.
    asof : datetime-like
        The instant judged (UTC if naive).
    offset_s : int
        The local clock at ``asof`` [s ahead of UTC]: which week is "this week".

    Returns
    -------
    dict
        ``ok`` (bool), ``weeks_with_runs`` and ``runs`` in the :data:`BASE_WEEKS` weeks before
        the current one, and ``start`` / ``end`` (first and last local day of those weeks).
    """
    this_week = local_monday(asof, offset_s)
    start = this_week - pd.Timedelta(weeks=BASE_WEEKS)
    idx = pd.to_datetime(weekly_df.index, utc=True) if len(weekly_df) else pd.DatetimeIndex([])
    sel = (idx >= start) & (idx < this_week)
    n = pd.to_numeric(weekly_df.loc[np.asarray(sel), "n_runs"], errors="coerce").fillna(0)
    weeks, runs = int((n > 0).sum()), int(n.sum())
    return {
        "ok": weeks >= BASE_WEEKS_WITH_RUNS and runs >= BASE_MIN_RUNS,
        "weeks_with_runs": weeks,
        "runs": runs,
        "start": start,
        "end": this_week - pd.Timedelta(days=1),
    }


def building_back(run_times, asof) -> dict | None:
    """The latest break of :data:`BREAK_DAYS` days or more before ``asof``, if any.

    Parameters
    ----------
    run_times : array-like of datetime
        Start times of every run (UTC if naive).
    asof : datetime-like
        Only runs up to this instant count.

    Returns
    -------
    dict or None
        ``break_start`` (the last run before the break), ``break_end`` (the first run after
        it), ``break_days`` and ``runs_since`` (runs from ``break_end`` up to ``asof``); None
        when there was no such break.
    """
    ts = pd.Timestamp(asof)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    t = pd.to_datetime(pd.Series(run_times), utc=True).dropna().sort_values()
    t = t[t <= ts].reset_index(drop=True)
    if len(t) < 2:
        return None
    gaps = t.diff().dt.total_seconds() / 86400.0
    big = np.flatnonzero(gaps.to_numpy() >= BREAK_DAYS)
    if big.size == 0:
        return None
    k = int(big[-1])
    return {
        "break_start": t.iloc[k - 1],
        "break_end": t.iloc[k],
        "break_days": float(gaps.iloc[k]),
        "runs_since": int(len(t) - k),
    }


def acwr_at(daily_df: pd.DataFrame, when, offset_s=0) -> dict[str, float]:
    """The daily acute:chronic ratios as of a date (the last day on or before it).

    Parameters
    ----------
    daily_df : pandas.DataFrame
        Output of :func:`daily`.
    when : datetime-like
        Instant of interest (UTC if naive), on its local day at ``offset_s`` [s ahead of UTC].

    Returns
    -------
    dict
        ``acwr_coupled``, ``acwr_uncoupled``, ``acute_km`` and ``chronic_weekly_km``; NaN when
        ``when`` is before the first day. After the last run the load keeps decaying as if no
        further runs happened.
    """
    keys = ("acwr_coupled", "acwr_uncoupled", "acute_km", "chronic_weekly_km")
    day = local_day(when, offset_s)
    if daily_df.empty or day < daily_df.index[0]:
        return dict.fromkeys(keys, float("nan"))
    if day > daily_df.index[-1]:
        extra = pd.date_range(daily_df.index[-1] + pd.Timedelta(days=1), day, freq="D")
        runs = daily_df[["distance_km", "time_h"]].reindex(
            daily_df.index.append(extra), fill_value=0.0
        )
        # Rebuild from daily totals (no per-run detail is needed for the ratios).
        fake = pd.DataFrame(
            {
                "start_time": runs.index,
                "distance_m": runs["distance_km"] * 1000.0,
                "timer_s": runs["time_h"] * 3600.0,
            }
        )
        daily_df = daily(fake)
    row = daily_df.loc[:day].iloc[-1]
    return {k: float(row[k]) for k in keys}
