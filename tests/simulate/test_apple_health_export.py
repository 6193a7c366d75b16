"""The simulator's Apple Health export: Apple's layout, units and times, deterministic (issue 23)."""

from __future__ import annotations

import re
import zipfile
from datetime import UTC, datetime

from analyzer.cli import main
from analyzer.simulate import AthleteProfile, write_apple_health_export

_DATE = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}"


def test_export_xml_has_apple_layout_units_and_offsets(tmp_path):
    profile = AthleteProfile(name="ana", seed=2, weeks=2, start=datetime(2024, 1, 8, tzinfo=UTC))
    truth = write_apple_health_export(tmp_path, profile, zipped=False, background_per_day=24)
    text = (tmp_path / "apple_health_export" / "export.xml").read_text(encoding="utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE HealthData [')
    assert "<!ATTLIST Record" in text and "<!ENTITY" not in text
    assert re.search(rf'<ExportDate value="{_DATE}"/>', text)
    records = re.findall(r'<Record type="(\w+)"[^>]* startDate="([^"]+)"', text)
    # sorted by type, then date; Records before Workouts, never nested in them
    types = [t for t, _ in records]
    assert types == sorted(types)
    assert text.index("<Record ") < text.index("<Workout ")
    assert "<Record" not in text[text.index("<Workout ") :]
    assert all(re.fullmatch(_DATE, d) for _, d in records)
    assert all(d.endswith("+0100") for _, d in records)  # January in Paris
    units = dict(
        re.findall(r'<Record type="HKQuantityTypeIdentifier(\w+)"[^>]* unit="([^"]+)"', text)
    )
    assert units["RunningVerticalOscillation"] == "cm"
    assert units["RunningStrideLength"] == "m"
    assert units["RunningSpeed"] == "km/hr"
    assert units["RunningGroundContactTime"] == "ms"
    assert units["BodyMass"] == "kg"
    workouts = re.findall(r'workoutActivityType="HKWorkoutActivityType(\w+)"', text)
    assert workouts.count("Running") == len(truth["runs"]) and workouts.count("Walking") >= 1
    assert 'MetadataEntry key="HKIndoorWorkout" value="1"' in text
    assert re.search(
        r'<FileReference path="/workout-routes/route_[\d-]+_\d+\.\d\d[ap]m\.gpx"/>', text
    )
    # the phone carried in a pocket also counts steps during runs
    assert "iPhone" in text and 'sourceName="Ana\u2019s iPhone"' in text


def test_deterministic(tmp_path):
    profile = AthleteProfile(name="ana", seed=4, weeks=1)
    a = write_apple_health_export(tmp_path / "a", profile, zipped=False)
    b = write_apple_health_export(tmp_path / "b", profile, zipped=False)
    xa = (tmp_path / "a" / "apple_health_export" / "export.xml").read_bytes()
    xb = (tmp_path / "b" / "apple_health_export" / "export.xml").read_bytes()
    assert xa == xb and a["runs"] == b["runs"]


def test_cli_format_apple_health(tmp_path, capsys):
    out = tmp_path / "sim"
    args = ["simulate", "--format", "apple-health", "--athletes", "2", "--weeks", "1"]
    assert main([*args, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.count("export.zip") == 2
    for runner in ("runner_000", "runner_001"):
        with zipfile.ZipFile(out / runner / "export.zip") as zf:
            assert "apple_health_export/export.xml" in zf.namelist()
    assert main(["import", "--store", str(tmp_path / "s.duckdb"), str(out / "runner_000")]) == 0
    assert "runs" in capsys.readouterr().out
