"""Values people type, checked one way wherever they are typed: command-line options
(:mod:`analyzer.cli.options` wraps these as argparse types), diary rows and diary CSV files
(:mod:`analyzer.store.diary`) and the local app's forms (:mod:`analyzer.app.forms`).

Each function takes the raw value (text, or a number or date already parsed by a CSV reader) and
``what`` — the field's name as the person knows it (``"pain"``, ``"date"``; empty when the
caller names the field itself, as argparse does) — and returns the parsed value or raises
:class:`~analyzer.errors.InvalidInput` with one line saying what was given and what is expected.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from typing import Any

from analyzer.errors import InvalidInput

#: The one date format accepted (ISO 8601 calendar date): 07/09/2024 means July or September
#: depending on who reads it, so nothing else is guessed.
DATE_FORMAT = "YYYY-MM-DD"
DATE_HINT = f"use {DATE_FORMAT}, e.g. 2024-09-07"
_WHOLE_RE = re.compile(r"[+-]?\d+(\.0*)?")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")  # (fromisoformat alone also takes 2026-W01-1)
#: Longest athlete name [characters]: it is shown in tables, file names and report titles.
MAX_NAME = 80
#: Longest free text [characters] (a note, a body part, an exercise with its dose).
MAX_TEXT = 200


def blank(value: Any) -> bool:
    """None, NaN, NaT, pandas' NA or text that is empty once stripped."""
    if value is None or str(value).strip() == "":
        return True
    if isinstance(value, float):  # numpy's NaN too
        return math.isnan(value)
    return not isinstance(value, str) and str(value) in ("NaT", "<NA>")  # pandas' missing


def _named(what: str, shown: str) -> str:
    return f"{what} {shown}" if what else shown


def _shown(value: Any, limit: int = 40) -> str:
    text = str(value).strip()
    return repr(text[:limit]) if text else "an empty value"


def date(value: Any, what: str = "", *, latest: dt.date | None = None) -> dt.date:
    """A calendar date written ``YYYY-MM-DD`` (or a date already), not after ``latest`` when
    given (entries of a diary may not be dated in the future)."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        if blank(value):
            missing = f"{what} is missing" if what else "an empty value is not a date"
            raise InvalidInput(f"{missing}; {DATE_HINT}")
        text = str(value).strip()
        if not _DATE_RE.fullmatch(text):
            raise InvalidInput(f"{_named(what, _shown(text))} is not a date; {DATE_HINT}")
        try:
            value = dt.date.fromisoformat(text)
        except ValueError as exc:  # 2024-13-01, 2024-02-30
            raise InvalidInput(
                f"{_named(what, repr(text))} is not a calendar date ({exc}); {DATE_HINT}"
            ) from None
    if latest is not None and value > latest:
        raise InvalidInput(
            f"{what or 'date'} {value.isoformat()} is in the future (today is {latest})"
        )
    return value


def _span(low: int, high: int | None) -> str:
    return f"of at least {low}" if high is None else f"from {low} to {high}"


def whole(
    value: Any, what: str, low: int, high: int | None = None, *, required: bool = True
) -> int | None:
    """A whole number in ``[low, high]`` (``high`` None: no upper bound); blank gives None
    unless ``required``. ``3.0`` from a spreadsheet counts as 3; ``2.5`` does not."""
    if blank(value):
        if required:
            raise InvalidInput(
                f"{what} is missing (a whole number {_span(low, high)})"
                if what
                else f"an empty value is not a whole number {_span(low, high)}"
            )
        return None
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        raise InvalidInput(f"{_named(what, _shown(text, 20))} is not a number") from None
    # written as digits (a spreadsheet's "3.0" counts), never "1e3" or "inf"
    if not _WHOLE_RE.fullmatch(text) or not (low <= number and (high is None or number <= high)):
        raise InvalidInput(f"{_named(what, text[:20])} is not a whole number {_span(low, high)}")
    return int(number)


def positive(value: Any, what: str = "") -> float:
    """A finite number above zero."""
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        raise InvalidInput(f"{_named(what, _shown(text, 20))} is not a number") from None
    if not (math.isfinite(number) and number > 0):
        raise InvalidInput(f"{_named(what, repr(text[:20]))} is not a positive number")
    return number


def choice(value: Any, allowed: tuple[str, ...], what: str, default: str | None = None) -> str:
    """One of ``allowed``, case and ``-``/``_``/space insensitive (``"Side leg raises"`` →
    ``side_leg_raises``); blank gives ``default`` when there is one."""
    if blank(value):
        if default is None:
            raise InvalidInput(f"{what} is missing; use one of {', '.join(allowed)}")
        return default
    key = str(value).strip().lower().replace(" ", "_").replace("-", "_")
    if key not in allowed:
        raise InvalidInput(
            f"{_named(what, repr(str(value).strip()[:40]))} is not one of {', '.join(allowed)}"
        )
    return key


def text(value: Any, what: str, *, required: bool = True, limit: int = MAX_TEXT) -> str | None:
    """Plain text on one line (runs of white space become one space), at most ``limit``
    characters, without control characters (they would break tables and terminals)."""
    if blank(value):
        if required:
            raise InvalidInput(f"{what} is missing" if what else "this value cannot be empty")
        return None
    out = " ".join(str(value).split())
    if len(out) > limit:
        raise InvalidInput(f"{what or 'this value'}: at most {limit} characters, got {len(out)}")
    if any(unicodedata.category(c) == "Cc" for c in out):  # ESC, BEL, NUL...
        raise InvalidInput(f"{_named(what, repr(out[:40]))} holds control characters")
    return out


def name(value: Any, what: str = "athlete name") -> str:
    """An athlete name: not blank, at most :data:`MAX_NAME` characters, printable (no tabs,
    newlines or escape codes)."""
    out = str(value if value is not None else "").strip()
    field = f"{what}: " if what else ""
    if not out:
        raise InvalidInput(f"{field}give a name")
    if len(out) > MAX_NAME:
        raise InvalidInput(f"{field}at most {MAX_NAME} characters, got {len(out)}")
    if not out.isprintable():
        raise InvalidInput(
            f"{field}{out!r} holds control characters; use letters, digits, spaces and punctuation"
        )
    return out
