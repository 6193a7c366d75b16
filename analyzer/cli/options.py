"""Option types of the command line: every option that takes a value parses it with one of these.

Each is an argparse ``type=`` callable that returns the parsed value or raises
:class:`argparse.ArgumentTypeError` with a message that says what was given and what is
expected. Dates, numbers, names and text are checked by :mod:`analyzer._base.values`, the same
checks the diary and the local app's forms use; this module only turns their
:class:`~analyzer.errors.InvalidInput` into argparse's error, so a bad value is one line and exit status 2 (:class:`OneLineParser`) instead of a
traceback from deep inside the work. Each carries a ``kind`` attribute (``"date"``, ``"int"``,
``"float"``, ``"path"``, ``"file"``, ``"name"``, ``"scheduler"``) and the bounds it checks, which
``tests/cli/test_options.py`` reads to feed every option of every command bad values.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from analyzer._base import values
from analyzer.errors import InvalidInput

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


def _checked(check: Callable[..., Any]) -> Callable[..., Any]:
    """``check`` (one of :mod:`analyzer._base.values`) with argparse's error type."""

    @functools.wraps(check)
    def parse(*args: Any) -> Any:
        try:
            return check(*args)
        except InvalidInput as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


@described("date")
def iso_date(text: str) -> dt.date:
    """A calendar date written ``YYYY-MM-DD`` (nothing else: no ``07/09/2024``, no ``yesterday``)."""
    return _checked(values.date)(text)


def int_range(low: int, high: int | None = None) -> Callable[[str], int]:
    """A whole number in ``[low, high]`` (``high`` None: no upper bound)."""

    @described("int", low=low, high=high)
    def parse(text: str) -> int:
        return _checked(values.whole)(text, "", low, high)

    return parse


@described("float", low=0.0)
def positive_float(text: str) -> float:
    """A finite number above zero."""
    return _checked(values.positive)(text)


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


@described("name", high=values.MAX_NAME)
def name(text: str) -> str:
    """An athlete name (:func:`analyzer._base.values.name`)."""
    return _checked(values.name)(text, "")


@described("label", high=values.MAX_TEXT)
def label(text: str) -> str:
    """Short free text: a note, a body part (:func:`analyzer._base.values.text`)."""
    return _checked(values.text)(text, "")


@described("scheduler")
def scheduler(text: str) -> str:
    """``local`` or a Dask scheduler address (``tcp://host:8786``, ``host:8786``)."""
    if text == "local" or _SCHEDULER_RE.fullmatch(text):
        return text
    raise argparse.ArgumentTypeError(
        f"{_shown(text)} is not a scheduler address; give tcp://host:port, host:port or 'local'"
    )
