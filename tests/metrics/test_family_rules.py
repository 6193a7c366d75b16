"""Issue 21 through the real entry point: each device family's averaging rule, and runs whose
records are too sparse, on FIT files written to reproduce what the real watches did
(``analyzer import`` into a store, then ``analyzer runs --json`` / ``analyzer runs``).

The rules and their evidence (five real histories, measured with ``benchmarks/agreement.py``)
are in :mod:`analyzer.metrics.averages`; these files reproduce the relation between records and
session that each family showed there.
"""

from __future__ import annotations

import numpy as np
import pytest
from watchfiles import cadence_fields, import_and_list, watch_file

from analyzer.cli import main


def _garmin_smart_recorded() -> tuple[bytes, float]:
    """A fenix 6X-like smart-recorded run: records 5-60 s apart, stops where the cadence falls to
    0 over a long interval and comes back within seconds. The session cadence is the mean of the
    watch's 1 Hz samples, which move linearly between the records."""
    t, cad = [0], [170.0]
    for _ in range(6):  # run 600 s, slow to a stop over 60 s, stand 40 s, restart in 5 s
        for _ in range(20):
            t.append(t[-1] + 30)
            cad.append(170.0)
        t += [t[-1] + 60, t[-1] + 100, t[-1] + 105]
        cad += [0.0, 0.0, 170.0]
    t, cad = np.array(t), np.array(cad)
    second = np.arange(t[0], t[-1] + 1)
    watch = float(np.interp(second, t, cad).mean())
    dist = np.interp(t, second, np.cumsum(np.interp(second, t, cad) > 0) * 3.0)
    session = {"total_timer_time": float(t[-1]), **cadence_fields(watch)}
    data = watch_file(
        manufacturer="garmin", product=3291, ts=t, cadence_spm=cad, distance_m=dist, session=session
    )
    return data, watch


def _coros(product: int, name: str, **kw) -> bytes:
    return watch_file(manufacturer="coros", product=product, product_name=name, **kw)


def _coros_pace2_with_stops() -> bytes:
    """COROS PACE 2, 1 s records: 600 s at 170, 60 s standing (cadence 0), 300 s at 166. The
    session holds whole strides of the non-zero samples: 168.67 -> 168 (with the zeros: 158)."""
    cad = np.r_[np.full(600, 170.0), np.zeros(60), np.full(300, 166.0)]
    t = np.arange(cad.size)
    dist = np.cumsum(cad > 0) * 2.9
    session = {"total_timer_time": float(t[-1]), **cadence_fields(168.0)}
    return _coros(802, "COROS PACE 2", ts=t, cadence_spm=cad, distance_m=dist, session=session)


def _coros_pace4_step_length() -> bytes:
    """COROS PACE 4: the session step length is total distance / steps from its own totals,
    rounded up to the centimetre (3000 m / (2 x 1470) = 1020.4 -> 1030 mm), whatever the
    records' step lengths average (1080 mm here)."""
    t = np.arange(1001)
    cad = np.full(t.size, 176.0)
    dist = t * 3.0
    session = {
        "total_timer_time": 1000.0,
        "total_cycles": 1470,
        "avg_step_length": 1030.0,
        **cadence_fields(176.0),
    }
    steps = np.full(t.size, 1080.0)
    return _coros(
        806,
        "COROS PACE 4",
        ts=t,
        cadence_spm=cad,
        distance_m=dist,
        session=session,
        step_length_mm=steps,
    )


#: The FR55 run of issue 21: 11.66 km in 0:53:36 of timer time, 174 spm by the watch.
FR55_DISTANCE_M, FR55_TIMER_S = 11_660.0, 3216


def _fr55_with_record_gaps() -> bytes:
    """Forerunner 55: timer running throughout, but record gaps of 860 s (the watch wrote a
    record with cadence 0 when it resumed); the records cover 20 % of the timer time."""
    t = np.r_[np.arange(0, 300), 1160, np.arange(1161, 1361), 2221, np.arange(2222, 2356), 3216]
    cad = np.full(t.size, 174.0)
    cad[np.isin(t, [1160, 2221, 3216])] = 0.0
    dist = t / FR55_TIMER_S * FR55_DISTANCE_M
    session = {"total_timer_time": float(FR55_TIMER_S), **cadence_fields(174.0)}
    return watch_file(
        manufacturer="garmin", product=3869, ts=t, cadence_spm=cad, distance_m=dist, session=session
    )


def test_each_family_rule_matches_the_watch(tmp_path, capsys):
    garmin, watch_cadence = _garmin_smart_recorded()
    files = {
        "a_garmin.fit": garmin,
        "b_pace2.fit": _coros_pace2_with_stops(),
        "c_pace4.fit": _coros_pace4_step_length(),
    }
    fenix, pace2, pace4 = import_and_list(tmp_path, capsys, files)
    assert fenix["device"].startswith("garmin") and "fenix6x" in fenix["device"]
    # Garmin: linear between records; holding each value back to the previous record is off.
    assert fenix["watch_avg_cadence_spm"] == pytest.approx(watch_cadence, abs=0.01)
    assert fenix["avg_cadence_spm"] == pytest.approx(watch_cadence, abs=0.1)
    assert fenix["avg_cadence_spm_source"] == "records"
    # COROS PACE 2: zero-cadence samples left out, whole strides.
    assert pace2["avg_cadence_spm"] == pace2["watch_avg_cadence_spm"] == 168.0
    assert pace2["avg_cadence_spm_source"] == "records"
    # COROS PACE 4: step length from the session's distance and strides, not the records' 1080.
    assert pace4["avg_step_length_mm"] == pace4["watch_avg_step_length_mm"] == 1030.0
    assert pace4["avg_step_length_mm_source"] == "records"


def test_held_back_values_would_miss_the_smart_recorded_watch_value():
    """The Garmin file above is one where the rule decides (not a file any rule would match)."""
    from analyzer.fit.activity import read_fit
    from analyzer.metrics.averages import run_averages

    data, watch = _garmin_smart_recorded()
    run = read_fit(data).runs()[0]
    held = run_averages(run.records, run.session, manufacturer="coros", product="nomad")
    assert abs(held["avg_cadence_spm"] - watch) > 2.0


def test_sparse_records_use_the_watch_values_and_the_row_agrees_with_itself(tmp_path, capsys):
    (run,) = import_and_list(tmp_path, capsys, {"fr55.fit": _fr55_with_record_gaps()})
    assert run["distance_m"] == pytest.approx(FR55_DISTANCE_M)
    assert run["timer_s"] == pytest.approx(FR55_TIMER_S)
    # The records alone: cadence far below the watch's (the 0s after each gap weigh 860 s).
    assert (run["avg_cadence_spm"], run["avg_cadence_spm_source"]) == (174.0, "watch")
    assert run["avg_speed_mps"] == pytest.approx(FR55_DISTANCE_M / FR55_TIMER_S)
    assert run["avg_speed_mps_source"] == "watch"
    # The table: distance, time and pace (4:36 /km = 3216 s / 11.66 km) agree.
    assert main(["runs", "--store", str(tmp_path / "store")]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if "11.66" in line)
    assert "0:53:36" in row and "4:36" in row


def test_pace_column_is_distance_over_time_when_records_disagree(tmp_path, capsys):
    """Records whose distance runs ahead of the session's (a distance recalculated after the run):
    the pace column still follows the row's own distance and time."""
    t = np.arange(0, 1801)
    dist = t * 3.3  # records: 5940 m
    session = {"total_timer_time": 1800.0, "total_distance": 5400.0, **cadence_fields(170.0)}
    data = watch_file(
        manufacturer="garmin",
        product=3291,
        ts=t,
        cadence_spm=np.full(t.size, 170.0),
        distance_m=dist,
        session=session,
    )
    import_and_list(tmp_path, capsys, {"run.fit": data})
    assert main(["runs", "--store", str(tmp_path / "store")]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if "5.40" in line)
    assert "0:30:00" in row and "5:33" in row  # 1800 s / 5.4 km; the records' speed: 5:03


def _garmin_auto_paused() -> tuple[bytes, float, float]:
    """A fenix 6S Pro-like run (Garmin_Fenix_6S_Pro-Running.fit): auto-pause stops the timer for
    9 s (a record as it stops, with cadence 0, and one as it starts again, no distance between
    them), and elsewhere the watch wrote no record for 10 s of a faster stretch (distance grew).
    Returns the file, the watch's cadence (its 1 Hz samples, linear between records, over the
    seconds the timer ran) and the cadence had the 10 s running gap been taken for the pause."""
    t = np.r_[np.arange(0, 61), np.arange(69, 131), np.arange(140, 201)]
    cad = np.where((t >= 130) & (t <= 140), 186.0, 166.0)
    cad[t == 60] = 0.0  # the record written as the timer stops
    step = np.diff(t, prepend=0) * 3.0
    step[t == 69] = 0.0  # stopped: no distance
    dist = np.cumsum(step)
    second = np.arange(201)
    per_second = np.interp(second, t, cad)
    running = (second < 60) | (second >= 69)
    wrong = (second < 130) | (second >= 140)  # the pause counted, the running gap dropped
    watch, other = float(per_second[running].mean()), float(per_second[wrong].mean())
    session = {"total_timer_time": float(running.sum()), **cadence_fields(watch)}
    data = watch_file(
        manufacturer="garmin", product=3290, ts=t, cadence_spm=cad, distance_m=dist, session=session
    )
    return data, watch, other


def test_of_equally_long_gaps_the_one_without_distance_is_the_pause(tmp_path, capsys):
    data, watch, other = _garmin_auto_paused()
    assert abs(other - watch) > 1.0  # the file is one where picking the gap decides
    (run,) = import_and_list(tmp_path, capsys, {"paused.fit": data})
    assert run["device"].startswith("garmin")
    assert run["watch_avg_cadence_spm"] == pytest.approx(watch, abs=0.01)
    assert run["avg_cadence_spm"] == pytest.approx(watch, abs=0.5)
    assert run["avg_cadence_spm_source"] == "records"
