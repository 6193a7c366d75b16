"""Issue 21: a run's date, its week and "this week" follow the runner's local clock.

Three files of a runner in New Zealand (UTC+13 in March), each run at 06:30 on a local Monday,
which is still Sunday in UTC: a FIT file whose watch wrote ``activity.local_timestamp``, a GPX
whose first position is in Auckland (no local time: the time zone there gives it), and a FIT
file with neither (the athlete's usual offset). Imported, listed and reported through the real
commands, each is dated on its local Monday and counted in the week starting that Monday.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from analyzer.cli import main
from analyzer.fit.writer import write_fit
from analyzer.schema import iso_local, local_date, local_day, local_monday, resolve_offsets
from analyzer.simulate.history import AthleteProfile, draw_gait
from analyzer.simulate.model import RunPlan, simulate_run

NZDT = 13 * 3600
#: 17:30 UTC on Sundays: 06:30 on the next Monday in Auckland.
FIT_START = datetime(2026, 3, 1, 17, 30, tzinfo=UTC)
GPX_START = datetime(2026, 3, 8, 17, 30, tzinfo=UTC)
BARE_START = datetime(2026, 3, 15, 17, 30, tzinfo=UTC)
AUCKLAND = (-36.8485, 174.7633)
GAIT = draw_gait(AthleteProfile(name="kiwi", seed=3))


def _fit(path, start, offset):
    plan = RunPlan(start_time=start, kind="easy", timer_s=1800, speed_mps=3.0, week=1)
    run = simulate_run(plan, GAIT, np.random.default_rng(1), interval_s=5)
    write_fit(run, path, utc_offset_s=offset)


def _gpx(path, start, n=600):
    pts = []
    for i in range(n):
        t = (start + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lat = AUCKLAND[0] + i * 3.0 / 111_195  # 3 m/s north
        pts.append(
            f'<trkpt lat="{lat:.7f}" lon="{AUCKLAND[1]}"><time>{t}</time><extensions>'
            "<gpxtpx:TrackPointExtension><gpxtpx:hr>140</gpxtpx:hr><gpxtpx:cad>85</gpxtpx:cad>"
            "</gpxtpx:TrackPointExtension></extensions></trkpt>"
        )
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<gpx creator="test" version="1.1" '
        'xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">'
        f"<trk><type>running</type><trkseg>{''.join(pts)}</trkseg></trk></gpx>"
    )


def _json(capsys, *argv):
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def nz(tmp_path_factory):
    root = tmp_path_factory.mktemp("nz")
    files = root / "files"
    files.mkdir()
    _fit(files / "watch.fit", FIT_START, NZDT)
    _gpx(files / "auckland.gpx", GPX_START)
    _fit(files / "bare.fit", BARE_START, None)
    return root / "store.duckdb", files


def test_helper_reads_the_local_clock():
    t = pd.Timestamp(FIT_START)
    assert local_date(t, NZDT) == "2026-03-02" and local_date(t, 0) == "2026-03-01"
    assert iso_local(t, NZDT) == "2026-03-02T06:30:00+13:00"
    assert local_monday(t, NZDT) == pd.Timestamp("2026-03-02", tz="UTC")
    s = pd.Series([t, t])
    assert list(local_day(s, [NZDT, 0]).dt.day) == [2, 1]
    runs = pd.DataFrame({"athlete": ["a", "a", "b"], "utc_offset_s": [NZDT, None, None]})
    filled = resolve_offsets(runs)
    assert list(filled["utc_offset_s"]) == [NZDT, NZDT, 0]
    assert list(filled["utc_offset_source"]) == [None, "usual", "utc"]


def test_runs_are_dated_on_their_local_clock(nz, capsys):
    store, files = nz
    assert main(["import", str(files), "--store", str(store), "--athlete", "kiwi"]) == 0
    runs = {r["source_name"].rsplit("/", 1)[-1]: r for r in _json(
        capsys, "runs", "--store", str(store), "--json"
    )}  # fmt: skip
    expect = {
        "watch.fit": (FIT_START, "device", "2026-03-02"),
        "auckland.gpx": (GPX_START, "position", "2026-03-09"),
        "bare.fit": (BARE_START, "usual", "2026-03-16"),
    }
    for name, (start, source, day) in expect.items():
        r = runs[name]
        assert r["start_time"] == start.strftime("%Y-%m-%dT%H:%M:%SZ"), name  # the UTC instant
        assert r["utc_offset_s"] == NZDT, name
        assert r["utc_offset_source"] == source, name
        assert r["local_date"] == day, name
        assert r["local_start_time"] == f"{day}T06:30:00+13:00", name

    capsys.readouterr()
    assert main(["runs", "--store", str(store)]) == 0
    table = capsys.readouterr().out
    assert "date (local)" in table and "2026-03-02 06:30" in table and "(UTC)" not in table


def test_report_weeks_start_on_local_mondays(nz, capsys):
    store, _ = nz
    rep = _json(capsys, "report", "--store", str(store), "--json")
    weeks = {w["week"]: w["n_runs"] for w in rep["load"]["weeks"]}
    assert weeks == {"2026-03-02": 1, "2026-03-09": 1, "2026-03-16": 1}
    assert rep["period"]["first_date"] == "2026-03-02"
    assert rep["period"]["last_date"] == "2026-03-16"
    assert rep["period"]["first_run"] == "2026-03-01T17:30:00Z"  # JSON keeps the UTC instant
    latest = rep["latest_run"]
    assert latest["local_start_time"] == "2026-03-16T06:30:00+13:00"
    assert latest["utc_offset_s"] == NZDT and latest["local_date"] == "2026-03-16"


def test_athletes_and_team_page_show_local_dates(nz, capsys, tmp_path):
    store, _ = nz
    (row,) = _json(capsys, "athletes", "--store", str(store), "--json")
    assert row["first_date"] == "2026-03-02" and row["last_date"] == "2026-03-16"
    assert row["first_run"] == "2026-03-01T17:30:00Z"
    assert main(["athletes", "--store", str(store)]) == 0
    assert "2026-03-02" in capsys.readouterr().out
    team = _json(capsys, "report", "--store", str(store), "--all", "--json")
    assert team["athletes"][0]["last_date"] == "2026-03-16"
    page = tmp_path / "team.html"
    assert main(["report", "--store", str(store), "--all", "--out", str(page)]) == 0
    assert "2026-03-16" in page.read_text(encoding="utf-8")
