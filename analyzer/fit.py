"""Decode one FIT payload into an :class:`Activity` in the data contract's columns and units.

(Interface fixed; the implementation is being built under the import issue.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd


@dataclass
class Run:
    """One running session of an activity (a multisport file has one per running leg).

    Attributes
    ----------
    run_id : str
        ``"{activity_id}:{session_index}"``; stable across re-imports.
    activity_id : str
        sha256 of the file bytes.
    session_index : int
        Position of the session in the file (0-based).
    session : pandas.Series
        The session row of :attr:`Activity.sessions` (sport, start_time, totals, ``watch_avg_*``).
    records : pandas.DataFrame
        Contract columns (:data:`analyzer.schema.RECORD_COLUMNS` plus any Stryd columns) for the
        records inside this session's time window; ``elapsed_s`` counts from its first record.
    laps : pandas.DataFrame
        The session's laps.
    """

    run_id: str
    activity_id: str
    session_index: int
    session: pd.Series
    records: pd.DataFrame
    laps: pd.DataFrame


@dataclass
class Activity:
    """A decoded FIT payload.

    Attributes
    ----------
    activity_id : str
        sha256 hex digest of the payload bytes.
    source_name : str
        Where the payload came from (path, or ``archive.zip!member.fit``).
    file_type : str
        FIT ``file_id.type`` by name (``"activity"``, ``"monitoring_b"``, ``"settings"``...).
    meta : dict
        time_created, manufacturer, product (names where the profile knows them), serial_number,
        software_version, dynamics_source (one of :data:`analyzer.schema.DYNAMICS_SOURCES`),
        dynamics_sensor (a readable sensor name), developer_apps (list of application ids).
    sessions : pandas.DataFrame
        One row per session: session_index, sport, sub_sport, start_time, end_time,
        total_elapsed_s, total_timer_s, total_distance_m, and the watch's own averages as
        ``watch_avg_<metric>`` in contract units (NaN where the watch wrote none or a 0
        placeholder).
    laps : pandas.DataFrame
        One row per lap with session_index, start_time, totals and averages in contract units.
    records : pandas.DataFrame
        All records in contract columns plus ``session_index`` (-1 outside every session).
    developer_fields : pandas.DataFrame
        Field descriptions: developer_data_index, application_id, field_number, name, units,
        and ``column`` (the contract column it maps to, or None).
    decoder : str
        Which decoder produced it (``"fitparse"`` or ``"fast"``).
    """

    activity_id: str
    source_name: str
    file_type: str
    meta: dict
    sessions: pd.DataFrame
    laps: pd.DataFrame
    records: pd.DataFrame
    developer_fields: pd.DataFrame = field(default_factory=pd.DataFrame)
    decoder: str = "fitparse"

    def runs(self) -> list[Run]:
        """The running sessions, each with its own records and laps."""
        raise NotImplementedError


def read_fit(source: str | Path | bytes, *, name: str | None = None, decoder: str = "auto") -> Activity:
    """Decode a FIT file (path or bytes; ``.fit.gz`` paths are decompressed) into an Activity."""
    raise NotImplementedError
