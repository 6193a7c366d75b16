"""What every command shares: exit codes, the store/athlete/JSON options, opening the store, JSON values."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from analyzer.cli import options
from analyzer.schema import jsonable as json_value  # noqa: F401  (the one encoder)


def plural(n: int, noun: str) -> str:
    """``"1 run"``, ``"2 runs"``."""
    return f"{n} {noun}{'s' if n != 1 else ''}"


def terminal_width() -> int | None:
    """The terminal's width in columns: ``$COLUMNS``, else the width of the terminal on stdout;
    None when stdout is a pipe or a file (nothing to fit)."""
    import sys

    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns if sys.stdout.isatty() else None
    except (OSError, ValueError, AttributeError):
        return None


def console(*, pipe_width: int = 120):
    """The console a command prints its tables with: as wide as the terminal, so that no line
    is wider than it (a pipe or a file gets ``pipe_width``); no highlighting."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False, width=terminal_width() or pipe_width)


def say(message: str) -> None:
    """Print one line of text that may come from a file (shown, not obeyed, by a terminal),
    wrapped at word boundaries to the terminal's width when there is a terminal."""
    import textwrap

    from analyzer.report.safe import visible

    width = terminal_width()
    shown = visible(message)
    print(textwrap.fill(shown, width, break_on_hyphens=False) if width else shown)


EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

#: Environment variable that overrides the default store location.
STORE_ENV = "ANALYZER_STORE"


def default_store_path() -> Path:
    """The store used when neither ``--store`` nor ``$ANALYZER_STORE`` is given."""
    env = os.environ.get(STORE_ENV)
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("analyzer", appauthor=False)) / "analyzer.duckdb"


def _store_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--store",
        type=options.path,
        default=None,
        help=f"DuckDB file to use (default: ${STORE_ENV} or the user data directory)",
    )


def _athlete_arg(p: argparse.ArgumentParser, *, help: str = "athlete name") -> None:
    p.add_argument("--athlete", type=options.name, default=None, help=help)


def _json_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")


def store_path(args: argparse.Namespace) -> Path:
    """The store named by ``--store`` / ``$ANALYZER_STORE`` / the default."""
    return args.store if getattr(args, "store", None) is not None else default_store_path()


def open_store(args: argparse.Namespace, *, create: bool = False, write: bool = False):
    """Open the store named by ``--store`` / ``$ANALYZER_STORE`` / the default.

    Only ``import`` creates a store (``create=True``); every other command refuses a path that
    does not exist instead of leaving an empty database behind a typo. Commands that only read
    open it read-only, so they run beside an import (which lends the file between batches) and
    beside each other; commands that write (``write=True``) wait a while for other writers.
    """
    from analyzer.errors import NotFound
    from analyzer.store.connection import WRITE_WAIT_S
    from analyzer.store.database import Store

    path = store_path(args)
    if not create and not Path(path).exists():
        raise NotFound(f"no store at {path}; run `analyzer import PATH` first (or pass --store)")
    if create or write:
        return Store(path, wait_s=WRITE_WAIT_S)
    return Store(path, read_only=True)


def view_cache(args, view: str, params: dict, *, varies: dict | None = None):
    """The saved JSON view ``view`` of the store named by ``args``
    (:func:`analyzer.store.viewcache.open_view`: ``load()`` it, else build it and
    :func:`save_view`); None when views are not kept."""
    from analyzer.store.viewcache import open_view

    return open_view(store_path(args), view, params, varies=varies)


def load_view(cache):
    """``cache.load()``; None for no cache."""
    return None if cache is None else cache.load()


def save_view(cache, view, analysis, *, asof_given: bool = False) -> float | None:
    """Save ``view``, built from ``analysis``, for as long as the clock leaves it true
    (:func:`analyzer.analysis.unchanged_until`; ``asof_given``: judged as of a date asked for).
    Returns that instant [s since the epoch], None for no cache."""
    if cache is None:
        return None
    from analyzer.analysis import unchanged_until

    valid_until = unchanged_until(analysis, asof_given=asof_given)
    cache.save(view, valid_until=valid_until)
    return valid_until


common = argparse.Namespace(
    store_arg=_store_arg,
    athlete_arg=_athlete_arg,
    json_arg=_json_arg,
    open_store=open_store,
    store_path=store_path,
    view_cache=view_cache,
    load_view=load_view,
    save_view=save_view,
)
