"""The fatigue drifts of ``gait.summarize`` on the real corpus: the batched Newton fit
(``robust.huber_fits``) against the reweighting fit the drifts had before it.

Tolerance: every drift is the exact minimum of its fixed-scale Huber loss to 1e-6 [the
metric's unit], and equals the old 10-step reweighting fit to 1e-3, except where those 10
steps stopped short of that minimum (their loss is higher): the new value is then the better
fit, as 2,000 reweighting steps confirm.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import corpus_available
from fitcache import RUN_CATEGORIES, activity, entries
from test_robust import _fixed_scale_loss, _irls

from analyzer.errors import AnalyzerError
from analyzer.metrics import gait

pytestmark = pytest.mark.skipif(not corpus_available(), reason="../shared/fit-corpus is absent")

DRIFTS = [key for _, key in gait._DRIFT]


def _records():
    out = []
    for e in entries(*RUN_CATEGORIES, "non_running", "walk_dynamics", "chained_valid", "edge"):
        try:
            rec = activity(e["file"]).records
        except AnalyzerError:
            continue
        if len(rec) > 100:
            out.append((e["file"], rec))
    return out


def _columnwise(n_iter, tol, seen=None):
    def fit(X, Y, *, k):
        cols = []
        for j in range(Y.shape[1]):
            b = _irls(X, Y[:, j], k, n_iter, tol)
            if seen is not None:
                seen.append((X, Y[:, j], k, b))
            cols.append(b)
        return np.column_stack(cols)

    return fit


@pytest.mark.slow
def test_drifts_are_the_minimum_and_agree_with_the_old_fit(monkeypatch):
    records = _records()
    assert len(records) >= 20
    new = [gait.summarize(r) for _, r in records]
    monkeypatch.setattr(gait, "huber_fits", _columnwise(2000, 1e-12))
    exact = [gait.summarize(r) for _, r in records]
    old_fits: list = []
    monkeypatch.setattr(gait, "huber_fits", _columnwise(10, 1e-6, old_fits))
    old = [gait.summarize(r) for _, r in records]
    short = {
        round(float(b[-1]), 9)
        for X, y, k, b in old_fits
        if _fixed_scale_loss(X, y, b, k) > _fixed_scale_loss(X, y, _irls(X, y, k, 2000), k) + 1e-9
    }
    compared = 0
    for (name, _), a, e, o in zip(records, new, exact, old, strict=True):
        for key in DRIFTS:
            x, ex, ol = (float(s[key]) for s in (a, e, o))  # new, exact, old
            if math.isnan(ol):
                assert math.isnan(x), (name, key)
                continue
            compared += 1
            assert x == pytest.approx(ex, abs=1e-6), (name, key)
            if round(ol, 9) not in short:
                assert x == pytest.approx(ol, abs=1e-3), (name, key)
    assert compared >= 40
