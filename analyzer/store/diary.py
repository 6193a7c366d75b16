"""The training diary: exercise sessions, pain entries and the stored plans, in the store's file.

Tables (created on first use; dates are calendar dates in the runner's own reckoning):

- ``diary_exercise``: one row per exercise done in a session: ``athlete``, ``date``,
  ``exercise`` (one of :data:`analyzer.schema.EXERCISE_IDS`), ``sets``, ``reps`` *or*
  ``seconds`` (per side for one-sided exercises), ``side`` (left / right / both), ``feel``
  (:data:`analyzer.schema.FEELS`) and an optional ``pain`` 0-10 felt during it.
- ``diary_pain``: ``athlete``, ``date``, ``body_part``, ``side``, ``pain`` 0-10, ``running``
  (:data:`analyzer.schema.RUNNING_AFFECTED`) and a ``resolved`` date once it has gone.
- ``plans``: every plan a runner started, ``(athlete, version)`` with its ``start_date`` and the
  plan as JSON (:meth:`analyzer.plan.exercises.Plan.to_dict`).

Every entry is checked before anything is written (:func:`check_exercise`, :func:`check_pain`);
a CSV import writes all of its rows in one transaction or none. An entry's id is a hash of its
content when it is first logged and never changes after (resolving a pain entry, renaming or
merging athletes keep it); the CSV export writes it in its ``entry_id`` column and an import
keeps it, so importing the same diary CSV twice, or exporting and importing again, adds nothing.

The CSV is written for spreadsheets too: a cell that a spreadsheet would run as a formula
(starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return: OWASP, "CSV Injection")
gets a leading single quote, which the import removes again (:func:`csv_cell`,
:func:`from_csv_cell`).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from analyzer._base import values
from analyzer._base.files import read_user_file, write_user_file
from analyzer.errors import DiaryError, InvalidInput, NotFound
from analyzer.schema import EXERCISE_IDS, FEELS, RUNNING_AFFECTED, SIDES
from analyzer.store.cells import csv_cell, from_csv_cell

#: Pain is logged on the 0-10 numeric rating scale (NRS), 0 = no pain.
PAIN_MAX = 10
#: Most sets, repetitions and seconds one exercise entry may carry (a typo guard).
MAX_SETS, MAX_REPS, MAX_SECONDS = 20, 200, 3600
#: The columns of a diary CSV, in order (``kind`` is ``exercise`` or ``pain``).
CSV_COLUMNS: tuple[str, ...] = (
    "kind",
    "athlete",
    "date",
    "exercise",
    "sets",
    "reps",
    "seconds",
    "side",
    "feel",
    "pain",
    "body_part",
    "running",
    "resolved",
    "note",
    "entry_id",
)
#: Largest diary CSV read [bytes] (years of daily entries are a few MB).
MAX_CSV_BYTES = 64 * 1024 * 1024
_ENTRY_ID = re.compile(r"[0-9a-f]{16}")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS diary_exercise (
    entry_id VARCHAR PRIMARY KEY, athlete VARCHAR NOT NULL, date DATE NOT NULL,
    exercise VARCHAR NOT NULL, sets INTEGER, reps INTEGER, seconds DOUBLE, side VARCHAR,
    feel VARCHAR NOT NULL, pain INTEGER, note VARCHAR, logged_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS diary_pain (
    entry_id VARCHAR PRIMARY KEY, athlete VARCHAR NOT NULL, date DATE NOT NULL,
    body_part VARCHAR NOT NULL, side VARCHAR, pain INTEGER NOT NULL, running VARCHAR NOT NULL,
    resolved DATE, note VARCHAR, logged_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS plans (
    athlete VARCHAR NOT NULL, version INTEGER NOT NULL, start_date DATE NOT NULL,
    plan_json VARCHAR NOT NULL, created_at TIMESTAMP, PRIMARY KEY (athlete, version));
"""

_EXERCISE_FIELDS = ("athlete", "date", "exercise", "sets", "reps", "seconds", "side", "feel")
_PAIN_FIELDS = ("athlete", "date", "body_part", "side", "pain", "running", "resolved")


# -- checks (pure) ---------------------------------------------------------------------------
def today() -> dt.date:
    """Today's date (UTC); entries may not be dated after it."""
    return dt.datetime.now(dt.UTC).date()


@contextlib.contextmanager
def _as_diary_error() -> Iterator[None]:
    """The shared checks (:mod:`analyzer._base.values`) raise ``InvalidInput``; a diary entry
    that breaks one is a :class:`DiaryError` (its subclass), so callers catch one kind."""
    try:
        yield
    except DiaryError:
        raise
    except InvalidInput as exc:
        raise DiaryError(str(exc)) from None


def parse_date(value: Any, what: str = "date", *, latest: dt.date | None = None) -> dt.date:
    """An ISO date (YYYY-MM-DD) that is not after ``latest`` (default: today)."""
    with _as_diary_error():
        return values.date(value, what, latest=latest or today())


def exercise_id(value: Any) -> str:
    """One of the eight exercises, by id or by name (``"Side leg raises"`` → ``side_leg_raises``)."""
    with _as_diary_error():
        return values.choice(value, EXERCISE_IDS, "exercise")


def check_exercise(entry: Mapping[str, Any], *, latest: dt.date | None = None) -> dict[str, Any]:
    """Validate one exercise entry; returns it normalised, or raises :class:`DiaryError`."""
    with _as_diary_error():
        out = {
            "athlete": values.text(entry.get("athlete"), "athlete"),
            "date": parse_date(entry.get("date"), latest=latest),
            "exercise": exercise_id(entry.get("exercise")),
            "sets": values.whole(entry.get("sets"), "sets", 1, MAX_SETS, required=False),
            "reps": values.whole(entry.get("reps"), "reps", 1, MAX_REPS, required=False),
            "seconds": values.whole(
                entry.get("seconds"), "seconds", 1, MAX_SECONDS, required=False
            ),
            "side": values.choice(entry.get("side"), SIDES, "side", default="both"),
            "feel": values.choice(entry.get("feel"), FEELS, "feel"),
            "pain": values.whole(entry.get("pain"), "pain", 0, PAIN_MAX, required=False),
            "note": values.text(entry.get("note"), "note", required=False),
        }
        if out["reps"] is None and out["seconds"] is None:
            raise DiaryError(f"{out['exercise']}: give reps or seconds")
        return out


def check_pain(entry: Mapping[str, Any], *, latest: dt.date | None = None) -> dict[str, Any]:
    """Validate one pain entry; returns it normalised, or raises :class:`DiaryError`."""
    with _as_diary_error():
        out = {
            "athlete": values.text(entry.get("athlete"), "athlete"),
            "date": parse_date(entry.get("date"), latest=latest),
            "body_part": (values.text(entry.get("body_part"), "body part") or "").lower(),
            "side": values.choice(entry.get("side"), SIDES, "side", default="both"),
            "pain": values.whole(entry.get("pain"), "pain", 0, PAIN_MAX),
            "running": values.choice(
                entry.get("running"), RUNNING_AFFECTED, "running", default="none"
            ),
            "resolved": None,
            "note": values.text(entry.get("note"), "note", required=False),
        }
        if not values.blank(entry.get("resolved")):
            out["resolved"] = parse_date(entry.get("resolved"), "resolved date", latest=latest)
            if out["resolved"] < out["date"]:
                raise DiaryError(
                    f"resolved date {out['resolved']} is before the entry ({out['date']})"
                )
        return out


def _entry_id(kind: str, row: Mapping[str, Any], fields: Iterable[str]) -> str:
    if row.get("entry_id"):  # kept from an export: the entry was edited since it was logged
        return row["entry_id"]
    key = "|".join([kind, *(str(row.get(f)) for f in fields)])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


# -- the diary on a store ----------------------------------------------------------------------
class Diary:
    """The diary tables of an open :class:`~analyzer.store.Store` (created on first use).

    Parameters
    ----------
    store : analyzer.store.Store
        An open store; the diary writes through its connection.
    """

    def __init__(self, store: Any):
        self.store = store
        self.con: duckdb.DuckDBPyConnection = store.con
        if not getattr(store, "read_only", False):
            self.con.execute(_SCHEMA)
            return
        # A read-only store cannot create the tables: stand in empty temporary ones for those
        # the file does not have yet (a diary nobody has written to).
        from analyzer.store.check import tables

        present = tables(self.con)
        for statement in filter(str.strip, _SCHEMA.split(";")):
            name = statement.split("EXISTS", 1)[1].split("(", 1)[0].strip()
            if name not in present:
                self.con.execute(statement.replace("CREATE TABLE", "CREATE TEMP TABLE", 1))

    # writing
    def log_exercises(self, entries: Iterable[Mapping[str, Any]]) -> int:
        """Check every entry, then write them all in one transaction; returns how many are new."""
        rows = [check_exercise(e) for e in entries]
        return self._write(exercise=rows, pain=[])

    def log_pain(self, entry: Mapping[str, Any]) -> str:
        """Check and write one pain entry; returns its id (for :meth:`resolve_pain`)."""
        row = check_pain(entry)
        self._write(exercise=[], pain=[row])
        return _entry_id("pain", row, _PAIN_FIELDS)

    def resolve_pain(self, entry_id: str, resolved: Any) -> None:
        """Mark a pain entry resolved on a date (not before the entry, not in the future)."""
        found = self.con.execute(
            "SELECT date FROM diary_pain WHERE entry_id = ?", [entry_id]
        ).fetchone()
        if found is None:
            raise NotFound(f"no pain entry {entry_id!r}; `analyzer diary` lists them")
        day = parse_date(resolved, "resolved date")
        if day < found[0]:
            raise DiaryError(f"resolved date {day} is before the entry ({found[0]})")
        self.con.execute("UPDATE diary_pain SET resolved = ? WHERE entry_id = ?", [day, entry_id])

    def _write(self, *, exercise: list[dict], pain: list[dict]) -> int:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        before = self._count()
        self.con.execute("BEGIN TRANSACTION")
        try:
            for r in exercise:
                self.con.execute(
                    "INSERT OR IGNORE INTO diary_exercise VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    [_entry_id("exercise", r, _EXERCISE_FIELDS), r["athlete"], r["date"],
                     r["exercise"], r["sets"], r["reps"], r["seconds"], r["side"], r["feel"],
                     r["pain"], r["note"], now],
                )  # fmt: skip
            for r in pain:
                self.con.execute(
                    "INSERT OR IGNORE INTO diary_pain VALUES (?,?,?,?,?,?,?,?,?,?)",
                    [_entry_id("pain", r, _PAIN_FIELDS), r["athlete"], r["date"], r["body_part"],
                     r["side"], r["pain"], r["running"], r["resolved"], r["note"], now],
                )  # fmt: skip
            self.con.execute("COMMIT")
        except BaseException as exc:
            from analyzer.store.check import is_storage_failure, storage_error

            # (a failed COMMIT has already ended the transaction: "cannot rollback")
            with contextlib.suppress(duckdb.Error):
                self.con.execute("ROLLBACK")
            if is_storage_failure(exc):
                raise storage_error(self.store.path, exc) from None
            raise
        return self._count() - before

    def _count(self) -> int:
        (n,) = self.con.execute(
            "SELECT (SELECT count(*) FROM diary_exercise) + (SELECT count(*) FROM diary_pain)"
        ).fetchone()
        return int(n)

    # reading
    def exercises(self, athlete: str | None = None) -> pd.DataFrame:
        """Exercise entries, oldest first (``date`` as a datetime64 at midnight)."""
        return self._read("diary_exercise", athlete)

    def pain(self, athlete: str | None = None) -> pd.DataFrame:
        """Pain entries, oldest first."""
        return self._read("diary_pain", athlete)

    def _read(self, table: str, athlete: str | None) -> pd.DataFrame:
        where, args = ("WHERE athlete = ?", [athlete]) if athlete is not None else ("", [])
        df = self.con.execute(
            f"SELECT * EXCLUDE (logged_at) FROM {table} {where} ORDER BY date, entry_id", args
        ).df()
        for col in ("date", "resolved"):
            if col in df:
                df[col] = pd.to_datetime(df[col])
        return df

    def athletes(self) -> list[str]:
        rows = self.con.execute(
            "SELECT athlete FROM diary_exercise UNION SELECT athlete FROM diary_pain "
            "UNION SELECT athlete FROM plans ORDER BY 1"
        ).fetchall()
        return [r[0] for r in rows]

    # plans
    def save_plan(self, athlete: str, plan: Mapping[str, Any], start: Any = None) -> int:
        """Store a plan as the athlete's current one; returns its version (1, 2, ...)."""
        start_date = parse_date(start if start is not None else today(), "plan start")
        (last,) = self.con.execute(
            "SELECT coalesce(max(version), 0) FROM plans WHERE athlete = ?", [athlete]
        ).fetchone()
        version = int(last) + 1
        self.con.execute(
            "INSERT INTO plans VALUES (?, ?, ?, ?, ?)",
            [athlete, version, start_date, json.dumps(plan, default=str),
             dt.datetime.now(dt.UTC).replace(tzinfo=None)],
        )  # fmt: skip
        return version

    def current_plan(self, athlete: str) -> dict[str, Any] | None:
        """The latest stored plan: ``{"version", "start_date", "plan"}``, or None."""
        row = self.con.execute(
            "SELECT version, start_date, plan_json FROM plans WHERE athlete = ? "
            "ORDER BY version DESC LIMIT 1",
            [athlete],
        ).fetchone()
        if row is None:
            return None
        try:
            plan = json.loads(row[2])
        except ValueError:
            raise DiaryError(
                f"{self.store.path}: stored plan {row[0]} of {athlete!r} is damaged; "
                "start a new one with `analyzer recommend --start`"
            ) from None
        return {"version": int(row[0]), "start_date": pd.Timestamp(row[1]), "plan": plan}

    # CSV
    def import_csv(self, path: str | os.PathLike, *, athlete: str | None = None) -> int:
        """Import a diary CSV (:data:`CSV_COLUMNS`); all rows or none. Returns rows added.

        ``athlete`` fills rows whose ``athlete`` column is empty (or absent).
        """
        path = Path(path)
        try:
            text = read_user_file(path, what="diary CSV", max_bytes=MAX_CSV_BYTES).decode(
                "utf-8-sig"
            )
        except FileNotFoundError:
            raise DiaryError(f"{path}: cannot read the diary (no such file)") from None
        except UnicodeDecodeError as exc:
            raise DiaryError(f"{path}: cannot read the diary ({exc})") from None
        try:
            return self._import_rows(path, text, athlete)
        except csv.Error as exc:  # a field over csv.field_size_limit(), a NUL byte...
            raise DiaryError(f"{path}: not a readable CSV ({exc}); nothing was imported") from None

    def _import_rows(self, path: Path, text: str, athlete: str | None) -> int:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        if "kind" not in header or "date" not in header:
            raise DiaryError(
                f"{path}: not a diary CSV (needs the columns {', '.join(CSV_COLUMNS)})"
            )
        if len(set(header)) != len(header):
            raise DiaryError(f"{path}: a column appears twice in the header")
        unknown = sorted(set(header) - set(CSV_COLUMNS))
        if unknown:
            raise DiaryError(f"{path}: unknown column(s) {', '.join(unknown)}")
        reader.fieldnames = header
        exercise, pain = [], []
        for n, raw in enumerate(reader, start=2):  # line 1 is the header
            row = {k: from_csv_cell(v) for k, v in raw.items() if k is not None}
            if values.blank(row.get("athlete")):
                row["athlete"] = athlete
            kind = str(row.get("kind") or "").strip().lower()
            try:
                if kind == "exercise":
                    exercise.append({**check_exercise(row), "entry_id": _kept_id(row)})
                elif kind == "pain":
                    pain.append({**check_pain(row), "entry_id": _kept_id(row)})
                else:
                    raise DiaryError(f"kind {kind[:20]!r} is not 'exercise' or 'pain'")
            except DiaryError as exc:
                raise DiaryError(f"{path}, line {n}: {exc}; nothing was imported") from None
        self._known_athletes(path, exercise + pain, athlete)
        return self._write(exercise=exercise, pain=pain)

    def _known_athletes(self, path: Path, rows: list[dict], athlete: str | None) -> None:
        """Refuse a CSV whose rows name athletes the store does not hold (they would land where
        no command shows them): all rows or none, and the message names them."""
        known = set(self.store.athletes())
        missing = sorted({str(r["athlete"]) for r in rows} - known)
        if not missing:
            return
        names = ", ".join(repr(m) for m in missing[:5]) + (" ..." if len(missing) > 5 else "")
        hint = (
            "import their runs first"
            if athlete
            else "give --athlete NAME for rows without an athlete, or import their runs first"
        )
        raise DiaryError(
            f"{path}: no athlete {names} in the store ({', '.join(sorted(known)) or 'none yet'}); "
            f"{hint}; nothing was imported"
        )

    def export_csv(self, path: str | os.PathLike, *, athlete: str | None = None) -> int:
        """Write the diary (or one athlete's) as CSV; returns the number of rows."""
        rows = []
        for _, r in self.exercises(athlete).iterrows():
            rows.append({"kind": "exercise", **{k: r[k] for k in _EXERCISE_FIELDS}, "pain": r["pain"],
                         "note": r["note"], "entry_id": r["entry_id"]})  # fmt: skip
        for _, r in self.pain(athlete).iterrows():
            rows.append({"kind": "pain", **{k: r[k] for k in _PAIN_FIELDS}, "note": r["note"],
                         "entry_id": r["entry_id"]})  # fmt: skip
        rows.sort(key=lambda r: (str(r["athlete"]), r["date"], r["kind"], r["entry_id"]))
        out = io.StringIO(newline="")
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for r in rows:
            writer.writerow({k: csv_cell(_csv_value(r.get(k))) for k in CSV_COLUMNS})
        write_user_file(path, out.getvalue(), what="diary CSV")
        return len(rows)


def _kept_id(row: Mapping[str, Any]) -> str | None:
    """The ``entry_id`` an exported row carries (None when blank: the id is its content's hash)."""
    value = row.get("entry_id")
    if values.blank(value):
        return None
    text = str(value).strip().lower()
    if not _ENTRY_ID.fullmatch(text):
        raise DiaryError(f"entry_id {str(value)[:20]!r} is not an id written by `diary export`")
    return text


def _csv_value(value: Any) -> str:
    if values.blank(value):
        return ""
    if isinstance(value, pd.Timestamp | dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return str(value)
