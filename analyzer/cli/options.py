"""Option types of the command line: every option that takes a value parses it with one of these.

Each is an argparse ``type=`` callable that returns the parsed value or raises
:class:`argparse.ArgumentTypeError` with a message that says what was given and what is
expected, so a bad value is one line and exit status 2 (:class:`OneLineParser`) instead of a
traceback from deep inside the work. Each carries a ``kind`` attribute (``"date"``, ``"int"``,
``"float"``, ``"path"``, ``"file"``, ``"name"``, ``"scheduler"``) and the bounds it checks, which
``tests/cli/test_options.py`` reads to feed every option of every command bad values.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

#: The one date format the CLI accepts (ISO 8601 calendar date): 07/09/2024 means July or
#: September depending on who reads it, so nothing else is guessed.
DATE_FORMAT = "YYYY-MM-DD"
_DATE_EXAMPLE = "2024-09-07"
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: Longest athlete name [characters]: it is shown in tables, file names and report titles.
MAX_NAME = 80
_SCHEDULER_RE = re.compile(r"[a-z][a-z0-9+.-]*://\S+|[^\s:/]+:\d+")


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line ``Error: ...`` (exit status 2).

    argparse prints the whole usage block before its message; with a dozen options that is
    several lines in which the one that matters is the last. The usage stays one ``--help`` away.
    """

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"Error: {self.prog}: {message} (see `{self.prog} --help`)\n")


def described(kind: str, **bounds: Any) -> Callable[[Callable], Callable]:
    def mark(parse: Callable) -> Callable:
        parse.kind = kind
        for key, value in bounds.items():
            setattr(parse, key, value)
        return parse

    return mark


def _shown(text: str) -> str:
    return repr(text) if text else "an empty value"


@described("date")
def iso_date(text: str) -> dt.date:
    """A calendar date written ``YYYY-MM-DD`` (nothing else: no ``07/09/2024``, no ``yesterday``)."""
    hint = f"use {DATE_FORMAT}, e.g. {_DATE_EXAMPLE}"
    if not _DATE_RE.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{_shown(text)} is not a date; {hint}")
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:  # 2024-13-01, 2024-02-30
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a calendar date ({exc}); {hint}"
        ) from None


def int_range(low: int, high: int | None = None) -> Callable[[str], int]:
    """A whole number in ``[low, high]`` (``high`` None: no upper bound)."""

    @described("int", low=low, high=high)
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{_shown(text)} is not a whole number") from None
        if value < low or (high is not None and value > high):
            span = f"at least {low}" if high is None else f"{low}-{high}"
            raise argparse.ArgumentTypeError(f"must be {span}, got {value}")
        return value

    return parse


@described("float", low=0.0)
def positive_float(text: str) -> float:
    """A finite number above zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{_shown(text)} is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


@described("path")
def path(text: str) -> Path:
    """A file or folder name (it need not exist yet): not empty, no NUL character."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty value is not a file name")
    if "\0" in text:
        raise argparse.ArgumentTypeError(f"{text!r} is not a file name (it holds a NUL character)")
    return Path(text)


@described("file")
def existing_file(text: str) -> Path:
    """A file that exists (the model, the labels): checked now, before any work starts."""
    p = path(text)
    if not p.exists():
        raise argparse.ArgumentTypeError(f"no such file: {p}")
    if not p.is_file():
        raise argparse.ArgumentTypeError(f"{p} is a folder, not a file")
    return p


@described("name", high=MAX_NAME)
def name(text: str) -> str:
    """An athlete name: not blank, at most :data:`MAX_NAME` characters, no control characters."""
    value = text.strip()
    if not value:
        raise argparse.ArgumentTypeError("an athlete name cannot be empty")
    if len(value) > MAX_NAME:
        raise argparse.ArgumentTypeError(
            f"an athlete name has at most {MAX_NAME} characters, got {len(value)}"
        )
    if not value.isprintable():  # newlines, tabs, ESC: they would break tables and terminals
        raise argparse.ArgumentTypeError(
            f"{value!r} holds control characters; use letters, digits, spaces and punctuation"
        )
    return value


#: Longest free text an option takes (a note, a body part, an exercise with its dose).
MAX_LABEL = 200


@described("label")
def label(text: str) -> str:
    """Short free text: not blank, at most :data:`MAX_LABEL` characters, no control characters."""
    value = text.strip()
    if not value:
        raise argparse.ArgumentTypeError("this value cannot be empty")
    if len(value) > MAX_LABEL:
        raise argparse.ArgumentTypeError(f"at most {MAX_LABEL} characters, got {len(value)}")
    if not value.isprintable():
        raise argparse.ArgumentTypeError(f"{value!r} holds control characters")
    return value


@described("scheduler")
def scheduler(text: str) -> str:
    """``local`` or a Dask scheduler address (``tcp://host:8786``, ``host:8786``)."""
    if text == "local" or _SCHEDULER_RE.fullmatch(text):
        return text
    raise argparse.ArgumentTypeError(
        f"{_shown(text)} is not a scheduler address; give tcp://host:port, host:port or 'local'"
    )
