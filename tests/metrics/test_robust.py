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


# --- huber_fits: Newton steps at a fixed scale, several responses at once ----------------------
def _fixed_scale_loss(X, y, b, k):
    """Huber's loss of ``y ~ X b`` at huber_fit's fixed scale (MAD of the least squares)."""
    r0 = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
    c = k * 1.4826 * np.median(np.abs(r0 - np.median(r0)))
    a = np.abs(y - X @ b)
    return float(np.sum(np.where(a <= c, a**2 / 2, c * a - c * c / 2)))


def _irls(X, y, k, n_iter, tol=1e-12):
    """Reweighting steps only, at most ``n_iter`` of them, stopped when a step moves the
    coefficients by at most ``tol * scale`` (huber_fit before the Newton steps: 10, 1e-6)."""
    from analyzer.metrics.robust import _reweighted

    b = np.linalg.solve(X.T @ X, X.T @ y)
    r = y - X @ b
    scale = 1.4826 * np.median(np.abs(r - np.median(r)))
    for _ in range(n_iter):
        new = _reweighted(X, y, b, k * scale)
        done = np.max(np.abs(new - b)) <= tol * scale
        b = new
        if done:
            break
    return b


@pytest.mark.parametrize("seed", range(20))
def test_huber_fits_reaches_the_minimum_of_each_column(seed):
    from analyzer.metrics.robust import huber_fit, huber_fits

    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 3000))
    X = np.column_stack(
        [np.ones(n), rng.normal(size=n), rng.uniform(-1, 1, n), rng.integers(0, 2, n)]
    )
    Y = np.column_stack([X @ rng.normal(size=4) + rng.standard_t(2, n) * s for s in (0.5, 3, 10)])
    Y[: n // 10, 1] += 50  # a block of outliers in one column
    got = huber_fits(X, Y, k=1.345)
    for j in range(Y.shape[1]):
        exact = _irls(X, Y[:, j], 1.345, 2000)
        assert got[:, j] == pytest.approx(exact, rel=1e-7, abs=1e-7)
        assert huber_fit(X, Y[:, j], k=1.345) == pytest.approx(got[:, j], rel=1e-12, abs=1e-12)
        assert (
            _fixed_scale_loss(X, Y[:, j], got[:, j], 1.345)
            <= _fixed_scale_loss(X, Y[:, j], _irls(X, Y[:, j], 1.345, 10), 1.345) + 1e-9
        )


def test_huber_fits_without_spread_or_outliers():
    from analyzer.metrics.robust import huber_fits

    X = np.column_stack([np.ones(50), np.arange(50.0)])
    Y = np.column_stack([3 + 2 * X[:, 1], np.full(50, 7.0)])  # exact line; constant
    got = huber_fits(X, Y, k=1.345)
    assert got[:, 0] == pytest.approx([3, 2]) and got[:, 1] == pytest.approx([7, 0], abs=1e-12)
