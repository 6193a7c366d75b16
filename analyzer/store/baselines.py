"""Accepted baselines: the dates at which a runner accepted a new level as their reference.

Change detection (:mod:`analyzer.metrics.change`) compares every run with a frozen reference
period; when a change is real and here to stay (new shoes, a healed injury), the runner can
accept the new level. Each acceptance is one row ``(athlete, metric, accepted_from, accepted_at)``;
``metric`` NULL means every metric. A new reference period starts at ``accepted_from``.
"""

from __future__ import annotations

import pandas as pd

from analyzer.errors import AnalyzerError
from analyzer.schema import utc

#: Table kept in the store (created with the store schema).
TABLE_SQL = (
    "CREATE TABLE IF NOT EXISTS baseline_accepts (athlete VARCHAR NOT NULL, metric VARCHAR, "
    "accepted_from TIMESTAMP NOT NULL, accepted_at TIMESTAMP);"
)


class BaselineMixin:
    """``Store`` methods for accepted baselines (the store holds ``con`` and ``path``)."""

    def accept_baseline(
        self, athlete: str, metric: str | None = None, *, asof=None
    ) -> pd.Timestamp:
        """Accept the runner's current level as the new reference for ``metric`` (or all).

        Parameters
        ----------
        athlete : str
            A known athlete.
        metric : str, optional
            One of :data:`analyzer.metrics.normalise.METRICS`; None accepts every metric.
        asof : datetime-like, optional
            Where the new reference period starts (UTC if naive). Default: the latest run's
            start. (``Analysis.accept_from`` gives the onset of the flagged change, which is
            what ``analyzer trends --accept-baseline`` passes.)

        Returns
        -------
        pandas.Timestamp
            The stored ``asof`` (UTC).

        Raises
        ------
        NotFound
            Unknown athlete, or an athlete without dated runs when ``asof`` is not given.
        AnalyzerError
            Unknown metric name.
        """
        from analyzer.schema import BASELINE_METRICS

        athlete = self.resolve_athlete(athlete)
        if metric is not None and metric not in BASELINE_METRICS:
            raise AnalyzerError(
                f"unknown metric {metric!r} for a baseline; choose one of "
                f"{', '.join(BASELINE_METRICS)}"
            )
        if asof is None:
            asof = self._default_accept_date(athlete, metric)
        ts = pd.Timestamp(asof)
        ts = utc(ts)
        self.con.execute(
            "INSERT INTO baseline_accepts VALUES (?, ?, ?, now())",
            [athlete, metric, ts.tz_localize(None).to_pydatetime()],
        )
        return ts

    def accepted_baselines(self, athlete: str) -> pd.DataFrame:
        """Accepted baselines of one athlete: columns ``metric`` (None = all), ``asof`` (UTC)."""
        df = self.con.execute(
            "SELECT metric, accepted_from FROM baseline_accepts WHERE athlete = ? "
            "ORDER BY accepted_from",
            [athlete],
        ).df()
        df = df.rename(columns={"accepted_from": "asof"})
        df["asof"] = pd.to_datetime(df["asof"]).dt.tz_localize("UTC")
        df["metric"] = df["metric"].astype("object").where(df["metric"].notna(), None)
        return df

    def _default_accept_date(self, athlete: str, metric: str | None) -> pd.Timestamp:
        from analyzer.errors import NotFound

        g = self.gait(athlete)
        if len(g) == 0:
            raise NotFound(f"athlete {athlete!r} has no runs; give the date with --asof")
        return pd.Timestamp(pd.to_datetime(g["start_time"], utc=True).max())
