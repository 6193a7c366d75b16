"""Apple Health exports (issue 23): every running workout one run, with the watch's running form."""

from __future__ import annotations

import functools
import json
import re
import zipfile
from datetime import UTC, datetime

import numpy as np
import pytest

from analyzer import import_paths
from analyzer.errors import InvalidHealthExport
from analyzer.fit.writer import encode_run
from analyzer.ingest.applerun import convert
from analyzer.simulate.applehealth import write_apple_health_export
from analyzer.simulate.history import AthleteProfile, simulate_athlete
from analyzer.store.database import Store

START = datetime(2024, 4, 29, tzinfo=UTC)  # summer time in Paris: offsets +0200


def _profile(weeks: int = 3) -> AthleteProfile:
    return AthleteProfile(name="ana", seed=5, weeks=weeks, start=START)


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("apple")
    return write_apple_health_export(out, _profile(), walks_per_week=2, background_per_day=24)


@pytest.fixture(scope="module")
def imported(export, tmp_path_factory):
    store_path = tmp_path_factory.mktemp("store") / "s.duckdb"
    with Store(store_path) as store:
        report = import_paths(store, [export["path"]], workers=1)
        runs = store.runs()
        sessions = store.con.execute("SELECT run_id, session_json FROM runs").df()
        runs = runs.merge(sessions, on="run_id")
        log = store.import_log()
        recs = store.con.execute(
            "SELECT r.run_id, avg(power_w) AS power, avg(cadence_spm) AS cadence, "
            "count(gct_balance_left_pct) AS balance FROM records JOIN runs r USING (run_key) "
            "GROUP BY r.run_id"
        ).df()
    return report, runs, log, recs.set_index("run_id"), store_path


def _by_start(runs):
    return runs.sort_values("start_time").reset_index(drop=True)


def test_every_running_workout_is_one_run_and_walks_are_not(export, imported):
    report, runs, log, _, _ = imported
    assert export["walks"] >= 2
    assert report.runs == len(runs) == len(export["runs"]) and report.ok
    assert (runs["sport"] == "running").all()
    skipped = log.loc[log["outcome"] == "skipped", "detail"].tolist()
    assert any(
        re.fullmatch(r"\d+ workouts? not runs \(Walking \d+\): not imported", d) for d in skipped
    )
    routes = [d for d in skipped if "workout route" in d]
    assert len(routes) == sum(r["route"] is not None for r in export["runs"])
    indoor = [r["indoor"] for r in export["runs"]]
    assert (_by_start(runs)["sub_sport"] == "treadmill").tolist() == indoor
    assert set(runs["dynamics_sensor"]) == {"Apple Watch (wrist)"}
    assert set(runs["dynamics_source"]) == {"wrist"}


def test_per_run_averages_agree_with_the_workout_statistics(export, imported):
    _, runs, _, recs, _ = imported
    runs = _by_start(runs)
    factors = {  # statistic -> (our column, Apple unit -> contract unit)
        "RunningGroundContactTime": ("avg_stance_time_ms", 1.0),
        "RunningVerticalOscillation": ("avg_vertical_oscillation_mm", 10.0),
        "RunningStrideLength": ("avg_step_length_mm", 1000.0),
        "RunningSpeed": ("avg_speed_mps", 1 / 3.6),
    }
    for run, truth in zip(runs.itertuples(), export["runs"], strict=True):
        stats = truth["statistics"]
        for stat, (col, factor) in factors.items():
            assert getattr(run, col) == pytest.approx(stats[stat] * factor, rel=0.02), (stat, run)
        assert recs.loc[run.run_id, "power"] == pytest.approx(stats["RunningPower"], rel=0.02)
        # cadence of the watch's own step counts (the phone's, in a pocket, left out)
        cadence = stats["StepCount"] / (truth["timer_s"] / 60)
        assert recs.loc[run.run_id, "cadence"] == pytest.approx(cadence, rel=0.02)
        assert run.distance_m == pytest.approx(stats["DistanceWalkingRunning"] * 1000, rel=1e-6)
        assert run.timer_s == pytest.approx(truth["timer_s"], abs=1)
        assert recs.loc[run.run_id, "balance"] == 0  # no balance sensor: NaN, never 0
        assert np.isnan(run.avg_gct_balance_left_pct)


def test_times_keep_their_offsets(export, imported):
    _, runs, _, _, _ = imported
    for run, truth in zip(_by_start(runs).itertuples(), export["runs"], strict=True):
        session = json.loads(run.session_json)
        written = datetime.strptime(truth["start"], "%Y-%m-%d %H:%M:%S %z")
        assert truth["start"].endswith(" +0200")
        assert session["local_start_time"] == written.isoformat()
        assert session["utc_offset_s"] == 7200 and session["time_zone"] == "Europe/Paris"
        assert run.start_time.tz_localize(None) == written.astimezone(UTC).replace(tzinfo=None)


def test_reimport_adds_nothing_and_a_newer_export_adds_only_new_workouts(
    export, imported, tmp_path
):
    _, runs, _, _, store_path = imported
    newer = write_apple_health_export(tmp_path, _profile(weeks=4), background_per_day=24)
    assert len(newer["runs"]) > len(export["runs"])
    with Store(store_path) as store:
        again = import_paths(store, [export["path"]], workers=1)
        assert again.runs == 0 and again.duplicates == len(export["runs"])
        report = import_paths(store, [newer["path"]], workers=1)
        assert report.runs == len(newer["runs"]) - len(export["runs"])
        assert len(store.runs(include_duplicates=True)) == len(newer["runs"])
    dup = [e.detail for e in again.entries if e.outcome == "duplicate"]
    assert all("already imported" in d and "!workout " in d for d in dup)


def test_a_fit_copy_of_a_workout_is_the_same_run(export, tmp_path):
    run = simulate_athlete(_profile())[0]  # as HealthFit or RunGap would write it
    fit = tmp_path / "healthfit" / run.name
    fit.parent.mkdir()
    fit.write_bytes(encode_run(run))
    with Store(tmp_path / "s.duckdb") as store:
        report = import_paths(store, [export["path"], fit.parent], workers=1)
        everything = store.runs(include_duplicates=True)
        assert len(everything) == len(export["runs"]) + 1
        assert len(store.runs()) == len(export["runs"])
    assert len(report.recorded_twice) == 1
    link = report.recorded_twice[0]
    names = {link.source_name, link.kept_source_name}
    assert any(n.endswith(run.name) for n in names) and any("!workout " in n for n in names)


def test_folder_and_export_xml_alone_import_the_same_runs(tmp_path):
    truth = write_apple_health_export(tmp_path, _profile(weeks=1), zipped=False)
    folder = tmp_path / "apple_health_export"
    for path in (folder, folder / "export.xml"):
        with Store(tmp_path / f"{path.name}.duckdb") as store:
            read = []
            report = import_paths(
                store, [path], workers=1, on_read=lambda *a, out=read: out.append(a)
            )
            runs = store.runs()
            altitude = store.con.execute(
                "SELECT count(altitude_m) > 0 FROM records JOIN runs USING (run_key) "
                "GROUP BY run_id, start_time ORDER BY start_time"
            ).fetchall()
        assert report.runs == len(truth["runs"]) > 0 and report.ok
        # the outdoor runs' routes (workout-routes/*.gpx) give their altitude; treadmills have none
        assert [a for (a,) in altitude] == [r["route"] is not None for r in truth["runs"]]
        assert runs["avg_vertical_oscillation_mm"].notna().all()
        # the progress on bytes: two passes over the file, up to twice its size
        size = (folder / "export.xml").stat().st_size
        assert read[-1][1:] == (2 * size, 2 * size)
        assert [d for _, d, _ in read] == sorted(d for _, d, _ in read)


def _xml(tmp_path) -> tuple:
    truth = write_apple_health_export(tmp_path, _profile(weeks=1), zipped=False, routes=False)
    xml = tmp_path / "apple_health_export" / "export.xml"
    return truth, xml, xml.read_bytes()


def test_a_damaged_tail_keeps_the_workouts_before_it(tmp_path):
    truth, xml, data = _xml(tmp_path)
    ends = [m.end() for m in re.finditer(rb"</Workout>\n", data)]
    cut = ends[2] + 40  # inside the third workout element
    keep = data[:cut].count(b'workoutActivityType="HKWorkoutActivityTypeRunning"')
    keep -= data[ends[2] : cut].count(b"HKWorkoutActivityTypeRunning")  # (the one cut off)
    assert keep >= 1
    xml.write_bytes(data[:cut] + b"\x00\x00garbage")
    with Store(tmp_path / "s.duckdb") as store:
        report = import_paths(store, [xml], workers=1)
    assert report.runs == keep
    (failure,) = report.failures
    assert failure.name == str(xml)
    offset = int(re.search(r"at byte (\d+)", failure.detail).group(1))
    assert cut <= offset <= cut + 20
    assert f"the {keep} running workouts before it were read" in failure.detail


def test_entities_are_refused_and_the_dtd_of_attlists_accepted(tmp_path):
    _, xml, data = _xml(tmp_path)
    assert b"<!ATTLIST Record" in data  # (every other test reads this DTD)
    bomb = data.replace(b"<!DOCTYPE HealthData [", b'<!DOCTYPE HealthData [\n<!ENTITY a "aaaa">')
    xml.write_bytes(bomb)
    with Store(tmp_path / "s.duckdb") as store:
        report = import_paths(store, [xml], workers=1)
    assert report.runs == 0
    (failure,) = report.failures
    assert "unsafe XML: entity declaration 'a'" in failure.detail and "at byte" in failure.detail
    external = data.replace(b"<!DOCTYPE HealthData [", b'<!DOCTYPE HealthData SYSTEM "x.dtd" [')
    xml.write_bytes(external)
    from analyzer.ingest.applehealth import health_items

    with pytest.raises(InvalidHealthExport, match="external DTD"):
        list(health_items(functools.partial(open, xml, "rb"), len(external), str(xml)))


_VO = "HKQuantityTypeIdentifierRunningVerticalOscillation"
_WORKOUT = (
    ' <Workout workoutActivityType="HKWorkoutActivityTypeRunning" duration="1" durationUnit="min" '
    'totalDistance="0.25" totalDistanceUnit="km" sourceName="W" '
    'startDate="2024-01-10 07:00:00 -0500" endDate="2024-01-10 07:01:00 -0500"/>\n'
)


def _mini(unit: str, value: str) -> str:
    """A hand-written export.xml: one older-style workout (totalDistance on the Workout, no
    statistics) and vertical oscillation every 5 s in ``unit``."""
    records = "".join(
        f' <Record type="{_VO}" sourceName="W" unit="{unit}" value="{value}" '
        f'startDate="2024-01-10 07:00:{s:02d} -0500" endDate="2024-01-10 07:00:{s:02d} -0500"/>\n'
        for s in range(0, 60, 5)
    )
    head = '<?xml version="1.0" encoding="UTF-8"?>\n<HealthData locale="en_US">\n'
    return head + records + _WORKOUT + "</HealthData>\n"


@pytest.mark.parametrize(("unit", "value", "expected"), [("cm", "9.5", 95.0), ("mm", "95", 95.0)])
def test_units_are_read_from_the_unit_attribute(tmp_path, unit, value, expected):
    xml = tmp_path / "export.xml"
    xml.write_text(_mini(unit, value), encoding="utf-8")
    with Store(tmp_path / "s.duckdb") as store:
        import_paths(store, [xml], workers=1)
        (run,) = store.runs().itertuples()
        (session,) = store.con.execute("SELECT session_json FROM runs").fetchone()
    assert run.avg_vertical_oscillation_mm == pytest.approx(expected)
    assert run.distance_m == pytest.approx(250.0)  # older exports: totalDistance on Workout
    assert json.loads(session)["utc_offset_s"] == -5 * 3600


def test_an_unknown_unit_leaves_the_series_out(tmp_path):
    xml = tmp_path / "export.xml"
    xml.write_text(_mini("furlong", "1"), encoding="utf-8")
    with Store(tmp_path / "s.duckdb") as store:
        report = import_paths(store, [xml], workers=1)
    assert report.runs == 0  # nothing else was recorded: a workout without samples
    assert convert("mm", "furlong") is None and convert("mps", "km/hr") == pytest.approx(1 / 3.6)


def test_zip_layout(export):
    with zipfile.ZipFile(export["path"]) as zf:
        names = zf.namelist()
    assert "apple_health_export/export.xml" in names
    assert "apple_health_export/export_cda.xml" in names
    assert any(re.fullmatch(r"apple_health_export/workout-routes/route_.+\.gpx", n) for n in names)


def test_damage_among_the_records_fails_the_file(tmp_path):
    """The workout pass skips the records; the full pass still finds damage there, and no run is
    imported without the samples after the damage."""
    _, xml, data = _xml(tmp_path)
    at = data.index(b"<Record ", len(data) // 3)
    xml.write_bytes(data[:at] + b"<Record <<" + data[at:])
    with Store(tmp_path / "s.duckdb") as store:
        report = import_paths(store, [xml], workers=1)
    assert report.runs == 0
    (failure,) = report.failures
    assert f"not well-formed XML (invalid token) at byte {at + 8}" in failure.detail


@pytest.mark.parametrize(
    ("reference", "member"),
    [
        (
            "/workout-routes/route_2024-05-01_7.12am.gpx",
            "e/workout-routes/route_2024-05-01_7.12am.gpx",
        ),
        ("workout-routes/r.gpx", "e/workout-routes/r.gpx"),
        ("/workout-routes/../../etc/passwd", None),
        ("/etc/passwd", None),
        ("/workout-routes/sub/r.gpx", None),
        ("..\\..\\workout-routes\\r.gpx", "e/workout-routes/r.gpx"),
    ],
)
def test_route_references_stay_inside_workout_routes(reference, member):
    from analyzer.ingest.healthfiles import route_member

    assert route_member(reference, "e/export.xml") == member


def test_a_long_history_is_read_in_several_record_passes(export, imported, tmp_path, monkeypatch):
    """Memory stays capped: with room for about one workout's samples per pass, every workout
    gets a pass of its own, and the runs are the same."""
    from analyzer.ingest import applehealth

    monkeypatch.setattr(applehealth, "MAX_SAMPLES_PER_PASS", 1_000)
    with zipfile.ZipFile(export["path"]) as zf:
        size = zf.getinfo("apple_health_export/export.xml").file_size
    read = []
    with Store(tmp_path / "s.duckdb") as store:
        report = import_paths(
            store, [export["path"]], workers=1, on_read=lambda *a, out=read: out.append(a)
        )
        runs = store.runs()
    n = len(export["runs"])
    assert report.runs == n and read[-1][1:] == ((1 + n) * size, (1 + n) * size)
    cols = ["start_time", "avg_stance_time_ms", "avg_cadence_spm", "distance_m"]
    _, before, _, _, _ = imported
    assert _by_start(runs)[cols].equals(_by_start(before)[cols])
