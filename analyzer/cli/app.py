"""The ``analyzer`` command: parse options, call one library function, print, map errors to exit codes.

Exit codes: 0 success; 1 the work ran but something failed (a file did not import, data too
thin); 2 usage error (argparse's own convention). Every :class:`~analyzer.errors.AnalyzerError`
becomes one line ``Error: ...`` on stderr. Nothing here holds logic a notebook user could not
reach through the library.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from analyzer.errors import AnalyzerError

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
        type=Path,
        default=None,
        help=f"DuckDB file to use (default: ${STORE_ENV} or the user data directory)",
    )


def _athlete_arg(p: argparse.ArgumentParser, *, help: str = "athlete name") -> None:
    p.add_argument("--athlete", default=None, help=help)


def _json_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")


def open_store(args: argparse.Namespace, *, create: bool = False):
    """Open the store named by ``--store`` / ``$ANALYZER_STORE`` / the default.

    Only ``import`` creates a store (``create=True``); every other command refuses a path that
    does not exist instead of leaving an empty database behind a typo.
    """
    from analyzer.errors import NotFound
    from analyzer.store import Store

    path = args.store if getattr(args, "store", None) is not None else default_store_path()
    if not create and not Path(path).exists():
        raise NotFound(f"no store at {path}; run `analyzer import PATH` first (or pass --store)")
    return Store(path)


# Command handlers live in analyzer/commands/*.py, one module per command group, so that the
# parser below stays readable. Each ``register(subparsers)`` adds its sub-commands and sets
# ``func`` to a callable ``(args) -> int``.
_COMMAND_MODULES: tuple[str, ...] = (
    "analyzer.commands.imports",
    "analyzer.commands.simulate",
    "analyzer.commands.gait",
    "analyzer.commands.risk",
    "analyzer.commands.report",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (also used by the tests that check every command has help)."""
    import importlib

    parser = argparse.ArgumentParser(
        prog="analyzer",
        description=(
            "Import running-watch exports, compute gait metrics, score left/right imbalance "
            "risk and recommend hip exercises. Everything stays on this machine."
        ),
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in _COMMAND_MODULES:
        module = importlib.import_module(name)
        module.register(sub)
    return parser


def _version() -> str:
    from analyzer import __version__

    return f"analyzer {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code instead of exiting (so tests can call it in-process)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return int(func(args) or 0)
    except AnalyzerError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:
        # The reader went away (``analyzer runs | head``): stop quietly, as other tools do, and
        # point stdout at devnull so the interpreter's final flush does not complain again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print(
            "Interrupted: run the same command again to finish; nothing is doubled.",
            file=sys.stderr,
        )
        return 130


common = argparse.Namespace(
    store_arg=_store_arg, athlete_arg=_athlete_arg, json_arg=_json_arg, open_store=open_store
)
