"""The simulator and the bundled sample data: real FIT files, exact values, truth, determinism."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import zipfile
from dataclasses import replace
from pathlib import Path

import fitdecode
import fitparse
import numpy as np
import pandas as pd
import pytest
from expected import TOLERANCES  # the import issue's tolerances: watch vs our averages
from garmin_fit_sdk import Decoder, Stream

from analyzer.cli import main
from analyzer.fit.activity import read_fit
from analyzer.fit.messages import FIT_EPOCH_S
from analyzer.simulate import (
    SAMPLE_ATHLETES,
    AthleteProfile,
    BalanceShift,
    LoadSpike,
    LowCadence,
    simulate_athlete,
)
from analyzer.simulate.export import athlete_device

SAMPLE_DATA = Path(__file__).resolve().parents[2] / "sample_data"

pytestmark = pytest.mark.skipif(
    not (SAMPLE_DATA / "ground_truth.json").is_file(), reason="sample_data/ not generated"
)

#: record channel -> (fitparse/fitdecode/SDK field name, tolerance in contract units)
FIELDS = {
    "distance_m": ("distance", 1e-6),
    "speed_mps": ("enhanced_speed", 1e-6),
    "heart_rate_bpm": ("heart_rate", 0),
    "vertical_oscillation_mm": ("vertical_oscillation", 1e-6),
    "stance_time_ms": ("stance_time", 1e-6),
    "stance_time_pct": ("stance_time_percent", 1e-6),
    "gct_balance_left_pct": ("stance_time_balance", 1e-6),
    "step_length_mm": ("step_length", 1e-6),
    "vertical_ratio_pct": ("vertical_ratio", 1e-6),
    "altitude_m": ("enhanced_altitude", 1e-6),
    "power_w": ("power", 0),
}


@pytest.fixture(scope="module")
def simulated():
    """The sample athletes' runs in memory, keyed by (athlete, file name)."""
    out = {}
    for profile in SAMPLE_ATHLETES:
        for run in simulate_athlete(profile):
            out[(profile.name, run.name)] = run
    return out


@pytest.fixture(scope="module")
def truth():
    return {
        p.name: json.loads((SAMPLE_DATA / p.name / "ground_truth.json").read_text())
        for p in SAMPLE_ATHLETES
    }


def _sample_files(truth) -> list[tuple[str, str]]:
    """A spread of files per athlete: the first run, the run with most pauses, the last run.

    Every file comes from the same code path; these cover Stryd and no Stryd, 0-2 pauses, and
    runs before and after the injected shift. Every file's header and CRC are checked separately.
    """
    picks = []
    for athlete, t in truth.items():
        runs = t["runs"]
        chosen = {runs[0]["file"], runs[-1]["file"]}
        chosen.add(max(runs, key=lambda r: r["n_pauses"])["file"])
        picks += [(athlete, f) for f in sorted(chosen)]
    return picks


def _fitparse_records(path: Path) -> list[dict]:
    return [m.get_values() for m in fitparse.FitFile(str(path)).get_messages("record")]


def _fitdecode_records(path: Path) -> list[dict]:
    out = []
    with fitdecode.FitReader(str(path)) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "record":
                out.append({f.name: f.value for f in frame.fields})
    return out


def _sdk_records(path: Path) -> list[dict]:
    msgs, errors = Decoder(Stream.from_file(str(path))).read()
    assert errors == []
    return msgs["record_mesgs"]


def _check_records(recs: list[dict], run, stryd_names: tuple[str, str] | None) -> None:
    expected = run.records
    assert len(recs) == run.n_records
    ts = np.array([r["timestamp"].timestamp() for r in recs]) - FIT_EPOCH_S
    np.testing.assert_array_equal(ts, expected["timestamp"])
    for column, (field, tol) in FIELDS.items():
        got = np.array([r[field] for r in recs], dtype=float)
        np.testing.assert_allclose(got, expected[column], rtol=0, atol=tol, err_msg=column)
    spm = np.array([2 * (r["cadence"] + r["fractional_cadence"]) for r in recs], dtype=float)
    np.testing.assert_array_equal(spm, expected["cadence_spm"])
    if stryd_names:
        fp = np.array([r[stryd_names[0]] for r in recs], dtype=float)
        lss = np.array([r[stryd_names[1]] for r in recs], dtype=float)
        np.testing.assert_array_equal(fp, expected["form_power_w"])
        np.testing.assert_allclose(lss, expected["leg_spring_stiffness_kn_m"], rtol=1e-7)


def test_sample_layout_and_size(truth):
    total = sum(f.stat().st_size for f in SAMPLE_DATA.rglob("*") if f.is_file())
    assert total < 10_000_000
    index = json.loads((SAMPLE_DATA / "ground_truth.json").read_text())
    assert index["athletes"] == ["balanced", "imbalance"]
    for athlete, t in truth.items():
        fits = sorted(p.name for p in (SAMPLE_DATA / athlete).glob("*.fit"))
        assert fits == sorted(r["file"] for r in t["runs"])
        weeks = np.bincount([r["week"] for r in t["runs"]], minlength=13)[1:]
        assert len(weeks) == 12 and weeks.min() >= 3 and weeks.max() <= 5
        assert (SAMPLE_DATA / t["export"]).is_file()
    assert (SAMPLE_DATA / "README.md").is_file()


def test_every_file_is_valid_fit(truth):
    """All sample files pass the SDK's header and CRC checks (cheap, so every file)."""
    n = 0
    for athlete in truth:
        for path in sorted((SAMPLE_DATA / athlete).glob("*.fit")):
            decoder = Decoder(Stream.from_file(str(path)))
            assert decoder.is_fit() and decoder.check_integrity(), path.name
            n += 1
    assert n == sum(len(t["runs"]) for t in truth.values())


def test_three_decoders_read_what_was_written(truth, simulated):
    for athlete, name in _sample_files(truth):
        path = SAMPLE_DATA / athlete / name
        run = simulated[(athlete, name)]
        stryd = "form_power_w" in run.records
        names = ("Form Power", "Leg Spring Stiffness") if stryd else None
        _check_records(_fitparse_records(path), run, names)
        _check_records(_fitdecode_records(path), run, names)
        sdk = _sdk_records(path)
        if stryd:  # the SDK keys developer fields by their position in the file
            for r in sdk:
                r["fp"], r["lss"] = r["developer_fields"][0], r["developer_fields"][1]
        _check_records(sdk, run, ("fp", "lss") if stryd else None)


def test_file_structure_messages(truth, simulated):
    """file_id, devices, Stryd app id, timer events around pauses, laps and totals."""
    athlete, name = next(
        (a, r["file"]) for a, t in truth.items() for r in t["runs"] if r["n_pauses"] == 2
    )
    run = simulated[(athlete, name)]
    ff = fitparse.FitFile(str(SAMPLE_DATA / athlete / name))
    file_id = next(ff.get_messages("file_id")).get_values()
    assert file_id["type"] == "activity" and file_id["manufacturer"] == "garmin"
    assert (
        file_id["serial_number"]
        == athlete_device(next(p for p in SAMPLE_ATHLETES if p.name == athlete)).watch_serial
    )
    devices = [m.get_values() for m in ff.get_messages("device_info")]
    assert [d.get("antplus_device_type") for d in devices[1:3]] == ["heart_rate", 30]
    events = [m.get_values()["event_type"] for m in ff.get_messages("event")]
    assert events == ["start"] + ["stop_all", "start"] * 2 + ["stop_all"]
    session = next(ff.get_messages("session")).get_values()
    laps = [m.get_values() for m in ff.get_messages("lap")]
    assert session["num_laps"] == len(laps) == int(np.ceil(session["total_distance"] / 1000))
    assert sum(lap["total_distance"] for lap in laps) == pytest.approx(session["total_distance"])
    assert sum(lap["total_timer_time"] for lap in laps) == session["total_timer_time"]
    assert session["total_timer_time"] == run.n_records * run.interval_s
    pause = session["total_elapsed_time"] - session["total_timer_time"]
    assert pause == sum(b[0] - a[1] for a, b in zip(run.segments, run.segments[1:], strict=False))
    assert pause > 0


def test_bulk_record_packing_equals_stock_sdk_encoder(simulated):
    """The numpy bulk path writes exactly the bytes the SDK's Encoder writes message by message."""
    from analyzer.fit.writer import encode_run

    for athlete in ("balanced", "imbalance"):
        profile = next(p for p in SAMPLE_ATHLETES if p.name == athlete)
        runs = [r for (a, _), r in simulated.items() if a == athlete]
        run = max(runs, key=lambda r: (r.truth["n_pauses"], -r.n_records))
        device = athlete_device(profile)
        fast = encode_run(run, device)
        assert fast == encode_run(run, device, bulk=False)
        assert fast == (SAMPLE_DATA / athlete / run.name).read_bytes()


def test_stryd_developer_fields_described():
    path = next((SAMPLE_DATA / "balanced").glob("*.fit"))
    ff = fitparse.FitFile(str(path))
    dev = next(ff.get_messages("developer_data_id")).get_values()
    assert bytes(dev["application_id"]).hex() == "660a581e5301460c8f2f034c8b6dc90f"
    fields = {
        m.get_value("field_definition_number"): m.get_value("field_name")
        for m in ff.get_messages("field_description")
    }
    assert fields == {8: "Form Power", 9: "Leg Spring Stiffness"}
    assert not list(
        fitparse.FitFile(str(next((SAMPLE_DATA / "imbalance").glob("*.fit")))).get_messages(
            "developer_data_id"
        )
    )


def test_session_averages_match_importer(truth):
    """Every file: the watch-style session averages equal the importer's averages of the records
    within the import issue's tolerances (decoded the way `analyzer import` decodes them)."""
    from analyzer.fit.activity import read_fit
    from analyzer.metrics import averages

    n = 0
    for athlete, t in truth.items():
        for r in t["runs"]:
            activity = read_fit(SAMPLE_DATA / athlete / r["file"])
            (run,) = activity.runs()
            ours = averages.run_averages(run.records, run.session)
            for metric, (kind, tol) in TOLERANCES.items():  # "rel" tolerances are in percent
                watch, mine = run.session[f"watch_avg_{metric}"], ours[f"avg_{metric}"]
                err = abs(watch - mine) if kind == "abs" else 100.0 * abs(watch - mine) / watch
                assert err <= tol, (r["file"], metric, watch, mine)
            watch_speed = run.session["watch_avg_speed_mps"]
            assert ours["avg_speed_mps"] == pytest.approx(watch_speed, rel=0.01)
            n += 1
    assert n == sum(len(t["runs"]) for t in truth.values())


def test_easy_run_medians_within_published_norms(simulated):
    easy = [r for r in simulated.values() if r.plan.kind == "easy"]
    assert len(easy) > 40
    for run in easy:
        med = {k: float(np.median(v)) for k, v in run.records.items()}
        assert 160 <= med["cadence_spm"] <= 180, run.name
        assert 220 <= med["stance_time_ms"] <= 300, run.name
        assert 60 <= med["vertical_oscillation_mm"] <= 110, run.name
        assert 6 <= med["vertical_ratio_pct"] <= 10, run.name


def test_dynamics_depend_on_speed_like_real_ones(simulated):
    runs = [r for (a, _), r in simulated.items() if a == "balanced"]
    rec = {k: np.concatenate([r.records[k] for r in runs]) for k in runs[0].records}
    v = rec["speed_mps"]
    assert np.polyfit(v, rec["cadence_spm"], 1)[0] > 3  # cadence rises with speed
    assert np.polyfit(v, rec["stance_time_ms"], 1)[0] < -15  # contact shortens with speed
    step = 1000 * v / (rec["cadence_spm"] / 60)
    np.testing.assert_allclose(rec["step_length_mm"], step, atol=0.051)
    vr = 100 * rec["vertical_oscillation_mm"] / rec["step_length_mm"]
    np.testing.assert_allclose(rec["vertical_ratio_pct"], vr, atol=0.0051)
    # Fatigue: contact time is longer in the last third than in the first, at similar speed.
    drift = [
        np.median(r.records["stance_time_ms"][-r.n_records // 3 :])
        - np.median(r.records["stance_time_ms"][: r.n_records // 3])
        for r in runs
        if r.plan.kind == "long"
    ]
    assert np.median(drift) > 2


def test_imbalance_athlete_shifts_left_by_injected_amount(truth, simulated):
    cond = truth["imbalance"]["conditions"][0]
    assert (cond["side"], cond["size_pts"], cond["from_week"]) == ("left", 1.8, 8)
    for athlete, expected in (("imbalance", 1.8), ("balanced", 0.0)):
        runs = [r for (a, _), r in simulated.items() if a == athlete]
        med = np.array([np.median(r.records["gct_balance_left_pct"]) for r in runs])
        after = np.array([r.plan.week >= 8 for r in runs])
        change = np.median(med[after]) - np.median(med[~after])
        assert change == pytest.approx(expected, abs=0.3), athlete
        thirds = [
            np.median(r.records["gct_balance_left_pct"][-r.n_records // 3 :])
            - np.median(r.records["gct_balance_left_pct"][: r.n_records // 3])
            for r, late in zip(runs, after, strict=True)
            if late
        ]
        grows = cond["expected_last_minus_first_third_pts"] if expected else 0.0
        assert np.median(thirds) == pytest.approx(grows, abs=0.35), athlete


def test_exports_hold_the_same_bytes(truth):
    folder = {a: {p.name: p.read_bytes() for p in (SAMPLE_DATA / a).glob("*.fit")} for a in truth}
    for athlete, t in truth.items():
        blobs = set(folder[athlete].values())
        with zipfile.ZipFile(SAMPLE_DATA / t["export"]) as zf:
            names = zf.namelist()
            if "garmin" in t["export"]:
                inner_name = "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip"
                assert inner_name in names and any(n.endswith(".json") for n in names)
                with zipfile.ZipFile(io.BytesIO(zf.read(inner_name))) as inner:
                    got = {inner.read(n) for n in inner.namelist() if n.endswith(".fit")}
            else:
                rows = list(csv.DictReader(io.StringIO(zf.read("activities.csv").decode())))
                assert len(rows) == len(t["runs"])
                assert all(r["Activity Type"] == "Run" and r["Filename"] in names for r in rows)
                got = {gzip.decompress(zf.read(n)) for n in names if n.endswith(".fit.gz")}
        assert got == blobs, athlete


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_regenerating_sample_data_gives_identical_bytes(tmp_path, capsys):
    assert main(["simulate-sample-data", "--out", str(tmp_path)]) == 0
    assert "2 athletes" in capsys.readouterr().out
    assert _digests(tmp_path) == _digests(SAMPLE_DATA)


def test_simulate_command_is_deterministic_in_seed(tmp_path):
    args = ["simulate", "--athletes", "2", "--weeks", "1", "--interval", "5", "--seed", "7"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    a, b = _digests(tmp_path / "a"), _digests(tmp_path / "b")
    assert a == b and any(k.endswith(".fit") for k in a)
    assert any(k.startswith("exports/") for k in a)
    other = ["simulate", "--athletes", "1", "--weeks", "1", "--interval", "5", "--seed", "8"]
    assert main([*other, "--out", str(tmp_path / "c"), "--no-exports"]) == 0
    c = _digests(tmp_path / "c")
    assert not any(k.startswith("exports/") for k in c)
    assert set(c.values()).isdisjoint(a.values())


def test_fixed_run_length_and_runs_per_week(tmp_path):
    """The benchmark's export: exactly N runs a week, each with M minutes of moving time."""
    out = tmp_path / "fixed"
    args = ["simulate", "--athletes", "1", "--weeks", "2", "--interval", "5", "--seed", "3"]
    assert main([*args, "--run-minutes", "30", "--runs-per-week", "4", "--out", str(out)]) == 0
    fits = sorted(out.rglob("*.fit"))
    assert len(fits) == 8
    for f in fits[:3]:
        session = read_fit(f).sessions.iloc[0]
        assert session["total_timer_s"] == pytest.approx(30 * 60, abs=5)


def test_start_sets_the_first_day_so_long_histories_stay_in_the_past(tmp_path, capsys):
    out = tmp_path / "early"
    args = ["simulate", "--athletes", "1", "--weeks", "2", "--interval", "10", "--seed", "3"]
    assert main([*args, "--start", "2024-06-03", "--no-exports", "--out", str(out)]) == 0
    starts = [read_fit(f).sessions.iloc[0]["start_time"] for f in sorted(out.rglob("*.fit"))]
    assert starts and min(starts) >= pd.Timestamp("2024-06-03", tz="UTC")
    assert max(starts) < pd.Timestamp("2024-06-17", tz="UTC")
    assert main([*args, "--start", "03/06/2024", "--out", str(out)]) == 2
    assert "is not a date; use YYYY-MM-DD" in capsys.readouterr().err


def test_simulate_rejects_bad_arguments(capsys):
    assert main(["simulate", "--athletes", "0", "--out", "x"]) == 2
    assert "at least 1" in capsys.readouterr().err


def test_injected_low_cadence_and_load_spike():
    base = AthleteProfile(name="t", seed=3, weeks=6, interval_s=10)
    cond = replace(base, conditions=(LowCadence(from_week=4), LoadSpike(week=5, factor=1.6)))
    plain, sick = simulate_athlete(base), simulate_athlete(cond)

    def weekly(runs, key):
        return {
            w: np.median([np.median(r.records[key]) for r in runs if r.plan.week == w])
            for w in range(1, 7)
        }

    c0, c1 = weekly(plain, "cadence_spm"), weekly(sick, "cadence_spm")
    assert all(abs(c1[w] - c0[w]) < 1.5 for w in (1, 2, 3))
    assert all(c0[w] - c1[w] > 5 for w in (4, 5, 6))
    step0, step1 = weekly(plain, "step_length_mm"), weekly(sick, "step_length_mm")
    assert step1[6] > step0[6]  # overstriding: longer steps at the same speed

    def minutes(runs, w):
        return sum(r.n_records * r.interval_s for r in runs if r.plan.week == w) / 60

    assert minutes(sick, 5) > 1.3 * minutes(plain, 5)
    assert minutes(sick, 3) == pytest.approx(minutes(plain, 3))


def test_balance_shift_right_side_and_without_fatigue_growth():
    base = AthleteProfile(name="r", seed=9, weeks=4, interval_s=5)
    shift = BalanceShift(from_week=3, side="right", size_pts=2.0, grows_with_fatigue=False)
    runs = simulate_athlete(replace(base, conditions=(shift,)))
    plain = simulate_athlete(base)
    for a, b in zip(runs, plain, strict=True):
        d = np.median(a.records["gct_balance_left_pct"]) - np.median(
            b.records["gct_balance_left_pct"]
        )
        assert d == pytest.approx(-2.0 if a.plan.week >= 3 else 0.0, abs=0.1)
        assert a.truth["balance_shift_drift_pts"] == 0.0
