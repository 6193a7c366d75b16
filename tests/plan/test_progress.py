"""A plan that moves: steps up and down from the diary, the safety stop, adherence."""

from __future__ import annotations

import pandas as pd
import pytest

from analyzer.plan import progress
from analyzer.plan.progress import REFER, ladder

START = pd.Timestamp("2026-09-01")


def entries(*rows):
    """(day offset, exercise, feel, pain) → a diary exercise table."""
    return pd.DataFrame(
        [
            {"date": START + pd.Timedelta(days=d), "exercise": ex, "feel": feel, "pain": pain}
            for d, ex, feel, pain in rows
        ]  # fmt: skip
    )


def step_of(rows, exercise="clamshell", **kw):
    (p,) = progress.progress([exercise], entries(*rows), start=START, **kw)
    return p


def test_every_exercise_has_five_steps_from_its_own_dose():
    steps = ladder("clamshell")
    assert [s.step for s in steps] == [0, 1, 2, 3, 4]
    assert steps[1].text == "3 sets of 10 per side"
    assert steps[2].text == "3 sets of 15 per side"
    assert "resistance band around the thighs" in steps[3].text
    assert ladder("hip_circles")[2].text == "2 sets of 30 circles each way"


def test_two_easy_sessions_without_pain_move_up():
    p = step_of([(1, "clamshell", "easy", 0), (3, "clamshell", "easy", None)])
    assert p.step == 2 and p.dose == "3 sets of 15 per side"
    assert p.why == "moved up to step 2 on 2026-09-04: two easy sessions in a row, no pain"
    # not in a row: a "right" session in between resets the count
    p = step_of([(1, "clamshell", "easy", 0), (2, "clamshell", "right", 0),
                 (3, "clamshell", "easy", 0)])  # fmt: skip
    assert p.step == 1
    # easy but with some pain does not count as "no pain"
    assert step_of([(1, "clamshell", "easy", 1), (3, "clamshell", "easy", 1)]).step == 1


def test_hard_or_pain_three_moves_down():
    assert step_of([(1, "clamshell", "hard", None)]).step == 0
    p = step_of([(1, "clamshell", "right", 3)])
    assert p.step == 0 and p.why == "moved down to step 0 on 2026-09-02: pain 3/10"
    assert step_of([(1, "clamshell", "hard", 0), (2, "clamshell", "hard", 0)]).step == 0  # floor


def test_up_to_the_top_and_no_further():
    rows = [(d, "bridge", "easy", 0) for d in range(1, 13)]
    p = step_of(rows, exercise="bridge")
    assert p.step == 4 and [m.to_step for m in p.moves] == [2, 3, 4]


def test_one_day_is_one_session_with_its_hardest_feel():
    p = step_of([(1, "clamshell", "easy", 0), (1, "clamshell", "hard", 0)])
    assert p.step == 0 and p.sessions == 1


def test_entries_before_the_start_and_after_asof_are_ignored():
    rows = [(-5, "clamshell", "easy", 0), (-3, "clamshell", "easy", 0), (1, "clamshell", "easy", 0)]
    assert step_of(rows).step == 1
    rows = [(1, "clamshell", "easy", 0), (10, "clamshell", "easy", 0)]
    assert step_of(rows, asof=START + pd.Timedelta(days=5)).step == 1


def test_a_safety_stop_freezes_the_step():
    rows = [(1, "clamshell", "easy", 0), (3, "clamshell", "easy", 0), (5, "clamshell", "easy", 0),
            (7, "clamshell", "easy", 0)]  # fmt: skip
    p = step_of(rows, frozen_from=START + pd.Timedelta(days=4))
    assert (
        p.step == 2
        and p.frozen
        and p.why.endswith("progression stopped until the pain is resolved")
    )


def pain(*rows):
    """(day offset, pain, running, resolved offset or None) → a diary pain table."""
    return pd.DataFrame(
        [
            {
                "entry_id": f"e{i}",
                "date": START + pd.Timedelta(days=d),
                "body_part": "knee",
                "side": "left",
                "pain": p,
                "running": run,
                "resolved": None if r is None else START + pd.Timedelta(days=r),
            }
            for i, (d, p, run, r) in enumerate(rows)
        ]  # fmt: skip
    )


ASOF = START + pd.Timedelta(days=20)


def test_pain_of_five_unresolved_stops_progression():
    s = progress.safety(pain((10, 5, "none", None)), [], asof=ASOF)
    assert s.stop and s.since == "2026-09-11"
    assert s.message == (
        f"{REFER}: pain of 5/10 or more that has not resolved. "
        "Logged: 2026-09-11 knee (left) pain 5/10."
    )
    assert not progress.safety(pain((10, 5, "none", 15)), [], asof=ASOF).stop  # resolved
    assert not progress.safety(pain((10, 4, "none", None)), [], asof=ASOF).stop


def test_running_stopped_stops_progression():
    s = progress.safety(pain((12, 2, "stopped", None)), [], asof=ASOF)
    assert s.stop and "stopped your running" in s.message and "running stopped" in s.message


def test_pain_on_three_runs_in_a_row_stops_progression():
    runs = [START + pd.Timedelta(days=d, hours=7) for d in (12, 14, 16, 18)]
    three = pain((14, 2, "none", None), (16, 2, "none", None), (18, 1, "none", None))
    s = progress.safety(three, runs, asof=ASOF)
    assert s.stop and s.reasons == ["pain logged on 3 runs in a row"] and len(s.entries) == 3
    broken = pain((12, 2, "none", None), (14, 2, "none", None), (18, 1, "none", None))
    assert not progress.safety(broken, runs, asof=ASOF).stop  # the run on day 16 was pain-free


@pytest.mark.parametrize("days_done", [[0, 2, 4, 7, 9, 11, 14], [1, 8]])
def test_adherence_counts_session_days_per_plan_week(days_done):
    ex = entries(*[(d, "bridge", "right", 0) for d in days_done] + [(0, "clamshell", "right", 0)])
    weeks = progress.adherence(
        ex, start=START, sessions_per_week=3, asof=START + pd.Timedelta(days=15)
    )
    assert list(weeks["planned"]) == [3, 3, 1]  # the third week has run 2 of its 7 days
    days = set(days_done) | {0}  # the clamshell on day 0 is a session day too (one per day)
    done = [sum(1 for d in days if 7 * w <= d < 7 * w + 7) for w in range(3)]
    assert list(weeks["done"]) == done
    assert list(weeks["share"]) == [min(d / p, 1.0) for d, p in zip(done, [3, 3, 1], strict=True)]
