"""Huber regression in numpy only: the one place the package fits Huber's loss.

Two estimators share one reweighted least-squares step (:func:`_reweighted`):
:func:`huber_fit` (and :func:`huber_fits`, the same for several responses at once), several coefficients with the residual scale fixed from the least-squares
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
    return huber_fits(X, np.asarray(y, dtype=float)[:, None], k=k, n_iter=n_iter)[:, 0]


def huber_fits(X: np.ndarray, Y: np.ndarray, *, k: float, n_iter: int = 10) -> np.ndarray:
    """:func:`huber_fit` of every column of ``Y`` on the same design ``X``, all at once.

    Each column has its own scale (the scaled MAD of its least-squares residuals, as in
    :func:`huber_fit`). The loss at that fixed scale is convex and piecewise quadratic, so
    Newton's method on it (Huber 1981, sec. 7.8) ends at its exact minimum as soon as the split
    of the residuals into inside, above and below the threshold stops changing, usually after
    two or three steps instead of the five to ten reweighting steps of :func:`_reweighted`,
    and the steps of all columns are a few array operations together. A column whose split
    has not settled after ``2 * n_iter`` steps, or whose inside residuals cannot determine the
    coefficients, gets the reweighting steps instead. Reweighting stops within about
    ``1e-6 * scale`` of that minimum, so the two agree to that order (``tests/metrics``).

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Design matrix (include a column of ones for an intercept).
    Y : ndarray of shape (n, m)
    k : float
        Huber threshold in units of each column's scale [-].
    n_iter : int
        Most reweighting steps.

    Returns
    -------
    ndarray of shape (p, m)

    References
    ----------
    Huber, P. J. (1981). Robust Statistics. Wiley, section 7.8.
    """
    try:
        beta = np.linalg.solve(X.T @ X, X.T @ Y)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(X, Y, rcond=None)[0]
    R = (Y - X @ beta).T  # (m, n): one row per column of Y, so that row reductions are cheap
    scale = 1.4826 * _row_medians(np.abs(R - _row_medians(R)[:, None]))
    active = np.isfinite(scale) & (scale > MIN_SCALE)
    # Each column's split of the residuals (-1 below, 0 inside, +1 above the threshold), as
    # the bytes of an int8 row: comparing two splits is then one memcmp.
    side = [bytes(Y.shape[0])] * Y.shape[1]
    p = X.shape[1]
    XT = np.ascontiguousarray(X.T)
    newton = active.copy()
    for _ in range(2 * n_iter):
        cols = np.flatnonzero(newton)
        if not cols.size:
            break
        cut = k * scale[cols]
        r = (Y if cols.size == Y.shape[1] else Y[:, cols]) - X @ beta[:, cols]
        rows, bound = r.T, cut[:, None]
        now = (rows > bound).view(np.int8) - (rows < -bound).view(np.int8)
        keep = np.zeros(cols.size, dtype=bool)
        for i, j in enumerate(cols):
            split = now[i].tobytes()
            if split == side[j]:
                active[j] = newton[j] = False  # this split solved exactly
            elif np.count_nonzero(now[i] == 0) < p:
                newton[j] = False  # too few inside residuals: reweighting steps
            else:
                keep[i] = True
            side[j] = split
        if not keep.any():
            break
        cols, r, cut = cols[keep], r[:, keep], cut[keep]
        # Gram matrix of each column's inside rows; Huber's psi of its residuals
        gram = np.stack([(XT * inside) @ X for inside in (now[keep] == 0).astype(float)])
        grad = np.minimum(np.maximum(r, -cut), cut).T @ X
        try:
            step = np.linalg.solve(gram, grad[..., None])[..., 0].T
        except np.linalg.LinAlgError:
            break
        beta[:, cols] += step
    for j in np.flatnonzero(active):  # not settled: the reweighting steps of huber_fit
        cut = k * scale[j]
        for _ in range(n_iter):
            new = _reweighted(X, Y[:, j], beta[:, j], cut)
            done = np.max(np.abs(new - beta[:, j])) <= 1e-6 * scale[j]
            beta[:, j] = new
            if done:
                break
    return beta


def _row_medians(a: np.ndarray) -> np.ndarray:
    """``np.median(a, axis=1)`` of a 2-D array, to the last bit (NaN for a row holding NaN),
    from one sort of its rows: cheaper than numpy's partition for a few long rows."""
    s = np.sort(a, axis=1)
    half = s.shape[1] // 2
    mid = s[:, half] if s.shape[1] % 2 else (s[:, half - 1] + s[:, half]) / 2.0
    return np.where(np.isnan(s[:, -1]), np.nan, mid)


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
