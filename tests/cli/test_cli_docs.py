"""Docs that cannot drift: every command has help text and is named in the README."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from analyzer.cli import build_parser, main

REPO = Path(__file__).resolve().parents[2]

README = (REPO / "README.md").read_text()


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    for action in parser._subparsers._group_actions:  # argparse keeps sub-parsers here
        if isinstance(action, argparse._SubParsersAction):
            return {
                name: sub
                for name, sub in action.choices.items()
                if not name.startswith("_") and (sub.description or "") != "SUPPRESS"
            }
    raise AssertionError("the CLI has no sub-commands")


def _public(action) -> bool:
    return action.help is not argparse.SUPPRESS


def test_expected_commands_exist():
    names = set(_subcommands())
    missing = {
        "import",
        "runs",
        "trends",
        "risk",
        "recommend",
        "train",
        "report",
        "demo",
        "simulate",
    } - names
    assert not missing, f"commands missing from the CLI: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_command_has_help_and_is_documented(name):
    sub = _subcommands()[name]
    assert (sub.description or "").strip() or (sub.format_usage()), name
    parser = build_parser()
    helps = {
        a.dest: a.help
        for a in parser._subparsers._group_actions[
            0
        ]._choices_actions  # the one-line help per command
    }
    if name in helps:
        assert helps[name] and helps[name].strip(), f"`analyzer {name}` has no help text"
        assert f"analyzer {name}" in README, f"`analyzer {name}` is not in README.md"
    for action in sub._actions:
        if action.dest == "help" or not _public(action):
            continue
        assert action.help and action.help.strip(), (
            f"`analyzer {name}` option {action.option_strings or action.dest} has no help"
        )


def test_help_exits_zero(capsys):
    assert main(["--help"]) == 0
    assert "import" in capsys.readouterr().out


def test_unknown_command_is_a_usage_error(capsys):
    assert main(["no-such-command"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_every_action_of_a_command_is_documented():
    """Nested actions (``athletes rename``, ``runs delete``...) have help and a README row."""
    for name, sub in _subcommands().items():
        for action in sub._actions:
            if not isinstance(action, argparse._SubParsersAction):
                continue
            helps = {a.dest: a.help for a in action._choices_actions}
            for verb, parser in action.choices.items():
                assert helps.get(verb, "").strip(), f"`analyzer {name} {verb}` has no help"
                assert f"analyzer {name} {verb}" in README, (
                    f"`analyzer {name} {verb}` is not in README.md"
                )
                for opt in parser._actions:
                    if opt.dest != "help" and _public(opt):
                        assert (opt.help or "").strip(), f"`analyzer {name} {verb}` {opt.dest}"
