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

from analyzer.cli.common import EXIT_FAILED, EXIT_OK
from analyzer.errors import AnalyzerError


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (also used by the tests that check every command has help)."""
    # One module per command group; each ``register(subparsers)`` adds its sub-commands and
    # sets ``func`` to a callable ``(args) -> int``. Imported here, not at the top, so that
    # ``analyzer --version`` does not pay for them.
    from analyzer.cli import (
        athletes,
        config,
        diary,
        gait,
        imports,
        report,
        risk,
        serve,
        simulate,
    )
    from analyzer.cli.options import OneLineParser

    parser = OneLineParser(
        prog="analyzer",
        description=(
            "Import running-watch exports, compute gait metrics, score left/right imbalance "
            "risk and recommend hip exercises. Everything stays on this machine."
        ),
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in (imports, athletes, simulate, gait, risk, diary, report, config, serve):
        module.register(sub)
    return parser


def _version() -> str:
    from analyzer._base.version import __version__

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
        from analyzer.report.safe import visible

        # The message names files and athletes: their control characters are shown, not sent.
        print(f"Error: {visible(exc)}", file=sys.stderr)
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
