"""One validation layer (analyzer._base.values): the command line, the diary and the app's forms
refuse a bad value with the same reason, and none of them parses dates or numbers itself."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from analyzer._base import values
from analyzer.cli import main
from analyzer.errors import DiaryError, InvalidInput
from analyzer.store.diary import check_pain

PACKAGE = Path(__file__).resolve().parents[1] / "analyzer"
#: The modules that take values people type: they must leave the parsing to values.py.
CALLERS = ("cli/options.py", "store/diary.py", "app/forms.py", "app/actions.py", "app/pages.py")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("07/09/2024", "'07/09/2024' is not a date; use YYYY-MM-DD, e.g. 2024-09-07"),
        ("2024-02-30", "'2024-02-30' is not a calendar date (day is out of range for month)"),
        ("2026-W01-1", "'2026-W01-1' is not a date"),  # fromisoformat alone would take it
    ],
)
def test_a_bad_date_gets_the_same_reason_everywhere(value, reason, capsys):
    assert main(["risk", f"--asof={value}"]) == 2
    cli = capsys.readouterr().err
    with pytest.raises(DiaryError) as diary:
        check_pain({"athlete": "a", "date": value, "body_part": "knee", "pain": 2})
    assert reason in cli
    assert f"date {reason}" in str(diary.value)


def test_a_number_out_of_range_gets_the_same_reason_everywhere(capsys):
    assert main(["log", "pain", "--body-part", "knee", "--pain", "11"]) == 2
    cli = capsys.readouterr().err
    with pytest.raises(DiaryError) as diary:
        check_pain({"athlete": "a", "date": "2024-01-01", "body_part": "knee", "pain": "11"})
    assert "11 is not a whole number from 0 to 10" in cli
    assert str(diary.value) == "pain 11 is not a whole number from 0 to 10"


def test_a_diary_error_is_an_invalid_input():
    """The app answers 400 to any InvalidInput: diary rules reach it without a second list."""
    assert issubclass(DiaryError, InvalidInput)


def parses(source: str, module: str) -> list[str]:
    """Where ``source`` parses typed text itself: ``fromisoformat``/``strptime`` calls and
    ``float(name)`` (``int(`` of a stored number in a page is fine, so it is not counted)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if (
            isinstance(f, ast.Attribute)
            and f.attr in ("fromisoformat", "strptime")
            or (
                isinstance(f, ast.Name)
                and f.id == "float"
                and node.args
                and isinstance(node.args[0], ast.Name)
            )
        ):
            found.append(f"{module}:{node.lineno}")
    return found


@pytest.mark.parametrize("module", CALLERS)
def test_callers_do_not_parse_values_themselves(module):
    found = parses((PACKAGE / module).read_text(encoding="utf-8"), module)
    assert not found, f"values parsed outside analyzer/_base/values.py: {found}"


def test_the_parse_check_sees_a_planted_parser():
    planted = "import datetime as dt\nx = dt.date.fromisoformat(text)\ny = float(text)\n"
    assert parses(planted, "planted.py") == ["planted.py:2", "planted.py:3"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, True), ("  ", True), (float("nan"), True), ("x", False), (0, False), ("0", False)],
)
def test_blank(value, expected):
    assert values.blank(value) is expected


def test_whole_numbers():
    assert values.whole("3", "sets", 1, 20) == 3
    assert values.whole(3.0, "sets", 1, 20) == 3  # a spreadsheet's 3.0
    assert values.whole("", "sets", 1, 20, required=False) is None
    for bad, reason in [
        ("2.5", "sets 2.5 is not a whole number from 1 to 20"),
        ("21", "sets 21 is not a whole number from 1 to 20"),
        ("inf", "sets inf is not a whole number from 1 to 20"),
        ("1e3", "sets 1e3 is not a whole number from 1 to 20"),  # digits only
        ("x", "sets 'x' is not a number"),
        ("", "sets is missing (a whole number from 1 to 20)"),
    ]:
        with pytest.raises(InvalidInput, match=reason.replace("(", r"\(").replace(")", r"\)")):
            values.whole(bad, "sets", 1, 20)
    assert values.whole("1000", "", 1) == 1000  # no upper bound


def test_dates_and_the_future():
    today = dt.date(2026, 12, 8)
    assert values.date("2026-12-08", latest=today) == today
    assert values.date(dt.datetime(2026, 1, 2, 23, 0)) == dt.date(2026, 1, 2)
    with pytest.raises(InvalidInput, match="date 2026-12-09 is in the future"):
        values.date("2026-12-09", "date", latest=today)


def test_text_and_names():
    assert values.text("left\n knee", "body part") == "left knee"
    with pytest.raises(InvalidInput, match="holds control characters"):
        values.text("a\x1b[31mb", "note")
    with pytest.raises(InvalidInput, match="at most 200 characters"):
        values.text("x" * 201, "note")
    assert values.name("  Ann B ") == "Ann B"
    for bad in ("", "a\nb", "a\x1bb", "x" * (values.MAX_NAME + 1)):
        with pytest.raises(InvalidInput):
            values.name(bad)


def test_choices():
    allowed = ("side_leg_raises", "squats")
    assert values.choice("Side leg-raises", allowed, "exercise") == "side_leg_raises"
    assert values.choice("", allowed, "exercise", default="squats") == "squats"
    with pytest.raises(InvalidInput, match="exercise 'burpees' is not one of side_leg_raises"):
        values.choice("burpees", allowed, "exercise")
