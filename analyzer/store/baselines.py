"""Accepted baselines: the dates at which a runner accepted a new level as their reference.

Change detection (:mod:`analyzer.metrics.change`) compares every run with a frozen reference
period; when a change is real and here to stay (new shoes, a healed injury), the runner can
accept the new level. Each acceptance is one row ``(athlete, metric, accepted_from, accepted_at)``;
``metric`` NULL means every metric. A new reference period starts at ``accepted_from``.
"""

from __future__ import annotations

import pandas as pd

from analyzer.errors import AnalyzerError

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
            Where the new reference period starts (UTC if naive). Default: the onset of the
            change flagged at the latest run for that metric (the new level), else the latest
            run's start.

        Returns
        -------
        pandas.Timestamp
            The stored ``asof`` (UTC).

        Raises
        ------
        NotFound
            Unknown athlete, or an athlete without runs when ``asof`` is not given.
        AnalyzerError
            Unknown metric name.
        """
        from analyzer.metrics import normalise

        athlete = self.resolve_athlete(athlete)
        if metric is not None and metric not in normalise.METRICS:
            raise AnalyzerError(
                f"unknown metric {metric!r} for a baseline; choose one of "
                f"{', '.join(normalise.METRICS)}"
            )
        if asof is None:
            asof = self._default_accept_date(athlete, metric)
        ts = pd.Timestamp(asof)
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
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
        from analyzer.metrics import normalise

        g = self.gait(athlete)
        if len(g) == 0:
            raise NotFound(f"athlete {athlete!r} has no runs; give the date with --asof")
        tr = normalise.trends(g, accepted=self.accepted_baselines(athlete))
        last = tr.iloc[-1]
        stems = [normalise._stem(m) for m in ([metric] if metric else normalise.METRICS)]
        onsets = [
            last[f"{s}_shift_onset"]
            for s in stems
            if last[f"{s}_shift"] != 0 and pd.notna(last[f"{s}_shift_onset"])
        ]
        return min(onsets) if onsets else pd.Timestamp(last["start_time"])
