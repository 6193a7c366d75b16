"""When a FIT timestamp is not a calendar date: the one rule every stage uses.

:func:`date_problem` says why a run's start time cannot be trusted as a date, or None when it
can. A run whose date is unknown keeps its records and per-run figures, but it cannot be placed
in a week or a history: the store flags it ``date_unknown`` and the load and baseline
computations leave it out (:meth:`analyzer.store.database.Store.gait`).

Thresholds
----------
- :data:`DEVICE_RELATIVE_LIMIT` = ``0x10000000`` FIT seconds: the FIT profile's ``date_time``
  type: "if date_time is < 0x10000000 then it is system time (seconds from device power on)"
  (Garmin FIT SDK, Profile, types/date_time, ``min``; shipped in ``garmin_fit_sdk.profile``).
  Counted from the FIT epoch (1989-12-31T00:00Z) such a value lands between 1989-12-31 and
  1998-07-03, which is how an FR70 shows runs in 1990.
- :data:`EARLIEST` = 2000-01-01T00:00Z: a project choice with a wide margin, not a published
  limit. Device-relative values end on 1998-07-03 (above); the oldest dated file of the shared
  FIT corpus is from 2012 (``Activity.fit``, a Dynastream HRM1 SDK example); a start before 2000
  is a clock reset to the FIT epoch or to a device's default year (a run "dated 1989").
- :data:`FUTURE_SLACK` = 1 day after now: a start later than that is a wrong clock (a run in
  2100); the day absorbs time zones and small clock errors of a file imported right away.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analyzer.fit.messages import FIT_EPOCH_S
from analyzer.schema import utc as _utc

#: FIT seconds below this are device-relative (seconds since power-on), not dates [s].
DEVICE_RELATIVE_LIMIT = 0x10000000
#: Starts before this instant are not plausible run dates (UTC).
EARLIEST = pd.Timestamp("2000-01-01", tz="UTC")
#: Starts later than now plus this are not plausible run dates.
FUTURE_SLACK = pd.Timedelta(days=1)

#: First instant that is not device-relative (UTC).
_RELATIVE_END = pd.Timestamp(FIT_EPOCH_S + DEVICE_RELATIVE_LIMIT, unit="s", tz="UTC")


def date_problem(start: Any, *, now: Any = None) -> str | None:
    """Why ``start`` is not a usable run date, or None when it is one.

    Parameters
    ----------
    start : Timestamp-like or None
        A run's start time (UTC when zone-less).
    now : Timestamp-like, optional
        The present (default: the clock); used for the future limit.

    Returns
    -------
    str or None
        ``"no start time"``, ``"device-relative timestamp"`` (below :data:`DEVICE_RELATIVE_LIMIT`),
        ``"implausible date YYYY-MM-DD (before 2000-01-01)"`` or ``"implausible date YYYY-MM-DD
        (in the future)"``; None for a plausible date.
    """
    ts = _utc(start)
    if ts is None:
        return "no start time"
    if ts < _RELATIVE_END:
        return "device-relative timestamp"
    if ts < EARLIEST:
        return f"implausible date {ts:%Y-%m-%d} (before {EARLIEST:%Y-%m-%d})"
    present = _utc(now) if now is not None else pd.Timestamp.now(tz="UTC")
    if ts > present + FUTURE_SLACK:
        return f"implausible date {ts:%Y-%m-%d} (in the future)"
    return None


def real_dates(starts: Any, *, now: Any = None) -> pd.Series:
    """The starts that are usable dates (:func:`date_problem` is None), as nanosecond UTC
    timestamps: a start in year 1 or 9999 (a store written before such dates were refused)
    never reaches pandas' nanosecond arithmetic."""
    present = _utc(now) if now is not None else pd.Timestamp.now(tz="UTC")
    keep = [
        t
        for t in (_utc(v) for v in starts)
        if t is not None and EARLIEST <= t <= present + FUTURE_SLACK
    ]
    return pd.Series(keep, dtype="datetime64[ns, UTC]")


def date_note(problem: str) -> str:
    """The line shown in the import log and ``analyzer runs`` for a run with that problem."""
    return f"date unknown: {problem}; kept out of load and baselines"
