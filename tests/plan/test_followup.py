""" "Did it work?" on simulated runners who follow a plan, do nothing, or log rising pain."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analyzer import analyse, import_paths
from analyzer.analysis.plan_so_far import plan_record
from analyzer.plan.did_it_work import MIN_RUNS, NOT_PROOF, before_after, bootstrap_mean_difference
from analyzer.simulate import AthleteProfile, BalanceShift
from analyzer.simulate.diaries import FollowUpProfile, write_followup_athlete
from analyzer.store.database import Store
from analyzer.store.diary import Diary

#: Shift from week 5, plan from week 12 (so the six weeks before it are all shifted).
SHIFT = BalanceShift(from_week=5, side="left", size_pts=1.8, grows_with_fatigue=False)
RUNNERS = {
    "fades": dict(adherence=0.85, fade_weeks=3),
    "idle": dict(adherence=0.0, fade_weeks=None),
    "sore": dict(adherence=0.9, fade_weeks=None, pain="rising"),
}


def profile(name: str, seed: int) -> FollowUpProfile:
    athlete = AthleteProfile(name=name, seed=seed, weeks=22, interval_s=10, conditions=(SHIFT,))
    return FollowUpProfile(athlete=athlete, plan_week=12, **RUNNERS[name])


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("followup")
    truths = {}
    with Store(root / "s.duckdb") as s:
        for seed, name in enumerate(RUNNERS, start=31):
            fp = profile(name, seed)
            truths[name] = write_followup_athlete(fp, root)
            import_paths(s, [root / name], athlete=name, workers=1)
            Diary(s).import_csv(root / name / "diary.csv")
            start = pd.Timestamp(fp.plan_start.date())
            an = analyse(s, name, asof=start - pd.Timedelta(seconds=1))
            record = plan_record(an.plan.to_dict(), an.assessment.to_dict())
            assert Diary(s).save_plan(name, record) == 1
            # the plan starts on the simulated day, not today
            s.con.execute("UPDATE plans SET start_date = ? WHERE athlete = ?", [start.date(), name])
        yield s, truths


def plan_so_far(s, athlete, *, asof):
    return analyse(s, athlete, asof=asof).plan_so_far


def last_run(truth: dict) -> pd.Timestamp:
    return pd.Timestamp(truth["runs"][-1]["start_time"]).tz_localize(None)


def test_a_fading_shift_is_found_with_an_interval_that_excludes_zero(store):
    s, truths = store
    status = plan_so_far(s, "fades", asof=last_run(truths["fades"]))
    work = status["did_it_work"]
    assert work["metric"] == "gct_balance_left_median_pct"
    assert work["verdict"] == "clear change"
    assert work["ci_high"] < 0  # the left shift went back toward 50 %
    assert work["n_before"] >= MIN_RUNS and work["n_after"] >= MIN_RUNS
    assert work["change"] == pytest.approx(-SHIFT.size_pts, abs=0.6)
    assert work["text"].startswith("Changed") and work["caveat"] == NOT_PROOF
    assert status["adherence"]["share"] == pytest.approx(0.85, abs=0.15)


def test_a_runner_who_did_nothing_shows_no_clear_change(store):
    s, truths = store
    status = plan_so_far(s, "idle", asof=last_run(truths["idle"]))
    work = status["did_it_work"]
    assert work["verdict"] == "no clear change" and work["ci_low"] < 0 < work["ci_high"]
    assert work["text"].startswith("No clear change since the plan started")
    assert status["adherence"]["share"] == 0.0
    assert all(e["step"] == 1 and e["sessions"] == 0 for e in status["exercises"])


def test_rising_pain_stops_progression_with_the_entries(store):
    s, truths = store
    status = plan_so_far(s, "sore", asof=last_run(truths["sore"]))
    safety = status["safety"]
    assert safety["stop"] and safety["message"].startswith(
        "Stop progressing and see a physiotherapist or doctor: pain of 5/10 or more"
    )
    assert any(e["pain"] >= 5 for e in safety["entries"])
    assert all(not e["moves"] or e["frozen"] or e["moves"][-1]["direction"] == "down"
               for e in status["exercises"])  # fmt: skip


def test_the_bootstrap_interval_covers_the_true_difference():
    rng = np.random.default_rng(3)
    hits = 0
    for _ in range(200):
        before, after = rng.normal(0, 1, 12), rng.normal(0.5, 1, 12)
        _, lo, hi = bootstrap_mean_difference(
            before, after, n_boot=400, seed=int(rng.integers(1e6))
        )
        hits += lo <= 0.5 <= hi
    assert 0.85 <= hits / 200 <= 0.99  # percentile intervals run a little narrow at n = 12


def test_thin_data_is_not_a_number():
    t = pd.DataFrame({"start_time": pd.date_range("2026-01-01", periods=6, freq="7D", tz="UTC"),
                      "x": np.arange(6.0)})  # fmt: skip
    r = before_after(t, "x", pd.Timestamp("2026-01-20"), asof=pd.Timestamp("2026-02-15"))
    assert r.verdict == "not enough data" and r.change is None
    assert r.text.startswith("Not enough data yet to compare: 3 runs before the plan and 1 from")
