"""Change detection against a frozen personal reference: a two-sided CUSUM per metric.

Why a frozen reference: a rolling baseline follows a shift and absorbs it within weeks, so a
runner who stays 1.4 points off where they started looks "normal" again. Here the reference is
the runner's own first weeks and does not move: a shift is reported for as long as it lasts,
and ends only when the runner's numbers come back to the reference, or when the runner accepts
the new level as their reference (``Store.accept_baseline``; each accepted date starts a new
reference period from that date on).

Method
------
1. **Reference period**, per dynamics source (strap, pod, wrist, Stryd: a change of sensor is
   not a change of gait, so a new sensor builds its own reference) and per accepted-baseline
   epoch: the runs of the first :data:`REFERENCE_DAYS` days, extended until it holds at least
   :data:`REFERENCE_MIN_RUNS` runs. Below that the metric has no reference ("not enough data").
   Its level is the median, its run-to-run spread the scaled MAD (1.4826 × MAD, a consistent
   estimate of the standard deviation for normal data that one odd run cannot inflate;
   Rousseeuw & Croux 1993 [3]_), floored at :data:`SPREAD_FLOOR_FRACTION` of the metric's
   minimum size so a few identical runs cannot make the spread zero.
2. **Standardise** each later run: ``z = (value - level) / spread``, winsorised at
   ±:data:`Z_CLIP` so one wild run can add at most ``Z_CLIP - k`` to the sum (a robust CUSUM
   in the sense of Lucas & Crosier 1982 [4]_).
3. **Two-sided tabular CUSUM** (Page 1954 [1]_; Montgomery [2]_ §9.1):
   ``S+ = max(0, S+ + z - k)``, ``S- = max(0, S- - z - k)`` with reference value
   ``k =`` :data:`CUSUM_K` ``= 0.5`` (tuned to a shift of one spread) and decision interval
   ``h =`` :data:`CUSUM_H` ``= 5``. For independent normal runs this gives an in-control average
   run length ARL0 ≈ 465 runs between false signals and detects a shift of one spread in about
   10 runs, of two spreads in about 4 (Montgomery [2]_, Table 9.3 for k = 1/2, h = 5).
4. **A signal becomes a flag** only when the median deviation of the last :data:`RAISE_RUNS`
   runs is also beyond the metric's minimum size on the same side (three of five runs), so a
   change too small to matter, or one or two odd runs, is never flagged, and the false-alarm
   rate is below the CUSUM's own. The onset is the first run of the unbroken streak, back from
   the signal, whose deviation is beyond :data:`HOLD_FRACTION` of the minimum size.
5. **A flag lasts** while that median stays beyond :data:`HOLD_FRACTION` of the minimum size on
   the flagged side; when it falls back, the flag is released and both sums restart at 0. A
   one-week wobble therefore clears as soon as two normal runs follow it; a shift that lasts
   months stays flagged for months; a gradual drift is found once it has grown past the minimum
   size (the CUSUM accumulates it as it grows, nothing absorbs it).

References
----------
.. [1] Page E.S. (1954) Continuous inspection schemes. Biometrika 41(1/2):100-115.
.. [2] Montgomery D.C. Introduction to Statistical Quality Control, 7th ed. (2013), Wiley,
   chapter 9.1 "The cumulative sum control chart" (tabular CUSUM, Table 9.3: ARL for k = 1/2,
   h = 4 and 5).
.. [3] Rousseeuw P.J., Croux C. (1993) Alternatives to the median absolute deviation.
   J Am Stat Assoc 88(424):1273-1283.
.. [4] Lucas J.M., Crosier R.B. (1982) Robust CUSUM: a robustness study for CUSUM quality
   control schemes. Commun Stat Theory Methods 11(23):2669-2687.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import pandas as pd

#: Reference period: the runs of the first REFERENCE_DAYS days of a sensor (or of an accepted
#: baseline) [days] ...
REFERENCE_DAYS: int = 28
#: ... extended until it holds at least this many runs with the metric.
REFERENCE_MIN_RUNS: int = 8

#: CUSUM reference value k [spreads]: half the shift (one spread) the chart is tuned to find.
CUSUM_K: float = 0.5
#: CUSUM decision interval h [spreads]; with k = 0.5 the in-control ARL is ~465 runs
#: (Montgomery, Table 9.3).
CUSUM_H: float = 5.0
#: In-control average run length of the two-sided chart with CUSUM_K and CUSUM_H [runs].
CUSUM_ARL0_RUNS: int = 465
#: Standardised deviations are winsorised at ± this many spreads before they enter the sums.
Z_CLIP: float = 4.0

#: Runs in the running median that must be beyond the minimum size to raise a flag (so at
#: least three of the last five runs: two odd runs in a row are not a change) ...
RAISE_RUNS: int = 5
#: ... and in the running median that decides whether a flagged change is still there.
LEVEL_RUNS: int = 3
#: A flag ends when that median is back within this fraction of the minimum size.
HOLD_FRACTION: float = 0.5
#: The spread is floored at this fraction of the metric's minimum size.
SPREAD_FLOOR_FRACTION: float = 0.25

_EPOCH_ALL = "__all__"


def _utc_ns(times) -> np.ndarray:
    return pd.to_datetime(pd.Series(times), utc=True).to_numpy(dtype="datetime64[ns]")


def _epochs(t: np.ndarray, accepted) -> np.ndarray:
    """Index of the accepted-baseline epoch of each run (0 before the first acceptance)."""
    if accepted is None or len(accepted) == 0:
        return np.zeros(t.size, dtype=int)
    cuts = np.sort(_utc_ns(list(accepted)))
    return np.searchsorted(cuts, t, side="right")


def reference(times, values, sources=None, *, accepted=None) -> dict[str, np.ndarray]:
    """The frozen reference each run is compared with.

    Parameters
    ----------
    times : array-like of datetime
        Run start times, sorted ascending (UTC if naive).
    values : array-like
        The metric per run [its unit]; NaN runs are skipped.
    sources : array-like of str, optional
        Dynamics source per run; each source gets its own reference.
    accepted : sequence of datetime, optional
        Dates at which the runner accepted a new level: a new reference starts at each.

    Returns
    -------
    dict of numpy.ndarray
        ``level`` (reference median), ``spread`` (scaled MAD), ``n`` (runs in the reference),
        ``start`` / ``end`` (first and last reference run, datetime64[ns] UTC), ``ready``
        (the reference is complete), ``in_reference`` (the run is part of it), ``epoch``, and
        ``n_so_far`` (runs collected while the reference is still incomplete).
    """
    t = _utc_ns(times)
    v = np.asarray(values, dtype=float)
    n = v.size
    src = (
        np.full(n, "", dtype=object)
        if sources is None
        else pd.Series(sources, dtype="object").fillna("none").astype(str).to_numpy()
    )
    epoch = _epochs(t, accepted)
    out = {
        "level": np.full(n, np.nan),
        "spread": np.full(n, np.nan),
        "n": np.zeros(n, dtype=int),
        "start": np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]"),
        "end": np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]"),
        "ready": np.zeros(n, dtype=bool),
        "in_reference": np.zeros(n, dtype=bool),
        "epoch": epoch,
        "n_so_far": np.zeros(n, dtype=int),
    }
    for e in np.unique(epoch):
        for s in np.unique(src[epoch == e]):
            group = np.flatnonzero((epoch == e) & (src == s))
            valid = group[np.isfinite(v[group])]
            if valid.size == 0:
                continue
            cutoff = t[valid[0]] + np.timedelta64(REFERENCE_DAYS, "D")
            members = valid[t[valid] < cutoff]
            if members.size < REFERENCE_MIN_RUNS:
                members = valid[:REFERENCE_MIN_RUNS]
            out["n_so_far"][group] = np.minimum(
                np.searchsorted(valid, group, side="right"), REFERENCE_MIN_RUNS
            )
            if members.size < REFERENCE_MIN_RUNS:
                continue  # still collecting: no reference for this sensor yet
            w = v[members]
            med = float(np.median(w))
            last = members[-1]
            after = group[group > last]
            for key, val in (
                ("level", med),
                ("spread", 1.4826 * float(np.median(np.abs(w - med)))),
                ("n", members.size),
                ("start", t[members[0]]),
                ("end", t[last]),
            ):
                out[key][members] = val
                out[key][after] = val
            out["ready"][members] = True
            out["ready"][after] = True
            out["in_reference"][members] = True
    return out


def detect(times, values, sources=None, *, min_size, accepted=None) -> dict[str, np.ndarray]:
    """Two-sided CUSUM against the frozen reference; see the module docstring for the method.

    Parameters
    ----------
    times, values, sources, accepted
        As for :func:`reference`.
    min_size : float or array-like
        Smallest change that is flagged [metric unit], > 0 (per run when an array).

    Returns
    -------
    dict of numpy.ndarray
        Everything of :func:`reference`, plus ``change`` (value − reference level) [unit],
        ``z`` [spreads], ``cusum_up`` / ``cusum_down`` [spreads], ``monitored`` (the run was
        judged: reference complete, run after it, value present), ``side`` (+1 while flagged
        above the reference, −1 below, 0 otherwise) and ``onset`` (index of the first run of
        the flagged change; −1 when not flagged). Causal: run *i* depends on runs up to *i*.
    """
    ref = reference(times, values, sources, accepted=accepted)
    v = np.asarray(values, dtype=float)
    n = v.size
    size = np.broadcast_to(np.asarray(min_size, dtype=float), (n,)).astype(float)
    spread = np.fmax(ref["spread"], SPREAD_FLOOR_FRACTION * size)
    change = v - ref["level"]
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.clip(change / spread, -Z_CLIP, Z_CLIP)
    monitored = ref["ready"] & ~ref["in_reference"] & np.isfinite(z) & np.isfinite(size)
    up_arr, down_arr = np.zeros(n), np.zeros(n)
    side_arr = np.zeros(n, dtype=int)
    onset_arr = np.full(n, -1)
    up = down = 0.0
    side, onset, epoch = 0, -1, None
    recent: deque[float] = deque(maxlen=RAISE_RUNS)
    judged: list[int] = []  # monitored runs of the current epoch
    for i in range(n):
        if ref["epoch"][i] != epoch:  # an accepted baseline starts everything afresh
            epoch, up, down, side, onset = ref["epoch"][i], 0.0, 0.0, 0, -1
            recent.clear()
            judged.clear()
        if not monitored[i]:
            if ref["ready"][i] and not ref["in_reference"][i]:
                side_arr[i], onset_arr[i] = side, onset  # a run without the metric: carry on
            up_arr[i], down_arr[i] = up, down
            continue
        up = max(0.0, up + z[i] - CUSUM_K)
        down = max(0.0, down - z[i] - CUSUM_K)
        recent.append(change[i])
        judged.append(i)
        hold = HOLD_FRACTION * size[i]
        if side != 0 and side * float(np.median(list(recent)[-LEVEL_RUNS:])) < hold:
            side, onset, up, down = 0, -1, 0.0, 0.0  # back at the reference: released
        if side == 0 and len(recent) == RAISE_RUNS:
            level = float(np.median(recent))
            new = 1 if (up > CUSUM_H and level >= size[i]) else 0
            new = -1 if (not new and down > CUSUM_H and level <= -size[i]) else new
            if new:
                side, onset = new, i
                for j in reversed(judged[:-1]):  # back to the start of the streak
                    if new * change[j] < hold:
                        break
                    onset = j
        up_arr[i], down_arr[i] = up, down
        side_arr[i], onset_arr[i] = side, onset
    return {
        **ref,
        "spread": np.where(ref["ready"], spread, np.nan),
        "change": change,
        "z": z,
        "cusum_up": up_arr,
        "cusum_down": down_arr,
        "monitored": monitored,
        "side": side_arr,
        "onset": onset_arr,
    }


def events(times, det: dict[str, np.ndarray], values=None) -> list[dict]:
    """One dict per flagged change of :func:`detect` output, oldest first.

    Returns
    -------
    list of dict
        ``onset`` (first run of the change), ``last`` (last flagged run), ``ongoing`` (flagged
        at the last run), ``direction`` (+1 / −1), ``size`` (median change of the last up to
        five flagged runs: the current level against the reference) [unit], ``n_runs``
        (flagged runs with the metric), ``baseline`` (reference level) [unit],
        ``reference_start`` / ``reference_end`` / ``reference_runs`` and ``first_flagged``
        (the run at which the flag was raised).
    """
    t = pd.to_datetime(pd.Series(times), utc=True).reset_index(drop=True)
    side, onset, change = det["side"], det["onset"], det["change"]
    out = []
    starts = []
    for i in np.flatnonzero(side != 0):
        key = (int(onset[i]), int(side[i]))
        if key not in starts:
            starts.append(key)
    for s, direction in starts:
        members = np.flatnonzero((onset == s) & (side == direction))
        valid = members[np.isfinite(change[members])]
        last = int(members.max())
        out.append(
            {
                "onset": t.iloc[s],
                "first_flagged": t.iloc[int(members.min())],
                "last": t.iloc[last],
                "ongoing": bool(side[-1] == direction and onset[-1] == s),
                "direction": int(direction),
                "size": float(np.median(change[valid[-5:]])) if valid.size else float("nan"),
                "n_runs": int(valid.size),
                "baseline": float(det["level"][s]),
                "reference_start": pd.Timestamp(det["start"][s], tz="UTC"),
                "reference_end": pd.Timestamp(det["end"][s], tz="UTC"),
                "reference_runs": int(det["n"][s]),
            }
        )
    return out
