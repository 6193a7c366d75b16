"""Training on a labelled injury log: grouped CV recovers a known hazard and finds no signal in noise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analyzer import risk
from analyzer.errors import AnalyzerError, NotEnoughData
from analyzer.risk import training
from analyzer.risk.features import FEATURES

N_ATHLETES, N_OBS = 400, 8


@pytest.fixture(scope="module")
def informative():
    X, y, g, p = training.simulate_cohort(N_ATHLETES, N_OBS, informative=True, seed=0)
    return X, y, g, p, training.cross_validate(X, y, g)


def test_cohort_shape_and_base_rate(informative):
    X, y, g, p, _ = informative
    assert X.shape == (N_ATHLETES * N_OBS, len(FEATURES))
    assert (X >= 0).all().all()
    assert len(set(g)) == N_ATHLETES
    assert 0.1 < y.mean() < 0.3


def test_grouped_cv_auc_is_close_to_the_true_hazard_auc(informative):
    X, y, g, p, ev = informative
    ceiling = training.true_auc(y, p)
    assert ceiling > 0.65  # the hazard carries real signal
    assert abs(ev["auc"] - ceiling) <= 0.05, (ev["auc"], ceiling)
    assert len(ev["auc_folds"]) == 5
    assert 0 < ev["brier"] < 0.25
    assert ev["n_athletes"] == N_ATHLETES and ev["n_injuries"] == int(y.sum())


def test_calibration_table_covers_every_sample(informative):
    *_, ev = informative
    cal = ev["calibration"]
    assert sum(b["n"] for b in cal) == N_ATHLETES * N_OBS
    means = [b["mean_score"] for b in cal]
    assert means == sorted(means)
    # higher score bins see more injuries (the model ranks in the right direction)
    assert cal[-1]["observed_rate"] > cal[0]["observed_rate"]


@pytest.mark.parametrize("seed", [1, 2])
def test_labels_unrelated_to_features_give_auc_one_half(seed):
    X, y, g, _ = training.simulate_cohort(N_ATHLETES, N_OBS, informative=False, seed=seed)
    ev = training.cross_validate(X, y, g)
    assert abs(ev["auc"] - 0.5) <= 0.05, ev["auc"]


def test_trained_model_recovers_the_hazard_direction(informative):
    X, y, g, _, _ = informative
    model, ev = training.train(X, y, g)
    coef = dict(zip(model.features_, model.coef_, strict=True))
    # the strongest true drivers come out clearly positive; an absent one stays near zero
    assert coef["balance_shift_pts"] > 0.6
    assert coef["fatigue_asymmetry_pts"] > 0.6
    assert coef["progression_excess_pct"] < 0.01


def test_athletes_never_span_train_and_test(monkeypatch):
    """The project's cross-validation (``training.cross_validate``), not scikit-learn's splitter:
    every fold's model is fitted on athletes that none of the rows it then scores belong to."""
    from analyzer.risk.model import ImbalanceRiskModel

    X, y, g, _ = training.simulate_cohort(30, 3, seed=4)
    X = X.copy()
    X["gct_excess_ms"] = [float(name[3:]) for name in g]  # each row says whose it is
    seen: list[tuple[set, set]] = []
    fit, proba = ImbalanceRiskModel.fit, ImbalanceRiskModel.predict_proba

    def spy_fit(self, X_, y_, *a, **k):
        seen.append((set(pd.DataFrame(X_)["gct_excess_ms"]), set()))
        return fit(self, X_, y_, *a, **k)

    def spy_proba(self, X_):
        if seen and not seen[-1][1]:
            seen[-1][1].update(pd.DataFrame(X_, columns=list(X.columns))["gct_excess_ms"])
        return proba(self, X_)

    monkeypatch.setattr(ImbalanceRiskModel, "fit", spy_fit)
    monkeypatch.setattr(ImbalanceRiskModel, "predict_proba", spy_proba)
    ev = training.cross_validate(X, y, g, n_splits=5)
    assert len(seen) == ev["n_splits"] == 5
    for trained_on, scored in seen:
        assert scored and not trained_on & scored
    assert set().union(*(s for _, s in seen)) == set(X["gct_excess_ms"])  # every athlete scored


def test_too_few_injuries_or_athletes_is_refused_with_the_numbers_needed():
    X, y, g, _ = training.simulate_cohort(6, 3, seed=5)
    with pytest.raises(NotEnoughData) as exc:
        training.train(X, y, g)
    msg = str(exc.value)
    assert f"need at least {training.MIN_ATHLETES}" in msg
    assert f"need at least {training.MIN_INJURIES}" in msg


def test_train_then_save_and_score(tmp_path, informative):
    X, y, g, _, _ = informative
    model, ev = training.train(X, y, g)
    path = model.save(tmp_path / "m.json", training=ev)
    back = risk.load_model(path)
    np.testing.assert_allclose(back.score_index(X.iloc[:20]), model.score_index(X.iloc[:20]))


# ---- labels CSV ---------------------------------------------------------------------------------
def test_read_labels(tmp_path):
    p = tmp_path / "injuries.csv"
    p.write_text(
        "athlete,date,injured,side,body_part\n"
        "ann,2026-03-01,1,left,knee\n"
        "bob,2026-03-02,no,,\n"
        "ann,2026-04-01,TRUE,Right,ITB\n"
    )
    df = training.read_labels(p)
    assert df["injured"].tolist() == [1, 0, 1]
    assert df["side"].tolist() == ["left", "", "right"]
    assert df["date"].iloc[0] == pd.Timestamp("2026-03-01", tz="UTC")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("athlete,when,injured\nann,2026-01-01,1\n", "missing column"),
        ("athlete,date,injured\nann,yesterday,1\n", "unreadable date"),
        ("athlete,date,injured\nann,2026-01-01,maybe\n", "must be 1/0"),
    ],
)
def test_bad_labels_files_are_refused(tmp_path, text, message):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(AnalyzerError, match=message):
        training.read_labels(p)


def test_missing_labels_file(tmp_path):
    with pytest.raises(AnalyzerError, match="not found"):
        training.read_labels(tmp_path / "none.csv")
