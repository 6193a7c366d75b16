"""TCX and GPX files (Strava exports, other apps) import as runs without running dynamics."""

from __future__ import annotations

import gzip
import io
import zipfile
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from analyzer.cli import main
from analyzer.fit.writer import write_fit
from analyzer.fit.writer_devices import Device
from analyzer.metrics import load
from analyzer.store.database import Store

T0 = datetime(2024, 3, 5, 7, 0, tzinfo=UTC)
TCX_NS = (
    'xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2" '
    'xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2"'
)


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def tcx_text(
    speed: np.ndarray,
    hr: np.ndarray,
    strides: np.ndarray | None,
    *,
    start: datetime = T0,
    sport: str = "Running",
    cadence_tag: str = "ns3:RunCadence",
    lead: str = "",
) -> str:
    """A TCX file of one lap, one trackpoint a second, in Garmin's (or Strava's) layout."""
    dist = np.concatenate([[0.0], np.cumsum(speed[1:])])
    points = []
    for i in range(len(speed)):
        cad = "" if strides is None else f"<{cadence_tag}>{strides[i]:.0f}</{cadence_tag}>"
        tpx_cad = cad if cadence_tag.startswith("ns3:") else ""
        plain_cad = "" if cadence_tag.startswith("ns3:") else cad
        points.append(
            f"<Trackpoint><Time>{_iso(start + timedelta(seconds=i))}</Time>"
            f"<DistanceMeters>{dist[i]:.2f}</DistanceMeters>"
            f"<HeartRateBpm><Value>{hr[i]:.0f}</Value></HeartRateBpm>{plain_cad}"
            f"<Extensions><ns3:TPX><ns3:Speed>{speed[i]:.3f}</ns3:Speed>{tpx_cad}</ns3:TPX>"
            "</Extensions></Trackpoint>"
        )
    n = len(speed)
    return (
        f'{lead}<?xml version="1.0" encoding="UTF-8"?>\n<TrainingCenterDatabase {TCX_NS}>'
        f'<Activities><Activity Sport="{sport}"><Id>{_iso(start)}</Id>'
        f'<Lap StartTime="{_iso(start)}"><TotalTimeSeconds>{n - 1}</TotalTimeSeconds>'
        f"<DistanceMeters>{dist[-1]:.2f}</DistanceMeters>"
        f"<AverageHeartRateBpm><Value>{hr.mean():.0f}</Value></AverageHeartRateBpm>"
        f"<Track>{''.join(points)}</Track></Lap>"
        "<Creator><Name>Forerunner 245</Name></Creator></Activity></Activities>"
        "</TrainingCenterDatabase>"
    )


def gpx_text(speed: np.ndarray, hr, strides, *, start: datetime = T0, kind="running") -> str:
    """A GPX track heading north, one point a second, hr/cad in TrackPointExtension."""
    lat = 52.0 + np.concatenate([[0.0], np.cumsum(speed[1:])]) / 111_195.08
    points = "".join(
        f'<trkpt lat="{lat[i]:.8f}" lon="4.0"><ele>10.0</ele>'
        f"<time>{_iso(start + timedelta(seconds=i))}</time><extensions>"
        f"<gpxtpx:TrackPointExtension><gpxtpx:hr>{hr[i]:.0f}</gpxtpx:hr>"
        f"<gpxtpx:cad>{strides[i]:.0f}</gpxtpx:cad></gpxtpx:TrackPointExtension>"
        "</extensions></trkpt>"
        for i in range(len(speed))
    )
    type_el = f"<type>{kind}</type>" if kind is not None else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<gpx creator="StravaGPX" version="1.1" '
        'xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">'
        f"<trk><name>Morning Run</name>{type_el}<trkseg>{points}</trkseg></trk></gpx>"
    )


def _channels(n: int = 900, seed: int = 0):
    rng = np.random.default_rng(seed)
    speed = np.round(3.2 + rng.normal(0, 0.05, n), 3)
    hr = np.round(145 + rng.normal(0, 2, n))
    strides = np.round(86 + rng.normal(0, 1, n))
    return speed, hr, strides


def _import(capsys, store, *paths) -> tuple[int, str]:
    code = main(["import", *map(str, paths), "--store", str(store), "--workers", "1"])
    return code, capsys.readouterr().out


@pytest.mark.parametrize(
    "variant", ["garmin-tcx", "strava-tcx", "gpx", "tcx.gz", "gpx.gz-in-strava-zip"]
)
def test_tcx_and_gpx_runs_in_the_store(variant, tmp_path, capsys):
    speed, hr, strides = _channels()
    if variant == "garmin-tcx":
        path = tmp_path / "run.tcx"
        path.write_text(tcx_text(speed, hr, strides))
    elif variant == "strava-tcx":  # leading spaces before the declaration, Cadence per foot
        path = tmp_path / "run.tcx"
        path.write_text(tcx_text(speed, hr, strides, cadence_tag="Cadence", lead="    "))
    elif variant == "gpx":
        path = tmp_path / "run.gpx"
        path.write_text(gpx_text(speed, hr, strides))
    elif variant == "tcx.gz":
        path = tmp_path / "run.tcx.gz"
        path.write_bytes(gzip.compress(tcx_text(speed, hr, strides).encode()))
    else:
        path = tmp_path / "export_123.zip"
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("activities.csv", "Activity ID,Filename\n1,activities/1.gpx.gz\n")
            zf.writestr("activities/1.gpx.gz", gzip.compress(gpx_text(speed, hr, strides).encode()))
        path.write_bytes(buf.getvalue())
    store = tmp_path / "s.duckdb"
    code, out = _import(capsys, store, path)
    assert code == 0, out
    assert out.startswith("Imported 1 file (1 run, 900 records)")
    with Store(store) as s:
        runs = s.runs()
        records = s.records(runs["run_id"].iloc[0])
        weekly = load.weekly(s.gait())
    run = runs.iloc[0]
    assert run["start_time"] == T0 and run["sport"] == "running"
    assert not run["has_dynamics"] and run["dynamics_source"] == "none"
    want_km = speed[1:].sum() / 1000
    assert run["distance_m"] / 1000 == pytest.approx(want_km, rel=1e-3)
    assert run["avg_speed_mps"] == pytest.approx(speed[1:].mean(), rel=2e-3)
    assert run["avg_cadence_spm"] == pytest.approx(2 * strides.mean(), abs=0.2)
    assert run["avg_cadence_spm_source"] == "records"
    assert records["heart_rate_bpm"].to_numpy() == pytest.approx(hr)
    assert records["cadence_spm"].to_numpy() == pytest.approx(2 * strides)
    assert records["stance_time_ms"].isna().all()
    assert weekly["n_runs"].sum() == 1
    assert weekly["distance_km"].sum() == pytest.approx(want_km, rel=1e-3)


def test_only_running_activities_become_runs(tmp_path, capsys):
    speed, hr, strides = _channels(120)
    (tmp_path / "ride.tcx").write_text(tcx_text(speed * 3, hr, strides, sport="Biking"))
    (tmp_path / "walk.gpx").write_text(gpx_text(speed / 2, hr, strides, kind="walking"))
    (tmp_path / "untyped.gpx").write_text(gpx_text(speed, hr, strides, kind=None))
    (tmp_path / "route.gpx").write_text('<gpx version="1.1" creator="x"><rte/></gpx>')
    (tmp_path / "run.tcx").write_text(tcx_text(speed, hr, strides))  # the one run
    code, out = _import(capsys, tmp_path / "s.duckdb", tmp_path)
    assert code == 0
    assert "  imported:    1" in out
    assert "  not a run:   4" in out
    assert f"  {tmp_path / 'ride.tcx'}: not a run (cycling)" in out
    assert f"  {tmp_path / 'walk.gpx'}: not a run (walking)" in out
    assert f"  {tmp_path / 'untyped.gpx'}: not a run (no type given)" in out
    assert (
        f"  {tmp_path / 'route.gpx'}: not an activity file (route (no timed track points))" in out
    )


def test_unsafe_and_broken_xml_fail_with_the_reason(tmp_path, capsys):
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        "<TrainingCenterDatabase>&b;</TrainingCenterDatabase>"
    )
    (tmp_path / "bomb.tcx").write_text(bomb)
    (tmp_path / "cut.gpx").write_text(gpx_text(*_channels(30))[:-40])
    code, out = _import(capsys, tmp_path / "s.duckdb", tmp_path)
    assert code == 1
    assert (
        f"  {tmp_path / 'bomb.tcx'}: unsafe TCX file: DTDForbidden (DTDs and entities are refused)"
        in out
    )
    assert f"  {tmp_path / 'cut.gpx'}: not a readable GPX file (" in out


@pytest.mark.parametrize(
    "name, content, reason",
    [
        (
            "summary.json",
            "{}",
            "a JSON file (an app's summary or settings, no per-second records); export the "
            "activities as FIT (best: running dynamics), TCX or GPX instead",
        ),
        (
            "activities.csv",
            "Activity ID\n",
            "a CSV table (a list of activities, not their records); export the activities "
            "themselves as FIT, TCX or GPX (in Strava's bulk export: the activities/ folder)",
        ),
        (
            "export.xml",
            "<Export/>",  # (an Apple Health export.xml is read: tests/ingest/test_applehealth.py)
            "an XML file named export.xml that is not an Apple Health export (no <HealthData> "
            "root); export the activities as FIT (best: running dynamics), TCX or GPX instead",
        ),
        (
            "ride.pwx",
            "<pwx/>",
            "a TrainingPeaks PWX file, which analyzer cannot read; export the activities as FIT "
            "(best: running dynamics), TCX or GPX instead",
        ),
    ],
)
def test_unusable_format_named_on_the_command_line(name, content, reason, tmp_path, capsys):
    (tmp_path / "export").mkdir()
    path = tmp_path / "export" / name
    path.write_text(content)
    code, out = _import(capsys, tmp_path / "s.duckdb", path)
    assert code == 1  # found no run: the summary says why, and the command fails
    assert f"Failed:\n  {path}: {reason}\n" in out
    # Inside a folder (an export) the same file is skipped with the same reason, not failed.
    speed, hr, strides = _channels(120)
    (tmp_path / "export" / "run.tcx").write_text(tcx_text(speed, hr, strides))
    code, out = _import(capsys, tmp_path / "s2.duckdb", tmp_path / "export")
    assert code == 0 and "  skipped:     1" in out and "  failed:      0" in out
    with Store(tmp_path / "s2.duckdb") as s:
        log = s.import_log()
    assert log.loc[log["outcome"] == "skipped", "detail"].tolist() == [reason]


def test_fit_and_tcx_of_one_run_are_one_run(tmp_path, capsys):
    """A Garmin export (FIT, with dynamics) and a Strava export (TCX) of the same run."""
    from analyzer.simulate import AthleteProfile, simulate_athlete

    run = simulate_athlete(AthleteProfile(name="x", seed=2, weeks=1, interval_s=1))[0]
    fit_path = write_fit(run, None, device=Device(watch="fr965"))
    (tmp_path / "garmin.fit").write_bytes(fit_path)
    rec = run.records
    start = datetime(1989, 12, 31, tzinfo=UTC) + timedelta(seconds=int(rec["timestamp"][0]))
    speed = np.r_[0.0, np.diff(rec["distance_m"])]
    tcx = tcx_text(speed, rec["heart_rate_bpm"], rec["cadence_spm"] / 2, start=start)
    (tmp_path / "strava.tcx").write_text(tcx)
    for order in (["garmin.fit", "strava.tcx"], ["strava.tcx", "garmin.fit"]):
        store = tmp_path / f"{order[0]}.duckdb"
        for name in order:
            code, out = _import(capsys, store, tmp_path / name)
            assert code == 0, out
        assert f"  {tmp_path / 'strava.tcx'}: same run as {tmp_path / 'garmin.fit'}" in out
        with Store(store) as s:
            runs = s.runs()
            assert len(runs) == 1 and runs["has_dynamics"].iloc[0]
            assert len(s.runs(include_duplicates=True)) == 2
