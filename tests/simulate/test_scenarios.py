"""The scenario athletes do what their ground truth says (summary level, one seeded cohort)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analyzer.simulate.scenario_cohort import cohort, scenario_truth
from analyzer.simulate.scenarios import POD_VO_FACTOR, GaitChange, Scenario
from analyzer.simulate.summaries import cohort_summaries, scenario_summaries, speed_spread

pytestmark = pytest.mark.xdist_group("scenarios")

SEED = 3


@pytest.fixture(scope="module")
def data():
    return cohort_summaries(cohort(SEED, size="small", weeks=40))


def _t(text) -> pd.Timestamp:
    return pd.to_datetime(text, utc=True)


def _between(rows, lo=None, hi=None, col="gct_balance_left_median_pct") -> pd.Series:
    t = rows["start_time"]
    keep = np.ones(len(rows), dtype=bool)
    if lo is not None:
        keep &= (t >= lo).to_numpy()
    if hi is not None:
        keep &= (t < hi).to_numpy()
    return rows.loc[keep, col].dropna()


def _of(data, group):
    return [(rows, truth) for rows, truth in data.values() if truth["group"] == group]


def test_cohort_has_every_kind_of_case(data):
    groups = {t["group"] for _, t in data.values()}
    assert groups == {
        "sudden",
        "counter",
        "gradual",
        "transient",
        "fatigue_drift",
        "cadence",
        "control",
    }
    controls = {t["control"] for _, t in data.values() if t["group"] == "control"}
    assert controls == {"intervals", "marathon", "break", "strap_to_pod", "watches"}
    sides = {t["changes"][0]["side"] for _, t in _of(data, "sudden")}
    assert sides == {"left", "right"}


def test_balance_shifts_have_the_injected_size_and_direction(data):
    cases = _of(data, "sudden") + _of(data, "counter") + _of(data, "gradual")
    assert len(cases) == 4
    for rows, truth in cases:
        c = truth["changes"][0]
        before = _between(rows, hi=_t(c["onset"])).median()
        after = _between(rows, lo=_t(c["full_size_date"])).median()
        assert abs(before - truth["natural_balance_left_pct"]) < 0.25, truth["athlete"]
        assert after - before == pytest.approx(c["size"], abs=0.25), truth["athlete"]
        assert (after > before) == (c["side"] == "left")
        assert 1.0 <= abs(c["size"]) <= 2.0 and c["sustained"] and c["expected_flag"]
        # long-lasting: from onset to the end of the history is six months or more
        assert rows["start_time"].max() - _t(c["onset"]) > pd.Timedelta(days=182)


def test_counter_direction_runner_shifts_toward_the_other_side(data):
    ((rows, truth),) = _of(data, "counter")
    c = truth["changes"][0]
    natural = truth["natural_balance_left_pct"]
    assert natural in (51.3, 48.9)  # 51.3 % L or 51.1 % R
    assert (natural > 50) == (c["side"] == "right")
    assert c["toward_symmetry"] == (abs(c["new_balance_left_pct"] - 50) < abs(natural - 50))
    # the first counter-direction runner moves toward 50/50 without crossing it (issue 12's case)
    assert c["toward_symmetry"] and (c["new_balance_left_pct"] > 50) == (natural > 50)


def test_gradual_shift_grows_over_three_to_six_weeks(data):
    ((rows, truth),) = _of(data, "gradual")
    c = truth["changes"][0]
    assert 21 <= c["ramp_days"] <= 42
    onset, full = _t(c["onset"]), _t(c["full_size_date"])
    mid = onset + (full - onset) / 2
    base = _between(rows, hi=onset).median()
    first_half = _between(rows, lo=onset, hi=mid).median() - base
    after = _between(rows, lo=full).median() - base
    assert 0.1 * abs(c["size"]) < abs(first_half) < 0.5 * abs(c["size"]) + 0.2
    assert abs(after) > abs(first_half) + 0.3 * abs(c["size"])


def test_transient_returns_after_one_week(data):
    ((rows, truth),) = _of(data, "transient")
    c = truth["changes"][0]
    onset, end = _t(c["onset"]), _t(c["end"])
    assert end - onset == pd.Timedelta(days=7) and not c["expected_flag"]
    base = _between(rows, hi=onset).median()
    during = _between(rows, lo=onset, hi=end)
    assert len(during) >= 2
    assert during.median() - base == pytest.approx(c["size"], abs=0.3)
    assert _between(rows, lo=end).median() - base == pytest.approx(0.0, abs=0.2)


def test_fatigue_drift_grows_in_the_last_third_of_runs(data):
    ((rows, truth),) = _of(data, "fatigue_drift")
    c = truth["changes"][0]
    col = "drift_gct_balance_left_pts"
    before = _between(rows, hi=_t(c["onset"]), col=col).median()
    after = _between(rows, lo=_t(c["onset"]), col=col).median()
    assert abs(before) < 0.2
    assert after == pytest.approx(c["size"], abs=0.3)
    assert c["expected_driver"] == "fatigue_asymmetry_pts" and not c["expected_flag"]


def test_cadence_drop_at_matched_speed(data):
    ((rows, truth),) = _of(data, "cadence")
    c = truth["changes"][0]
    assert -8.0 <= c["size"] <= -4.0 and c["side"] == "lower"
    onset = _t(c["onset"])
    pre = rows[rows["start_time"] < onset]
    slope, icpt = np.polyfit(pre["speed_median_mps"], pre["cadence_median_spm"], 1)
    post = rows[rows["start_time"] >= onset]
    resid = post["cadence_median_spm"] - (icpt + slope * post["speed_median_mps"])
    assert resid.median() == pytest.approx(c["size"], abs=1.0)
    # the balance is untouched
    assert abs(_between(rows, lo=onset).median() - _between(rows, hi=onset).median()) < 0.2


def test_training_has_a_realistic_pace_spread(data):
    for rows, truth in data.values():
        assert speed_spread(rows) >= 0.4, truth["athlete"]
        kinds = set(rows["kind"])
        assert {"intervals", "tempo", "long", "easy"} <= kinds, truth["athlete"]


def test_breaks_last_three_to_eight_weeks(data):
    ((rows, truth),) = [(r, t) for r, t in _of(data, "control") if t["control"] == "break"]
    assert truth["breaks"]
    t = rows["start_time"].sort_values().reset_index(drop=True)
    gaps = t.diff().dt.total_seconds() / 86400
    for b in truth["breaks"]:
        assert 3 <= b["weeks"] <= 8
        frm, back = _t(b["from"]), _t(b["back"])
        assert not ((t >= frm) & (t < back)).any()
        i = int(np.flatnonzero((t >= back).to_numpy())[0])
        assert 7 * b["weeks"] <= gaps[i] < 7 * b["weeks"] + 14


def test_marathon_build_and_races(data):
    ((rows, truth),) = [(r, t) for r, t in _of(data, "control") if t["control"] == "marathon"]
    races = rows[rows["kind"] == "race"]
    assert len(races) == 3
    assert races["distance_m"].max() > 42_000
    mw = next(r["week"] for r in truth["races"] if r["distance"] == "marathon")
    start = _t(truth["start"])
    build = rows[
        (rows["kind"] == "long")
        & (rows["start_time"] > start + pd.Timedelta(weeks=mw - 6))
        & (rows["start_time"] < start + pd.Timedelta(weeks=mw - 2))
    ]
    assert build["timer_s"].max() >= 150 * 60


def test_strap_to_pod_changes_sensor_and_vertical_oscillation(data):
    ((rows, truth),) = [(r, t) for r, t in _of(data, "control") if t["control"] == "strap_to_pod"]
    switch = _t(truth["kit"][1]["from"])
    before, after = rows[rows["start_time"] < switch], rows[rows["start_time"] >= switch]
    assert set(before["dynamics_source"]) == {"chest_strap"}
    assert set(after["dynamics_source"]) == {"pod"}
    ratio = (
        after["vertical_oscillation_median_mm"].median()
        / before["vertical_oscillation_median_mm"].median()
    )
    assert ratio == pytest.approx(POD_VO_FACTOR, abs=0.04)
    diff = (
        after["gct_balance_left_median_pct"].median()
        - before["gct_balance_left_median_pct"].median()
    )
    assert abs(diff) < 0.2  # the sensor change leaves the gait alone


def test_watches_one_without_dynamics(data):
    ((rows, truth),) = [(r, t) for r, t in _of(data, "control") if t["control"] == "watches"]
    assert [k["watch"] for k in truth["kit"]] == ["fr965", "fr55", "fr255"]
    assert set(rows["product"]) == {"fr965", "fr55", "fr255"}
    bare = rows[rows["product"] == "fr55"]
    assert len(bare) >= 6 and set(bare["dynamics_source"]) == {"none"}
    assert bare["gct_balance_left_median_pct"].isna().all()
    assert bare["cadence_median_spm"].notna().all()  # wrist cadence stays


def test_ground_truth_matches_the_rows(data):
    for rows, truth in data.values():
        assert len(truth["runs"]) == len(rows)
        assert [r["kind"] for r in truth["runs"]] == rows["kind"].tolist()
        assert truth["expected_flag"] == any(c["expected_flag"] for c in truth["changes"])
        if truth["group"] == "control":
            assert truth["changes"] == [] and not truth["expected_flag"]
        for r, (_, row) in zip(truth["runs"], rows.iterrows(), strict=True):
            assert r["distance_m"] == pytest.approx(row["distance_m"], abs=0.01)


def test_scenarios_are_deterministic_and_seeded():
    a, b = cohort(11, size="small", weeks=30), cohort(11, size="small", weeks=30)
    assert a == b
    assert cohort(12, size="small", weeks=30) != a
    sc = Scenario("one", 5, "sudden", weeks=6, changes=(GaitChange("balance", 20.0, 1.5),))
    r1, t1 = scenario_summaries(sc)
    r2, t2 = scenario_summaries(sc)
    pd.testing.assert_frame_equal(r1, r2)
    assert t1 == t2 == scenario_truth(sc, None) | {"runs": t1["runs"]}


def test_cohort_refuses_short_histories():
    with pytest.raises(ValueError, match="at least 30 weeks"):
        cohort(0, weeks=12)
