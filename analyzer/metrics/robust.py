"""Huber regression in numpy only: the one place the package fits Huber's loss.

Two estimators share one reweighted least-squares step (:func:`_reweighted`):
:func:`huber_fit`, several coefficients with the residual scale fixed from the least-squares
fit (cheap; used within runs by the fatigue-drift regression of :mod:`analyzer.metrics.gait`),
and :func:`huber_line`, a straight line with a jointly estimated scale (used across runs for
each runner's speed relation). :func:`huber_line` is

the same estimator as :class:`sklearn.linear_model.HuberRegressor` with ``alpha=0``: it
minimises, over intercept ``c``, slope ``w`` and scale ``sigma > 0``,

    n * sigma + sum_{|r_i| <= eps sigma} r_i^2 / sigma + sum_{|r_i| > eps sigma} (2 eps |r_i| - eps^2 sigma)

with ``r = y - c - w x`` (Owen 2007, "A robust hybrid of lasso and ridge regression", the
concomitant-scale form scikit-learn uses). The objective is jointly convex, so alternating
an exact Huber step for ``(c, w)`` at fixed ``sigma`` (iteratively reweighted least squares)
with the closed-form ``sigma`` at fixed ``(c, w)`` reaches the same optimum as scikit-learn's
L-BFGS-B, to its tolerance. Written here so that scoring a runner does not import scikit-learn
(about a second of start-up for every ``trends``, ``risk`` and ``recommend``).
"""

from __future__ import annotations

import numpy as np

#: Relative change of the parameters below which the fit has converged [-].
TOL = 1e-10
#: Smallest scale allowed [unit of y] (scikit-learn's bound on sigma).
MIN_SCALE = 1e-12


def _reweighted(A: np.ndarray, y: np.ndarray, beta: np.ndarray, cut: float) -> np.ndarray:
    """One reweighted least-squares step of Huber's loss with threshold ``cut`` [unit of y]."""
    a = np.abs(y - A @ beta)
    w = np.where(a <= cut, 1.0, cut / np.maximum(a, MIN_SCALE))
    Aw = A * w[:, None]
    return np.linalg.solve(Aw.T @ A, Aw.T @ y)


def huber_fit(X: np.ndarray, y: np.ndarray, *, k: float, n_iter: int = 10) -> np.ndarray:
    """Huber M-estimate of the coefficients of ``y ~ X`` with a fixed residual scale.

    The scale is the scaled MAD of the least-squares residuals, fixed for the whole fit, which
    keeps it to a few small normal-equation solves and robust to spikes.

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Design matrix (include a column of ones for an intercept).
    y : ndarray of shape (n,)
    k : float
        Huber threshold in units of that scale [-].
    n_iter : int
        Most reweighting steps.

    Returns
    -------
    ndarray of shape (p,)
    """
    try:
        beta = np.linalg.solve(X.T @ X, X.T @ y)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(X, y, rcond=None)[0]
    r = y - X @ beta
    scale = 1.4826 * np.median(np.abs(r - np.median(r)))
    if not np.isfinite(scale) or scale <= MIN_SCALE:
        return beta
    for _ in range(n_iter):
        new = _reweighted(X, y, beta, k * scale)
        done = np.max(np.abs(new - beta)) <= 1e-6 * scale
        beta = new
        if done:
            break
    return beta


def huber_line(
    x: np.ndarray, y: np.ndarray, *, epsilon: float = 1.35, max_iter: int = 500
) -> tuple[float, float]:
    """Huber fit of ``y = intercept + slope * x``.

    Parameters
    ----------
    x, y : array-like of shape (n,)
        Finite values [any units].
    epsilon : float
        Huber threshold in units of the fitted scale [-] (> 1).
    max_iter : int
        Most alternations.

    Returns
    -------
    (intercept, slope) : tuple of float
        [unit of y] and [unit of y per unit of x].
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    n = x.size
    A = np.column_stack([np.ones(n), x])
    # least squares start, scale from it
    beta = np.linalg.lstsq(A, y, rcond=None)[0]
    sigma = max(float(np.sqrt(np.mean((y - A @ beta) ** 2))), MIN_SCALE)
    for _ in range(int(max_iter)):
        old = np.array([beta[0], beta[1], sigma])
        # one reweighted least-squares step for (c, w) at this scale (weights of Huber's psi)
        beta = _reweighted(A, y, beta, epsilon * sigma)
        # the scale that zeroes the objective's derivative in sigma at these residuals
        a = np.abs(y - A @ beta)
        inside = a <= epsilon * sigma
        denom = n - (n - np.count_nonzero(inside)) * epsilon**2
        if denom > 0:
            sigma = max(float(np.sqrt(np.sum(a[inside] ** 2) / denom)), MIN_SCALE)
        else:  # so many outliers that the loss still falls as sigma grows
            sigma *= 2.0
        cur = np.array([beta[0], beta[1], sigma])
        if np.all(np.abs(cur - old) <= TOL * (1.0 + np.abs(cur))):
            break
    return float(beta[0]), float(beta[1])
