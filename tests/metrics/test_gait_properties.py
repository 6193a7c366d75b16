"""Property tests (hypothesis) of the per-run summary: row order, duplicates, NaN, empty input."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from analyzer.metrics.gait import SUMMARY_KEYS, summarize

T0 = pd.Timestamp("2024-05-01 06:00", tz="UTC")
COLUMNS = (
    "speed_mps",
    "cadence_spm",
    "stance_time_ms",
    "gct_balance_left_pct",
    "vertical_oscillation_mm",
    "step_length_mm",
    "vertical_ratio_pct",
)
#: Value ranges that straddle the running filters (walking, standing, spikes) on purpose.
RANGES = {
    "speed_mps": (0.0, 6.0),
    "cadence_spm": (0.0, 230.0),
    "stance_time_ms": (0.0, 450.0),
    "gct_balance_left_pct": (44.0, 56.0),
    "vertical_oscillation_mm": (10.0, 130.0),
    "step_length_mm": (400.0, 1800.0),
    "vertical_ratio_pct": (4.0, 14.0),
}
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _column(name: str, n: int):
    lo, hi = RANGES[name]
    value = st.one_of(st.floats(lo, hi, allow_nan=False), st.just(np.nan))
    return hnp.arrays(np.float64, n, elements=value)


@st.composite
def record_frames(draw, min_size: int = 0, max_size: int = 150):
    n = draw(st.integers(min_size, max_size))
    # Seconds with repeats allowed: duplicate timestamps must be tolerated.
    secs = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 2 * max(n, 1))))
    data = {"timestamp": T0 + pd.to_timedelta(np.sort(secs), unit="s")}
    for c in COLUMNS:
        data[c] = draw(_column(c, n))
    return pd.DataFrame(data)


def _running_frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    v = rng.uniform(2.4, 4.0, n)
    return pd.DataFrame(
        {
            "timestamp": T0 + pd.to_timedelta(np.arange(n), unit="s"),
            "speed_mps": v,
            "cadence_spm": 165 + 8 * (v - 3) + rng.normal(0, 2, n),
            "stance_time_ms": 250 - 40 * (v - 3) + rng.normal(0, 8, n),
            "gct_balance_left_pct": 50 + rng.normal(0, 0.8, n),
            "vertical_oscillation_mm": 85 + rng.normal(0, 3, n),
            "step_length_mm": 1100 + rng.normal(0, 40, n),
            "vertical_ratio_pct": 7.8 + rng.normal(0, 0.3, n),
        }
    )


def _same(a: pd.Series, b: pd.Series) -> bool:
    for k in SUMMARY_KEYS:
        x, y = a[k], b[k]
        if isinstance(x, str) or x is None or isinstance(y, str) or y is None:
            if x != y:
                return False
        elif not (np.isnan(x) and np.isnan(y)) and x != y:
            return False
    return True


def _check_shape(s: pd.Series, n: int) -> None:
    assert tuple(s.index) == SUMMARY_KEYS
    assert s["n_samples"] == n
    assert 0 <= s["n_running"] <= n
    share = s["gct_balance_outside_green_share"]
    assert np.isnan(share) or 0.0 <= share <= 1.0
    for k in (
        "cadence_band",
        "stance_time_band",
        "vertical_oscillation_band",
        "vertical_ratio_band",
        "gct_balance_band",
    ):
        assert s[k] in (None, "purple", "blue", "green", "orange", "red")
    if s["n_running"] == 0:
        numeric = [
            k
            for k in SUMMARY_KEYS
            if k not in ("n_samples", "n_running") and not k.endswith("_band")
        ]
        assert all(np.isnan(s[k]) for k in numeric)


@SETTINGS
@given(frame=record_frames(), seed=st.integers(0, 2**31 - 1))
def test_summary_does_not_depend_on_row_order(frame, seed):
    shuffled = frame.sample(frac=1.0, random_state=np.random.RandomState(seed % (2**31)))
    a, b = summarize(frame), summarize(shuffled.reset_index(drop=True))
    _check_shape(a, len(frame))
    assert _same(a, b)


@SETTINGS
@given(n=st.integers(60, 400), seed=st.integers(0, 10_000), dup=st.floats(0.0, 0.5))
def test_duplicated_rows_in_any_order_keep_the_result_sane(n, seed, dup):
    frame = _running_frame(n, seed)
    extra = frame.sample(frac=dup, random_state=seed)
    doubled = pd.concat([frame, extra]).sample(frac=1.0, random_state=seed + 1)
    s = summarize(doubled)
    _check_shape(s, len(doubled))
    assert s["n_running"] == len(doubled)
    assert np.isfinite(s["drift_stance_time_ms"])
    # Duplicate timestamps in another order: still exactly the same numbers.
    assert _same(s, summarize(doubled.sample(frac=1.0, random_state=seed + 2)))
    base = summarize(frame)
    # Duplicating some samples can move a median only within the sample range.
    assert abs(s["cadence_median_spm"] - base["cadence_median_spm"]) < 5
    assert abs(s["gct_balance_left_median_pct"] - base["gct_balance_left_median_pct"]) < 1


@SETTINGS
@given(n=st.integers(60, 300), seed=st.integers(0, 10_000), frac=st.floats(0.0, 0.9))
def test_nan_samples_are_ignored_not_fatal(n, seed, frac):
    frame = _running_frame(n, seed)
    rng = np.random.default_rng(seed)
    holes = frame.copy()
    for c in COLUMNS:
        holes.loc[rng.random(n) < frac, c] = np.nan
    s = summarize(holes)
    _check_shape(s, n)
    ok = holes["speed_mps"].notna() & holes["cadence_spm"].notna() & holes["stance_time_ms"].notna()
    assert s["n_running"] == int(ok.sum())


@SETTINGS
@given(n=st.integers(0, 50), columns=st.sets(st.sampled_from(COLUMNS)))
def test_empty_or_all_nan_input_gives_nan_and_zero_count(n, columns):
    frame = pd.DataFrame({c: np.full(n, np.nan) for c in columns})
    if n:
        frame["timestamp"] = T0 + pd.to_timedelta(np.arange(n), unit="s")
    s = summarize(frame)
    _check_shape(s, n)
    assert s["n_running"] == 0


def test_a_frame_without_any_column_is_an_empty_run():
    s = summarize(pd.DataFrame())
    assert s["n_samples"] == 0 and s["n_running"] == 0
    assert np.isnan(s["cadence_median_spm"]) and s["cadence_band"] is None


def test_object_and_naive_timestamp_columns_are_accepted():
    frame = _running_frame(120, 3)
    frame["timestamp"] = frame["timestamp"].dt.tz_localize(None).astype(str)
    frame["cadence_spm"] = frame["cadence_spm"].astype(object)
    s = summarize(frame)
    assert s["n_running"] == 120
    assert np.isfinite(s["drift_cadence_spm"])
