"""Issue 12's acceptance figures on a scenario cohort with seeds nobody tuned to, and the harness.

The cohort is judged as the CLI would judge it (``trends.trends`` + ``flag_changes``,
``load.weekly`` + ``risk.assess_frames``, ``plan.recommend``, as of each week end and each
deadline). Athletes with a change are judged every 4th week plus their deadlines, controls every
2nd week, to keep the suite fast; ``benchmarks/judgement.py`` judges every week.
"""

from __future__ import annotations

import pandas as pd
import pytest

from analyzer.simulate.evaluate import evaluate_cohort, judge_asof, read_flags
from analyzer.simulate.figures import TARGETS, acceptance_figures, format_figures
from analyzer.simulate.judged import Judgement
from analyzer.simulate.scenario_cohort import cohort
from analyzer.simulate.summaries import cohort_summaries

pytestmark = pytest.mark.xdist_group("judgement")

#: Seeds never used while building the scenarios or the harness.
UNTUNED_SEED = 2027


@pytest.fixture(scope="module")
def data():
    return cohort_summaries(cohort(UNTUNED_SEED, size="small", weeks=36))


@pytest.fixture(scope="module")
def evaluation(data):
    return evaluate_cohort(data, stride=4, control_stride=2)


def _check(figures: dict, name: str) -> None:
    f = figures[name]
    assert f["value"] is not None, f"{name}: {f['note']}"
    op, target = TARGETS[name]
    if op == ">=":
        assert f["value"] >= target, format_figures({name: f})
    elif op == "<=":
        assert f["value"] <= target, format_figures({name: f})
    else:
        assert f["value"] == target, format_figures({name: f})


@pytest.mark.parametrize("name", list(TARGETS))
def test_acceptance_figure(evaluation, name):
    _check(evaluation["figures"], name)


def test_every_figure_is_computed_for_its_cases(evaluation):
    figures = evaluation["figures"]
    assert set(TARGETS) <= set(figures)
    for name in TARGETS:
        assert figures[name]["n"] > 0, name
    for r in evaluation["athletes"].values():
        weekly = r["points"]["weekly"]
        assert weekly and weekly[-1].asof == max(j.asof for j in weekly)
        assert all(j.asof.day_of_week == 6 for j in weekly)  # Sunday week ends
    breaks = [j for r in evaluation["athletes"].values() for j in r["points"]["break"]]
    assert breaks and all(j.n_runs > 0 for j in breaks)


def test_judgement_uses_only_runs_up_to_asof(data):
    rows, truth = data["sudden_00"]
    asof = pd.to_datetime(truth["changes"][0]["onset"], utc=True)
    j = judge_asof(rows, asof, "sudden_00")
    assert j.n_runs == int((rows["start_time"] <= asof).sum()) < len(rows)
    assert j.level in ("low", "moderate", "high") and j.error is None
    early = judge_asof(rows, rows["start_time"].min() - pd.Timedelta(days=1))
    assert early.n_runs == 0 and early.error == "no runs yet" and early.level is None


def test_missing_columns_make_figures_not_measurable(evaluation):
    tr = pd.DataFrame({"start_time": pd.to_datetime(["2026-06-01"], utc=True)})
    flags, events, missing = read_flags(pd.DataFrame({"metric": [], "onset": []}), tr)
    assert flags is None and events is None and missing == ["flag_changes.side"]
    # the same athletes, as if flag_changes had no side and the plan no side attribute
    crippled = {}
    for name, r in evaluation["athletes"].items():
        points = {
            purpose: [
                Judgement(
                    asof=j.asof,
                    n_runs=j.n_runs,
                    level=j.level,
                    plan_side="n/a",
                    missing=["flag_changes.side", "Plan.side"],
                )
                for j in js
            ]
            for purpose, js in r["points"].items()
        }
        crippled[name] = {"truth": r["truth"], "points": points}
    figures = acceptance_figures(crippled)
    for name in (
        "sustained_shift_flagged_14d",
        "sustained_shift_persists",
        "false_flags_per_athlete_year",
        "transients_cleared_7d",
        "plan_side_matches",
        "cadence_drop_flagged_21d",
    ):
        assert figures[name]["value"] is None and figures[name]["passed"] is None, name
        assert "flag_changes.side" in figures[name]["note"], name
    assert "not measurable" in format_figures(figures)
    # levels were still there, so the level figures stay measurable
    assert figures["controls_below_moderate"]["value"] is not None


def test_active_flag_read_from_an_end_column():
    tr = pd.DataFrame(
        {
            "start_time": pd.to_datetime(["2026-06-01", "2026-06-08", "2026-06-15"], utc=True),
            "gct_balance_left_median_pct": [50.0, 51.2, 51.3],
        }
    )
    fc = pd.DataFrame(
        {
            "metric": ["gct_balance_left_pct", "gct_balance_left_pct"],
            "onset": pd.to_datetime(["2026-06-01", "2026-06-08"], utc=True),
            "side": ["right", "left"],
            "end": [pd.Timestamp("2026-06-05", tz="UTC"), pd.NaT],
        }
    )
    flags, events, missing = read_flags(fc, tr)
    assert missing == [] and len(events) == 2
    assert [(f["side"], f["onset"].day) for f in flags] == [("left", 8)]
