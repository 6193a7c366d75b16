"""Per-run gait summaries and per-athlete trends on synthetic records built here.

The synthetic runner has speed-dependent cadence, ground contact time (GCT) and vertical
oscillation with noise, so that speed normalisation and matched-speed drift have something to
correct; balance shifts and drifts are injected with known size, side and onset.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fitcache import RUN_CATEGORIES, entries, payload

from analyzer.fit.activity import read_fit
from analyzer.metrics import bands, gait, trends
from analyzer.metrics.gait import SUMMARY_KEYS, summarize

T0 = pd.Timestamp("2024-01-01 07:00", tz="UTC")

# Per-runner speed relations of the synthetic runner (per m/s around 3 m/s).
CADENCE_PER_MPS = 9.0
GCT_PER_MPS = -45.0
VO_PER_MPS = 6.0


def synth_run(
    *,
    seconds: int = 1800,
    speed: float = 3.0,
    start: pd.Timestamp = T0,
    balance: float = 50.0,
    drift: dict[str, float] | None = None,
    negative_split_mps: float = 0.0,
    offsets: dict[str, float] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Records of one 1 Hz run in contract columns.

    ``drift`` maps a column to the injected last-third-minus-first-third change (a linear ramp
    over the run of 1.5 times that size has exactly that difference of third means).
    ``negative_split_mps`` makes the run speed up by that much from start to end, so raw
    third differences are confounded by speed.
    """
    rng = np.random.default_rng(seed)
    drift = drift or {}
    offsets = offsets or {}
    t = np.arange(seconds, dtype=float)
    frac = t / seconds
    v = (
        speed
        + 0.25 * np.sin(2 * np.pi * t / 420.0)
        + negative_split_mps * (frac - 0.5)
        + rng.normal(0, 0.05, seconds)
    )
    dv = v - 3.0

    def ramp(col: str) -> np.ndarray:
        return 1.5 * drift.get(col, 0.0) * frac + offsets.get(col, 0.0)

    cad = 170 + CADENCE_PER_MPS * dv + rng.normal(0, 2.0, seconds) + ramp("cadence_spm")
    gct = 250 + GCT_PER_MPS * dv + rng.normal(0, 8.0, seconds) + ramp("stance_time_ms")
    vo = 85 + VO_PER_MPS * dv + rng.normal(0, 3.0, seconds) + ramp("vertical_oscillation_mm")
    bal = balance + rng.normal(0, 0.8, seconds) + ramp("gct_balance_left_pct")
    step = v / (cad / 60.0) * 1000.0
    return pd.DataFrame(
        {
            "timestamp": start + pd.to_timedelta(t, unit="s"),
            "elapsed_s": t,
            "distance_m": np.cumsum(v),
            "speed_mps": v,
            "heart_rate_bpm": 150.0,
            "cadence_spm": cad,
            "vertical_oscillation_mm": vo,
            "stance_time_ms": gct,
            "stance_time_pct": np.nan,
            "gct_balance_left_pct": bal,
            "step_length_mm": step,
            "vertical_ratio_pct": vo / step * 100.0,
            "power_w": np.nan,
            "altitude_m": 50.0,
        }
    )


def synth_athlete(
    *,
    weeks: int = 16,
    runs_per_week: int = 4,
    shift_pts: float = 0.0,
    shift_week: int = 9,
    seed: int = 1,
) -> tuple[pd.DataFrame, pd.Timestamp | None]:
    """Store.gait()-like rows for one athlete: identity columns + summarize() fields.

    Each run has a random pace (2.5-3.7 m/s), a run-level balance wobble (sd 0.3 points) and,
    from ``shift_week`` on, ``shift_pts`` more GCT on the left (negative: right).
    """
    rng = np.random.default_rng(seed)
    rows = []
    onset = T0 + pd.Timedelta(weeks=shift_week) if shift_pts else None
    day_offsets = (0, 2, 4, 6, 1, 3, 5)[:runs_per_week]
    for w in range(weeks):
        for k, d in enumerate(day_offsets):
            start = T0 + pd.Timedelta(weeks=w, days=d)
            bal = 50.0 + rng.normal(0, 0.3)
            if onset is not None and start >= onset:
                bal += shift_pts
            rec = synth_run(
                seconds=900,
                speed=float(rng.uniform(2.5, 3.7)),
                start=start,
                balance=bal,
                offsets={"cadence_spm": rng.normal(0, 1.0), "stance_time_ms": rng.normal(0, 4.0)},
                seed=int(rng.integers(1 << 31)),
            )
            s = summarize(rec, dynamics_source="chest_strap")
            rows.append(
                {
                    "run_id": f"r{w}-{k}",
                    "athlete": "synthetic",
                    "start_time": start,
                    "dynamics_source": "chest_strap",
                    "distance_m": float(rec["speed_mps"].sum()),
                    "timer_s": 900.0,
                    **s.to_dict(),
                }
            )
    return pd.DataFrame(rows), onset


# --------------------------------------------------------------------------- per-run summary


def test_summary_has_exactly_the_contract_keys():
    s = summarize(synth_run())
    assert tuple(s.index) == SUMMARY_KEYS
    assert s["n_samples"] == 1800 and s["n_running"] == 1800
    assert s["cadence_median_spm"] == pytest.approx(170, abs=2)
    assert s["stance_time_median_ms"] == pytest.approx(250, abs=5)
    assert s["gct_balance_dev_pts"] == pytest.approx(0, abs=0.15)
    assert s["cadence_band"] == "green" and s["stance_time_band"] == "green"
    assert s["gct_balance_band"] == "green"


def test_walking_and_standing_samples_are_not_running():
    run = synth_run(seconds=1200)
    walk = run.iloc[:300].copy()
    walk["speed_mps"] = 1.3  # walking pace
    walk["cadence_spm"] = 115.0
    stand = run.iloc[300:360].copy()
    stand["speed_mps"] = 0.0
    stand["stance_time_ms"] = np.nan
    rec = pd.concat([walk, stand, run.iloc[360:]])
    s = summarize(rec)
    assert s["n_samples"] == 1200
    assert s["n_running"] == 840
    assert s["cadence_median_spm"] == pytest.approx(170, abs=2)


def test_gct_spikes_do_not_move_the_median_and_are_dropped():
    rec = synth_run()
    rec.loc[::10, "stance_time_ms"] = 900.0  # implausible contact times
    s = summarize(rec)
    assert s["stance_time_median_ms"] == pytest.approx(250, abs=5)
    assert s["n_running"] < 1800  # spikes fail the valid-dynamics test


def test_share_outside_green_balance_band():
    rec = synth_run()
    rec["gct_balance_left_pct"] = np.r_[np.full(450, 51.5), np.full(1350, 50.2)]
    s = summarize(rec)
    assert s["gct_balance_outside_green_share"] == pytest.approx(0.25)
    assert s["gct_balance_left_median_pct"] == pytest.approx(50.2)
    assert s["gct_balance_band"] == "green"


@pytest.mark.parametrize(
    ("column", "size"),
    [
        ("gct_balance_left_pct", 0.8),
        ("gct_balance_left_pct", -1.2),
        ("stance_time_ms", 9.0),
        ("cadence_spm", -3.0),
        ("vertical_oscillation_mm", 4.0),
    ],
)
def test_fatigue_drift_recovered_at_matched_speed(column, size):
    # The runner also speeds up by 0.4 m/s over the run: a raw last-minus-first-third
    # difference would add ~GCT_PER_MPS * 0.27 = -12 ms of pure speed effect to GCT.
    rec = synth_run(seconds=3600, drift={column: size}, negative_split_mps=0.4, seed=3)
    s = summarize(rec)
    key = {
        "gct_balance_left_pct": "drift_gct_balance_left_pts",
        "stance_time_ms": "drift_stance_time_ms",
        "cadence_spm": "drift_cadence_spm",
        "vertical_oscillation_mm": "drift_vertical_oscillation_mm",
    }[column]
    assert s[key] == pytest.approx(size, abs=0.2 if column == "gct_balance_left_pct" else 1.0)
    # The other drifts stay near zero although speed rose.
    assert abs(s["drift_stance_time_ms"] - (size if column == "stance_time_ms" else 0)) < 1.5


def test_raw_third_difference_would_be_confounded():
    rec = synth_run(seconds=3600, negative_split_mps=0.4, seed=3)
    n = len(rec)
    raw = (
        rec["stance_time_ms"].iloc[2 * n // 3 :].mean()
        - rec["stance_time_ms"].iloc[: n // 3].mean()
    )
    assert raw < -8  # speed effect alone
    assert abs(summarize(rec)["drift_stance_time_ms"]) < 1.5


def test_drift_is_nan_for_a_short_run():
    s = summarize(synth_run(seconds=40))
    assert np.isnan(s["drift_cadence_spm"])
    assert s["n_running"] == 40


def test_pause_does_not_shift_the_thirds():
    rec = synth_run(seconds=1800, drift={"gct_balance_left_pct": 0.9}, seed=5)
    paused = rec.copy()
    paused.loc[900:, "timestamp"] += pd.Timedelta(hours=2)  # coffee stop mid-run
    a, b = summarize(rec), summarize(paused)
    # Wall-clock thirds would put the whole first half into the first third (drift ~0.45).
    assert b["drift_gct_balance_left_pts"] == pytest.approx(
        a["drift_gct_balance_left_pts"], abs=0.05
    )
    assert b["drift_gct_balance_left_pts"] == pytest.approx(0.9, abs=0.2)


def test_missing_columns_and_no_speed():
    rec = synth_run().drop(columns=["speed_mps", "gct_balance_left_pct", "timestamp"])
    s = summarize(rec)
    assert s["n_running"] == 1800  # treadmill without speed: judged on cadence and GCT
    assert np.isnan(s["gct_balance_left_median_pct"]) and s["gct_balance_band"] is None
    assert np.isnan(s["speed_median_mps"])
    assert np.isfinite(s["drift_cadence_spm"])


def test_quartiles_are_numpys_to_the_last_bit():
    # summarize reads medians and IQRs off one sort per column instead of np.percentile.
    rng = np.random.default_rng(7)
    for n in (1, 2, 3, 4, 5, 10, 11, 3600):
        for x in (rng.normal(170, 9, n), np.round(rng.normal(270, 30, n), 1)):
            expected = np.percentile(x, (25.0, 50.0, 75.0))
            got = [gait._sorted_quantile(np.sort(x), q) for q in (0.25, 0.5, 0.75)]
            assert got == expected.tolist()
            assert gait._median_iqr(x) == (expected[1], expected[2] - expected[0])


def test_seconds_of_zoned_times_match_the_pandas_conversion():
    ts = pd.Series(
        [T0, pd.NaT, T0 + pd.Timedelta(seconds=1.5), T0 + pd.Timedelta(days=9000)],
        dtype="datetime64[us, UTC]",
    ).dt.tz_convert("Europe/Berlin")
    expected = ts.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[ns]")
    expected = np.where(np.isnat(expected), np.nan, expected.astype(np.int64) / 1e9)
    got = gait._seconds(pd.DataFrame({"timestamp": ts}))
    np.testing.assert_array_equal(got, expected)


def test_variability_is_a_fraction():
    s = summarize(synth_run())
    assert 0.0 < s["cv_cadence"] < s["cv_stance_time"] < 0.2


def test_vo_and_ratio_bands_follow_the_sensor():
    rec = synth_run()
    rec["vertical_oscillation_mm"] = 88.0  # 8.8 cm: green on the strap, blue on the pod
    rec["vertical_ratio_pct"] = 8.5
    strap = summarize(rec, dynamics_source="chest_strap")
    pod = summarize(rec, dynamics_source="pod")
    stryd = summarize(rec, dynamics_source="stryd")
    assert (strap["vertical_oscillation_band"], pod["vertical_oscillation_band"]) == (
        "green",
        "blue",
    )
    assert (strap["vertical_ratio_band"], pod["vertical_ratio_band"]) == ("green", "green")
    assert stryd["vertical_oscillation_band"] is None


# --------------------------------------------------------------------------- bands


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (152.4, "red"),
        (153, "orange"),
        (163.4, "orange"),
        (164, "green"),
        (173, "green"),
        (174, "blue"),
        (183.4, "blue"),
        (183.5, "purple"),
        (np.nan, None),
    ],
)
def test_cadence_band_edges(value, expected):
    assert bands.cadence_band(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (217, "purple"),
        (218, "blue"),
        (248, "blue"),
        (249, "green"),
        (277, "green"),
        (278, "orange"),
        (308, "orange"),
        (308.6, "red"),
    ],
)
def test_stance_time_band_edges(value, expected):
    assert bands.stance_time_band(value) == expected


@pytest.mark.parametrize(
    ("left", "expected"),
    [
        (50.0, "green"),
        (50.7, "green"),
        (49.3, "green"),
        (50.8, "orange"),
        (49.2, "orange"),
        (52.2, "orange"),
        (47.8, "orange"),
        (52.3, "red"),
        (47.7, "red"),
    ],
)
def test_balance_band_is_symmetric(left, expected):
    assert bands.gct_balance_band(left) == expected


def test_bands_are_vectorised_and_keep_the_index():
    s = pd.Series([150.0, 170.0, np.nan], index=["a", "b", "c"])
    out = bands.cadence_band(s)
    assert list(out.index) == ["a", "b", "c"]
    assert list(out) == ["red", "green", None]
    vr = bands.vertical_ratio_band(np.array([6.0, 10.1, 12.0]), "pod")
    assert list(vr) == ["purple", "orange", "red"]


# --------------------------------------------------------------------------- per athlete


@pytest.fixture(scope="module")
def shifted_athlete():
    return synth_athlete(shift_pts=1.6, shift_week=9, seed=11)


@pytest.fixture(scope="module")
def balanced_athlete():
    return synth_athlete(shift_pts=0.0, seed=12)


def test_speed_normalisation_reduces_spread(balanced_athlete):
    df, _ = balanced_athlete
    tr = trends.trends(df)
    ratios = {}
    for metric, col in (
        ("cadence_spm", "cadence_median_spm"),
        ("stance_time_ms", "stance_time_median_ms"),
    ):
        raw = tr[col].astype(float).std()
        norm = tr[f"{metric}_at_ref"].std()
        ratios[metric] = norm / raw
    assert ratios["cadence_spm"] < 0.5, ratios
    assert ratios["stance_time_ms"] < 0.5, ratios
    ref = tr["ref_speed_mps"].iloc[0]
    assert ref == pytest.approx(np.median(df["speed_median_mps"].astype(float)))
    # Residuals are centred on zero and the value at ref is raw minus the speed effect.
    assert abs(tr["stance_time_ms_resid"].median()) < 2.0


def test_injected_shift_is_flagged_on_the_right_side_near_onset(shifted_athlete):
    df, onset = shifted_athlete
    tr = trends.trends(df)
    ev = trends.flag_changes(tr)
    bal = ev[ev["metric"] == "gct_balance_left_pct"]
    assert len(bal) >= 1, tr[
        ["start_time", "gct_balance_left_median_pct", "gct_balance_baseline_pct"]
    ]
    first = bal.iloc[0]
    assert first["side"] == "left"
    assert abs(first["onset"] - onset) <= pd.Timedelta(weeks=1)
    assert first["size"] == pytest.approx(1.6, abs=0.5)
    assert first["n_runs"] >= 3
    # The row flag appears within a week of onset (detection lag) and never before it.
    flagged = tr.loc[tr["balance_shift_flag"], "start_time"]
    assert flagged.min() >= onset
    assert flagged.min() - onset <= pd.Timedelta(weeks=1)
    assert (tr["gct_balance_change_pts"].dropna().abs() < 4).all()


def test_shift_to_the_right_is_reported_right():
    df, onset = synth_athlete(shift_pts=-1.5, shift_week=8, seed=21, weeks=12)
    ev = trends.flag_changes(trends.trends(df))
    bal = ev[ev["metric"] == "gct_balance_left_pct"]
    assert list(bal["side"]) == ["right"]
    assert abs(bal.iloc[0]["onset"] - onset) <= pd.Timedelta(weeks=1)


def test_balanced_athlete_has_nothing_flagged(balanced_athlete):
    df, _ = balanced_athlete
    tr = trends.trends(df)
    assert not tr["balance_shift_flag"].any()
    assert trends.flag_changes(tr).empty


def test_one_noisy_run_is_not_a_shift(balanced_athlete):
    df, _ = balanced_athlete
    df = df.copy()
    df.loc[40, "gct_balance_left_median_pct"] = 53.5
    df.loc[41, "gct_balance_left_median_pct"] = 52.8
    assert not trends.trends(df)["balance_shift_flag"].any()


def test_reference_is_the_first_weeks_and_stays_frozen(shifted_athlete):
    """The reference is the first 28 days (>= 8 runs) and does not follow the shift: weeks after
    onset the change is still the whole shift (a rolling baseline absorbed it in ~5 weeks)."""
    df, onset = shifted_athlete
    tr = trends.trends(df)
    first = tr[tr["start_time"] < T0 + pd.Timedelta(days=28)]
    assert first["gct_balance_in_ref"].all() and len(first) >= 8
    expected = first["gct_balance_left_median_pct"].median()
    assert tr["gct_balance_baseline_pct"].to_numpy() == pytest.approx(expected)
    late = tr[tr["start_time"] >= onset + pd.Timedelta(weeks=5)]
    assert len(late) >= 8
    assert late["gct_balance_change_pts"].median() == pytest.approx(1.6, abs=0.4)
    assert late["balance_shift_flag"].all()  # the shift persists while it lasts


def test_trends_on_few_runs_does_not_raise():
    df, _ = synth_athlete(weeks=1, runs_per_week=2)
    tr = trends.trends(df)
    assert len(tr) == 2
    assert tr["gct_balance_baseline_pct"].isna().all()
    assert np.isfinite(tr["cadence_spm_at_ref"]).all()  # slope 0 with too few runs
    assert trends.flag_changes(tr).empty
    assert trends.flag_changes(trends.trends(df.iloc[:0])).empty


# --------------------------------------------------------------------------- real corpus

#: Our medians over running samples against the watch's time-weighted session means, for runs
#: that are almost all running: metric -> (summary key, kind, tolerance). A median is not a
#: mean, so these are wider than the import tolerances that ``analyzer.metrics.averages.run_averages``
#: meets (tests/test_averages.py). Vertical ratio is wider still: the median of per-sample
#: ratios sits below the watch's ratio of averages (Jensen), 2-4 % on every corpus file.
MEDIAN_VS_WATCH = {
    "cadence_spm": ("cadence_median_spm", "rel", 3.0),
    "stance_time_ms": ("stance_time_median_ms", "rel", 3.0),
    "vertical_oscillation_mm": ("vertical_oscillation_median_mm", "rel", 3.0),
    "step_length_mm": ("step_length_median_mm", "rel", 3.5),
    "vertical_ratio_pct": ("vertical_ratio_median_pct", "rel", 5.0),
    "gct_balance_left_pct": ("gct_balance_left_median_pct", "abs", 0.25),
}
#: A run counts as steady when at least this share of its samples is running.
STEADY_SHARE = 0.95
#: Runs shorter than this [samples] are not compared (a few smart-recorded records).
MIN_SAMPLES = 100

_DYNAMICS_ENTRIES = entries(*[c for c in RUN_CATEGORIES if "dynamics" in c])


def _activity(name: str):
    # The default decoder (fast path, fitparse fallback): seconds for the whole set.
    return read_fit(payload(name), name=name)


@pytest.fixture(scope="module")
def corpus_runs(corpus_dir):
    out = []
    for e in _DYNAMICS_ENTRIES:
        act = _activity(e["file"])
        for run in act.runs():
            s = summarize(run.records, dynamics_source=act.meta.get("dynamics_source"))
            out.append((e["file"], run, s))
    return out


def test_every_corpus_run_with_dynamics_is_summarised(corpus_runs):
    assert len(corpus_runs) >= 15
    for name, run, s in corpus_runs:
        assert s["n_running"] > 0, name
        assert s["n_running"] <= s["n_samples"] == len(run.records), name
        for metric, (key, _, _) in MEDIAN_VS_WATCH.items():
            if np.isfinite(run.session.get(f"watch_avg_{metric}", np.nan)):
                assert np.isfinite(s[key]), (name, metric)
        if np.isfinite(s["cadence_median_spm"]):
            assert s["cadence_band"] in bands.COLOURS


def test_medians_agree_with_watch_averages_on_steady_corpus_runs(corpus_runs):
    compared = 0
    for name, run, s in corpus_runs:
        if s["n_samples"] < MIN_SAMPLES or s["n_running"] < STEADY_SHARE * s["n_samples"]:
            continue
        for metric, (key, kind, tol) in MEDIAN_VS_WATCH.items():
            watch = run.session.get(f"watch_avg_{metric}", np.nan)
            if not np.isfinite(watch) or not np.isfinite(s[key]):
                continue
            dev = (s[key] - watch) / watch * 100 if kind == "rel" else s[key] - watch
            assert abs(dev) <= tol, f"{name}: {metric} median {s[key]:.2f} vs watch {watch:.2f}"
            compared += 1
    assert compared >= 40


def test_known_corpus_balance_side(corpus_dir):
    """garmin-fenix-5-run.fit: the watch says 52.39 % (left longer); so must we."""
    s = summarize(_activity("garmin-fenix-5-run.fit").runs()[0].records)
    assert s["gct_balance_dev_pts"] > 2.0
    assert s["gct_balance_band"] == "red"
