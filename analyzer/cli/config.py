"""CLI command ``analyzer config``: saved preferences, for now the display units.

The preferences live in one small JSON file in the user's config directory
(``platformdirs.user_config_dir("analyzer")/config.json``, e.g. ``~/.config/analyzer/config.json``
on Linux), or wherever ``$ANALYZER_CONFIG`` points. They belong to the person, not to a store:
the same runner may keep several stores, and a coach's store holds many runners. ``--units`` on
a command wins over the saved value; without either, units are metric.

Units change what the terminal and the HTML show (distance in km or miles, pace per km or per
mile); the JSON output is always SI (see :mod:`analyzer.report.fmt`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from pathlib import Path

from analyzer._base.files import read_user_file, write_user_file
from analyzer.cli import options  # noqa: E402
from analyzer.cli.common import EXIT_OK, EXIT_USAGE
from analyzer.errors import AnalyzerError

#: Environment variable naming the config file (tests and several users on one account).
CONFIG_ENV = "ANALYZER_CONFIG"

#: Largest config file read [bytes]: it holds a few short settings.
MAX_CONFIG_BYTES = 64 * 1024

#: Settings and their allowed values (the first is the default).
SETTINGS: dict[str, tuple[str, ...]] = {"units": ("metric", "imperial")}


def config_path() -> Path:
    """The config file: ``$ANALYZER_CONFIG`` or ``config.json`` in the user config directory."""
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    from platformdirs import user_config_dir

    return Path(user_config_dir("analyzer", appauthor=False)) / "config.json"


def load_config() -> dict[str, str]:
    """The saved settings (empty when there is no config file).

    Raises
    ------
    AnalyzerError
        The file is not a JSON object of known settings (one line naming the file).
    """
    path = config_path()
    try:
        raw = read_user_file(path, what="config file", max_bytes=MAX_CONFIG_BYTES)
    except FileNotFoundError:
        return {}
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise AnalyzerError(
            f"the config file {path} is not text (binary content): fix it or delete it"
        ) from None
    except RecursionError:
        raise AnalyzerError(
            f"the config file {path} is nested too deeply to be a config file: fix it or delete it"
        ) from None
    except json.JSONDecodeError as exc:
        raise AnalyzerError(
            f"the config file {path} is not valid JSON (line {exc.lineno}): fix it or delete it"
        ) from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise AnalyzerError(
            f"the config file {path} is not usable ({exc}): fix it or delete it"
        ) from None
    if not isinstance(data, dict):
        raise AnalyzerError(f"the config file {path} must hold a JSON object: fix it or delete it")
    out = {}
    for key, value in data.items():
        if key in SETTINGS and value in SETTINGS[key]:
            out[key] = value
        elif key in SETTINGS:
            raise AnalyzerError(
                f"the config file {path} has {key} = {value!r}; expected one of "
                f"{', '.join(SETTINGS[key])} (run `analyzer config {key} {SETTINGS[key][0]}`)"
            )
    return out


def save_setting(key: str, value: str) -> Path:
    """Save one setting (the file and its folder are created when missing); returns the path."""
    data = load_config()
    data[key] = value
    path = config_path()
    with contextlib.suppress(OSError):  # (write_user_file says what is wrong with the folder)
        path.parent.mkdir(parents=True, exist_ok=True)
    write_user_file(path, json.dumps(data, indent=2, sort_keys=True) + "\n", what="config file")
    return path


def units_arg(p: argparse.ArgumentParser) -> None:
    """Add ``--units metric|imperial`` to a command that prints distances or paces."""
    p.add_argument(
        "--units",
        choices=SETTINGS["units"],
        default=None,
        help=(
            "distance and pace in km and min/km (metric) or miles and min/mile (imperial) in "
            "the terminal and HTML; JSON stays SI (default: the saved `analyzer config units`, "
            "else metric)"
        ),
    )


def resolve_units(args: argparse.Namespace) -> str:
    """``--units`` when given, else the saved preference, else ``"metric"``."""
    given = getattr(args, "units", None)
    if given:
        return given
    return load_config().get("units", SETTINGS["units"][0])


def register(sub) -> None:
    """Add ``config`` to the sub-command parser."""
    p = sub.add_parser(
        "config",
        help="show or save preferences (display units)",
        description=(
            "Show the saved preferences, show one, or save one: `analyzer config units imperial` "
            "makes every later command show miles and min/mile (override with --units). Saved "
            f"in config.json in the user config directory, or the file ${CONFIG_ENV} names."
        ),
    )
    p.add_argument("key", nargs="?", choices=sorted(SETTINGS), help="the setting")
    p.add_argument(
        "value", nargs="?", type=options.label, help="the new value (omit to show the current one)"
    )
    p.set_defaults(func=cmd_config)


def cmd_config(args: argparse.Namespace) -> int:
    """Run ``analyzer config``; returns the exit code."""
    import sys

    saved = load_config()
    if args.key is None:
        for key, allowed in SETTINGS.items():
            origin = "saved" if key in saved else "default"
            print(f"{key}: {saved.get(key, allowed[0])} ({origin}; {config_path()})")
        return EXIT_OK
    allowed = SETTINGS[args.key]
    if args.value is None:
        origin = "saved" if args.key in saved else "default"
        print(f"{args.key}: {saved.get(args.key, allowed[0])} ({origin})")
        return EXIT_OK
    if args.value not in allowed:
        print(
            f"Error: {args.key} must be one of {', '.join(allowed)}, got {args.value!r}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    path = save_setting(args.key, args.value)
    print(f"{args.key}: {args.value} (saved to {path})")
    return EXIT_OK
