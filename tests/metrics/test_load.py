"""Training load: weekly/daily totals, coupled and uncoupled ACWR, two-week progression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from expected import WEEKLY_COLUMNS

from analyzer.metrics import load

MONDAY = pd.Timestamp("2024-01-01", tz="UTC")  # a Monday

#: The documented columns of :func:`analyzer.metrics.load.weekly`, spelled out here (not taken from the
#: module) so a change to the table is caught; also used by test_trends_cli.


def runs(day_km: dict[int, float], *, hour: int = 7) -> pd.DataFrame:
    """One run per listed day offset from MONDAY, with its distance [km]; 6 min/km."""
    rows = [
        {
            "start_time": MONDAY + pd.Timedelta(days=d, hours=hour),
            "distance_m": km * 1000.0,
            "timer_s": km * 360.0,
        }
        for d, km in day_km.items()
    ]
    return pd.DataFrame(rows)


def steady(weeks: int, km_per_week: float, *, start_week: int = 0) -> dict[int, float]:
    """Three equal runs per week (Mon, Wed, Sat)."""
    return {
        7 * w + d: km_per_week / 3 for w in range(start_week, start_week + weeks) for d in (0, 2, 5)
    }


def test_weekly_totals_and_monday_index():
    w = load.weekly(runs({0: 10, 2: 5, 6: 6, 7: 8}))
    assert list(w.index) == [MONDAY, MONDAY + pd.Timedelta(weeks=1)]
    assert str(w.index.tz) == "UTC"
    assert w["distance_km"].tolist() == pytest.approx([21, 8])
    assert w["time_h"].tolist() == pytest.approx([21 * 0.1, 8 * 0.1])
    assert w["n_runs"].tolist() == [3, 1]


def test_sunday_late_utc_run_belongs_to_that_week():
    w = load.weekly(runs({6: 10}, hour=23))
    assert list(w.index) == [MONDAY]


def test_empty_weeks_are_zero_not_missing():
    w = load.weekly(runs({0: 10, 21: 10}))
    assert len(w) == 4
    assert w["distance_km"].tolist() == pytest.approx([10, 0, 0, 10])
    assert w["progression_2wk_pct"].isna().tolist() == [True, False, True, True]
    assert w["progression_2wk_pct"].iloc[1] == pytest.approx(-100)


def test_steady_load_gives_ratio_one():
    w = load.weekly(runs(steady(8, 30)))
    assert w["acwr_coupled"].iloc[:3].isna().all()  # needs four weeks
    assert w["acwr_coupled"].iloc[3:].to_numpy() == pytest.approx(1.0)
    assert w["acwr_uncoupled"].iloc[3:].to_numpy() == pytest.approx(1.0)
    assert w["progression_2wk_pct"].iloc[1:].to_numpy() == pytest.approx(0.0)


def test_spike_week_coupled_versus_uncoupled():
    days = steady(3, 30) | steady(1, 60, start_week=3)
    w = load.weekly(runs(days))
    last = w.iloc[-1]
    # Coupled: 60 / mean(30, 30, 30, 60) = 1.6; uncoupled: 60 / mean(30, 30, 30) = 2.0.
    assert last["acwr_coupled"] == pytest.approx(1.6)
    assert last["acwr_uncoupled"] == pytest.approx(2.0)
    assert last["acwr_uncoupled"] > last["acwr_coupled"] >= load.ACWR_DANGER
    assert last["progression_2wk_pct"] == pytest.approx(100.0)


def test_coupled_ratio_is_bounded_by_four_but_uncoupled_is_not():
    # After three empty weeks, any week is 4x its coupled chronic mean and has no uncoupled one.
    days = {0: 5.0, 28: 20.0}
    w = load.weekly(runs(days))
    assert w["acwr_coupled"].iloc[-1] == pytest.approx(4.0)
    assert np.isnan(w["acwr_uncoupled"].iloc[-1])  # chronic 0: undefined, not infinite


def test_daily_ratios_match_the_definitions():
    days = steady(4, 21) | steady(1, 42, start_week=4)
    d = load.daily(runs(days))
    assert (
        d.index[0] == MONDAY and (d.index.to_series().diff().dropna() == pd.Timedelta(days=1)).all()
    )
    row = d.loc[d.index[-1]]
    last7 = sum(
        km
        for k, km in days.items()
        if d.index[-1] - pd.Timedelta(days=6) <= MONDAY + pd.Timedelta(days=k)
    )
    assert row["acute_km"] == pytest.approx(last7)
    prior = sum(
        km
        for k, km in days.items()
        if d.index[-1] - pd.Timedelta(days=27)
        <= MONDAY + pd.Timedelta(days=k)
        < d.index[-1] - pd.Timedelta(days=6)
    )
    total28 = sum(
        km
        for k, km in days.items()
        if d.index[-1] - pd.Timedelta(days=27) <= MONDAY + pd.Timedelta(days=k)
    )
    assert row["acwr_coupled"] == pytest.approx(last7 / (total28 / 4))
    assert row["acwr_uncoupled"] == pytest.approx(last7 / (prior / 3))
    assert d["acwr_coupled"].iloc[:27].isna().all()
    assert np.isfinite(d["acwr_coupled"].iloc[27])


def test_acwr_at_a_date_and_after_the_last_run():
    days = steady(6, 30)
    d = load.daily(runs(days))
    on = load.acwr_at(d, d.index[-1])
    assert on["acwr_coupled"] == pytest.approx(d["acwr_coupled"].iloc[-1])
    later = load.acwr_at(d, d.index[-1] + pd.Timedelta(days=10))
    assert later["acute_km"] == 0.0
    assert later["acwr_coupled"] == pytest.approx(0.0)
    assert np.isnan(load.acwr_at(d, MONDAY - pd.Timedelta(days=1))["acwr_coupled"])
    naive = load.acwr_at(d, (d.index[-1]).tz_localize(None))
    assert naive == on


def test_empty_and_missing_columns():
    empty = pd.DataFrame({"start_time": [], "distance_m": [], "timer_s": []})
    assert load.weekly(empty).empty and load.daily(empty).empty
    assert list(load.weekly(empty).columns) == WEEKLY_COLUMNS
    with pytest.raises(KeyError, match="timer_s"):
        load.weekly(pd.DataFrame({"start_time": [MONDAY], "distance_m": [1000.0]}))


def test_nan_distance_counts_as_zero_and_naive_times_are_utc():
    df = runs({0: 10, 1: 5})
    df.loc[1, "distance_m"] = np.nan
    df["start_time"] = df["start_time"].dt.tz_localize(None)
    w = load.weekly(df)
    assert w["distance_km"].iloc[0] == pytest.approx(10)
    assert w["n_runs"].iloc[0] == 2
    assert str(w.index.tz) == "UTC"
