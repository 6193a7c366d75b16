"""Reference bands drawn on the report's figures and named in its text.

The limits themselves live in :mod:`analyzer.metrics.bands` (one definition, cited there); this module
turns them into the shapes the figures and tables need.
"""

from __future__ import annotations

import math

from analyzer.metrics import bands as _gbands
from analyzer.metrics import load as _load

#: Garmin's GCT-balance colour bands as % of ground contact time on the LEFT foot, derived from
#: the band limits in :mod:`analyzer.metrics.bands` (Garmin Enduro 3 manual): green "good" 49.3–50.7 %,
#: orange "fair" out to 47.8 / 52.2 %, red "poor" beyond. They are percentiles of Garmin's users
#: (5 / 25 / 40 / 25 / 5 %), not injury thresholds.
GCT_BALANCE_GREEN_PCT: tuple[float, float] = (
    round(50.0 - _gbands.GCT_BALANCE_GREEN_MAX_DEV_PTS, 1),
    round(50.0 + _gbands.GCT_BALANCE_GREEN_MAX_DEV_PTS, 1),
)
GCT_BALANCE_ORANGE_PCT: tuple[float, float] = (
    round(50.0 - _gbands.GCT_BALANCE_ORANGE_MAX_DEV_PTS, 1),
    round(50.0 + _gbands.GCT_BALANCE_ORANGE_MAX_DEV_PTS, 1),
)

GCT_BALANCE_BANDS: tuple[dict, ...] = (
    {"name": "red", "low": None, "high": GCT_BALANCE_ORANGE_PCT[0], "label": "poor (right longer)"},
    {
        "name": "orange",
        "low": GCT_BALANCE_ORANGE_PCT[0],
        "high": GCT_BALANCE_GREEN_PCT[0],
        "label": "fair (right longer)",
    },
    {
        "name": "green",
        "low": GCT_BALANCE_GREEN_PCT[0],
        "high": GCT_BALANCE_GREEN_PCT[1],
        "label": "good",
    },
    {
        "name": "orange",
        "low": GCT_BALANCE_GREEN_PCT[1],
        "high": GCT_BALANCE_ORANGE_PCT[1],
        "label": "fair (left longer)",
    },
    {"name": "red", "low": GCT_BALANCE_ORANGE_PCT[1], "high": None, "label": "poor (left longer)"},
)

#: Display colours of Garmin's five gauge colours.
BAND_COLOURS: dict[str, str] = {
    "purple": "#8e44ad",
    "blue": "#2e86c1",
    "green": "#27ae60",
    "orange": "#e67e22",
    "red": "#c0392b",
}

#: Acute:chronic ratio "sweet spot" and "danger zone" (Gabbett 2016), defined and cited in
#: :mod:`analyzer.metrics.load`; shown for context only (contested in runners).
ACWR_SWEET_SPOT: tuple[float, float] = _load.ACWR_SWEET_SPOT
ACWR_DANGER: float = _load.ACWR_DANGER


def balance_band(left_pct: float | None) -> str | None:
    """Garmin colour of a GCT balance value.

    Parameters
    ----------
    left_pct : float or None
        Share of ground contact time on the left foot [%].

    Returns
    -------
    str or None
        ``"green"``, ``"orange"`` or ``"red"``; None when the value is missing.
    """
    if left_pct is None or not math.isfinite(left_pct):
        return None
    return _gbands.gct_balance_band(float(left_pct))


def balance_text(left_pct: float | None) -> str:
    """``"51.3 % L"`` style text (the side whose contact is longer), or ``"–"``."""
    if left_pct is None or not math.isfinite(left_pct):
        return "–"
    if abs(left_pct - 50.0) < 0.05:
        return "50.0 % even"
    if left_pct > 50.0:
        return f"{left_pct:.1f} % L"
    return f"{100.0 - left_pct:.1f} % R"
