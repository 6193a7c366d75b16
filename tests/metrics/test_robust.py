"""The numpy Huber line equals scikit-learn's HuberRegressor (alpha=0) to its tolerance."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from analyzer.metrics.robust import huber_line


def _best_objective(c, w, x, y, eps=1.35):
    """scikit-learn's Huber objective at (c, w), minimised over a fine grid of scales."""
    r = np.abs(y - c - w * x)[None, :]
    sigma = np.geomspace(1e-3, 10, 4000)[:, None]
    out = r > eps * sigma
    inner = np.where(out, 2 * eps * r - eps**2 * sigma, r**2 / sigma).sum(axis=1)
    return float((len(y) * sigma[:, 0] + inner).min())


@pytest.mark.parametrize("seed", range(12))
def test_matches_scikit_learn_huber_regressor(seed):
    sklearn = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(seed)
    n = int(rng.integers(8, 300))
    x = rng.normal(0, 0.4, n)
    y = 170 + 5 * x + rng.standard_t(2, n) * rng.uniform(0.2, 4)
    if seed % 3 == 0:
        y[: n // 5] += 40  # a block of outliers
    ys = float(np.std(y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = sklearn.HuberRegressor(epsilon=1.35, alpha=0.0, max_iter=500).fit(x[:, None], y / ys)
    c, w = huber_line(x, y / ys)
    assert c * ys == pytest.approx(ref.intercept_ * ys, rel=1e-4)
    assert w * ys == pytest.approx(ref.coef_[0] * ys, rel=1e-3, abs=1e-3)
    # and it is at least as good an optimum of the same objective (scale at its best)
    ours = _best_objective(c, w, x, y / ys)
    theirs = _best_objective(ref.intercept_, ref.coef_[0], x, y / ys)
    assert ours <= theirs + 1e-6 * abs(theirs)


def test_clean_line_is_recovered_exactly():
    x = np.linspace(-1, 1, 50)
    c, w = huber_line(x, 3.0 + 2.0 * x + 1e-9 * np.sin(40 * x))
    assert c == pytest.approx(3.0, abs=1e-6) and w == pytest.approx(2.0, abs=1e-6)
