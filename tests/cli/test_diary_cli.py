"""The training diary through the real entry point: log, diary, recommend --start, train."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import SAMPLE_DATA

from analyzer.cli import main
from analyzer.store.database import Store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("diary") / "s.duckdb"
    assert main(["import", str(SAMPLE_DATA / "imbalance"), "--store", str(path),
                 "--athlete", "imb", "--workers", "1"]) == 0  # fmt: skip
    return path


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_bad_diary_input_is_refused_with_one_line_and_nothing_written(tmp_path, store, capsys):
    s = str(store)
    cases = [
        (["log", "exercise", "burpees", "--feel", "easy"],
         "Error: exercise 'burpees' is not one of bridge, hip_circles, clamshell, side_leg_raises, "
         "lateral_band_walks, squats, banded_side_step, quadruped_hip_extension"),
        (["log", "exercise", "clamshell", "--feel", "easy", "--date", "2999-01-01"],
         "Error: date 2999-01-01 is in the future (today is"),
        (["log", "pain", "--body-part", "knee", "--pain", "11"],
         "Error: analyzer log pain: argument --pain: 11 is not a whole number from 0 to 10"),
        (["log", "exercise", "clamshell=3by10", "--feel", "easy"],
         "Error: 'clamshell=3by10': write NAME, NAME=3x10, NAME=45s or NAME=3x10:left"),
    ]  # fmt: skip
    for argv, message in cases:
        code, out, err = run(capsys, *argv, "--store", s)
        usage = "Error: analyzer " in message  # refused when parsed: a usage error
        assert code == (2 if usage else 1), err
        assert err.startswith(message) and len(err.strip().splitlines()) == 1, err
    code, out, _ = run(capsys, "diary", "--store", s, "--json")
    data = json.loads(out)
    assert data["exercise"] == [] and data["pain"] == []


def test_the_loop_start_log_progress(store, capsys):
    s = str(store)
    start = (pd.Timestamp.now() - pd.Timedelta(days=10)).date().isoformat()
    code, out, _ = run(capsys, "recommend", "--store", s, "--start", start)
    assert code == 0 and "Started plan v1 for imb" in out
    with Store(store) as st:
        plan = st.con.execute("SELECT plan_json FROM plans WHERE athlete='imb'").fetchone()[0]
    top = json.loads(plan)["items"][0]["exercise"]
    today = pd.Timestamp.now().normalize()
    for days_ago in (3, 1):
        day = (today - pd.Timedelta(days=days_ago)).date().isoformat()
        code, out, _ = run(capsys, "log", "exercise", f"{top}=3x10", "--feel", "easy",
                           "--pain", "0", "--date", day, "--store", s)  # fmt: skip
        assert code == 0 and out.startswith(f"Logged {top} for imb on {day} (easy).")
    code, out, _ = run(capsys, "recommend", "--store", s)
    assert f"Plan v1 of imb, started {start}:" in out
    line = next(x for x in out.splitlines() if "step 2" in x)
    assert line.endswith(": two easy sessions in a row, no pain"), line
    code, out, _ = run(capsys, "diary", "--store", s, "--json")
    status = json.loads(out)["plan_so_far"]
    moved = next(e for e in status["exercises"] if e["exercise"] == top)
    assert moved["step"] == 2 and moved["moves"][0]["direction"] == "up"


def test_pain_puts_the_referral_first_in_recommend_and_diary(tmp_path, capsys):
    path = tmp_path / "s.duckdb"
    assert main(["import", str(SAMPLE_DATA / "balanced"), "--store", str(path),
                 "--athlete", "bal", "--workers", "1"]) == 0  # fmt: skip
    capsys.readouterr()
    day = (pd.Timestamp.now() - pd.Timedelta(days=2)).date().isoformat()
    code, out, _ = run(capsys, "log", "pain", "--body-part", "knee", "--side", "left", "--pain",
                       "6", "--running", "reduced", "--date", day, "--store", str(path))  # fmt: skip
    assert code == 0
    referral = (f"Stop progressing and see a physiotherapist or doctor: pain of 5/10 or more "
                f"that has not resolved. Logged: {day} knee (left) pain 6/10, running reduced.")  # fmt: skip
    assert referral in out
    for argv in (["recommend"], ["diary"]):
        code, out, _ = run(capsys, *argv, "--store", str(path))
        assert code == 0 and out.splitlines()[0] == referral
    entry = out.split("Pain entries of bal:\n")[1].split()[0]
    code, out, _ = run(capsys, "log", "resolve", entry, "--store", str(path))
    assert code == 0 and out.strip() == f"Pain entry {entry} marked resolved."
    code, out, _ = run(capsys, "diary", "--store", str(path))
    assert referral not in out and "resolved" in out


def test_diary_csv_through_the_cli(tmp_path, capsys):
    path = tmp_path / "s.duckdb"
    assert main(["import", str(SAMPLE_DATA / "balanced"), "--store", str(path),
                 "--athlete", "bal", "--workers", "1"]) == 0  # fmt: skip
    csv = tmp_path / "in.csv"
    csv.write_text("kind,date,exercise,sets,reps,feel,pain,body_part,running\n"
                   "exercise,2026-08-01,bridge,3,10,easy,0,,\n"
                   "pain,2026-08-02,,,,,2,shin,none\n")  # fmt: skip
    capsys.readouterr()
    code, out, _ = run(
        capsys, "diary", "import", str(csv), "--athlete", "bal", "--store", str(path)
    )
    assert code == 0 and out.strip() == "Imported 2 diary entries from in.csv."
    back = tmp_path / "out.csv"
    code, out, _ = run(capsys, "diary", "export", str(back), "--store", str(path))
    assert code == 0 and out.strip() == f"Wrote 2 diary entries to {back}."
    rows = back.read_text().splitlines()
    assert rows[1].startswith("exercise,bal,2026-08-01,bridge,3,10,,both,easy,0")
    assert rows[2].startswith("pain,bal,2026-08-02,,,,,both,,2,shin,none")


def test_train_takes_its_labels_from_the_diary(store, capsys):
    code, out, err = run(capsys, "train", "--store", str(store), "--out", "/dev/null")
    assert code == 1
    assert err.startswith("Error: too little labelled data to learn from: 0 injuries")
