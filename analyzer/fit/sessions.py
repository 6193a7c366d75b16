"""The sessions and laps tables of an :class:`~analyzer.fit.activity.Activity`.

What the records need of the sessions (each session's sport and start) is read from the session
messages at once (:func:`read_sessions`); the sessions table itself is built when first read
(:class:`~analyzer.fit.columns.Later`), and so are the laps: building a small table with pandas
costs more than the records need, and many callers read only the records.

Columns, units and conversions are those of :mod:`analyzer.fit.activity` (its module doc).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from analyzer.fit.columns import (
    Columns,
    Later,
    assign_sessions,
    enum_names,
    fill,
    first_value,
    nanmin,
    nonzero,
    start_seconds,
    times,
    whole_seconds,
)
from analyzer.fit.messages import FIT_EPOCH_S, LAP, SESSION, SPORT, FitMessages
from analyzer.fit.names import enum_name
from analyzer.schema import AVERAGE_METRICS

#: Sports in which FIT cadence counts one foot (so steps/min = 2 x cadence).
FOOT_SPORTS = frozenset({"running", "walking", "hiking"})

#: Watch summary fields: metric -> (session field, lap field) (FIT profile).
SUMMARY_FIELDS = {
    "stance_time_ms": (91, 79),
    "vertical_oscillation_mm": (89, 77),
    "gct_balance_left_pct": (133, 119),
    "step_length_mm": (134, 120),
    "vertical_ratio_pct": (132, 118),
    "power_w": (20, 19),
    "heart_rate_bpm": (16, 15),
}


def is_foot(sports: list) -> np.ndarray:
    """Which sports count one foot's cadence (membership in :data:`FOOT_SPORTS`)."""
    return np.array([s in FOOT_SPORTS for s in sports], dtype=bool)


def summary(cols: Columns, foot: np.ndarray, which: int) -> dict[str, np.ndarray]:
    """watch_avg_* columns of session (which=0) or lap (which=1) messages; ``foot`` marks the
    rows of a running, walking or hiking session."""
    out: dict[str, np.ndarray] = {}
    speed = fill(cols(124 if which == 0 else 110), cols(14 if which == 0 else 13))
    cad = cols(18 if which == 0 else 17) + np.nan_to_num(cols(92 if which == 0 else 80), nan=0.0)
    cad = np.where(foot, 2 * cad, np.nan)
    for m in AVERAGE_METRICS:
        if m == "speed_mps":
            out["watch_avg_speed_mps"] = nonzero(speed)
        elif m == "cadence_spm":
            out["watch_avg_cadence_spm"] = nonzero(cad)
        else:
            out[f"watch_avg_{m}"] = nonzero(cols(SUMMARY_FIELDS[m][which]))
    out["watch_avg_power_w"] = nonzero(cols(SUMMARY_FIELDS["power_w"][which]))
    out["watch_avg_heart_rate_bpm"] = nonzero(cols(SUMMARY_FIELDS["heart_rate_bpm"][which]))
    return out


@dataclass
class Sessions:
    """The sessions of a payload as the records need them.

    Attributes
    ----------
    sports : list of str
        Each session's sport by name (``"unknown"`` when the file names none).
    starts : numpy.ndarray
        Each session's start in FIT seconds, as :func:`~analyzer.fit.columns.start_seconds`
        reads it back from the table.
    first_start : pandas.Timestamp or None
        ``table["start_time"].min()`` (NaT when no start is known); None without sessions.
    table : pandas.DataFrame or Later
        The sessions table (:attr:`analyzer.fit.activity.Activity.sessions`), or its builder.
    """

    sports: list
    starts: np.ndarray
    first_start: object
    table: object


def read_sessions(msgs: FitMessages, rec_ts: np.ndarray) -> Sessions:
    """The sessions of ``msgs`` (records' timestamps ``rec_ts`` in FIT seconds): a file with
    records and no session message gets one session spanning its records."""
    cols = Columns.of(msgs, SESSION)
    if cols.empty:
        if np.isnan(rec_ts).all():
            empty = pd.DataFrame(columns=["session_index", "sport", "sub_sport", "start_time"])
            return Sessions([], np.empty(0, dtype="float64"), None, empty)
        sport_msg = msgs.table(SPORT)
        first, last = nanmin(rec_ts), np.fmax.reduce(rec_ts)
        sess = pd.DataFrame(
            {
                5: [first_value(sport_msg, 0)],
                6: [first_value(sport_msg, 1)],
                2: [first],
                7: [last - first],
            }
        )
        cols = Columns(sess)
    sport_names = [enum_name("sport", v) for v in cols(5).tolist()]
    # ``enum_names(...).fillna("unknown")``: every value is a string.
    sport = ["unknown" if n is None else n for n in sport_names]
    elapsed, stamp = cols(7), cols(253)
    start = fill(cols(2), stamp - elapsed)
    if np.isnan(start).any() and not np.isnan(rec_ts).all():
        start = fill(start, nanmin(rec_ts))
    unix = whole_seconds(start)
    build = partial(_session_frame, cols, sport, start, unix)
    first_start = times(np.array([nanmin(start)]))[0]
    if unix is None:
        # (fractional starts: read back through the table, as the records see them)
        table = build()
        return Sessions(sport, start_seconds(table), first_start, table)
    # Whole seconds go through the table unchanged: (unix - epoch) seconds, NaN where NaT.
    starts = (unix - FIT_EPOCH_S).astype("float64")
    starts[np.isnan(start)] = np.nan
    return Sessions(sport, starts, first_start, Later(build))


def _session_frame(
    cols: Columns, sport: list, start: np.ndarray, unix: np.ndarray | None
) -> pd.DataFrame:
    index = cols.index
    elapsed, stamp = cols(7), cols(253)
    out = {
        "session_index": np.arange(len(cols), dtype="int64"),
        "sport": pd.Series(sport, index=index, dtype=object),
        "sub_sport": enum_names(cols(6), "sub_sport", index),
        "start_time": times(start, unix),
        "end_time": times(fill(start + elapsed, stamp)),
        "total_elapsed_s": elapsed,
        "total_timer_s": cols(8),
        "total_distance_m": cols(9),
        "total_cycles": cols(10) + np.nan_to_num(cols(94), nan=0.0),  # strides when running
    }
    out.update(summary(cols, is_foot(sport), 0))
    return pd.DataFrame(out, index=index)


def laps(msgs: FitMessages, sports: list, starts: np.ndarray) -> pd.DataFrame:
    """The laps table (:attr:`analyzer.fit.activity.Activity.laps`) of sessions with these
    sports and starts."""
    return laps_table(lap_columns(msgs, sports, starts))


def lap_columns(
    msgs: FitMessages, sports: list, starts: np.ndarray
) -> tuple[dict[str, np.ndarray], pd.Index] | None:
    """The columns of :func:`laps` as arrays, and its row index; None for a file without laps
    (whose table is :func:`laps_table` ``(None)``)."""
    cols = Columns.of(msgs, LAP)
    if cols.empty:
        return None
    elapsed, stamp = cols(7), cols(253)
    start = fill(cols(2), stamp - elapsed)
    sidx = assign_sessions(start, starts)
    if len(sports):
        foot = is_foot(sports)[np.clip(sidx, 0, None)]
    else:
        foot = np.zeros(len(cols), dtype=bool)
    out = {
        "lap_index": np.arange(len(cols), dtype="int64"),
        "session_index": sidx,
        "start_time": times(start),
        "end_time": times(fill(start + elapsed, stamp)),
        "total_elapsed_s": elapsed,
        "total_timer_s": cols(8),
        "total_distance_m": cols(9),
    }
    out.update(summary(cols, foot, 1))
    return out, cols.index


def laps_table(columns: tuple[dict[str, np.ndarray], pd.Index] | None) -> pd.DataFrame:
    """The laps table of :func:`lap_columns`' columns."""
    if columns is None:
        return pd.DataFrame(columns=["lap_index", "session_index", "start_time"])
    return pd.DataFrame(columns[0], index=columns[1])


__all__ = [
    "FOOT_SPORTS",
    "SUMMARY_FIELDS",
    "Sessions",
    "is_foot",
    "lap_columns",
    "laps",
    "laps_table",
    "read_sessions",
    "summary",
]
