"""Accepted baselines: the dates at which a runner accepted a new level as their reference.

Change detection (:mod:`analyzer.metrics.change`) compares every run with a frozen reference
period; when a change is real and here to stay (new shoes, a healed injury), the runner can
accept the new level. Each acceptance is one row ``(athlete, metric, accepted_from, accepted_at)``;
``metric`` NULL means every metric. A new reference period starts at ``accepted_from``.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from analyzer.errors import AnalyzerError
from analyzer.schema import BASELINE_METRICS, utc

#: Table kept in the store (created with the store schema).
TABLE_SQL = (
    "CREATE TABLE IF NOT EXISTS baseline_accepts (athlete VARCHAR NOT NULL, metric VARCHAR, "
    "accepted_from TIMESTAMP NOT NULL, accepted_at TIMESTAMP);"
)


def accept(con: duckdb.DuckDBPyConnection, athlete: str, metric: str | None, asof) -> pd.Timestamp:
    """Store one acceptance (``metric`` None: every metric) from ``asof`` (UTC if naive);
    returns the stored date. :meth:`analyzer.store.database.Store.accept_baseline` resolves the
    athlete and the default date.

    Raises
    ------
    AnalyzerError
        Unknown metric name.
    """
    if metric is not None and metric not in BASELINE_METRICS:
        raise AnalyzerError(
            f"unknown metric {metric!r} for a baseline; choose one of {', '.join(BASELINE_METRICS)}"
        )
    ts = utc(pd.Timestamp(asof))
    con.execute(
        "INSERT INTO baseline_accepts VALUES (?, ?, ?, now())",
        [athlete, metric, ts.tz_localize(None).to_pydatetime()],
    )
    return ts


def accepted(con: duckdb.DuckDBPyConnection, athlete: str) -> pd.DataFrame:
    """Accepted baselines of one athlete: columns ``metric`` (None = all), ``asof`` (UTC)."""
    df = con.execute(
        "SELECT metric, accepted_from FROM baseline_accepts WHERE athlete = ? "
        "ORDER BY accepted_from",
        [athlete],
    ).df()
    df = df.rename(columns={"accepted_from": "asof"})
    df["asof"] = pd.to_datetime(df["asof"]).dt.tz_localize("UTC")
    df["metric"] = df["metric"].astype("object").where(df["metric"].notna(), None)
    return df
