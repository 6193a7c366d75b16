"""Hand-built frames shared by the risk and plan tests (tests/ is on sys.path)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def synth_trends(
    n: int = 60,
    *,
    seed: int = 0,
    onset: int | None = None,
    shift_pts: float = 1.8,
    fatigue_pts: float = 0.6,
    cadence_spm: float = 172.0,
    vr_pct: float = 8.0,
    start: str = "2026-01-01",
    noise: float = 1.0,
    base: float = 50.0,
    distance_km=10.0,
    dynamics_source="chest_strap",
) -> pd.DataFrame:
    """A trends.trends-like frame: one run every 2 days, optional balance shift toward the left.

    ``base`` is the runner's natural balance [% L]; ``distance_km`` and ``dynamics_source`` may be
    one value or one per run.
    """
    rng = np.random.default_rng(seed)
    t = pd.date_range(start, periods=n, freq="2D", tz="UTC")
    bal = base + noise * rng.normal(0, 0.15, n)
    drift = noise * rng.normal(0, 0.1, n)
    if onset is not None:
        bal[onset:] += shift_pts
        drift[onset:] += fatigue_pts
    return pd.DataFrame(
        {
            "start_time": t,
            "distance_m": np.broadcast_to(np.asarray(distance_km, dtype=float) * 1000.0, (n,)),
            "timer_s": np.broadcast_to(np.asarray(distance_km, dtype=float) * 300.0, (n,)),
            "dynamics_source": np.broadcast_to(np.asarray(dynamics_source, dtype=object), (n,)),
            "gct_balance_left_median_pct": bal,
            "gct_balance_dev_pts": bal - 50,
            "drift_gct_balance_left_pts": drift,
            "cadence_median_spm": cadence_spm + rng.normal(0, 1, n),
            "cadence_spm_at_ref": cadence_spm + rng.normal(0, 1, n),
            "stance_time_ms_at_ref": 250 + rng.normal(0, 2, n),
            "vertical_ratio_median_pct": vr_pct + rng.normal(0, 0.05, n),
            "ref_speed_mps": 3.0,
        }
    )
