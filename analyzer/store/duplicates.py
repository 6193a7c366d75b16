"""The same run recorded twice: two watches worn on one run, or two exports of one history.

Two runs of ONE athlete are the same run when they overlap as a whole: their starts are within
:data:`START_TOLERANCE_S`, their ends within :data:`END_TOLERANCE_S`, and, when both have a
distance, the distances differ by at most :data:`DISTANCE_TOLERANCE_REL` of the longer one (or
:data:`DISTANCE_TOLERANCE_M`, whichever is larger). Runs of the same file never match (a
multisport file's legs follow each other), nor runs without a real date (before
:data:`EARLIEST_REAL_DATE`: FIT's device-relative times).

The tolerances, and where they come from:

- Two watches are started by hand, one after the other, and stopped the same way: seconds to a
  minute apart. The corpus pair 20210507_run_coros_pace_2.fit / 20210507_run_garmin_fenix_6.fit
  (one runner, both wrists) starts 2 s apart and ends 3 s apart; the track pair of 2021-06-04
  2 s / 12 s. In both the COROS file is kept (step length in its records; the fenix 6 has no
  dynamics). Two minutes leaves room for a watch that was slow to find GPS, and is far shorter
  than any real gap between two runs of one athlete.
- Their distances differ with GPS and wrist: 1.3 % and 0.6 % on those pairs; an export that
  recomputes the distance from the GPS track (Strava) differs by a few percent. 5 % (at least
  200 m) keeps those together and still separates, e.g., a 5 km and a 6 km run started and
  stopped within two minutes of each other (which one athlete cannot run at once anyway).

Of each group of matching runs one is kept: the one with **more dynamics** (more of the five
running-dynamics metrics in its records), **then more records**, then the smaller ``run_id``
(the sha256 of the file: the same whatever the order of import). The others get
``duplicate_of = <kept run_id>``; :meth:`Store.runs` and :meth:`Store.gait` leave them out
unless asked. After an import the links are recomputed for the new runs and every run that starts
near them (and near those, and so on), so the order in which the files arrive never changes the
outcome, and the cost of the search follows the new runs, not the athlete's whole history.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

#: Starts (and ends) of two recordings of one run are at most this far apart [s].
START_TOLERANCE_S = 120.0
END_TOLERANCE_S = 120.0
#: Their distances differ by at most this share of the longer one, or this many metres.
DISTANCE_TOLERANCE_REL = 0.05
DISTANCE_TOLERANCE_M = 200.0
#: FIT date_time values below 0x10000000 (1998-07-04) are device-relative, not dates (FIT
#: protocol, "date_time" type): such runs are never matched.
EARLIEST_REAL_DATE = pd.Timestamp("1998-07-04")

#: Columns added to ``runs`` by this feature (also migrated into stores made before it).
RUN_COLUMNS = {"duplicate_of": "VARCHAR", "n_dynamics": "INTEGER"}


@dataclass(frozen=True)
class Link:
    """One run recorded twice: ``run_id`` (left out) is the same run as ``kept_id``."""

    run_id: str
    source_name: str
    kept_id: str
    kept_source_name: str


def _same_run(a, b) -> bool:
    if a.activity_id == b.activity_id:
        return False
    if abs((a.end_time - b.end_time).total_seconds()) > END_TOLERANCE_S:
        return False
    da, db = a.distance_m, b.distance_m
    if pd.notna(da) and pd.notna(db):
        allowed = max(DISTANCE_TOLERANCE_M, DISTANCE_TOLERANCE_REL * max(da, db))
        if abs(da - db) > allowed:
            return False
    return True


def find_links(runs: pd.DataFrame) -> dict[str, str]:
    """``{run_id: kept run_id}`` for every run that another run of the same athlete records.

    Parameters
    ----------
    runs : pandas.DataFrame
        run_id, activity_id, athlete, start_time, end_time (naive UTC), distance_m [m],
        n_dynamics, n_records.
    """
    df = runs.dropna(subset=["start_time", "end_time"])
    df = df[df["start_time"] >= EARLIEST_REAL_DATE].sort_values(["start_time", "run_id"])
    parent = {r: r for r in df["run_id"]}

    def root(r: str) -> str:
        while parent[r] != r:
            parent[r] = parent[parent[r]]
            r = parent[r]
        return r

    for _, group in df.groupby("athlete", sort=True):
        rows = list(group.itertuples(index=False))
        for i, a in enumerate(rows):
            for b in rows[i + 1 :]:
                if (b.start_time - a.start_time).total_seconds() > START_TOLERANCE_S:
                    break
                if _same_run(a, b):
                    parent[root(b.run_id)] = root(a.run_id)
    groups: dict[str, list] = {}
    for row in df.itertuples(index=False):
        groups.setdefault(root(row.run_id), []).append(row)
    links = {}
    for members in groups.values():
        if len(members) < 2:
            continue
        kept = min(members, key=lambda r: (-_int(r.n_dynamics), -_int(r.n_records), r.run_id))
        links.update({r.run_id: kept.run_id for r in members if r.run_id != kept.run_id})
    return links


def _int(v) -> int:
    return 0 if v is None or pd.isna(v) else int(v)


_RUNS_SQL = (
    "SELECT run_id, activity_id, athlete, start_time, "
    "coalesce(end_time, start_time + to_microseconds((elapsed_s * 1e6)::BIGINT)) AS end_time, "
    "distance_m, coalesce(n_dynamics, has_dynamics::INTEGER) AS n_dynamics, n_records, "
    "duplicate_of FROM runs WHERE athlete = ?"
)


def _neighbourhood(con: duckdb.DuckDBPyConnection, athlete: str, import_id: str) -> pd.DataFrame:
    """The athlete's runs that the runs of import ``import_id`` can be linked with: every run
    whose start is within :data:`START_TOLERANCE_S` of one of them, and so on until no run is
    added (a chain of recordings a minute apart each). The cost follows the new runs and their
    neighbours, not the athlete's whole history."""
    starts = con.execute(
        "SELECT DISTINCT r.start_time FROM runs r JOIN activities a USING (activity_id) "
        "WHERE r.athlete = ? AND a.import_id = ? AND r.start_time IS NOT NULL",
        [athlete, import_id],
    ).df()["start_time"]
    near = (
        _RUNS_SQL + " AND EXISTS (SELECT 1 FROM _new_starts n WHERE runs.start_time "
        f"BETWEEN n.t - INTERVAL {int(START_TOLERANCE_S)} SECOND "
        f"AND n.t + INTERVAL {int(START_TOLERANCE_S)} SECOND)"
    )
    parts: list[pd.DataFrame] = []
    seen: set = set()
    while len(starts):
        seen |= set(starts)
        con.register("_new_starts", pd.DataFrame({"t": pd.to_datetime(starts)}))
        try:
            parts.append(con.execute(near, [athlete]).df())
        finally:
            con.unregister("_new_starts")
        found = pd.concat(parts).drop_duplicates("run_id")
        starts = pd.Series(sorted(set(found["start_time"].dropna()) - seen))
    return pd.concat(parts).drop_duplicates("run_id") if parts else pd.DataFrame()


def link(
    con: duckdb.DuckDBPyConnection, athlete: str, import_id: str | None = None
) -> dict[str, str]:
    """Recompute ``duplicate_of`` for ``athlete``'s runs (one transaction); returns the links.

    With ``import_id``, only the runs that import's runs can match are looked at
    (:func:`_neighbourhood`): a link between two older runs cannot change because of a new run
    that starts nowhere near them. Without it, every run of the athlete.
    """
    if import_id is None:
        runs = con.execute(_RUNS_SQL, [athlete]).df()
    else:
        runs = _neighbourhood(con, athlete, import_id)
    if not len(runs):
        return {}
    links = find_links(runs)
    before = {r: d for r, d in zip(runs["run_id"], runs["duplicate_of"], strict=True) if d}
    if links == before:
        return links
    ids = pd.DataFrame({"run_id": runs["run_id"].astype(object)})
    df = pd.DataFrame({"run_id": list(links), "kept": list(links.values())}, dtype=object)
    con.begin()
    try:
        con.register("_looked_at", ids)
        try:
            con.execute(
                "UPDATE runs SET duplicate_of = NULL WHERE athlete = ? AND run_id IN "
                "(SELECT run_id FROM _looked_at)",
                [athlete],
            )
        finally:
            con.unregister("_looked_at")
        if len(df):
            con.register("_links", df)
            try:
                con.execute(
                    "UPDATE runs SET duplicate_of = _links.kept FROM _links "
                    "WHERE runs.run_id = _links.run_id"
                )
            finally:
                con.unregister("_links")
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return links


def links_of_import(con: duckdb.DuckDBPyConnection, athlete: str, import_id: str) -> list[Link]:
    """The links of ``athlete`` that involve a run first written by import ``import_id``."""
    rows = con.execute(
        "SELECT d.run_id, d.source_name, k.run_id, k.source_name FROM runs d "
        "JOIN runs k ON d.duplicate_of = k.run_id "
        "JOIN activities da ON da.activity_id = d.activity_id "
        "JOIN activities ka ON ka.activity_id = k.activity_id "
        "WHERE d.athlete = ? AND (da.import_id = ? OR ka.import_id = ?) "
        "ORDER BY d.start_time, d.run_id",
        [athlete, import_id, import_id],
    ).fetchall()
    return [Link(*r) for r in rows]
