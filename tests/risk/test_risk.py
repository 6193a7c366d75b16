"""The imbalance-risk estimator: sklearn conventions, monotonicity, explanations, model files."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.utils.estimator_checks import parametrize_with_checks
from synth import synth_trends

from analyzer import risk
from analyzer.errors import ModelFileError, NotEnoughData
from analyzer.risk import features
from analyzer.risk.features import FEATURES
from analyzer.risk.model import ImbalanceRiskModel


# ---- scikit-learn conventions ---------------------------------------------------------------
# The full check suite runs. Two tags document what is skipped and why (see the class):
# multi_class=False (the index is binary: injured or not) and poor_score=True (coefficients are
# constrained >= 0 by design, so blobs separated by a negative relation cannot be fitted).
@parametrize_with_checks([ImbalanceRiskModel()])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_init_only_stores_params_and_rejects_positional():
    m = ImbalanceRiskModel(C=0.5)
    assert m.get_params() == {"C": 0.5, "max_iter": 500, "tol": 1e-8}
    with pytest.raises(TypeError):
        ImbalanceRiskModel(0.5)  # keyword-only


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), "x"])
def test_bad_C_is_named_in_the_error(bad):
    X = np.abs(np.random.default_rng(0).normal(size=(20, 3)))
    y = np.r_[np.zeros(10), np.ones(10)]
    with pytest.raises(ValueError, match="C must be"):
        ImbalanceRiskModel(C=bad).fit(X, y)


def test_fitted_coefficients_are_non_negative_even_for_a_protective_feature():
    rng = np.random.default_rng(1)
    X = np.abs(rng.normal(size=(400, 2)))
    y = (rng.random(400) < 1 / (1 + np.exp(-(-1 + 2 * X[:, 0] - 2 * X[:, 1])))).astype(int)
    m = ImbalanceRiskModel().fit(X, y)
    assert m.coef_[0] > 0.5
    assert m.coef_[1] == 0.0


# ---- priors, monotonicity, levels -----------------------------------------------------------
@pytest.fixture(scope="module")
def prior() -> ImbalanceRiskModel:
    return risk.default_model()


def test_priors_document_every_feature(prior):
    raw = risk.priors()
    assert prior.features_ == list(FEATURES)
    for f in FEATURES:
        ev = raw["drivers"][f]
        assert ev["source"] and ev["note"]
        assert ev["grade"] in {"A", "B", "C", "D", "weak", "contested"}
        assert raw["coefficients"][f] >= 0
    # change against the own baseline and fatigue growth weigh more than absolute asymmetry
    c = raw["coefficients"]
    assert c["balance_shift_pts"] > c["balance_beyond_band_pts"]
    assert c["fatigue_asymmetry_pts"] > c["balance_beyond_band_pts"]


@settings(max_examples=200, deadline=None)
@given(
    base=st.lists(
        st.floats(0, 20, allow_nan=False), min_size=len(FEATURES), max_size=len(FEATURES)
    ),
    which=st.integers(0, len(FEATURES) - 1),
    bump=st.floats(0, 20, allow_nan=False),
)
def test_worsening_any_driver_never_lowers_the_index(prior, base, which, bump):
    x = np.array(base)
    y = x.copy()
    y[which] += bump
    X = pd.DataFrame([x, y], columns=list(FEATURES))
    lo, hi = prior.score_index(X)
    assert hi >= lo


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 5, allow_nan=False), min_size=len(FEATURES), max_size=len(FEATURES)))
def test_contributions_add_up_to_the_rise_above_the_all_clear_runner(prior, vals):
    x = pd.Series(vals, index=list(FEATURES))
    rows = prior.explain(x)
    index = prior.score_index(pd.DataFrame([x]))[0]
    base = prior.score_index(pd.DataFrame([np.zeros(len(FEATURES))], columns=list(FEATURES)))[0]
    assert sum(r["contribution"] for r in rows) == pytest.approx(index - base, abs=1e-6)
    assert all(r["contribution"] >= 0 for r in rows)
    assert [r["contribution"] for r in rows] == sorted(
        (r["contribution"] for r in rows), reverse=True
    )


def test_levels_and_cut_offs():
    assert risk.level_of(0) == "low"
    assert risk.level_of(risk.LOW_MAX - 0.01) == "low"
    assert risk.level_of(risk.LOW_MAX) == "moderate"
    assert risk.level_of(risk.MODERATE_MAX) == "high"
    assert risk.level_of(100) == "high"


def test_steady_symmetric_runner_scores_low():
    a = risk.assess_frames(synth_trends(60, seed=3))
    assert a.level == "low"
    assert a.index < 10
    assert not a.flagged


def test_balance_shift_raises_the_index_and_names_the_runner_numbers():
    tr = synth_trends(60, seed=4, onset=45)
    before = risk.assess_frames(tr, asof=tr["start_time"].iloc[44])
    after = risk.assess_frames(tr, asof=tr["start_time"].iloc[52])
    assert before.level == "low"
    assert after.level in ("moderate", "high")
    top = after.drivers[0]
    assert top.feature == "balance_shift_pts" and top.flagged
    assert "points further onto the left foot" in top.text and "51." in top.text
    assert "% R" not in top.text and "right" not in top.text  # one side throughout
    assert top.status == "ok" and top.dates["recent"]["end"] in top.text
    assert top.grade and top.source
    assert after.context["balance_side"] == "left"


def test_steady_asymmetric_runner_is_not_high():
    """Absolute asymmetry has weak evidence (Malisoux 2024): a long-standing 51.5 % L stays low."""
    tr = synth_trends(60, seed=5, onset=0, shift_pts=1.5, fatigue_pts=0.0)
    a = risk.assess_frames(tr)
    assert a.features["balance_shift_pts"] < 0.3
    assert a.level == "low"


def test_disclaimer_in_output_and_json_is_valid():
    d = risk.assess_frames(synth_trends(40)).to_dict()
    assert "not a diagnosis" in d["disclaimer"]
    text = json.dumps(d, allow_nan=False)  # no NaN leaks into JSON
    assert '"drivers"' in text
    assert d["levels"] == {"low_below": risk.LOW_MAX, "moderate_below": risk.MODERATE_MAX}


def test_missing_columns_are_not_evidence_of_risk():
    tr = synth_trends(30)[["start_time", "gct_balance_left_median_pct"]]
    f, ctx = features.compute(tr)
    assert (f >= 0).all() and np.isfinite(f).all()
    assert "cadence_deficit_pct" in ctx["missing"] and f["cadence_deficit_pct"] == 0


def test_no_recent_runs_is_not_enough_data():
    tr = synth_trends(10)
    with pytest.raises(NotEnoughData, match="no runs in the 14 days"):
        features.compute(tr, asof="2027-01-01")
    with pytest.raises(NotEnoughData):
        features.compute(tr.iloc[:0])


def _spike(factor: float, n: int = 60) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A steady 35 km/week runner whose last week is ``factor`` times the usual distance."""
    from analyzer.metrics import load

    km = np.full(n, 10.0)
    tr = synth_trends(n, seed=2)
    last_week = tr["start_time"] > tr["start_time"].iloc[-1] - pd.Timedelta(days=7)
    km[last_week.to_numpy()] *= factor
    tr = synth_trends(n, seed=2, distance_km=km)
    return tr, load.weekly(tr)


def test_load_spike_feature_from_weekly():
    tr, wk = _spike(3.0)
    f, ctx = features.compute(tr, wk)
    assert ctx["status"]["acwr_excess"] == "ok"
    # the uncoupled ratio of the spiky week: this week over the mean of the 3 before
    expected = float(wk["acwr_uncoupled"].iloc[-2:].max())
    assert expected > 1.5
    assert f["acwr_excess"] == pytest.approx(min(expected - 1.3, 1.0))
    assert f["progression_excess_pct"] > 0
    f2, _ = features.compute(tr, wk, asof=tr["start_time"].iloc[-8])  # before the spiky week
    assert f2["acwr_excess"] == 0 and f2["progression_excess_pct"] == 0


def test_load_features_saturate():
    """An ACWR of 10 counts no more than 2.3, and contested drivers alone cannot make "high"."""
    tr, wk = _spike(4.0)
    huge, _ = _spike(12.0)
    f_capped = features.compute(tr, wk)[0]
    f_huge = features.compute(huge, _spike(12.0)[1])[0]
    assert f_huge["acwr_excess"] == f_capped["acwr_excess"] == pytest.approx(1.0)
    assert f_huge["progression_excess_pct"] == pytest.approx(100)
    a = risk.assess_frames(huge, _spike(12.0)[1])
    assert a.index <= risk.default_model().max_contested_index_ + 1e-9 < 50, a.index
    assert a.level != "high"


def test_feature_timeline_one_row_per_run_date():
    tr = synth_trends(40, onset=30)
    tl = features.feature_timeline(tr)
    assert len(tl) == 40
    assert list(tl.columns[1:-1]) == list(FEATURES)
    assert tl["balance_shift_pts"].iloc[:30].max() < 0.7
    assert tl["balance_shift_pts"].iloc[33:37].min() > 1.0


# ---- model files --------------------------------------------------------------------------------
def test_model_json_round_trip(tmp_path):
    from analyzer.risk import training

    X, y, g, _ = training.simulate_cohort(60, 4, seed=2)
    m = ImbalanceRiskModel(C=2.0).fit(X, y)
    path = m.save(tmp_path / "model.json", training={"auc": 0.7})
    back = risk.load_model(path)
    np.testing.assert_allclose(back.coef_, m.coef_)
    assert back.intercept_ == pytest.approx(m.intercept_)
    assert back.C == 2.0
    np.testing.assert_allclose(back.score_index(X), m.score_index(X))
    d = json.loads(path.read_text())
    assert d["format_version"] == risk.MODEL_FORMAT_VERSION and d["features"] == list(FEATURES)
    assert d["drivers"]["balance_shift_pts"]["grade"]


def _write(tmp_path, obj) -> str:
    p = tmp_path / "m.json"
    p.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return p


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: "{not json", "not valid JSON"),
        (lambda d: [1, 2], "expected a JSON object"),
        (lambda d: {**d, "format": "pickle"}, "not an analyzer model"),
        (lambda d: {**d, "format_version": 99}, "version 99 is not supported"),
        (
            lambda d: {
                **d,
                "features": [*d["features"], "shoe_age_km"],
                "coefficients": {**d["coefficients"], "shoe_age_km": 1.0},
            },
            "unknown features",
        ),
        (
            lambda d: {**d, "coefficients": {**d["coefficients"], "gct_excess_ms": -1}},
            "monotonicity",
        ),
        (
            lambda d: {**d, "coefficients": {**d["coefficients"], "gct_excess_ms": "a"}},
            "must be numbers",
        ),
        (lambda d: {**d, "intercept": None}, "must be numbers"),
        (lambda d: {k: v for k, v in d.items() if k != "coefficients"}, "one number per feature"),
    ],
)
def test_bad_model_files_are_refused(tmp_path, mutate, message):
    good = risk.default_model().to_dict(kind="priors")
    with pytest.raises(ModelFileError, match=message):
        risk.load_model(_write(tmp_path, mutate(good)))


def test_missing_model_file_and_no_pickle(tmp_path):
    with pytest.raises(ModelFileError, match="not found"):
        risk.load_model(tmp_path / "nope.json")
    import pickle

    p = tmp_path / "model.pkl"
    p.write_bytes(pickle.dumps({"format": "x"}))
    with pytest.raises(ModelFileError, match="JSON"):
        risk.load_model(p)


def test_oversized_model_file_is_refused(tmp_path):
    p = tmp_path / "big.json"
    p.write_text(" " * (risk.MAX_MODEL_BYTES + 1))
    with pytest.raises(ModelFileError, match="too large"):
        risk.load_model(p)


def test_model_over_unknown_columns_cannot_be_saved(tmp_path):
    X = pd.DataFrame({"shoe_age_km": [0.0, 1.0, 2.0, 3.0]})
    m = ImbalanceRiskModel().fit(X, [0, 0, 1, 1])
    with pytest.raises(ValueError, match="unknown features"):
        m.save(tmp_path / "m.json")


def test_athlete_features_carries_the_context():
    tr = synth_trends(60, seed=4, onset=45)
    f = features.athlete_features(tr, None, asof=tr["start_time"].iloc[52])
    assert list(f.index) == list(FEATURES)
    ctx = f.attrs["context"]
    assert ctx["balance_side"] == "left" and ctx["balance_shift_toward"] == "left"
    assert ctx["balance_recent_pct"] > 51 and abs(ctx["balance_reference_pct"] - 50) < 0.3
    assert ctx["n_recent_runs"] == 7


def test_subset_model_scores_with_its_own_features(tmp_path):
    d = risk.default_model().to_dict()
    d["features"] = ["balance_shift_pts"]
    d["coefficients"] = {"balance_shift_pts": 2.0}
    m = risk.load_model(_write(tmp_path, d))
    a = risk.assess_frames(synth_trends(60, onset=45), model=m, asof="2026-04-15")
    assert [x.feature for x in a.drivers] == ["balance_shift_pts"]
    assert math.isfinite(a.index)


@settings(max_examples=25, deadline=None)
@given(
    a=st.floats(0, 3, allow_nan=False),
    b=st.floats(0, 3, allow_nan=False),
    fatigue=st.floats(0, 1.5, allow_nan=False),
)
def test_a_bigger_shift_in_the_runs_never_scores_lower(a, b, fatigue):
    """Monotonic end to end: from gait-trend rows through features to the index.

    Noise-free runs: with run-to-run noise a tiny shift can land on the other side of the
    baseline, and |recent - baseline| is then legitimately smaller.
    """
    lo, hi = sorted((a, b))
    scores = []
    for shift in (lo, hi):
        tr = synth_trends(50, seed=11, onset=40, shift_pts=shift, fatigue_pts=fatigue, noise=0)
        scores.append(risk.assess_frames(tr, asof=tr["start_time"].iloc[47]).index)
    assert scores[1] >= scores[0] - 1e-9
