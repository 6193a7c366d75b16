"""Hostile model and labels files: each gives one ``Error:`` line naming the file and what is
wrong (through the real CLI), never a traceback, and nothing questionable is accepted silently."""

from __future__ import annotations

import json

import pytest

from analyzer import risk
from analyzer.cli import main

FEATURE = "balance_shift_pts"


def _model(tmp_path, mutate) -> str:
    data = json.loads(json.dumps(risk.priors()))
    mutate(data)
    path = tmp_path / "m.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def _risk_error(capsys, tmp_path, model: str) -> str:
    # The model is read before the store is opened: no store needed to see the error.
    code = main(["risk", "--model", model, "--store", str(tmp_path / "none.duckdb")])
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    return err


CASES = {
    "drivers entry a number": (
        lambda d: d.update(drivers={FEATURE: 5}),
        "m.json: drivers.balance_shift_pts must be an object with text fields "
        "['source', 'grade', 'note'], got 5",
    ),
    "drivers entry with a numeric grade": (
        lambda d: d["drivers"][FEATURE].update(grade=3),
        "m.json: drivers.balance_shift_pts must be an object with text fields "
        "['source', 'grade', 'note'], got {\"grade\": 3, ",
    ),
    "drivers of an unknown feature": (
        lambda d: d["drivers"].update(shoe_size={"grade": "A"}),
        "m.json: drivers: unknown feature 'shoe_size'; this analyzer knows [",
    ),
    "coefficient as a string": (
        lambda d: d["coefficients"].update({FEATURE: "1.4"}),
        "m.json: coefficients and intercept must be numbers (not text or true/false); check "
        "['balance_shift_pts']",
    ),
    "coefficient as a boolean": (
        lambda d: d["coefficients"].update({FEATURE: True}),
        "m.json: coefficients and intercept must be numbers (not text or true/false); check "
        "['balance_shift_pts']",
    ),
    "intercept as a string": (
        lambda d: d.update(intercept="-3"),
        "m.json: coefficients and intercept must be numbers (not text or true/false); check "
        "['intercept']",
    ),
    "unknown params key": (
        lambda d: d.update(params={"C": 1.0, "alpha": 2}),
        "m.json: unknown params ['alpha']; a model has only ['C', 'max_iter', 'tol']",
    ),
    "boolean param": (
        lambda d: d.update(params={"C": True}),
        "m.json: params.C must be a number, got True",
    ),
    "fractional max_iter": (
        lambda d: d.update(params={"max_iter": 2.5}),
        "m.json: params.max_iter must be a whole number, got 2.5",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_model_file_gives_one_error_line(tmp_path, capsys, case):
    mutate, message = CASES[case]
    err = _risk_error(capsys, tmp_path, _model(tmp_path, mutate))
    assert err.startswith(f"Error: {message}"), err


def test_model_json_nested_200000_deep(tmp_path, capsys):
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    err = _risk_error(capsys, tmp_path, str(path))
    assert err == (
        "Error: deep.json: not a model file: JSON nested too deeply to be one (a model is two "
        "levels deep); use a model written by `analyzer train`\n"
    )


def test_a_valid_model_with_params_still_loads(tmp_path):
    path = _model(tmp_path, lambda d: d.update(params={"C": 2, "max_iter": 100, "tol": 1e-6}))
    model = risk.load_model(path)
    assert (model.C, model.max_iter, model.tol) == (2, 100, 1e-6)


@pytest.mark.parametrize("header", ["athlete,date,injured,date", "athlete,Date,injured, date "])
def test_labels_with_duplicate_headers(tmp_path, capsys, header):
    labels = tmp_path / "labels.csv"
    labels.write_text(f"{header}\na,2026-01-01,1,2026-01-02\n", encoding="utf-8")
    code = main(["train", "--labels", str(labels), "--store", str(tmp_path / "none.duckdb")])
    out, err = capsys.readouterr()
    assert code == 1
    assert err == (
        "Error: labels.csv: duplicate column(s) ['date'] (letter case and spaces ignored); "
        "keep one of each: athlete, date, injured, side, body_part\n"
    )


def test_labels_with_a_byte_order_mark_still_read(tmp_path):
    from analyzer.risk.training import read_labels

    labels = tmp_path / "labels.csv"
    labels.write_bytes("\ufeffathlete,date,injured\na,2026-01-01,yes\n".encode())
    df = read_labels(labels)
    assert df["injured"].tolist() == [1]
