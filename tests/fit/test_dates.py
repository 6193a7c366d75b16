"""The rule for run dates that are not dates (analyzer.fit.dates.date_problem)."""

from __future__ import annotations

import pandas as pd
import pytest
from fitcache import activity

from analyzer.fit.dates import (
    DEVICE_RELATIVE_LIMIT,
    EARLIEST,
    FUTURE_SLACK,
    date_note,
    date_problem,
)
from analyzer.fit.messages import FIT_EPOCH_S

NOW = pd.Timestamp("2026-12-01T12:00Z")
RELATIVE_END = pd.Timestamp(FIT_EPOCH_S + DEVICE_RELATIVE_LIMIT, unit="s", tz="UTC")
SECOND = pd.Timedelta(seconds=1)


@pytest.mark.parametrize(
    "start, problem",
    [
        (pd.Timestamp(FIT_EPOCH_S, unit="s", tz="UTC"), "device-relative timestamp"),
        (RELATIVE_END - SECOND, "device-relative timestamp"),
        (RELATIVE_END, "implausible date 1998-07-03 (before 2000-01-01)"),
        (EARLIEST - SECOND, "implausible date 1999-12-31 (before 2000-01-01)"),
        (EARLIEST, None),
        ("2019-05-01T07:00:00", None),  # zone-less: UTC
        (NOW + FUTURE_SLACK, None),
        (NOW + FUTURE_SLACK + SECOND, "implausible date 2026-12-02 (in the future)"),
        (pd.Timestamp("2100-03-01", tz="UTC"), "implausible date 2100-03-01 (in the future)"),
        (None, "no start time"),
        (pd.NaT, "no start time"),
    ],
)
def test_date_rule_thresholds(start, problem):
    assert date_problem(start, now=NOW) == problem


def test_the_device_relative_limit_is_the_fit_profiles():
    from garmin_fit_sdk import Profile

    date_time = Profile["types"]["date_time"]
    assert date_time[DEVICE_RELATIVE_LIMIT] == "min"
    assert pd.Timestamp("1998-07-03T21:24:16Z") == RELATIVE_END


@pytest.mark.parametrize("name", ["compressed-speed-distance.fit", "antfs-dump.63.fit"])
def test_fr70_runs_are_device_relative(name, corpus_dir):
    start = activity(name).sessions["start_time"].iloc[0]
    assert start.year == 1990
    assert date_problem(start) == "device-relative timestamp"
    assert date_note(date_problem(start)) == (
        "date unknown: device-relative timestamp; kept out of load and baselines"
    )


def test_a_modern_run_has_a_date(corpus_dir):
    start = activity("garmin-fenix-5-run.fit").sessions["start_time"].iloc[0]
    assert date_problem(start) is None
