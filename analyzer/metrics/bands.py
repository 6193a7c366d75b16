"""Garmin's running-dynamics colour bands, as pure vectorised lookups.

Garmin colours cadence, ground contact time (GCT), vertical oscillation (VO), vertical ratio
(VR) and GCT balance on five-colour gauges whose limits are percentiles of Garmin's own
runner population. Step length has no gauge. The VO and VR limits differ between the heart-rate
strap (HRM) and the Running Dynamics Pod (RDP).

The limits are published at a fixed resolution (1 step/min, 1 ms, 0.1 cm, 0.1 %), with gaps
between bands (e.g. cadence blue is 174–183 and purple is >183). A value is therefore rounded
to the published resolution first and then looked up; 183.4 steps/min is blue, 183.5 is purple.

The bands are not speed-adjusted: the same runner moves between colours with pace. They are
reported for orientation; comparisons over time use the speed-normalised values in
:mod:`analyzer.metrics.trends`.

References
----------
.. [1] Garmin, Forerunner 945 owner's manual (Japanese edition), "カラーゲージについて" (colour
   gauges and running dynamics data). Cadence, GCT, VO and VR bands, HRM and RDP columns.
.. [2] Garmin, Enduro 3 owner's manual (Japanese edition), GCT balance colour gauge:
   green 50.7 % L – 50.7 % R, orange 50.8–52.2 %, red > 52.2 % on either side.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Band names from best to worst as Garmin orders them.
COLOURS: tuple[str, ...] = ("purple", "blue", "green", "orange", "red")

#: Cadence [steps/min]: lower limits of red→purple after rounding to 1 spm; purple > 183,
#: blue 174–183, green 164–173, orange 153–163, red < 153 [1]_.
CADENCE_LIMITS_SPM: tuple[float, ...] = (153, 164, 174, 184)

#: GCT [ms]: purple < 218, blue 218–248, green 249–277, orange 278–308, red > 308 [1]_.
#: (308 ms, not the 306 ms sometimes quoted, is the orange/red limit in Garmin's tables.)
STANCE_TIME_LIMITS_MS: tuple[float, ...] = (218, 249, 278, 309)

#: VO with a heart-rate strap [mm]: purple < 6.4 cm, blue 6.4–8.1, green 8.2–9.7,
#: orange 9.8–11.5, red > 11.5 cm [1]_.
VERTICAL_OSCILLATION_HRM_LIMITS_MM: tuple[float, ...] = (64, 82, 98, 116)

#: VO with the Running Dynamics Pod [mm]: purple < 6.8 cm, blue 6.8–8.9, green 9.0–10.9,
#: orange 11.0–13.0, red > 13.0 cm [1]_.
VERTICAL_OSCILLATION_RDP_LIMITS_MM: tuple[float, ...] = (68, 90, 110, 131)

#: VR with a heart-rate strap [%]: purple < 6.1, blue 6.1–7.4, green 7.5–8.6, orange 8.7–10.1,
#: red > 10.1 [1]_.
VERTICAL_RATIO_HRM_LIMITS_PCT: tuple[float, ...] = (6.1, 7.5, 8.7, 10.2)

#: VR with the Running Dynamics Pod [%]: purple < 6.5, blue 6.5–8.3, green 8.4–10.0,
#: orange 10.1–11.9, red > 11.9 [1]_.
VERTICAL_RATIO_RDP_LIMITS_PCT: tuple[float, ...] = (6.5, 8.4, 10.1, 12.0)

#: GCT balance green band: at most 50.7 % on the longer side [2]_, i.e. left share 49.3–50.7 %.
GCT_BALANCE_GREEN_MAX_DEV_PTS: float = 0.7

#: GCT balance orange band: 50.8–52.2 % on the longer side [2]_ (red beyond).
GCT_BALANCE_ORANGE_MAX_DEV_PTS: float = 2.2

#: Dynamics sources whose VO/VR are judged on the RDP table; every other source with VO uses the
#: HRM table except Stryd (foot-mounted, its own VO model), for which Garmin publishes no bands.
_RDP_SOURCES = frozenset({"pod"})
_NO_VO_BANDS = frozenset({"stryd"})


def _classify(values, limits, decimals: int, *, higher_is_better: bool):
    """Rounded values → colour names (object array; None where NaN)."""
    x = np.atleast_1d(np.asarray(values, dtype=float))
    scale = 10.0**decimals
    # Compare integers in the published resolution so 7.45 rounds the same way on every platform.
    xi = np.rint(x * scale)
    li = np.rint(np.asarray(limits, dtype=float) * scale)
    idx = np.searchsorted(li, np.where(np.isnan(xi), 0.0, xi), side="right")  # 0 (lowest) .. 4
    order = COLOURS[::-1] if higher_is_better else COLOURS
    out = np.array(order, dtype=object)[idx]
    out[np.isnan(x)] = None
    return out


def _wrap(result, like):
    if isinstance(like, pd.Series):
        return pd.Series(result, index=like.index, dtype=object)
    if np.ndim(like) == 0:
        return result[0]
    return result


def cadence_band(cadence):
    """Garmin colour band of a running cadence.

    Parameters
    ----------
    cadence : float or array-like
        Cadence, both feet [steps/min].

    Returns
    -------
    str or None, or array/Series of them
        ``"purple"``, ``"blue"``, ``"green"``, ``"orange"`` or ``"red"``; None where NaN.

    References
    ----------
    .. [1] Garmin, Forerunner 945 owner's manual (JA), colour gauges.
    """
    return _wrap(_classify(cadence, CADENCE_LIMITS_SPM, 0, higher_is_better=True), cadence)


def stance_time_band(stance_time):
    """Garmin colour band of a ground contact time.

    Parameters
    ----------
    stance_time : float or array-like
        Ground contact time [ms].

    Returns
    -------
    str or None, or array/Series of them
        Colour name (shorter contact is better); None where NaN.

    References
    ----------
    .. [1] Garmin, Forerunner 945 owner's manual (JA), colour gauges.
    """
    return _wrap(
        _classify(stance_time, STANCE_TIME_LIMITS_MS, 0, higher_is_better=False), stance_time
    )


def _vo_vr_band(values, dynamics_source: str | None, hrm, rdp, decimals: int):
    """Colour band of a VO or VR value on the HRM or RDP table (all None for Stryd)."""
    if dynamics_source in _NO_VO_BANDS:
        # No Garmin bands for this sensor: classify all-NaN input so every entry is None.
        nans = np.full(np.shape(values), np.nan)
        return _wrap(_classify(nans, (0, 0, 0, 0), decimals, higher_is_better=False), values)
    limits = rdp if dynamics_source in _RDP_SOURCES else hrm
    return _wrap(_classify(values, limits, decimals, higher_is_better=False), values)


def vertical_oscillation_band(vertical_oscillation, dynamics_source: str | None = "chest_strap"):
    """Garmin colour band of a vertical oscillation, by sensor type.

    Parameters
    ----------
    vertical_oscillation : float or array-like
        Vertical oscillation [mm].
    dynamics_source : str or None, default "chest_strap"
        One of :data:`analyzer.schema.DYNAMICS_SOURCES`. ``"pod"`` uses the Running Dynamics Pod
        table; ``"stryd"`` has no Garmin bands (all None); anything else, including None
        (unknown), uses the heart-rate-strap table, the sensor that introduced the metric.

    Returns
    -------
    str or None, or array/Series of them
        Colour name (lower is better); None where NaN or no bands apply.

    References
    ----------
    .. [1] Garmin, Forerunner 945 owner's manual (JA), colour gauges (HRM and RDP columns).
    """
    return _vo_vr_band(
        vertical_oscillation,
        dynamics_source,
        VERTICAL_OSCILLATION_HRM_LIMITS_MM,
        VERTICAL_OSCILLATION_RDP_LIMITS_MM,
        0,
    )


def vertical_ratio_band(vertical_ratio, dynamics_source: str | None = "chest_strap"):
    """Garmin colour band of a vertical ratio, by sensor type.

    Parameters
    ----------
    vertical_ratio : float or array-like
        Vertical ratio, VO over step length [%].
    dynamics_source : str or None, default "chest_strap"
        As for :func:`vertical_oscillation_band`.

    Returns
    -------
    str or None, or array/Series of them
        Colour name (lower is better); None where NaN or no bands apply.

    References
    ----------
    .. [1] Garmin, Forerunner 945 owner's manual (JA), colour gauges (HRM and RDP columns).
    """
    return _vo_vr_band(
        vertical_ratio,
        dynamics_source,
        VERTICAL_RATIO_HRM_LIMITS_PCT,
        VERTICAL_RATIO_RDP_LIMITS_PCT,
        1,
    )


def gct_balance_band(gct_balance_left):
    """Garmin colour band of a GCT balance (symmetric: green, orange or red).

    Parameters
    ----------
    gct_balance_left : float or array-like
        Share of ground contact time on the left foot [%], 50 = even.

    Returns
    -------
    str or None, or array/Series of them
        ``"green"`` (49.3–50.7 %), ``"orange"`` (up to 52.2 % on the longer side) or ``"red"``;
        None where NaN.

    References
    ----------
    .. [2] Garmin, Enduro 3 owner's manual (JA), GCT balance colour gauge.
    """
    dev = np.atleast_1d(np.abs(np.asarray(gct_balance_left, dtype=float) - 50.0))
    limits = (GCT_BALANCE_GREEN_MAX_DEV_PTS + 0.1, GCT_BALANCE_ORANGE_MAX_DEV_PTS + 0.1)
    di = np.rint(dev * 10.0)
    li = np.rint(np.asarray(limits) * 10.0)
    idx = np.searchsorted(li, np.where(np.isnan(di), 0.0, di), side="right")
    out = np.array(("green", "orange", "red"), dtype=object)[idx]
    out[np.isnan(dev)] = None
    return _wrap(out, gct_balance_left)


def outside_green_balance(gct_balance_left):
    """Whether each GCT balance sample lies outside Garmin's green band.

    Parameters
    ----------
    gct_balance_left : array-like
        Left-foot share of ground contact time [%].

    Returns
    -------
    numpy.ndarray of bool
        True where the rounded deviation from 50 exceeds 0.7 points; False where NaN.
    """
    dev = np.abs(np.asarray(gct_balance_left, dtype=float) - 50.0)
    with np.errstate(invalid="ignore"):
        return np.rint(dev * 10.0) > np.rint(GCT_BALANCE_GREEN_MAX_DEV_PTS * 10.0)
