"""The training diary in a real store: checks, transactions, CSV round trip, labels."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from analyzer import import_paths
from analyzer.analysis.training import injury_labels
from analyzer.errors import DiaryError
from analyzer.store.database import Store
from analyzer.store.diary import CSV_COLUMNS, Diary

DAY = dt.date(2026, 10, 5)


@pytest.fixture
def diary(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        yield Diary(store)


def session(**over):
    row = {"athlete": "ann", "date": DAY, "exercise": "clamshell", "sets": 3, "reps": 10,
           "side": "left", "feel": "easy", "pain": 0}  # fmt: skip
    return {**row, **over}


def test_entries_are_normalised_and_read_back(diary):
    assert diary.log_exercises([session(exercise="Side leg raises"), session()]) == 2
    ex = diary.exercises("ann")
    assert sorted(ex["exercise"]) == ["clamshell", "side_leg_raises"]
    assert set(ex["side"]) == {"left"} and (ex["date"] == pd.Timestamp(DAY)).all()
    pid = diary.log_pain({"athlete": "ann", "date": DAY, "body_part": "Knee", "side": "left",
                          "pain": 4, "running": "reduced"})  # fmt: skip
    pain = diary.pain("ann")
    assert pain.iloc[0]["body_part"] == "knee" and pain.iloc[0]["entry_id"] == pid
    assert pd.isna(pain.iloc[0]["resolved"])
    diary.resolve_pain(pid, DAY + dt.timedelta(days=9))
    assert diary.pain("ann").iloc[0]["resolved"] == pd.Timestamp(DAY + dt.timedelta(days=9))


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"exercise": "burpees"}, "exercise 'burpees' is not one of bridge, hip_circles"),
        ({"date": "2999-01-01"}, "date 2999-01-01 is in the future"),
        ({"date": "05/10/2026"}, "date '05/10/2026' is not a date; use YYYY-MM-DD"),
        ({"pain": 11}, "pain 11 is not a whole number from 0 to 10"),
        ({"pain": "2.5"}, "pain 2.5 is not a whole number from 0 to 10"),
        ({"feel": "meh"}, "feel 'meh' is not one of easy, right, hard"),
        ({"reps": None}, "clamshell: give reps or seconds"),
    ],
)
def test_bad_entries_are_refused_and_nothing_is_written(diary, bad, message):
    with pytest.raises(DiaryError, match=message.replace("(", r"\(")):
        diary.log_exercises([session(exercise="bridge"), session(**bad)])
    assert diary.exercises().empty  # the good entry of the same call is not written either


def test_pain_checks(diary):
    base = {"athlete": "ann", "date": DAY, "body_part": "hip", "pain": 3}
    with pytest.raises(DiaryError, match="running 'a bit' is not one of none, reduced, stopped"):
        diary.log_pain({**base, "running": "a bit"})
    with pytest.raises(DiaryError, match="resolved date 2026-10-01 is before the entry"):
        diary.log_pain({**base, "resolved": "2026-10-01"})
    with pytest.raises(DiaryError, match="pain is missing"):
        diary.log_pain({**base, "pain": ""})
    assert diary.pain().empty


def test_csv_round_trip_and_idempotent_import(tmp_path, diary):
    diary.log_exercises([session(), session(exercise="bridge", side="both", pain=None,
                                            feel="hard", note="tired, \"heavy\" legs")])  # fmt: skip
    diary.log_exercises([session(exercise="hip_circles", reps=None, seconds=60)])
    diary.log_pain({"athlete": "ann", "date": DAY, "body_part": "achilles", "side": "right",
                    "pain": 5, "running": "stopped", "resolved": "2026-10-20"})  # fmt: skip
    out = tmp_path / "diary.csv"
    assert diary.export_csv(out) == 4
    assert out.read_text().splitlines()[0] == ",".join(CSV_COLUMNS)
    with Store(tmp_path / "other.duckdb") as other:
        again = Diary(other)
        # into a store that does not hold the athlete: refused, named, nothing written
        with pytest.raises(DiaryError, match="no athlete 'ann' in the store"):
            again.import_csv(out)
        assert again.exercises().empty and again.pain().empty
        sample = Path(__file__).resolve().parents[2] / "sample_data" / "balanced"
        import_paths(other, [sorted(sample.glob("*.fit"))[0]], athlete="ann", workers=1)
        assert again.import_csv(out) == 4
        assert again.import_csv(out) == 0  # the same rows again add nothing
        for a, b in ((diary.exercises(), again.exercises()), (diary.pain(), again.pain())):
            pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


def test_a_bad_csv_row_imports_nothing(tmp_path, diary):
    path = tmp_path / "d.csv"
    path.write_text(
        "kind,athlete,date,exercise,sets,reps,feel,pain\n"
        "exercise,ann,2026-10-01,bridge,3,10,easy,0\n"
        "exercise,ann,2026-10-02,bridge,3,10,easy,11\n"
    )
    with pytest.raises(DiaryError) as err:
        diary.import_csv(path)
    assert str(err.value) == (
        f"{path}, line 3: pain 11 is not a whole number from 0 to 10; nothing was imported"
    )
    assert diary.exercises().empty
    path.write_text("kind,date,date\nexercise,2026-10-01,2026-10-01\n")
    with pytest.raises(DiaryError, match="a column appears twice in the header"):
        diary.import_csv(path)
    path.write_text("athlete,injured\nann,1\n")
    with pytest.raises(DiaryError, match="not a diary CSV"):
        diary.import_csv(path)


def test_plans_are_versioned(diary):
    assert diary.current_plan("ann") is None
    assert diary.save_plan("ann", {"items": [], "groups": ["balance"]}, start="2026-10-01") == 1
    assert diary.save_plan("ann", {"items": [], "groups": []}, start="2026-11-01") == 2
    cur = diary.current_plan("ann")
    assert cur["version"] == 2 and cur["start_date"] == pd.Timestamp("2026-11-01")


def test_injury_labels_from_the_diary(tmp_path):
    from analyzer.simulate import AthleteProfile, write_athlete

    write_athlete(AthleteProfile(name="ann", seed=1, weeks=26, interval_s=10), tmp_path / "ann")
    with Store(tmp_path / "s.duckdb") as store:
        import_paths(store, [tmp_path / "ann"], athlete="ann", workers=1)
        diary = Diary(store)
        first = store.runs("ann")["start_time"].min()
        hurt = (first + pd.Timedelta(days=60)).date()
        diary.log_pain({"athlete": "ann", "date": hurt, "body_part": "knee", "pain": 4,
                        "running": "reduced"})  # fmt: skip
        diary.log_pain({"athlete": "ann", "date": hurt, "body_part": "calf", "pain": 2})
        labels = injury_labels(diary)
    injured = labels[labels["injured"] == 1]
    assert len(injured) == 1 and injured.iloc[0]["body_part"] == "knee"  # "none" is no injury
    clear = labels[labels["injured"] == 0]
    assert len(clear) >= 2
    gap = (clear["date"] - pd.Timestamp(hurt, tz="UTC")).abs()
    assert (gap > pd.Timedelta(days=28)).all()
