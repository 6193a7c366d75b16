"""Issue 14's report items, each through the entry point a user meets: templates, plural and
"no data" strings, the plane-variety ranking, sensor labels and Stryd's own fields, and units."""

from __future__ import annotations

import io
import json
import re
import uuid
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from analyzer.cli import main
from analyzer.fit.activity import read_fit
from analyzer.report import fmt, html, terminal

FIT_EPOCH_S = 631065600
STRYD_APP = list(uuid.UUID("660a581e-5301-460c-8f2f-034c8b6dc90f").bytes)  # legacy Stryd app
TEMPLATES = Path(html.__file__).with_name("templates")


@pytest.fixture(autouse=True)
def _own_config(tmp_path, monkeypatch):
    """Every test gets its own (absent) config file, never the user's."""
    monkeypatch.setenv("ANALYZER_CONFIG", str(tmp_path / "config" / "config.json"))


# ---------------------------------------------------------------------------------------------
# templates
# ---------------------------------------------------------------------------------------------


def test_templates_autoescape_and_trust_only_our_css():
    env = html.environment()
    assert env.autoescape is True
    assert env.from_string("{{ x }}").render(x="<b onclick=1>") == "&lt;b onclick=1&gt;"
    safe = [
        (p.name, m.group(0))
        for p in sorted(TEMPLATES.glob("*.html"))
        for m in re.finditer(r"\{\{[^}]*\|\s*safe[^}]*\}\}", p.read_text())
    ]
    assert safe == [("base.html", "{{ css|safe }}")]
    assert not (TEMPLATES / "report.html").exists()  # the string.Template page is gone
    source = Path(html.__file__).read_text() + Path(html.__file__).with_name("views.py").read_text()
    assert "string.Template" not in source and "Markup(" not in source


# ---------------------------------------------------------------------------------------------
# strings
# ---------------------------------------------------------------------------------------------


def test_plural_and_file_names():
    assert fmt.plural(1, "run") == "1 run" and fmt.plural(2, "run") == "2 runs"
    assert fmt.plural(1234, "week") == "1,234 weeks"
    assert fmt.file_name("/home/ann/exports/run 1.fit") == "run 1.fit"
    assert fmt.file_name("C:\\Users\\ann\\run.fit") == "run.fit"
    assert fmt.file_name("/home/ann/export.zip!DI_CONNECT/a/123.fit.gz") == "123.fit.gz"


def one_run_report() -> dict:
    from test_report import make_report

    data = make_report()
    data["period"]["n_runs"] = 1
    data["latest_run"]["gct_balance_left_pct"] = None
    data["latest_run"]["gct_balance_text"] = "–"
    data["latest_run"]["gct_balance_band"] = None
    data["load"]["latest"]["n_runs"] = 1
    return data


def test_one_run_reads_as_one_run_and_missing_values_say_no_data():
    data = one_run_report()
    page = html.render(data)
    assert "1 runs" not in page and "Median balance – ." not in page
    assert "Median balance no data." in page
    assert re.search(r"<td>1 run \(2026-01-05 to ", page)
    out = io.StringIO()
    terminal.render(data, Console(file=out, width=120))
    text = out.getvalue()
    assert "ann  1 run, 2026-01-05 to 2026-03-16" in text
    assert "in 1 run;" in text and "1 runs" not in text


# ---------------------------------------------------------------------------------------------
# plane of movement
# ---------------------------------------------------------------------------------------------


def test_every_exercise_has_a_plane_and_equipment():
    from analyzer.plan import exercises

    assert {e.plane for e in exercises.EXERCISES} <= set(exercises.PLANES)
    assert {e.plane for e in exercises.EXERCISES} == set(exercises.PLANES)
    assert all(e.equipment in {"none", "band"} for e in exercises.EXERCISES)


def test_vary_planes_pulls_up_another_plane():
    from analyzer.plan.exercises import vary_planes

    frontal = ["banded_side_step", "lateral_band_walks", "side_leg_raises", "hip_circles", "bridge"]
    assert vary_planes(frontal) == [
        "banded_side_step",
        "lateral_band_walks",
        "hip_circles",  # the best of another plane, into third place
        "side_leg_raises",
        "bridge",
    ]
    mixed = ["banded_side_step", "clamshell", "lateral_band_walks", "bridge"]
    assert vary_planes(mixed) == mixed  # already varied: the order is kept
    same_plane_other_kit = ["banded_side_step", "side_leg_raises", "lateral_band_walks", "bridge"]
    assert vary_planes(same_plane_other_kit) == same_plane_other_kit


def test_recommend_gives_three_planes_for_balance_and_fatigue():
    from analyzer.plan import exercises

    drivers = [
        {"feature": f, "flagged": True, "contribution": c, "text": f}
        for f, c in (("balance_shift_pts", 8.0), ("fatigue_asymmetry_pts", 30.0))
    ]
    groups = exercises.GROUPS
    assert "fatigue_asymmetry_pts" in groups["fatigue_asymmetry"]["features"]
    plan = exercises.recommend({"drivers": drivers, "context": {"balance_side": "left"}})
    names = [i.exercise for i in plan.items]
    planes = [i.plane for i in plan.items[:3]]
    assert names[:2] == ["lateral_band_walks", "banded_side_step"]  # both frontal, both banded
    assert len(set(planes)) >= 2, names


# ---------------------------------------------------------------------------------------------
# sensors
# ---------------------------------------------------------------------------------------------


def sensor_fit(*, native: bool, stryd_fields: bool, polar: bool, n: int = 300) -> bytes:
    """A 5-minute run on an FR965; a Polar heart-rate strap and a Stryd pod when asked; native
    contact time and oscillation (no balance) and/or Stryd's developer Ground Time and Vertical
    Oscillation [cm]."""
    from garmin_fit_sdk import Encoder, Profile

    num = Profile["mesg_num"]
    t0 = 1_780_000_000 - FIT_EPOCH_S
    enc = Encoder()
    enc.write_mesg(
        {
            "mesg_num": num["FILE_ID"],
            "type": "activity",
            "manufacturer": "garmin",
            "product": 4315,
            "serial_number": 99,
            "time_created": t0,
        }
    )
    infos = [{"device_index": 0, "manufacturer": "garmin", "product": 4315, "source_type": "local"}]
    if polar:
        infos.append(
            {
                "device_index": 1,
                "device_type": 120,
                "manufacturer": "polar_electro",
                "source_type": "antplus",
            }
        )
    infos.append(
        {
            "device_index": 2,
            "device_type": 124,
            "manufacturer": 95,
            "product": 4660,
            "source_type": "antplus",
        }
    )
    for info in infos:
        enc.write_mesg({"mesg_num": num["DEVICE_INFO"], "timestamp": t0, **info})
    if stryd_fields:
        dev_id = {
            "mesg_num": num["DEVELOPER_DATA_ID"],
            "application_id": STRYD_APP,
            "developer_data_index": 0,
            "application_version": 1,
        }
        enc.write_mesg(dev_id)
        for key, number, base, name, units in (
            ("power", 0, 0x84, "Power", "Watts"),
            ("gct", 3, 0x84, "Ground Time", "Milliseconds"),
            ("vo", 4, 0x88, "Vertical Oscillation", "Centimeters"),
        ):
            desc = {
                "mesg_num": num["FIELD_DESCRIPTION"],
                "developer_data_index": 0,
                "field_definition_number": number,
                "fit_base_type_id": base,
                "field_name": name,
                "units": units,
                "native_mesg_num": num["RECORD"],
            }
            enc.write_mesg(desc)
            enc.add_developer_field(key, dev_id, desc)
    dist = 0.0
    for i in range(n):
        dist += 3.0
        rec = {
            "mesg_num": num["RECORD"],
            "timestamp": t0 + i,
            "distance": dist,
            "enhanced_speed": 3.0,
            "heart_rate": 150,
            "cadence": 85,
        }
        if native:
            rec.update(vertical_oscillation=85.0, stance_time=250.0)
        if stryd_fields:
            rec["developer_fields"] = {"power": 240, "gct": 262, "vo": 7.5}
        enc.write_mesg(rec)
    end, total = t0 + n - 1, float(n - 1)
    for mesg in (
        {"mesg_num": num["LAP"], "start_time": t0, "total_elapsed_time": total},
        {
            "mesg_num": num["SESSION"],
            "start_time": t0,
            "sport": "running",
            "sub_sport": "generic",
            "total_elapsed_time": total,
            "total_timer_time": total,
            "total_distance": dist,
            "first_lap_index": 0,
            "num_laps": 1,
        },
    ):
        enc.write_mesg({**mesg, "timestamp": end, "sport": "running"})
    return enc.close()


def test_polar_strap_and_stryd_pod_are_labelled_stryd():
    act = read_fit(sensor_fit(native=True, stryd_fields=False, polar=True))
    assert (act.meta["dynamics_source"], act.meta["dynamics_sensor"]) == ("stryd", "stryd foot pod")
    assert html.source_label("stryd", "stryd foot pod") == "Stryd foot pod"
    assert html.source_label("chest_strap", "garmin hrm_pro").endswith(": garmin hrm_pro")


def test_stryd_fields_fill_missing_native_dynamics_only():
    only_stryd = read_fit(sensor_fit(native=False, stryd_fields=True, polar=True)).records
    assert only_stryd["stance_time_ms"].median() == 262.0
    assert only_stryd["vertical_oscillation_mm"].median() == 75.0  # 7.5 cm
    assert only_stryd["power_w"].median() == 240.0
    both = read_fit(sensor_fit(native=True, stryd_fields=True, polar=False)).records
    assert both["stance_time_ms"].median() == 250.0  # native first
    assert both["vertical_oscillation_mm"].median() == 85.0


def test_runs_lists_stryd_dynamics_and_power(tmp_path, capsys, monkeypatch):
    src = tmp_path / "in"
    src.mkdir()
    (src / "stryd-run.fit").write_bytes(sensor_fit(native=False, stryd_fields=True, polar=True))
    store = str(tmp_path / "s.duckdb")
    assert main(["import", str(src), "--store", store, "--workers", "1"]) == 0
    capsys.readouterr()
    monkeypatch.setenv("COLUMNS", "250")
    assert main(["runs", "--store", store]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if "power W" in line)
    row = next(line for line in out.splitlines() if "2026-" in line)
    cells = [c.strip() for c in row.strip("│ \n").split("│")]
    names = [c.strip() for c in header.strip("┃ \n").split("┃")]
    got = dict(zip(names, cells, strict=True))
    assert got["dynamics"] == "stryd" and got["power W"] == "240" and got["GCT ms"] == "262"
    assert main(["runs", "--store", store, "--json"]) == 0
    (run,) = json.loads(capsys.readouterr().out)
    assert run["dynamics_source"] == "stryd" and run["avg_vertical_oscillation_mm"] == 75.0


# ---------------------------------------------------------------------------------------------
# units
# ---------------------------------------------------------------------------------------------


def test_units_convert_distance_and_pace_not_dynamics():
    u = fmt.Units("imperial")
    assert u.distance(16.09344) == "10.0 mi" and u.pace(1609.344 / 480) == "8:00 min/mi"
    m = fmt.Units()
    assert m.distance(5) == "5.0 km" and m.pace(1000 / 330) == "5:30 min/km"
    assert m.distance(None) == "no data"
    with pytest.raises(ValueError):
        fmt.Units("furlongs")


def test_config_units_saves_the_preference(tmp_path, capsys):
    path = tmp_path / "config" / "config.json"
    assert main(["config", "units"]) == 0
    assert capsys.readouterr().out == "units: metric (default)\n"
    assert main(["config", "units", "imperial"]) == 0
    assert capsys.readouterr().out == f"units: imperial (saved to {path})\n"
    assert json.loads(path.read_text()) == {"units": "imperial"}
    assert main(["config", "units"]) == 0
    assert capsys.readouterr().out == "units: imperial (saved)\n"
    assert main(["config", "units", "furlongs"]) == 2
    assert (
        capsys.readouterr().err == "Error: units must be one of metric, imperial, got 'furlongs'\n"
    )
    path.write_text("{units: imperial")
    assert main(["config"]) == 1
    assert capsys.readouterr().err == (
        f"Error: the config file {path} is not valid JSON (line 1): fix it or delete it\n"
    )


def test_saved_units_reach_report_and_flag_overrides(tmp_path, capsys, monkeypatch):
    from test_report_browser import hostile_fit

    src = tmp_path / "in"
    src.mkdir()
    (src / "run.fit").write_bytes(hostile_fit())
    store = str(tmp_path / "s.duckdb")
    assert main(["import", str(src), "--store", store, "--athlete", "ann", "--workers", "1"]) == 0
    assert main(["config", "units", "imperial"]) == 0
    capsys.readouterr()
    monkeypatch.setenv("COLUMNS", "120")
    out = tmp_path / "r.html"
    assert main(["report", "--store", store, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert re.search(r"ann  1 run, \S+ to \S+, 1 mi\s", text), text
    assert "min/mi" in out.read_text()
    assert main(["report", "--store", store, "--out", str(out), "--units", "metric"]) == 0
    assert re.search(r"ann  1 run, \S+ to \S+, 2 km\s", capsys.readouterr().out)
    assert "min/km" in out.read_text() and "min/mi" not in out.read_text()
    assert main(["trends", "--store", store, "--units", "imperial"]) == 0
    assert re.search(r"reference speed \d\.\d\d m/s \(\d+:\d\d min/mi\)", capsys.readouterr().out)


# ---------------------------------------------------------------------------------------------
# charts over a long history
# ---------------------------------------------------------------------------------------------


def test_load_chart_shows_26_weeks_and_caps_the_ratio():
    import pandas as pd

    from analyzer.report import plots

    weeks = pd.date_range("2024-01-01", periods=150, freq="7D", tz="UTC")
    section = {
        "weeks": [
            {
                "week": w.isoformat(),
                "distance_km": 30.0,
                "acwr_uncoupled": 8.0 if i == 140 else 1.0,
                "acwr_coupled": 1.0,
            }
            for i, w in enumerate(weeks)
        ]
    }
    fig = plots.load(section)
    bars, ratio = fig.axes
    assert len(bars.patches) == plots.LOAD_WEEKS
    assert ratio.get_ylim()[1] == plots.ACWR_AXIS_MAX
    assert [t.get_text() for t in ratio.texts] == ["8.0"]  # the clipped value, written out
    overview = plots.load_overview(section)
    assert "150 weeks" in overview.axes[0].get_title()


def test_balance_line_breaks_across_long_gaps():
    from analyzer.report import plots

    weeks = ["2024-01-01", "2024-01-08", "2025-01-06", "2025-01-13"]
    section = {
        "weeks": [{"week": w, "gct_balance_left_pct": 50.5} for w in weeks],
        "runs": [],
    }
    fig = plots.balance(section)
    line = next(ln for ln in fig.axes[0].lines if ln.get_label() == "weekly median")
    y = np.asarray(line.get_ydata(), dtype=float)
    assert len(y) == 5 and np.isnan(y[2])
