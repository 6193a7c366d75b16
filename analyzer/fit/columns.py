"""Message tables (:class:`~analyzer.fit.messages.FitMessages`) to numpy arrays and pandas columns.

The generic machinery behind :func:`analyzer.fit.activity.build_activity`: numeric columns as float64
arrays, first values, 0 -> NaN, FIT seconds -> UTC timestamps, elapsed seconds, enum names, and
the assignment of timestamps to sessions.

The tables are tiny (one session, a few laps) or plain float columns (records), so the work is
done on numpy arrays: per-column pandas operations would cost more than the data they touch. Each
helper reproduces the pandas expression it replaces exactly (values, dtypes, index, element
types); the pandas expression is quoted where that is not obvious.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from analyzer.fit.messages import FIT_EPOCH_S, FitMessages, Tables
from analyzer.fit.names import as_int, enum_name

#: Whole FIT seconds (plus the epoch offset) below this magnitude fit int64 microseconds.
_MAX_WHOLE_S = 9.0e12
#: Rows up to which a message table is converted to one array without looking at its dtypes.
_SMALL_TABLE = 64
#: Float columns from which :func:`frame` builds one block (fewer: pandas' own constructor).
_MIN_BLOCK_COLUMNS = 8
#: int64 value of NaT.
_NAT = np.iinfo(np.int64).min
#: Ticks per second of the datetime resolutions timestamps come in.
_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


def col(df: pd.DataFrame, key) -> np.ndarray:
    """A numeric column as a float64 array (read only), all-NaN when absent.

    ``pd.to_numeric(df[key], errors="coerce").astype("float64")``.
    """
    if key in df.columns:
        s = df[key]
        if s.dtype == np.float64:
            return s.to_numpy()
        return pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()
    return np.full(len(df), np.nan)


class Columns:
    """Column getter of one message table: ``cols(key)`` is :func:`col` ``(df, key)``.

    A table whose columns are all numeric (both decoders write float64 for numeric fields) is
    read as one float64 2-D array once, instead of building a Series per column. Large tables
    are checked first, so that one with string columns is not copied into an object array.
    :meth:`of` reads the compiled decoder's columns (:class:`~analyzer.fit.messages.Raw`)
    without building the table at all.
    """

    __slots__ = ("_df", "_block", "_pos", "_objects", "_keys", "_rows")

    def __init__(self, df: pd.DataFrame):
        self._df = df
        self._block = None
        self._pos: dict = {}
        self._objects: dict = {}
        self._keys = df.columns
        self._rows = len(df)
        if not (len(df.columns) and df.columns.is_unique):
            return
        if len(df) > _SMALL_TABLE and not bool((df.dtypes == np.float64).all()):
            return
        block = df.to_numpy()
        if block.dtype == np.float64 and block.ndim == 2:
            self._block = block
            self._pos = {k: i for i, k in enumerate(df.columns)}

    @classmethod
    def of(cls, msgs: FitMessages, mesg_num: int) -> Columns:
        """The columns of ``msgs.table(mesg_num)``, read as they are for the same values."""
        raw = msgs.tables.raw(mesg_num) if isinstance(msgs.tables, Tables) else None
        if raw is None:
            return cls(msgs.table(mesg_num))
        self = cls.__new__(cls)
        self._df = None
        self._block = raw.block.T
        self._pos = {k: i for i, k in enumerate(raw.keys)}
        self._objects = raw.objects
        self._keys = raw.keys
        self._rows = raw.rows
        return self

    def __len__(self) -> int:
        return self._rows

    def __contains__(self, key) -> bool:
        return key in self._pos if self._df is None else key in self._keys

    @property
    def empty(self) -> bool:
        """``DataFrame.empty``: no rows or no columns."""
        return self._rows == 0 or len(self._keys) == 0

    @property
    def index(self) -> pd.Index:
        """The table's row index (a RangeIndex, as every decoder builds it)."""
        return pd.RangeIndex(self._rows) if self._df is None else self._df.index

    def numeric(self, key) -> bool:
        """Whether the table has column ``key`` and it is float64."""
        if key in self._objects or key not in self:
            return False
        return self._block is not None or self._df[key].dtype == np.float64

    def __call__(self, key) -> np.ndarray:
        a = self.get(key)
        return np.full(self._rows, np.nan) if a is None else a

    def get(self, key) -> np.ndarray | None:
        """The column as :meth:`__call__` gives it, or None when the table has no such column
        (instead of an all-NaN array)."""
        if key in self._objects:
            return col(pd.DataFrame({key: pd.Series(self._objects[key], dtype=object)}), key)
        if self._block is None:
            return col(self._df, key) if key in self._df.columns else None
        i = self._pos.get(key)
        return None if i is None else self._block[:, i]

    def first(self, key, mask: np.ndarray | None = None):
        """:func:`first_value` ``(df, key, mask)``."""
        if key in self._objects:
            values = self._objects[key] if mask is None else self._objects[key][mask]
            return next((v for v in values if v is not None), None)
        if self._block is None:
            return first_value(self._df, key, mask)
        i = self._pos.get(key)
        if i is None or not self._rows:
            return None
        a = self._block[:, i] if mask is None else self._block[:, i][mask]
        ok = np.flatnonzero(~np.isnan(a))
        return a[ok[0]] if ok.size else None

    def values(self, key) -> list:
        """The values of a column as a list: numbers, strings, and None for a missing value
        (NaN or None) or an absent column."""
        if key in self._objects:
            return self._objects[key].tolist()
        if self._block is None:
            if key not in self._df.columns:
                return [None] * self._rows
            column = self._df[key]
            if column.dtype != np.float64:
                return column.tolist()
            a = column.to_numpy()
        else:
            i = self._pos.get(key)
            if i is None:
                return [None] * self._rows
            a = self._block[:, i]
        listed = a.tolist()
        if np.isnan(a).any():
            listed = [None if v != v else v for v in listed]
        return listed


def frame(columns: dict, index: pd.Index) -> pd.DataFrame:
    """``pd.DataFrame(columns, index=index)`` for many float64 columns: they are copied once into
    one 2-D block that pandas takes without another copy, and the other columns are inserted at
    their places (cheaper than pandas' per-column checks and consolidation)."""
    keys = list(columns)
    floats = [
        k for k in keys if isinstance(columns[k], np.ndarray) and columns[k].dtype == np.float64
    ]
    if len(floats) < _MIN_BLOCK_COLUMNS or len({len(columns[k]) for k in keys}) != 1:
        return pd.DataFrame(columns, index=index)
    block = np.empty((len(floats), len(index)))
    for j, k in enumerate(floats):
        block[j] = columns[k]
    out = pd.DataFrame(block.T, columns=floats, index=index, copy=False)
    if len(floats) < len(keys):
        chosen = set(floats)
        for at, k in enumerate(keys):
            if k not in chosen:
                out.insert(at, k, columns[k])
    return out


class Later:
    """A value to compute on first read (what :class:`Deferred` holds until then)."""

    __slots__ = ("build",)

    def __init__(self, build: Callable[[], object]):
        self.build = build


class Once:
    """A builder run at most once, its result kept: what two :class:`Later` values share
    (the laps table and its columns)."""

    __slots__ = ("build", "value", "built")

    def __init__(self, build: Callable[[], object]):
        self.build = build
        self.value = None
        self.built = False

    def __call__(self):
        if not self.built:
            self.value, self.built = self.build(), True
        return self.value


class Deferred:
    """A dataclass field that may be given as :class:`Later` (built on first read, then kept);
    any other value is stored and read as it is.

    Parameters
    ----------
    default_factory : callable, optional
        Builds the value of an instance created without one (on first read, once per
        instance); without it the field has no default.
    """

    def __init__(self, default_factory: Callable[[], object] | None = None):
        self._default = None if default_factory is None else Later(default_factory)

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = f"_deferred_{name}"

    def __get__(self, obj, objtype=None):
        if obj is None:
            if self._default is None:
                raise AttributeError(self._slot)  # (for dataclasses: no default value)
            return self._default
        value = obj.__dict__[self._slot]
        if isinstance(value, Later):
            value = obj.__dict__[self._slot] = value.build()
        return value

    def __set__(self, obj, value) -> None:
        obj.__dict__[self._slot] = value


def fill(a: np.ndarray, b) -> np.ndarray:
    """``a`` with its NaNs replaced by ``b`` (``Series.fillna`` of aligned series)."""
    return np.where(np.isnan(a), b, a)


def nonzero(a: np.ndarray) -> np.ndarray:
    """``a`` with 0 as NaN (``s.where(s != 0)``)."""
    return np.where(a != 0, a, np.nan)


def nanmin(a: np.ndarray) -> float:
    """NaN-skipping minimum, NaN when there is no value (``Series.min``)."""
    return np.fmin.reduce(a) if a.size else np.nan


def first_value(df: pd.DataFrame, key, mask: np.ndarray | None = None):
    """First non-missing value of a column (among the rows of ``mask``); None without one."""
    if df.empty or key not in df.columns:
        return None
    s = df[key]
    if s.dtype == np.float64:
        a = s.to_numpy() if mask is None else s.to_numpy()[mask]
        ok = np.flatnonzero(~np.isnan(a))
        return a[ok[0]] if ok.size else None
    vals = (s if mask is None else s[mask]).dropna()
    return vals.iloc[0] if len(vals) else None


def whole_seconds(seconds: np.ndarray) -> np.ndarray | None:
    """``seconds + FIT_EPOCH_S`` as int64 Unix seconds (0 where NaN) when every value is a
    whole number of seconds in range; None otherwise."""
    v = seconds + FIT_EPOCH_S
    whole = np.where(np.isnan(v), 0.0, v)
    if np.all(np.abs(whole) < _MAX_WHOLE_S) and np.array_equal(whole, np.trunc(whole)):
        return whole.astype(np.int64)
    return None


def times(seconds: np.ndarray, unix: np.ndarray | None = None):
    """FIT seconds -> UTC timestamps, as an array for a DataFrame column.

    ``pd.to_datetime(seconds + FIT_EPOCH_S, unit="s", utc=True)``: whole seconds (and NaN) give
    microsecond resolution, done here in integers (``unix``: :func:`whole_seconds` when the
    caller has it); anything else is left to pandas (which then uses nanoseconds).
    """
    if unix is None:
        unix = whole_seconds(seconds)
    if unix is None:
        # (coerce: a value beyond pandas' range, e.g. a float64 timestamp of 1e30, is NaT)
        return pd.to_datetime(
            pd.Series(seconds + FIT_EPOCH_S), unit="s", utc=True, errors="coerce"
        ).array
    us = unix * 1_000_000
    us[np.isnan(seconds)] = _NAT
    return pd.DatetimeIndex(us.view("M8[us]"), tz="UTC").array


def fit_timestamp(value) -> pd.Timestamp | None:
    """One FIT seconds value (``file_id.time_created``) as a UTC timestamp.

    None when absent or not a FIT ``date_time`` (a uint32 count of seconds): a field written
    with another base type (a string, a float 1e30) counts as absent.
    """
    seconds = as_int(value)
    if seconds is None:
        return None
    # (what :func:`times` gives: microseconds, UTC)
    return pd.Timestamp((seconds + FIT_EPOCH_S) * 1_000_000, unit="us", tz="UTC")


def elapsed_seconds(ts) -> np.ndarray:
    """Seconds since the first timestamp: ``(ts - ts.min()).dt.total_seconds()`` (``ts``: a
    Series, or its array)."""
    if not len(ts):
        return np.empty(0, dtype="float64")
    if isinstance(ts, pd.Series):
        values = ts.array
    else:
        values, ts = ts, pd.Series(ts)
    if not isinstance(values, pd.arrays.DatetimeArray):
        return (ts - ts.min()).dt.total_seconds().astype("float64").to_numpy()
    unit, i8 = values.unit, values.asi8
    nat = i8 == _NAT
    if unit in _PER_SECOND and not nat.all():
        whole, part = np.divmod(i8 - i8[~nat].min(), _PER_SECOND[unit])
        if not part[~nat].any():
            out = whole.astype("float64")
            out[nat] = np.nan
            return out
    return (ts - ts.min()).dt.total_seconds().astype("float64").to_numpy()


def enum_names(values: np.ndarray, type_name: str, index: pd.Index) -> pd.Series:
    """Profile names of enum values, as ``Series.map(enum_name).astype(object)`` gives them:
    an object Series where a missing name is None, or NaN when other names are strings."""
    names = [enum_name(type_name, v) for v in values.tolist()]
    if None in names and any(isinstance(n, str) for n in names):
        names = [np.nan if n is None else n for n in names]
    return pd.Series(names, index=index, dtype=object)


def start_seconds(sessions: pd.DataFrame) -> np.ndarray:
    """Session start times back in FIT seconds:
    ``(sessions["start_time"] - FIT epoch).dt.total_seconds()``."""
    if not len(sessions):
        return np.empty(0, dtype="float64")
    since = sessions["start_time"] - pd.Timestamp(FIT_EPOCH_S, unit="s", tz="UTC")
    return since.dt.total_seconds().to_numpy(dtype="float64")


def assign_sessions(ts: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Session index of each FIT-seconds timestamp, given the sessions' starts.

    Session *i* owns ``[start_i, start_{i+1})`` (in start order); timestamps before the first
    start go to the earliest session, and a NaN timestamp counts as +inf; -1 without sessions.
    """
    if len(starts) == 0:
        return np.full(len(ts), -1, dtype="int64")
    order = np.argsort(starts, kind="stable")
    sorted_starts = starts[order]
    pos = np.searchsorted(sorted_starts, np.nan_to_num(ts, nan=np.inf), side="right") - 1
    pos = np.clip(pos, 0, len(order) - 1)
    return order[pos].astype("int64")


__all__ = [
    "Columns",
    "Deferred",
    "Later",
    "Once",
    "assign_sessions",
    "col",
    "elapsed_seconds",
    "enum_names",
    "fill",
    "first_value",
    "fit_timestamp",
    "frame",
    "nanmin",
    "nonzero",
    "start_seconds",
    "times",
    "whole_seconds",
]
