"""Change detection against a frozen reference (metrics/change.py): the acceptance figures of
issue 12 on seeded synthetic run histories, and accepted baselines through the store and CLI.

The histories are per-run values as ``Store.gait`` would give them: a run every 1-3 days, a
natural balance bias per runner (sd 0.6 points), run-to-run noise 0.15-0.35 points of GCT balance
and 1.5 spm of cadence at a constant speed. Seeds are fixed so every figure is reproducible.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analyzer.cli import main
from analyzer.metrics import change, trends

T0 = pd.Timestamp("2025-01-05", tz="UTC")


def history(rng, *, days=365, shift=0.0, onset=None, ramp_days=0, duration=None, cad_drop=0.0):
    """(gait-like frame, day of each run) with an optional balance shift / cadence drop."""
    t = np.cumsum(rng.choice([1, 1, 2, 2, 2, 3], size=days))
    t = t[t < days].astype(float)
    n = t.size
    bal = 50 + rng.normal(0, 0.6) + rng.normal(0, rng.uniform(0.15, 0.35), n)
    cad = 172 + rng.normal(0, 1.5, n)
    if onset is not None:
        w = np.clip((t - onset) / ramp_days, 0, 1) if ramp_days else (t >= onset).astype(float)
        if duration is not None:
            w[t >= onset + duration] = 0.0
        bal += shift * w
        cad -= cad_drop * w
    df = pd.DataFrame(
        {
            "start_time": T0 + pd.to_timedelta(t, unit="D"),
            "gct_balance_left_median_pct": bal,
            "cadence_median_spm": cad,
            "speed_median_mps": 3.0,
            "dynamics_source": "chest_strap",
        }
    )
    return df, t


def first_flag_day(t, side, want, onset):
    hit = np.flatnonzero((t >= onset) & (side == want))
    return t[hit[0]] - onset if hit.size else np.inf


def test_sustained_one_point_shifts_are_flagged_within_14_days_on_the_right_side():
    rng = np.random.default_rng(20261201)
    n, found, persist = 40, 0, []
    for _ in range(n):
        onset, sign = rng.uniform(60, 250), rng.choice([-1, 1])
        df, t = history(rng, shift=sign * 1.0, onset=onset)
        side = trends.trends(df)["gct_balance_shift"].to_numpy()
        delay = first_flag_day(t, side, sign, onset)
        found += delay <= 14
        assert not (side[t >= onset] == -sign).any()  # never the other side
        if np.isfinite(delay):  # flags persist while the shift lasts
            persist.append((side[t >= onset + delay] == sign).mean())
    assert found / n >= 0.9, found
    assert np.mean(persist) >= 0.95, np.mean(persist)


def test_controls_have_at_most_half_a_false_flag_per_athlete_year():
    rng = np.random.default_rng(7)
    flags = sum(
        int((trends.flag_changes(trends.trends(history(rng)[0]))["metric"] != "").sum())
        for _ in range(30)
    )
    assert flags / 30 <= 0.5, flags


def test_a_one_week_wobble_clears_within_a_week():
    rng = np.random.default_rng(99)
    for _ in range(30):
        onset = rng.uniform(60, 250)
        df, t = history(rng, shift=rng.choice([-1, 1]) * 1.2, onset=onset, duration=7)
        side = trends.trends(df)["gct_balance_shift"].to_numpy()
        assert not (side[t >= onset + 14] != 0).any()


def test_gradual_drift_is_found_as_it_grows():
    rng = np.random.default_rng(5)
    for _ in range(20):
        onset = rng.uniform(60, 200)
        df, t = history(rng, shift=1.8, onset=onset, ramp_days=42)
        side = trends.trends(df)["gct_balance_shift"].to_numpy()
        # found before the drift is complete, and still flagged at the end of the year
        assert first_flag_day(t, side, 1, onset) < 42 and side[-1] == 1


def test_cadence_drop_of_4_spm_at_matched_speed_is_flagged_within_21_days():
    rng = np.random.default_rng(11)
    n, found = 30, 0
    for _ in range(n):
        onset = rng.uniform(60, 250)
        df, t = history(rng, onset=onset, cad_drop=4.0)
        tr = trends.trends(df)
        found += first_flag_day(t, tr["cadence_spm_shift"].to_numpy(), -1, onset) <= 21
        ev = trends.flag_changes(tr)
        cad = ev[ev["metric"] == "cadence_spm"]
        assert (cad["side"] == "lower").all()
    assert found / n >= 0.9, found


def test_one_odd_run_cannot_add_more_than_the_clip():
    z = np.r_[np.zeros(40), 50.0, np.zeros(5)]
    det = change.detect(pd.date_range("2026-01-01", periods=46, freq="D"), 50 + z, min_size=0.8)
    assert det["cusum_up"].max() == pytest.approx(change.Z_CLIP - change.CUSUM_K)
    assert not det["side"].any()


def test_reference_needs_minimum_runs_and_restarts_with_a_new_sensor():
    t = pd.date_range("2026-01-01", periods=30, freq="2D", tz="UTC")
    src = ["chest_strap"] * 15 + ["pod"] * 15
    vals = np.r_[np.full(15, 50.0), np.full(15, 51.5)]  # the pod reads 1.5 points higher
    det = change.detect(t, vals, src, min_size=0.8)
    assert det["ready"][:15].all() and det["level"][0] == 50.0
    # the pod's first runs build its own reference and are not judged against the strap's
    assert det["in_reference"][15 : 15 + change.REFERENCE_MIN_RUNS].all()
    assert not det["monitored"][15 : 15 + change.REFERENCE_MIN_RUNS].any()
    assert det["level"][-1] == 51.5  # the pod's own reference: no change of gait
    assert not det["side"].any()
    few = change.reference(t[:20], vals[:20], src[:20])  # 5 pod runs: not enough yet
    assert not few["ready"][15:].any() and few["n_so_far"][19] == 5


def test_accept_baseline_through_the_store_and_the_cli(tmp_path, capsys):
    from analyzer.store.database import Store

    rng = np.random.default_rng(3)
    df, t = history(rng, shift=1.5, onset=120, days=240)
    tr = trends.trends(df)
    assert tr["gct_balance_shift"].iloc[-1] == 1
    # accepting at the shift's onset makes the new level the reference: nothing flagged after
    onset = tr["gct_balance_shift_onset"].iloc[-1]
    acc = pd.DataFrame({"metric": ["gct_balance_left_pct"], "asof": [onset]})
    after = trends.trends(df, accepted=acc)
    assert after["gct_balance_shift"].iloc[-1] == 0
    assert after["gct_balance_ref"].iloc[-1] == pytest.approx(
        df["gct_balance_left_median_pct"].iloc[-1], abs=1.0
    )
    assert (after["cadence_spm_ref"] == tr["cadence_spm_ref"]).all()  # other metrics unchanged
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        store.ensure_athlete("ann")
        when = store.accept_baseline("ann", "gct_balance_left_pct", asof="2025-05-01")
        assert when == pd.Timestamp("2025-05-01", tz="UTC")
        got = store.accepted_baselines("ann")
        assert list(got["metric"]) == ["gct_balance_left_pct"]
        assert list(got["asof"]) == [when]
    code = main(
        [
            "trends",
            "--store",
            str(db),
            "--athlete",
            "ann",
            "--accept-baseline",
            "cadence_spm",
            "--accept-from",
            "2025-06-01",
        ]
    )
    assert code == 0
    assert capsys.readouterr().out == (
        "Accepted a new reference for ann (cadence_spm) from 2025-06-01: runs from that date on "
        "build the new reference, and earlier changes are no longer reported.\n"
    )
    assert (
        main(["trends", "--store", str(db), "--athlete", "ann", "--accept-baseline", "shoes"]) == 2
    )
    assert "invalid choice: 'shoes'" in capsys.readouterr().err
    with Store(db) as store:
        assert len(store.accepted_baselines("ann")) == 2
