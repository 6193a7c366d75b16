"""Columnar blocks: how a worker hands a run's records and laps to the writer.

A :class:`Block` is the store-ready form of a DataFrame: one numpy array per column, zoned
times already naive UTC, text already text. Built in the worker (:func:`Block.from_frame`), so
the single writer only concatenates arrays and bulk-inserts them; pickled between processes it
is little more than the raw column bytes (a DataFrame pickle carries its block manager, index
and dtypes, and rebuilding it in the writer cost more than inserting it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

#: Columns of a run's records / laps that the store does not keep (run_key replaces them).
DROPPED = frozenset({"session_index", "run_key"})


class Block:
    """A table as named numpy columns of equal length ``n`` (see the module docstring).

    ``tz`` names the columns that were zone-aware (stored naive UTC) so that
    :meth:`to_frame` gives back the frame the decoder made.
    """

    __slots__ = ("columns", "n", "tz")

    def __init__(self, columns: dict[str, np.ndarray], n: int, tz: Iterable[str] = ()):
        self.columns = columns
        self.n = int(n)
        self.tz = tuple(tz)

    def __len__(self) -> int:
        return self.n

    def __reduce__(self):  # pickled as its arrays (no per-object overhead beyond that)
        return (Block, (self.columns, self.n, self.tz))

    @classmethod
    def from_frame(cls, df: pd.DataFrame | None, *, skip: Iterable[str] = ()) -> Block:
        """The store-ready columns of ``df`` (``None`` or empty: an empty block).

        Zoned datetimes become naive UTC; objects become text (JSON for lists); columns without
        a string name are dropped (a decoder bug naming one NaN must not add a "nan" column),
        and so are :data:`DROPPED` and ``skip``.
        """
        if df is None or len(df) == 0:
            return cls({}, 0)
        skip = DROPPED | frozenset(skip)
        out: dict[str, np.ndarray] = {}
        tz = []
        for col in df.columns.tolist():
            if not isinstance(col, str) or not col or col in skip or col in out:
                continue
            s = df[col]
            if isinstance(s.dtype, pd.DatetimeTZDtype):
                # (``s.dt.tz_convert(None).to_numpy()``: the UTC ticks, without the accessor)
                values = s.array
                utc = values.asi8.view(f"M8[{values.unit}]")
                utc.flags.writeable = False  # (a view of the frame's data)
                out[col] = utc
                tz.append(col)
            elif s.dtype == object or isinstance(s.dtype, pd.StringDtype):
                out[col] = np.array([text_value(v) for v in s], dtype=object)
            else:
                out[col] = s.to_numpy()
        return cls(out, len(df), tz)

    @classmethod
    def from_columns(cls, columns: dict, *, skip: Iterable[str] = ()) -> Block:
        """:meth:`from_frame` of ``pd.DataFrame(columns)``, read from the arrays themselves
        (a run's columns, :attr:`analyzer.fit.activity.Run.record_columns`): numeric numpy
        arrays and zoned datetime arrays are taken as they are (as read-only views, like a
        frame's ``to_numpy``); a table with any other column goes through the frame."""
        n = len(next(iter(columns.values()))) if columns else 0
        if n == 0:
            return cls({}, 0)
        skip = DROPPED | frozenset(skip)
        out: dict[str, np.ndarray] = {}
        tz = []
        for col, values in columns.items():
            if not isinstance(col, str) or not col or col in skip:
                continue
            if isinstance(values, pd.arrays.DatetimeArray) and values.tz is not None:
                view = values.asi8.view(f"M8[{values.unit}]")
                tz.append(col)
            elif isinstance(values, np.ndarray) and values.dtype.kind in "biuf":
                view = values.view()
            else:
                return cls.from_frame(pd.DataFrame(columns), skip=skip)
            view.flags.writeable = False
            out[col] = view
        return cls(out, n, tz)

    def to_frame(self) -> pd.DataFrame:
        """The block as a DataFrame (zone-aware UTC where the source was zoned)."""
        df = pd.DataFrame(self.columns, index=pd.RangeIndex(self.n), copy=False)
        for col in self.tz:
            df[col] = df[col].dt.tz_localize("UTC")
        return df

    def has_values(self, name: str) -> bool:
        """Whether the column ``name`` exists and holds a value (not all NaN/NaT/None)."""
        a = self.columns.get(name)
        if a is None or not len(a):
            return False
        if a.dtype.kind in "fcmM":
            return not np.isnan(a).all()
        if a.dtype.kind == "O":
            return any(v is not None for v in a)
        return True

    def count_values(self, names: Iterable[str]) -> int:
        """How many of the columns ``names`` hold a value (see :meth:`has_values`)."""
        return sum(self.has_values(name) for name in names)


def text_value(v: Any) -> Any:
    """One object value as the store keeps it: text (JSON for containers) or None."""
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    if isinstance(v, list | tuple | dict):
        return json.dumps(v, default=str)
    return str(v)
