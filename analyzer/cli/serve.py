"""CLI command ``analyzer serve``: the local app in the browser (:mod:`analyzer.app`)."""

from __future__ import annotations

import argparse

from analyzer.cli import options
from analyzer.cli.common import common


def register(sub) -> None:
    """Add ``serve`` to the sub-command parser."""
    p = sub.add_parser(
        "serve",
        help="the local app in the browser: import by drag-and-drop, reports, diary, plan",
        description=(
            "Start the local web app on this machine and open it in the browser: drop a watch "
            "export to import it with a live progress bar, read each athlete's report, log "
            "exercise sessions and pain, start the recommended plan, rename, merge or delete "
            "athletes. It listens on 127.0.0.1 only and every request needs the token in the "
            "URL it prints first. Ctrl-C stops it (an import in progress is interrupted as "
            "`analyzer import` is: run it again to finish, nothing is doubled)."
        ),
    )
    common.store_arg(p)
    p.add_argument(
        "--host",
        default="127.0.0.1",
        type=options.label,
        help="address to listen on (default 127.0.0.1: this machine only; another address "
        "lets other machines reach the data, and prints a warning)",
    )
    p.add_argument(
        "--port",
        default=8765,
        type=options.int_range(0, 65535),
        help="port to listen on (default 8765; 0 picks a free one)",
    )
    p.add_argument(
        "--no-browser", action="store_true", help="print the URL without opening a browser"
    )
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    """Run ``analyzer serve`` until Ctrl-C."""
    from analyzer.app.server import serve
    from analyzer.cli.config import load_config, save_setting

    return serve(
        common.store_path(args),
        host=args.host,
        port=args.port,
        open_browser=not args.no_browser,
        units=load_config().get("units", "metric"),
        save_units=lambda units: save_setting("units", units),
    )
