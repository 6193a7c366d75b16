"""The store's tables as DuckDB DDL (created when missing; see :mod:`analyzer.store.database`).

Tables (all timestamps are UTC, stored without a zone and handed out zone-aware):

- ``athletes(athlete, created_at)``
- ``activities``: one row per imported FIT payload (runs or not), keyed by ``activity_id`` =
  sha256 of its bytes, so importing the same file again is a no-op.
- ``runs``: one row per running session, ``run_id = f"{activity_id}:{session_index}"``, with the
  per-run averages computed from the records (``avg_*``, :mod:`analyzer.metrics.averages`) and the
  watch's own session averages (``watch_avg_*``). ``run_key`` is a dense integer used to key
  records and laps (DuckDB's zone maps then find one run's records without scanning).
- records: one Parquet part per run in the folder ``<store>.records/`` beside the file
  (:mod:`analyzer.store.recordparts`), registered in ``record_parts``; contract columns
  (:data:`analyzer.schema.RECORD_COLUMNS` + Stryd and any other columns) and ``record_index``.
- ``laps``: whatever lap columns the decoder provides, with ``run_key`` and ``lap_index``.
- ``import_log``: every payload's outcome (imported / duplicate / not_run / failed / skipped)
  with the reason, per import.
- ``gait_cache``: :func:`analyzer.metrics.gait.summarize` per run, keyed by (run_id, METRIC_VERSION).
"""

from __future__ import annotations

from analyzer.store.recordparts import REGISTRY_SQL
from analyzer.store.writer import (
    ADDED_COLUMNS,
    AVG_COLUMNS,
    FLAG_COLUMNS,
    OFFSET_COLUMNS,
    SOURCE_COLUMNS,
    WATCH_COLUMNS,
)

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS store_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE SEQUENCE IF NOT EXISTS run_key_seq START 1;
CREATE TABLE IF NOT EXISTS athletes (athlete VARCHAR PRIMARY KEY, created_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS activities (
    activity_id VARCHAR PRIMARY KEY, athlete VARCHAR NOT NULL, source_name VARCHAR,
    size_bytes BIGINT, file_type VARCHAR, sports VARCHAR, n_runs INTEGER,
    time_created TIMESTAMP, manufacturer VARCHAR, product VARCHAR, serial_number VARCHAR,
    software_version VARCHAR, dynamics_source VARCHAR, dynamics_sensor VARCHAR,
    developer_apps VARCHAR, decoder VARCHAR, meta_json VARCHAR, import_id VARCHAR,
    imported_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY, run_key BIGINT NOT NULL, activity_id VARCHAR NOT NULL,
    session_index INTEGER, athlete VARCHAR, source_name VARCHAR, start_time TIMESTAMP,
    end_time TIMESTAMP, sport VARCHAR, sub_sport VARCHAR, device VARCHAR, manufacturer VARCHAR,
    product VARCHAR, dynamics_source VARCHAR, dynamics_sensor VARCHAR, has_dynamics BOOLEAN,
    distance_m DOUBLE, timer_s DOUBLE, elapsed_s DOUBLE, n_records INTEGER, decoder VARCHAR,
    {", ".join(f"{c} DOUBLE" for c in AVG_COLUMNS + WATCH_COLUMNS)},
    {", ".join(f"{c} VARCHAR" for c in SOURCE_COLUMNS)},
    avg_version VARCHAR, session_json VARCHAR);
{REGISTRY_SQL}CREATE TABLE IF NOT EXISTS laps (run_key BIGINT NOT NULL, lap_index INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS import_log (
    import_id VARCHAR, logged_at TIMESTAMP, athlete VARCHAR, source_name VARCHAR,
    outcome VARCHAR, detail VARCHAR, activity_id VARCHAR, n_runs INTEGER);
CREATE TABLE IF NOT EXISTS gait_cache (
    run_id VARCHAR, metric_version INTEGER, summary_json VARCHAR, computed_at TIMESTAMP,
    PRIMARY KEY (run_id, metric_version));
{ADDED_COLUMNS}"""

SCHEMA_VERSION = "1"
#: Columns of :meth:`Store.runs` before the averages.
RUN_ID_COLUMNS = (
    (
        "run_id",
        "activity_id",
        "session_index",
        "athlete",
        "source_name",
        "start_time",
        "end_time",
        "sport",
        "sub_sport",
        "device",
        "manufacturer",
        "product",
        "dynamics_source",
        "dynamics_sensor",
        "has_dynamics",
        "distance_m",
        "timer_s",
        "elapsed_s",
        "n_records",
        "decoder",
        "duplicate_of",
    )
    + FLAG_COLUMNS
    + OFFSET_COLUMNS
)
#: Identity columns that start every row of :meth:`Store.gait`.
GAIT_ID_COLUMNS = (
    "run_id",
    "athlete",
    "start_time",
    "dynamics_source",
    "distance_m",
    "timer_s",
) + OFFSET_COLUMNS
