"""The eight exercises as data and the plan: ranking per driver pattern, side, dose, safety."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from synth import synth_trends

from analyzer import risk
from analyzer.plan import exercises
from analyzer.plan.exercises import BY_ID, EXERCISES, FRONTAL_PLANE, recommend

SEED = (
    Path(__file__).resolve().parents[2].parent / "shared" / "seed" / "hip-exercises-for-runners.txt"
)


def test_eight_exercises_with_complete_facts():
    assert [e.id for e in EXERCISES] == [
        "bridge",
        "hip_circles",
        "clamshell",
        "side_leg_raises",
        "lateral_band_walks",
        "squats",
        "banded_side_step",
        "quadruped_hip_extension",
    ]
    for e in EXERCISES:
        assert e.works and e.how_to and e.progression and e.cautions and e.dose["text"]
        assert e.dose["sets"] >= 1 and e.dose["reps"] >= 1
    # doses the seed gives
    assert BY_ID["bridge"].dose["text"] == "3 sets of 10"
    assert "20 circles" in BY_ID["hip_circles"].dose["text"]
    assert BY_ID["clamshell"].dose["per_side"]
    assert "band" in BY_ID["clamshell"].progression
    assert "ankle" in BY_ID["banded_side_step"].progression
    # doses the seed does not give are marked as ours
    for ex in ("squats", "banded_side_step", "quadruped_hip_extension"):
        assert BY_ID[ex].dose_source.startswith("analyzer")


@pytest.mark.skipif(not SEED.is_file(), reason="../shared/seed is absent")
def test_instructions_are_our_own_words():
    """No sentence-length run of words is copied from the seed article."""
    seed_words = SEED.read_text().lower().split()
    grams = {" ".join(seed_words[i : i + 8]) for i in range(len(seed_words) - 7)}
    for e in EXERCISES:
        for text in (*e.how_to, e.cautions, e.progression, e.works):
            w = text.lower().split()
            for i in range(len(w) - 7):
                assert " ".join(w[i : i + 8]) not in grams, (e.id, text)


def test_every_link_has_a_reason_and_citation():
    for name, g in exercises.GROUPS.items():
        assert g["links"], name
        for link in g["links"]:
            assert link["exercise"] in BY_ID
            assert link["reason"] and link["cite"]
    mapped = {f for g in exercises.GROUPS.values() for f in g["features"]}
    assert mapped == set(risk.FEATURES)


def _plan(tr, **kw):
    return recommend(risk.assess_frames(tr, **kw))


def test_balance_shift_puts_frontal_plane_stabilisers_first_with_extra_set_on_that_side():
    tr = synth_trends(60, seed=4, onset=45)
    plan = _plan(tr, asof=tr["start_time"].iloc[52])
    top = [i.exercise for i in plan.items[:3]]
    assert set(top) <= set(FRONTAL_PLANE), top
    assert plan.side == "left"
    extra = [i for i in plan.items if i.extra_sets]
    assert extra and all(i.side == "left" for i in extra)
    assert all(BY_ID[i.exercise].unilateral for i in extra)
    assert "not a finding" in plan.side_reasoning
    assert "points further onto the left foot" in plan.side_reasoning
    assert "2026-01-01" in plan.side_reasoning  # the reference period's dates
    assert any("51." in w for w in plan.items[0].why)  # the why carries the measured numbers


def test_right_shift_gives_the_right_side():
    tr = synth_trends(60, seed=6, onset=45, shift_pts=-1.8, fatigue_pts=-0.6)
    plan = _plan(tr, asof=tr["start_time"].iloc[52])
    assert plan.side == "right"
    assert set(i.exercise for i in plan.items[:3]) <= set(FRONTAL_PLANE)


def test_overstriding_gets_squats_and_bridge_first_and_a_cadence_cue():
    """A cadence drop at matched speed against the runner's own reference (172 -> 165 spm)."""
    tr = synth_trends(60, seed=7)
    late = np.arange(len(tr)) >= 45
    tr.loc[late, "cadence_spm_at_ref"] -= 7.0
    tr.loc[late, "cadence_median_spm"] -= 7.0
    plan = _plan(tr)
    assert [i.exercise for i in plan.items[:2]] == ["squats", "bridge"]
    assert plan.side is None
    note = next(n for n in plan.notes if "cadence" in n.lower())
    assert "aim back toward about 172 spm" in note and "2026-01-01" in note


def test_high_vertical_ratio_gets_bridge_and_quadruped():
    plan = _plan(synth_trends(40, seed=8, vr_pct=10.0))
    assert [i.exercise for i in plan.items[:2]] == ["bridge", "quadruped_hip_extension"]


def test_nothing_flagged_gives_maintenance():
    plan = _plan(synth_trends(40, seed=9))
    assert plan.maintenance
    assert [i.exercise for i in plan.items] == ["clamshell", "bridge", "hip_circles"]
    assert plan.weekly_plan["sessions_per_week"] == 2
    assert plan.side is None and all(i.extra_sets == 0 for i in plan.items)


def test_plan_from_a_dict_assessment_and_json():
    tr = synth_trends(60, seed=4, onset=45)
    a = risk.assess_frames(tr, asof=tr["start_time"].iloc[52])
    from_obj, from_dict = recommend(a).to_dict(), recommend(a.to_dict()).to_dict()
    assert [i["exercise"] for i in from_obj["items"]] == [i["exercise"] for i in from_dict["items"]]
    text = json.dumps(from_obj, allow_nan=False)
    assert "physiotherapist" in from_obj["safety_note"]
    assert "Neal" in from_obj["evidence_note"]
    assert 2 <= from_obj["weekly_plan"]["sessions_per_week"] <= 3
    for item in from_obj["items"]:
        assert item["why"] and item["dose"] and item["progression"] and item["citations"]
    assert "Banded side step" in text


def test_load_spike_says_cut_volume_first():
    a = risk.assess_frames(synth_trends(40, seed=10)).to_dict()
    for d in a["drivers"]:
        if d["feature"] == "acwr_excess":
            d.update(flagged=True, contribution=3.0, text="acute:chronic distance ratio 1.80")
    plan = recommend(a)
    assert [i.exercise for i in plan.items] == ["clamshell", "hip_circles"]
    assert any("cut running volume first" in n for n in plan.notes)
    assert plan.weekly_plan["sessions_per_week"] == 2
