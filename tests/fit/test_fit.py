"""analyzer.fit.activity on the real corpus: contract columns equal fitparse's own values, metadata, runs."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from conftest import CORPUS_FILES, corpus_manifest
from fitcache import RUN_CATEGORIES, activity, entries, payload

from analyzer.fit.activity import STRYD_APP_IDS, build_activity, read_fit
from analyzer.fit.messages import FIT_EPOCH_S, RECORD, FitMessages
from analyzer.fit.plausible import FOOT_ONLY, RANGES
from analyzer.fit.reference import decode as fitparse_decode
from analyzer.schema import DYNAMICS_SOURCES, RECORD_COLUMNS

#: One xdist worker decodes the corpus once for all FIT tests (make test uses --dist loadgroup).
pytestmark = pytest.mark.xdist_group("fit_corpus")

RUN_ENTRIES = entries(*RUN_CATEGORIES, "walk_dynamics", "chained_valid")
RUN_FILES = [e["file"] for e in RUN_ENTRIES]
#: Files with more records than this (the two 30k-46k record triathlons) are not re-read with
#: fitparse for reference values (that alone takes ~15 s); they get the lighter checks of
#: test_big_multisport_files (their running legs are also checked in test_averages.py).
BIG_FILE_RECORDS = 20_000
BIG_FILES = [e["file"] for e in RUN_ENTRIES if (e.get("records") or 0) > BIG_FILE_RECORDS]
REF_FILES = [n for n in RUN_FILES if n not in BIG_FILES]
MAX_REF_RECORDS = BIG_FILE_RECORDS


def _fitparse_records(data: bytes, limit: int) -> pd.DataFrame:
    """fitparse's own record values (its default processing), native fields only."""
    import fitparse

    rows = []
    ff = fitparse.FitFile(io.BytesIO(data))
    for msg in ff.get_messages("record"):
        row: dict = {}
        for fd in msg.fields:
            if fd.field_def is not None and hasattr(fd.field_def, "dev_data_index"):
                continue
            if fd.field_def is None and fd.name in row:
                continue  # a native field wins over a component of the same name
            row[fd.name] = fd.value
        rows.append(row)
        if len(rows) >= limit:
            break
    return pd.DataFrame(rows)


def _num(df: pd.DataFrame, name: str) -> np.ndarray:
    if name not in df:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[name], errors="coerce").to_numpy(dtype="float64")


def _expected(ref: pd.DataFrame, foot: np.ndarray) -> dict[str, np.ndarray]:
    """Contract columns from fitparse's values with the conversions documented in analyzer.fit.activity."""

    def nz(a):
        return np.where(a == 0, np.nan, a)

    speed = _num(ref, "enhanced_speed")
    speed = np.where(np.isnan(speed), _num(ref, "speed"), speed)
    alt = _num(ref, "enhanced_altitude")
    alt = np.where(np.isnan(alt), _num(ref, "altitude"), alt)
    cad = 2 * (_num(ref, "cadence") + np.nan_to_num(_num(ref, "fractional_cadence")))
    bal = _num(ref, "stance_time_balance")
    out = {
        "distance_m": _num(ref, "distance"),
        "speed_mps": speed,
        "heart_rate_bpm": nz(_num(ref, "heart_rate")),
        "cadence_spm": np.where(foot, cad, np.nan),
        "vertical_oscillation_mm": nz(_num(ref, "vertical_oscillation")),
        "stance_time_ms": nz(_num(ref, "stance_time")),
        "stance_time_pct": nz(_num(ref, "stance_time_percent")),
        "gct_balance_left_pct": np.where((bal > 0) & (bal < 100), bal, np.nan),
        "step_length_mm": nz(_num(ref, "step_length")),
        "vertical_ratio_pct": nz(_num(ref, "vertical_ratio")),
        "altitude_m": alt,
    }
    # Values outside the documented physiological ranges are masked (speed on foot sports only).
    for col, (low, high) in RANGES.items():
        bad = (out[col] < low) | (out[col] > high)
        if col in FOOT_ONLY:
            bad &= foot
        out[col] = np.where(bad, np.nan, out[col])
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", REF_FILES)
def test_record_columns_equal_fitparse(name, corpus_dir):
    act = activity(name)
    recs = act.records
    assert list(recs.columns[: len(RECORD_COLUMNS)]) == list(RECORD_COLUMNS)
    ref = _fitparse_records(payload(name), MAX_REF_RECORDS)
    n = len(ref)
    assert n == min(len(recs), MAX_REF_RECORDS)
    mine = recs.iloc[:n]
    sports = act.sessions["sport"].to_numpy() if len(act.sessions) else np.array([None])
    foot = np.isin(
        sports[np.clip(mine["session_index"].to_numpy(), 0, None)], ["running", "walking", "hiking"]
    )
    for col, want in _expected(ref, foot).items():
        np.testing.assert_allclose(
            mine[col].to_numpy(),
            want,
            rtol=1e-9,
            atol=1e-9,
            equal_nan=True,
            err_msg=f"{name}: {col}",
        )
    native_power = _num(ref, "power")
    has = ~np.isnan(native_power)
    np.testing.assert_allclose(mine["power_w"].to_numpy()[has], native_power[has], rtol=1e-12)
    if "timestamp" in ref:
        got = mine["timestamp"].reset_index(drop=True)
        if pd.api.types.is_numeric_dtype(ref["timestamp"]):
            # fitparse leaves device-relative times (< 0x10000000) as seconds; we count them
            # from the FIT epoch like absolute ones, so only differences are meaningful.
            epoch = pd.Timestamp(FIT_EPOCH_S, unit="s", tz="UTC")
            np.testing.assert_array_equal((got - epoch).dt.total_seconds(), ref["timestamp"])
        else:
            want_ts = pd.to_datetime(ref["timestamp"]).dt.tz_localize("UTC")
            assert (got == want_ts).all()
        assert mine["elapsed_s"].iloc[0] == 0.0


@pytest.mark.slow
@pytest.mark.parametrize("name", BIG_FILES)
def test_big_multisport_files(name, corpus_dir):
    entry = next(e for e in RUN_ENTRIES if e["file"] == name)
    act = activity(name)
    assert len(act.records) == entry["records"]
    assert list(act.sessions["sport"]) == [s["sport"] for s in entry["sessions"]]
    (run,) = act.runs()
    assert run.records["stance_time_ms"].notna().mean() > 0.5  # an ultra with walking
    assert run.records["cadence_spm"].median() > 120
    other = act.records[act.records["session_index"] != run.session_index]
    assert other["stance_time_ms"].notna().mean() < 0.1


def _run_csv(name: str, fit_name: str):
    csv = pd.read_csv(CORPUS_FILES / name, na_values=["null"])
    act = activity(fit_name)
    return csv, act.records


@pytest.mark.parametrize(
    "csv_name, fit_name",
    [
        ("garmin-fenix-5-run-records.csv", "garmin-fenix-5-run.fit"),
        ("garmin-fenix-5-walk-records.csv", "garmin-fenix-5-walk.fit"),
        ("garmin-fenix-5-bike-records.csv", "garmin-fenix-5-bike.fit"),
    ],
)
def test_reference_csv_fenix5(csv_name, fit_name, corpus_dir):
    csv, recs = _run_csv(csv_name, fit_name)
    assert len(csv) == len(recs)
    # The CSVs print local time (PDT = UTC-7).
    ts = pd.to_datetime(csv["timestamp"].str.replace(" PDT", ""), format="%a %b %d %H:%M:%S %Y")
    assert (recs["timestamp"].dt.tz_localize(None) == ts + timedelta(hours=7)).all()
    np.testing.assert_allclose(recs["distance_m"], csv["distance"], rtol=1e-9)
    np.testing.assert_allclose(recs["speed_mps"], csv["speed"], rtol=1e-9)
    np.testing.assert_allclose(recs["altitude_m"], csv["altitude"], atol=1e-9)
    np.testing.assert_allclose(
        recs["heart_rate_bpm"], csv["heart_rate"].where(csv["heart_rate"] > 0)
    )
    if "bike" in fit_name:
        assert recs["cadence_spm"].isna().all()  # pedal rpm is not a step cadence
    else:
        # The CSV has whole strides/min only; ours adds the half stride and doubles.
        assert (np.floor(recs["cadence_spm"] / 2) == csv["cadence"]).all()
        assert (recs["cadence_spm"] >= 2 * csv["cadence"]).all()


def test_reference_csv_compressed_speed_distance(corpus_dir):
    csv, recs = _run_csv("compressed-speed-distance-records.csv", "compressed-speed-distance.fit")
    csv.columns = [c.strip() for c in csv.columns]
    # The CSV leaves out the file's first record, which holds nothing but a timestamp.
    assert recs.iloc[0][["distance_m", "speed_mps", "heart_rate_bpm"]].isna().all()
    recs = recs.iloc[1:].reset_index(drop=True)
    assert len(csv) == len(recs)
    secs = (recs["timestamp"] - pd.Timestamp(FIT_EPOCH_S, unit="s", tz="UTC")).dt.total_seconds()
    np.testing.assert_array_equal(secs.to_numpy(), csv["Timestamp"].to_numpy(dtype=float))
    np.testing.assert_allclose(recs["speed_mps"], csv["Speed [m/s]"], rtol=1e-9)
    np.testing.assert_allclose(recs["distance_m"], csv["Distance [m]"], rtol=1e-9)
    hr = csv["Heart Rate [bpm]"]
    np.testing.assert_allclose(recs["heart_rate_bpm"], hr.where(hr > 0))
    np.testing.assert_allclose(recs["cadence_spm"], 2 * csv["Cadence [rpm]"], equal_nan=True)


# --------------------------------------------------------------------- recognised, not runs

NOT_RUNS = entries("non_running", "non_activity", "walk_dynamics", "edge")


@pytest.mark.slow
@pytest.mark.parametrize("entry", NOT_RUNS, ids=[e["file"] for e in NOT_RUNS])
def test_non_running_and_non_activity_recognised(entry, corpus_dir):
    act = activity(entry["file"])
    assert act.runs() == []
    want_type = (entry.get("file_id_fitparse") or {}).get("type")
    if want_type:
        assert act.file_type == want_type
    want_sports = [s["sport"] for s in entry.get("sessions") or []]
    assert list(act.sessions["sport"]) == want_sports or not want_sports
    if act.file_type != "activity":
        assert act.sessions.empty


def test_file_types_by_name(corpus_dir):
    assert activity("MonitoringFile.fit").file_type == "monitoring_b"
    assert activity("Settings.fit").file_type == "settings"
    assert activity("WorkoutRepeatSteps.fit").file_type == "workout"
    assert activity("WeightScaleSingleUser.fit").file_type == "weight"
    assert list(activity("event_timestamp.fit").sessions["sport"]) == ["swimming"]


# --------------------------------------------------------------------- metadata and sessions


def test_fenix5_metadata_and_watch_averages(corpus_dir):
    act = activity("garmin-fenix-5-run.fit")
    assert act.meta["manufacturer"] == "garmin"
    assert act.meta["product"] == "fenix5"
    assert act.meta["dynamics_source"] == "chest_strap"
    assert act.meta["dynamics_sensor"] == "garmin hrm4_run"
    assert act.meta["time_created"] == pd.Timestamp("2017-06-11 14:34:09", tz="UTC")
    s = act.sessions.iloc[0]
    assert s["watch_avg_cadence_spm"] == pytest.approx(2 * (83 + 86 / 128))
    assert s["watch_avg_stance_time_ms"] == pytest.approx(270.3)
    assert s["watch_avg_gct_balance_left_pct"] == pytest.approx(52.39)
    assert s["watch_avg_speed_mps"] == pytest.approx(2.77)
    assert s["total_timer_s"] == pytest.approx(56.887)
    assert len(act.laps) == 1 and act.laps["session_index"].iloc[0] == 0
    (run,) = act.runs()
    assert run.run_id == f"{act.activity_id}:0"
    assert act.activity_id == hashlib.sha256(payload("garmin-fenix-5-run.fit")).hexdigest()


def test_coros_zero_placeholders_are_nan_and_newer_product_names(corpus_dir):
    act = activity("20210507_run_coros_pace_2.fit")
    s = act.sessions.iloc[0]
    assert act.meta["manufacturer"] == "coros" and act.meta["product"] == "COROS PACE 2"
    for m in (
        "stance_time_ms",
        "vertical_oscillation_mm",
        "vertical_ratio_pct",
        "gct_balance_left_pct",
    ):
        assert np.isnan(s[f"watch_avg_{m}"])
    assert s["watch_avg_step_length_mm"] == pytest.approx(1310)
    # COROS writes form power/LSS under its own developer id, not Stryd's: not mapped.
    assert "form_power_w" not in act.records
    assert act.meta["dynamics_source"] == "wrist"
    assert activity("20200813_run_garmin_fenix_6.fit").meta["product"] == "fenix6"


@pytest.mark.slow
def test_every_running_file_has_a_known_dynamics_source(corpus_dir):
    for name in RUN_FILES:
        act = activity(name)
        assert act.meta["dynamics_source"] in DYNAMICS_SOURCES, name
    assert activity("activity-small-fenix2-run.fit").meta["dynamics_source"] == "chest_strap"
    assert activity("developer-types-sample.fit").meta["dynamics_source"] == "stryd"
    assert activity("2013-02-06-12-11-14.fit").meta["dynamics_source"] == "none"
    assert activity("3386684871.fit").meta["dynamics_source"] == "stryd"


def test_stryd_fields_matched_on_app_id_and_number(corpus_dir):
    act = activity("3386684871.fit")
    devf = act.developer_fields
    stryd = devf[devf["application_id"].isin(STRYD_APP_IDS)]
    assert set(stryd["column"].dropna()) >= {"power_w", "form_power_w", "leg_spring_stiffness_kn_m"}
    # The other app in the file (dev index 0) reuses numbers 7-14 for pace/speed: unmapped.
    assert devf[devf["developer_data_index"] == 0]["column"].isna().all()
    msgs = fitparse_decode(payload("3386684871.fit"), "3386684871.fit")
    rec = msgs.table(RECORD)
    np.testing.assert_allclose(act.records["form_power_w"], rec["dev:1:8"], equal_nan=True)
    np.testing.assert_allclose(
        act.records["leg_spring_stiffness_kn_m"], rec["dev:1:9"], equal_nan=True
    )
    # No native power in this file: power comes from Stryd field 0.
    assert 7 not in rec.columns
    np.testing.assert_allclose(act.records["power_w"], rec["dev:1:0"], equal_nan=True)
    assert act.records["power_w"].notna().mean() > 0.9


def test_multisport_one_run_per_running_session(corpus_dir):
    act = activity("Multisession-stop-after-transition.fit")
    runs = act.runs()
    assert [r.session_index for r in runs] == [0, 4]
    assert list(act.sessions["sport"]) == [
        "running",
        "transition",
        "cycling",
        "transition",
        "running",
    ]
    for run in runs:
        assert run.run_id == f"{act.activity_id}:{run.session_index}"
        ts = run.records["timestamp"]
        assert len(ts) > 100
        start = run.session["start_time"]
        assert ts.min() >= start - pd.Timedelta(seconds=1)
        assert run.records["elapsed_s"].iloc[0] == 0
        assert run.records["stance_time_ms"].notna().mean() > 0.8
        assert (run.laps["session_index"] == run.session_index).all()
    assert runs[0].records["timestamp"].max() < runs[1].session["start_time"]
    assert sum(len(r.records) for r in runs) < len(act.records)


def test_chained_files_decode(corpus_dir):
    act = activity("activity-settings.fit")
    assert act.file_type == "activity"
    assert len(act.records) == 14 and len(act.runs()) == 1


def test_gct_balance_side(corpus_dir):
    """stance_time_balance is the LEFT foot's share of ground contact time.

    FR920xt-with-runscribe-plus.fit carries both the HRM-Tri's stance_time_balance and
    RunScribe's independent per-foot contact times (developer fields RS_ContactTime_L/_R). Over
    the run the balance rises and falls with RunScribe's left share L / (L + R): the correlation of
    30-record means is about +0.5. Were the field the right foot's share it would be negative.
    """
    name = "FR920xt-with-runscribe-plus.fit"
    msgs = fitparse_decode(payload(name), name)
    desc = msgs.table(206)
    key = {r[3]: f"dev:{int(r[0])}:{int(r[1])}" for _, r in desc.iterrows()}
    rec = msgs.table(RECORD)
    left, right = rec[key["RS_ContactTime_L"]], rec[key["RS_ContactTime_R"]]
    share = 100 * left / (left + right)
    bal = activity(name).records["gct_balance_left_pct"]
    ok = share.notna() & bal.notna()
    smooth = share[ok].rolling(30).mean().corr(bal[ok].rolling(30).mean())
    assert smooth > 0.3


def test_fitmessages_follow_the_spec(corpus_dir):
    msgs = fitparse_decode(payload("compressed-speed-distance.fit"), "x")
    rec = msgs.table(RECORD)
    assert {253, 5, 6} <= set(rec.columns)
    assert 73 not in rec.columns  # only record.compressed_speed_distance is expanded
    assert all(rec[c].dtype == "float64" for c in rec.columns)
    assert rec[5].dropna().is_monotonic_increasing and rec[5].max() > 10_000
    ids = fitparse_decode(payload("3386684871.fit"), "y").table(207)
    assert "660a581e-5301-460c-8f2f-034c8b6dc90f" in set(ids[1])


def test_read_fit_paths_gz_and_bytes(corpus_dir, tmp_path):
    act = read_fit(CORPUS_FILES / "14582164182.fit.gz", decoder="fitparse")
    assert act.meta["product"] == "edge_1030_plus" and act.runs() == []
    assert act.source_name.endswith("14582164182.fit.gz")
    same = read_fit(payload("garmin-fenix-5-run.fit"), name="n.fit", decoder="fitparse")
    assert same.activity_id == activity("garmin-fenix-5-run.fit").activity_id


def test_build_activity_without_messages_is_empty():
    act = build_activity(FitMessages(name="e"), activity_id="0", source_name="e")
    assert act.file_type == "unknown" and act.runs() == [] and act.records.empty
    assert act.meta["dynamics_source"] == "none"


def test_manifest_lists_every_running_file():
    names = {f["file"] for f in corpus_manifest()["files"]}
    assert all(n.split("!")[0] in names for n in RUN_FILES)
