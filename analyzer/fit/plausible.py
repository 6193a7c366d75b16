"""Physiological ranges of the per-sample contract columns; samples outside them are masked.

A damaged or hand-made file (or a sensor glitch) can carry a running speed of 65 m/s, a cadence
of 508 steps/min or a GCT balance of 1 %; left in, such samples move medians, baselines and the
risk index without a word. :func:`mask_implausible` sets them to NaN during the contract
conversion (:func:`analyzer.fit.activity.build_activity`) and counts them per column; the
counts go into ``Activity.meta["masked_samples"]``, the import log and the report's
data-quality notes.

The ranges are deliberately wide: they remove what no human runner can produce, not unusual
running. Bounds are inclusive; 0 placeholders are already NaN for the columns where a device
writes 0 without a reading (see :mod:`analyzer.fit.activity`).

================================  =============  ===============================================
column                            range          why
================================  =============  ===============================================
``speed_mps`` (foot sports)       0-12.5 m/s     The fastest human running speed measured is
                                                 about 12.3 m/s (Usain Bolt between 60 and 80 m
                                                 of his 9.58 s 100 m world record, Berlin 2009;
                                                 Graubner & Nixdorf 2011, New Studies in
                                                 Athletics 26(1/2):19-53).
``cadence_spm``                   0-300 /min     Elite sprinters at top speed reach step rates
                                                 of about 4.5-5 steps/s, 270-300 steps/min
                                                 (Hunter, Marshall & McNair 2004, Med Sci
                                                 Sports Exerc 36(2):261-271); 0 = standing.
``stance_time_ms``                60-1500 ms     Contact lasts about 80-120 ms at sprinting top
                                                 speed (Weyand et al. 2000, J Appl Physiol
                                                 89:1991-1999); in slow walking the stance phase
                                                 is about 60-65 % of a gait cycle of up to about
                                                 2 s (Novacheck 1998, Gait Posture 7:77-95).
``stance_time_pct``               15-85 %        Stance is about 22 % of the gait cycle in
                                                 sprinting, 39 % in running and 62 % in walking
                                                 (Novacheck 1998).
``gct_balance_left_pct``          30-70 %        Garmin's widest ("poor", 5 % of runners) band
                                                 starts at 52.2 % (Enduro 3 manual, see
                                                 research.md C.1) and elite runners show about
                                                 2.6 % GCT asymmetry (C.4); 30/70 means one foot
                                                 on the ground 2.3 times as long as the other.
``vertical_oscillation_mm``       0-250 mm       Garmin's worst band starts at 11.5 cm (strap)
                                                 and 13 cm (pod) (Forerunner 945 manual, C.1);
                                                 250 mm is about twice that.
``vertical_ratio_pct``            0-30 %         Garmin's worst band starts at 10.1 % (strap)
                                                 and 11.9 % (pod) (C.1); 30 % is well beyond it.
``step_length_mm``                0-3000 mm      Bolt's steps at top speed are about 2.7-2.8 m
                                                 long (Graubner & Nixdorf 2011).
``heart_rate_bpm``                25-250 /min    Resting rates of about 26-28 /min are reported
                                                 in endurance athletes and maximal rates rarely
                                                 pass 220 /min (Tanaka, Monahan & Seals 2001,
                                                 J Am Coll Cardiol 37:153-156, HRmax = 208 -
                                                 0.7 x age).
================================  =============  ===============================================
"""

from __future__ import annotations

import numpy as np

#: column -> (lowest, highest) plausible value, inclusive, in contract units (see above).
RANGES: dict[str, tuple[float, float]] = {
    "speed_mps": (0.0, 12.5),
    "cadence_spm": (0.0, 300.0),
    "stance_time_ms": (60.0, 1500.0),
    "stance_time_pct": (15.0, 85.0),
    "gct_balance_left_pct": (30.0, 70.0),
    "vertical_oscillation_mm": (0.0, 250.0),
    "vertical_ratio_pct": (0.0, 30.0),
    "step_length_mm": (0.0, 3000.0),
    "heart_rate_bpm": (25.0, 250.0),
}
#: Columns whose range is human running and walking only (a bike is faster than Bolt).
FOOT_ONLY = frozenset({"speed_mps"})


def mask_implausible(columns: dict[str, np.ndarray], foot: np.ndarray) -> dict[str, int]:
    """Set values outside :data:`RANGES` to NaN, in place; count them per column.

    Parameters
    ----------
    columns : dict of str to numpy.ndarray
        Contract columns (float64, one value per record); columns without a range are left
        alone.
    foot : numpy.ndarray of bool
        Which records belong to a running, walking or hiking session (:data:`FOOT_ONLY`
        columns are checked on those only).

    Returns
    -------
    dict of str to int
        Masked samples per column, only columns with at least one.
    """
    counts: dict[str, int] = {}
    for column, (low, high) in RANGES.items():
        values = columns.get(column)
        if values is None or not len(values):
            continue
        with np.errstate(invalid="ignore"):
            bad = (values < low) | (values > high)
        if column in FOOT_ONLY:
            bad &= foot
        n = int(np.count_nonzero(bad))
        if n:
            columns[column] = np.where(bad, np.nan, values)
            counts[column] = n
    return counts


__all__ = ["FOOT_ONLY", "RANGES", "mask_implausible"]
