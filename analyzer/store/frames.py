"""DataFrame helpers of the store: stored rows back into contract frames (UTC times)."""

from __future__ import annotations

import pandas as pd

from analyzer.schema import RECORD_COLUMNS


def contract_records(df: pd.DataFrame) -> pd.DataFrame:
    df = df.drop(columns=["run_key", "record_index"]).reset_index(drop=True)
    base = list(RECORD_COLUMNS)
    extra = [c for c in df.columns if c not in RECORD_COLUMNS and df[c].notna().any()]
    df = df[base + extra]
    return utc(df, ("timestamp",))


def empty_records() -> pd.DataFrame:
    df = pd.DataFrame({c: pd.Series(dtype="float64") for c in RECORD_COLUMNS})
    df["timestamp"] = pd.Series(dtype="datetime64[ns, UTC]")
    return df


def session_series(data: dict) -> pd.Series:
    for key in ("start_time", "end_time", "timestamp"):
        if data.get(key) is not None:
            data[key] = pd.Timestamp(data[key])
            if data[key].tzinfo is None:
                data[key] = data[key].tz_localize("UTC")
    return pd.Series(data, dtype=object)


def utc(df: pd.DataFrame, columns) -> pd.DataFrame:
    for col in columns:
        if col in df and pd.api.types.is_datetime64_any_dtype(df[col]):
            if getattr(df[col].dt, "tz", None) is None:
                df[col] = df[col].dt.tz_localize("UTC")
            else:
                df[col] = df[col].dt.tz_convert("UTC")
    return df
