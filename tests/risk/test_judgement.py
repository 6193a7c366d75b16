"""One test per misfire listed in issue 12, on hand-built frames (tests/synth.py)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from synth import synth_trends

from analyzer import risk
from analyzer.analysis import stale
from analyzer.errors import NotEnoughData
from analyzer.metrics import load
from analyzer.metrics import trends as metric_trends
from analyzer.plan.exercises import recommend
from analyzer.report import sections


def _driver(a, name):
    return next(d for d in a.drivers if d.feature == name)


def test_a_sudden_move_toward_symmetry_counts_less_and_follows_its_side():
    """51.7 % R -> 50.5 % R is 1.2 points back toward even: without a plan it is a change of the
    runner's own pattern worth a check (weighed 0.75), flagged, and the plan's side is the side
    it moved toward; during a started plan it is what "did it work?" follows, not a risk."""
    from analyzer.risk.features import TOWARD_EVEN_WEIGHT, compute

    tr = synth_trends(70, seed=31, base=48.3, onset=45, shift_pts=1.2, fatigue_pts=0.0)
    trends = metric_trends.trends(tr)
    a = risk.assess_frames(trends, load.weekly(tr))
    shift = _driver(a, "balance_shift_pts")
    moved = a.context["balance_change_pts"]
    assert moved == pytest.approx(1.2, abs=0.25)
    assert shift.value == pytest.approx(TOWARD_EVEN_WEIGHT * moved) and shift.flagged
    assert "1.2 points back toward even" in shift.text and "worth a check" in shift.text
    assert "% L" not in shift.text and "left" in shift.text  # one side: the side it moved to
    ev = metric_trends.flag_changes(trends)
    bal = ev[ev["metric"] == "gct_balance_left_pct"]
    assert list(bal["side"]) == ["left"] and list(bal["toward_even"]) == [True]
    # the flag quotes the same number as the driver (one comparison)
    assert bal["size"].iloc[-1] == pytest.approx(moved)
    plan = recommend(a)
    assert plan.side == "left" and any(i.extra_sets for i in plan.items)
    assert "back toward even" in plan.side_reasoning
    # an away move of the same size weighs more
    away = risk.assess_frames(
        synth_trends(70, seed=31, base=48.3, onset=45, shift_pts=-1.2, fatigue_pts=0.0)
    )
    assert _driver(away, "balance_shift_pts").value > shift.value
    assert away.index > a.index
    # during a started plan the same move is not risk
    feats, ctx = compute(trends, load.weekly(tr), plan_started=True)
    assert feats["balance_shift_pts"] == 0 and "did it work" in describe_shift(feats, ctx)


def describe_shift(feats, ctx):
    from analyzer.risk.texts import describe

    return describe("balance_shift_pts", feats["balance_shift_pts"], ctx)


def test_two_runs_on_another_watch_against_one_run_are_not_enough_data():
    tr = synth_trends(3, seed=32, base=48.3, dynamics_source=["chest_strap", "wrist", "wrist"])
    tr.loc[1:, "gct_balance_left_median_pct"] = 49.5
    a = risk.assess_frames(tr)
    d = _driver(a, "balance_shift_pts")
    assert d.status.startswith("not enough data") and d.value != d.value  # NaN, no number
    as_json = json.loads(json.dumps(a.to_dict(), allow_nan=False))
    (row,) = [x for x in as_json["drivers"] if x["feature"] == "balance_shift_pts"]
    assert row["value"] is None and row["status"] == d.status
    # not an all-clear: no level, and the state says the balance could not be judged
    assert a.level is None and a.status["state"] == "balance_not_judged" and not a.flagged
    assert as_json["status"]["state"] == "balance_not_judged" and as_json["level"] is None


def test_plan_side_follows_the_new_change_not_the_absolute_balance():
    # natural 51.3 % L shifting 1.1 toward the right: toward even; the side is the one it moved
    # toward (right), never "left foot longer"
    toward = risk.assess_frames(
        synth_trends(70, seed=33, base=51.3, onset=45, shift_pts=-1.1, fatigue_pts=0.0)
    )
    plan = recommend(toward)
    assert plan.side == "right" and "left foot stays" not in json.dumps(plan.to_dict())
    # natural 50.3 % L shifting 1.5 toward the right crosses to 50.8 % R: extra set on the right
    across = risk.assess_frames(
        synth_trends(70, seed=34, base=50.3, onset=45, shift_pts=-1.5, fatigue_pts=0.0)
    )
    assert across.context["balance_side"] == "right"
    shift = _driver(across, "balance_shift_pts")
    assert "onto the right foot, across 50/50" in shift.text and "% L" not in shift.text
    # a crossing counts its whole swing, not the growth of the gap to even
    assert shift.value == pytest.approx(abs(across.context["balance_change_pts"]))
    assert shift.value > 1.2


def test_a_sustained_shift_is_not_forgotten():
    """1.4 points for four months: flagged to the end, and the index does not fall back."""
    tr = synth_trends(120, seed=35, onset=30, shift_pts=1.4, fatigue_pts=0.0)
    trends = metric_trends.trends(tr)
    assert trends["balance_shift_flag"].iloc[35:].all()
    a = risk.assess_frames(trends)
    assert _driver(a, "balance_shift_pts").value == pytest.approx(1.4, abs=0.2)
    assert a.level != "low"
    (ev,) = metric_trends.flag_changes(trends).itertuples()
    assert ev.ongoing and ev.size == pytest.approx(1.4, abs=0.2)


def test_one_run_after_four_months_off_is_building_back_not_a_spike():
    tr = synth_trends(40, seed=36)
    back = tr.iloc[[-1]].copy()
    back["start_time"] = tr["start_time"].iloc[-1] + pd.Timedelta(days=120)
    tr = pd.concat([tr, back], ignore_index=True)
    wk = load.weekly(tr)
    assert wk["acwr_coupled"].iloc[-1] == pytest.approx(4.0)  # what misfired before
    a = risk.assess_frames(tr, wk)
    for name in ("acwr_excess", "progression_excess_pct"):
        d = _driver(a, name)
        assert d.status.startswith("building back") and d.value != d.value
    assert a.level != "high" and a.index < risk.LOW_MAX
    assert _driver(a, "balance_shift_pts").status.startswith("not enough data")  # one run
    notes = " ".join(recommend(a).notes)
    assert "building back after a 17-week break" in notes and "2.5 km" not in notes


def test_light_week_does_not_saturate_progression():
    km = np.full(60, 10.0)
    t = pd.date_range("2026-01-01", periods=60, freq="2D", tz="UTC")
    light = (t >= pd.Timestamp("2026-03-30", tz="UTC")) & (t < pd.Timestamp("2026-04-06", tz="UTC"))
    km[light] = 2.0
    tr = synth_trends(60, seed=37, distance_km=km)
    wk = load.weekly(tr)
    a = risk.assess_frames(tr, wk, asof="2026-04-12")
    assert _driver(a, "progression_excess_pct").value == 0  # back to normal is not a spike
    assert wk.loc[pd.Timestamp("2026-04-06", tz="UTC"), "progression_2wk_pct"] > 100


def test_load_only_control_stays_below_moderate_and_never_high():
    """Intervals, a marathon build, races, a four-week break and a strap -> pod switch, no gait
    change: weekly assessments are low on >= 90 % of weeks and never high."""
    rng = np.random.default_rng(38)
    n = 180
    km = 8 + 4 * rng.random(n)
    km[60:110] *= np.linspace(1.0, 1.8, 50)  # marathon build
    km[[40, 110, 150]] = [21.1, 42.2, 10.0]  # races
    km[::7] *= 0.6  # interval sessions: short runs
    tr = synth_trends(
        n, seed=38, distance_km=km, dynamics_source=["chest_strap"] * 120 + ["pod"] * 60
    )
    tr.loc[120:, "gct_balance_left_median_pct"] += 0.6  # the pod reads differently
    tr.loc[120:, "vertical_ratio_median_pct"] += 1.0  # and within its own green band
    tr = tr.drop(index=range(125, 139)).reset_index(drop=True)  # a four-week break
    wk = load.weekly(tr)
    levels = []
    for asof in pd.date_range(tr["start_time"].iloc[20], tr["start_time"].iloc[-1], freq="7D"):
        try:
            levels.append(risk.assess_frames(tr, wk, asof=asof).level)
        except NotEnoughData:
            continue  # inside the break: no recent runs, no index
    assert len(levels) >= 40
    assert levels.count("low") / len(levels) >= 0.9, levels
    assert "high" not in levels


def test_acwr_is_uncoupled_and_named_so():
    from analyzer.risk import features

    tr = synth_trends(60, seed=39, distance_km=np.r_[np.full(56, 10.0), np.full(4, 30.0)])
    wk = load.weekly(tr)
    f, ctx = features.compute(tr, wk)
    assert ctx["acwr"] == pytest.approx(float(wk["acwr_uncoupled"].iloc[-2:].max()))
    assert ctx["acwr"] != pytest.approx(float(wk["acwr_coupled"].iloc[-2:].max()))
    a = risk.assess_frames(tr, wk)
    assert "uncoupled" in _driver(a, "acwr_excess").text
    assert "uncoupled" in _driver(a, "acwr_excess").label.lower()
    # without the three weeks before, no ratio at all (never a silent fall-back to coupled)
    short = synth_trends(12, seed=39)
    _, ctx = features.compute(short, load.weekly(short))
    assert ctx["status"]["acwr_excess"].startswith("not enough data")


def test_naturally_low_cadence_runner_gets_no_overstride_advice():
    a = risk.assess_frames(synth_trends(60, seed=40, cadence_spm=152.0))
    d = _driver(a, "cadence_deficit_pct")
    assert d.value == pytest.approx(0.0) and not d.flagged and d.contribution == 0
    assert "Garmin's green band (164 spm)" in d.text and "not scored" in d.text
    plan = recommend(a)
    assert not any("cadence" in n.lower() for n in plan.notes)
    assert not any("Low cadence" in f or "cadence" in f.lower() for f in plan.focus)


def test_a_4_spm_drop_at_matched_speed_shows_in_trends():
    rng = np.random.default_rng(41)
    n = 80
    speed = rng.uniform(2.6, 3.6, n)
    cad = 165 + 9.0 * (speed - 3.0) + rng.normal(0, 1.2, n)
    cad[50:] -= 4.0
    t = pd.date_range("2026-01-01", periods=n, freq="2D", tz="UTC")
    df = pd.DataFrame(
        {
            "start_time": t,
            "speed_median_mps": speed,
            "cadence_median_spm": cad,
            "gct_balance_left_median_pct": 50 + rng.normal(0, 0.2, n),
            "dynamics_source": "chest_strap",
        }
    )
    ev = metric_trends.flag_changes(metric_trends.trends(df))
    cad_ev = ev[ev["metric"] == "cadence_spm"]
    assert len(cad_ev) == 1 and cad_ev.iloc[0]["side"] == "lower"
    assert cad_ev.iloc[0]["onset"] - t[50] <= pd.Timedelta(days=21)
    assert cad_ev.iloc[0]["size"] == pytest.approx(-4.0, abs=1.5)


def test_stale_latest_balance_carries_its_date_and_a_warning():
    tr = metric_trends.trends(synth_trends(30, seed=42, start="2020-03-01"))
    bal = sections.balance(tr)
    assert bal["latest_start_time"].startswith("2020-")
    warn = stale(tr, pd.Timestamp("2026-12-01T00:00:00Z"))
    assert warn["last_run"].startswith("2020-") and "2020-" in warn["warning"]
    assert "not today" in warn["warning"]
    assert stale(tr, pd.Timestamp("2020-05-01T00:00:00Z")) is None
    a = risk.assess_frames(tr)
    assert a.asof.startswith("2020-")
    for d in a.drivers:  # every driver carries the dates of its numbers
        assert d.status != "ok" or d.dates.get("recent", {}).get("end", "").startswith("2020-")


def test_a_high_volume_runner_with_one_empty_week_gets_a_cap_in_their_own_range():
    """80-140 km a week, one week off: next week's cap is their usual week, not a mean that the
    empty week dragged down (the old advice said about 41 km)."""
    import re

    rng = np.random.default_rng(44)
    n = 70  # one run every two days: 3.5 runs a week
    km = rng.uniform(23.0, 40.0, n)  # 80-140 km a week
    tr = synth_trends(n, seed=44, distance_km=km)
    t = tr["start_time"]
    week = (t - t.iloc[0]).dt.days // 7
    tr = tr[week != 17].reset_index(drop=True)  # the empty week
    weekly = load.weekly(tr)
    asof = tr["start_time"][(tr["start_time"] - t.iloc[0]).dt.days // 7 == 18].max()
    a = risk.assess_frames(tr, weekly, asof=asof)
    plan = recommend(a)
    note = next(n for n in plan.notes if "cut running volume first" in n)
    cap = float(re.search(r"about (\d+) km", note).group(1))
    ran = weekly["distance_km"][weekly["distance_km"] > 0]
    assert ran.quantile(0.1) <= cap <= ran.quantile(0.9), (cap, list(ran.round()))
    assert 80 <= cap <= 140 and "median of your last 8 weeks with running" in note


def test_a_new_watch_starts_a_new_wrist_reference():
    """Wrist cadence frozen on one watch does not judge another watch's runs: a watch change
    with a 5 spm offset is not a cadence change; the new watch builds its own reference."""
    tr = synth_trends(80, seed=45, dynamics_source="wrist")
    tr["device"] = ["Garmin fr235"] * 40 + ["Garmin fr55"] * 40
    tr.loc[40:, "cadence_median_spm"] -= 5.0
    trends = metric_trends.trends(tr)
    assert set(trends["reference_source"]) == {"watch:Garmin fr235", "watch:Garmin fr55"}
    ev = metric_trends.flag_changes(trends)
    assert not (ev["metric"] == "cadence_spm").any(), ev
    early = risk.assess_frames(metric_trends.trends(tr.iloc[:46]))  # six runs on the new watch
    d = _driver(early, "cadence_deficit_pct")
    assert d.status.startswith("not enough data: the watch changed from Garmin fr235 to Garmin")
    # the same offset on one watch is a change
    same = synth_trends(80, seed=45, dynamics_source="wrist")
    same["device"] = "Garmin fr235"
    same.loc[40:, "cadence_median_spm"] -= 5.0
    ev = metric_trends.flag_changes(metric_trends.trends(same))
    assert list(ev.loc[ev["metric"] == "cadence_spm", "side"]) == ["lower"]
