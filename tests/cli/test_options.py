"""Every option of every command that takes a value is validated when parsed: a bad value is one
line ``Error: ...`` with exit status 2, never a traceback from inside the work, never accepted."""

from __future__ import annotations

import argparse

import pytest

from analyzer._base.values import MAX_NAME
from analyzer.cli import build_parser, main


def _commands() -> dict[str, argparse.ArgumentParser]:
    """Every command and nested action (``"athletes rename"``) with its parser."""
    out: dict[str, argparse.ArgumentParser] = {}

    def walk(prefix: str, parser: argparse.ArgumentParser) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    out[f"{prefix}{name}"] = sub
                    walk(f"{prefix}{name} ", sub)

    walk("", build_parser())
    return out


def _takes_value(action: argparse.Action) -> bool:
    skip = argparse._HelpAction | argparse._VersionAction | argparse._SubParsersAction
    return action.nargs != 0 and not isinstance(action, skip)


def _kind(action: argparse.Action) -> str:
    if action.choices is not None:
        return "choice"
    kind = getattr(action.type, "kind", None)
    assert kind is not None, (
        f"option {action.option_strings or action.dest} takes a value without a validating "
        "type: parse it with one of analyzer.cli.options"
    )
    return kind


def _bad_values(action: argparse.Action, tmp_path) -> list[str]:
    kind = _kind(action)
    if kind == "choice":
        return ["bogus", ""]
    if kind == "date":
        return [
            "2024-13-01",
            "yesterday",
            "2024-02-30",
            "",
            "07/09/2024",
            "2024-9-7",
            "20240907",
            "2024-09-07T10:00",
        ]
    if kind == "int":
        out = ["", "x", "1.5", "1e3", str(action.type.low - 1)]
        return out + ([str(action.type.high + 1)] if action.type.high is not None else [])
    if kind == "float":
        return ["", "x", "nan", "inf", "-1", "0"]
    if kind == "path":
        return ["", "  ", "a\0b"]
    if kind == "file":
        return ["", "a\0b", str(tmp_path / "missing.json"), str(tmp_path)]
    if kind == "name":
        return ["", "  ", "a\x1bb", "a\nb", "x" * (MAX_NAME + 1)]
    if kind == "scheduler":
        return ["", "tcp host", "host-without-port"]
    if kind == "label":
        return ["", "  ", "a\x1bb", "x" * 201]
    raise AssertionError(f"no bad values known for kind {kind!r}")


def _good_value(action: argparse.Action, tmp_path) -> str:
    kind = _kind(action)
    if kind == "file":
        f = tmp_path / "given.csv"
        f.write_text("athlete,date,injured\n")
        return str(f)
    return {
        "choice": lambda: str(next(iter(action.choices))),
        "date": lambda: "2024-09-07",
        "int": lambda: str(action.type.low),
        "float": lambda: "1",
        "path": lambda: str(tmp_path / "given"),
        "name": lambda: "me",
        "scheduler": lambda: "local",
        "label": lambda: "knee",
    }[kind]()


def _argv(action: argparse.Action, value: str) -> list[str]:
    if action.option_strings:
        return [f"{action.option_strings[-1]}={value}"]  # = keeps '-1' and '' as values
    return [value]


def _cases():
    for command, parser in _commands().items():
        for action in parser._actions:
            if _takes_value(action):
                yield pytest.param(command, action.dest, id=f"{command}-{action.dest}")


CASES = list(_cases())


def test_every_command_is_walked():
    walked = {c.values[0] for c in CASES}
    assert walked >= {"import", "runs", "risk", "simulate", "train", "athletes rename"}
    assert "runs delete" in walked


@pytest.mark.parametrize(("command", "dest"), CASES)
def test_bad_values_are_one_line_usage_errors(command, dest, tmp_path, capsys):
    parser = _commands()[command]
    actions = [a for a in parser._actions if _takes_value(a)]
    action = next(a for a in actions if a.dest == dest)
    # Everything else the command requires, with valid values, so only the bad value can fail.
    base = command.split()
    for other in actions:
        if other is not action and (other.required or not other.option_strings):
            base += _argv(other, _good_value(other, tmp_path))
    for bad in _bad_values(action, tmp_path):
        code = main([*base, *_argv(action, bad)])
        out, err = capsys.readouterr()
        assert code == 2, f"{command} {action.option_strings or dest} accepted {bad!r}"
        assert out == ""
        assert "Traceback" not in err
        assert err.endswith("\n") and err.count("\n") == 1, err
        assert err.startswith(f"Error: analyzer {command}: argument "), err


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2024-13-01", "'2024-13-01' is not a calendar date (month must be in 1..12)"),
        ("2024-02-30", "'2024-02-30' is not a calendar date (day is out of range for month)"),
        ("yesterday", "'yesterday' is not a date"),
        ("07/09/2024", "'07/09/2024' is not a date"),
        ("", "an empty value is not a date"),
    ],
)
@pytest.mark.parametrize("command", ["risk", "recommend"])
def test_asof_messages(command, value, reason, capsys):
    assert main([command, f"--asof={value}"]) == 2
    assert capsys.readouterr().err == (
        f"Error: analyzer {command}: argument --asof: {reason}; use YYYY-MM-DD, e.g. 2024-09-07 "
        f"(see `analyzer {command} --help`)\n"
    )


def test_missing_required_option_is_one_line(capsys):
    assert main(["log", "exercise", "bridge"]) == 2
    assert capsys.readouterr().err == (
        "Error: analyzer log exercise: the following arguments are required: --feel "
        "(see `analyzer log exercise --help`)\n"
    )


def test_a_valid_asof_reaches_the_store(tmp_path, capsys):
    missing = tmp_path / "none.duckdb"
    assert main(["risk", "--asof", "2024-02-29", "--store", str(missing)]) == 1
    assert capsys.readouterr().err == (
        f"Error: no store at {missing}; run `analyzer import PATH` first (or pass --store)\n"
    )
