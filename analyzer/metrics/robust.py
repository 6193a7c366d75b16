"""Robust straight-line fit (Huber loss with a jointly estimated scale), in numpy only.

The same estimator as :class:`sklearn.linear_model.HuberRegressor` with ``alpha=0``: it
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
        a = np.abs(y - A @ beta)
        w = np.where(a <= epsilon * sigma, 1.0, epsilon * sigma / np.maximum(a, MIN_SCALE))
        Aw = A * w[:, None]
        beta = np.linalg.solve(Aw.T @ A, Aw.T @ y)
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
