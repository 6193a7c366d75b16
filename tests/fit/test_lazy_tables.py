"""What ``read_fit`` leaves until it is read, and the column readers that let it.

The compiled decoder hands its tables over as columns (``messages.Raw``) and builds a DataFrame
only when one is asked for; ``Columns.of`` reads those columns as ``Columns`` reads the
DataFrame. ``read_fit`` builds the sessions, laps and developer fields tables and the activity
id on first read. Here: each lazy value equals what the eager code gives, before and after
pickling, and the column readers agree value for value (the fitparse comparisons of
``test_fastfit.py`` check the tables and activities themselves).
"""

from __future__ import annotations

import hashlib
import pickle

import numpy as np
import pandas as pd
import pytest
from conftest import corpus_available
from fitcache import payload

from analyzer.fit.activity import Activity, build_activity, read_fit
from analyzer.fit.columns import Columns, Later, fit_timestamp, times
from analyzer.fit.devices import (
    developer_field_rows,
    developer_fields,
    developer_fields_frame,
    latest_descriptions,
)
from analyzer.fit.fast import _compiled
from analyzer.fit.fast import decode as fast_decode
from analyzer.fit.fast._bulk import permute_rows
from analyzer.fit.localtime import (
    SEMICIRCLE_DEG,
    device_offset,
    fit_offset,
    local_offset,
    position_offset,
)
from analyzer.fit.messages import (
    ACTIVITY,
    FIELD_DESCRIPTION,
    FIT_EPOCH_S,
    LAP,
    RECORD,
    SESSION,
    SPORT,
    FitMessages,
    Raw,
    Tables,
)
from analyzer.fit.sessions import read_sessions

pytestmark = pytest.mark.skipif(not corpus_available(), reason="../shared/fit-corpus is absent")

compiled_only = pytest.mark.skipif(
    not _compiled.compiled_walk(), reason="the compiled walk is not built here"
)

#: Files with string columns in small tables, repeated developer field descriptions, many
#: device_info rows, a definition before every record.
FILES = [
    "garmin-runPower.fit",
    "mornindew-broken.fit",
    "2019-02-17-062644-ELEMNT-297E-195-0.fit",
    "Suunto-Ambit-3-Peak-without-final-lap.fit",
    "MultiSport-2019-11-24.fit",
]


def _same_value(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    return type(a) is type(b) and a == b


@compiled_only
@pytest.mark.parametrize("name", FILES)
def test_raw_columns_read_as_the_table(name):
    msgs = fast_decode(payload(name), name)
    assert isinstance(msgs.tables, Tables)
    raws = {num: msgs.tables.raw(num) for num in msgs.tables}
    assert isinstance(raws[RECORD], Raw)
    for num, raw in raws.items():
        if raw is None:
            continue
        lazy = Columns.of(msgs, num)
        table = msgs.tables[num]  # (the DataFrame, built now)
        assert msgs.tables.raw(num) is None  # ... and kept
        eager = Columns(table)
        assert len(lazy) == len(eager) == len(table)
        assert lazy.empty == eager.empty == table.empty
        pd.testing.assert_index_equal(lazy.index, table.index, exact=True)
        mask = np.arange(len(table)) % 2 == 1
        for key in [*table.columns, "dev:9:9", 999]:
            assert (key in lazy) == (key in eager) == (key in table.columns)
            assert lazy.numeric(key) == (key in table.columns and table[key].dtype == np.float64)
            np.testing.assert_array_equal(lazy(key), eager(key))
            assert (lazy.get(key) is None) == (key not in table.columns)
            assert _same_value(lazy.first(key), eager.first(key)), key
            assert _same_value(lazy.first(key, mask), eager.first(key, mask)), key
            assert all(
                _same_value(x, y) for x, y in zip(lazy.values(key), eager.values(key), strict=True)
            ), key


@compiled_only
def test_tables_build_later_messages_once_and_pickle_as_a_dict():
    name = "garmin-runPower.fit"
    msgs = fast_decode(payload(name), name)
    assert SPORT in msgs.tables and LAP in msgs.tables and 99 not in msgs.tables
    assert msgs.tables.raw(99) is None
    first = msgs.tables[LAP]
    assert first is msgs.tables[LAP]
    copied = pickle.loads(pickle.dumps(msgs))
    assert type(copied.tables) is dict and sorted(copied.tables) == sorted(msgs.tables)
    for num, table in msgs.tables.items():
        pd.testing.assert_frame_equal(copied.tables[num], table, check_exact=True)
    with pytest.raises(KeyError):
        msgs.tables[99]


def test_a_raw_table_without_columns_is_the_empty_frame():
    raw = Raw([], np.empty((0, 0)), {}, 0)
    pd.testing.assert_frame_equal(raw.frame(), pd.DataFrame())
    msgs = FitMessages("x", Tables({SESSION: raw}, {}))
    cols = Columns.of(msgs, SESSION)
    assert cols.empty and len(cols) == 0 and cols.first(0) is None and cols.values(0) == []


def test_raw_string_columns_read_as_numbers_like_the_table():
    raw = Raw([0, 1], np.array([[1.0, np.nan], [np.nan, np.nan]]), {1: np.array(["7", None])}, 2)
    msgs = FitMessages("x", Tables({SESSION: raw}, {}))
    lazy, eager = Columns.of(msgs, SESSION), Columns(raw.frame())
    np.testing.assert_array_equal(lazy(1), eager(1))  # "7" -> 7.0, None -> NaN
    assert lazy(1)[0] == 7.0 and not lazy.numeric(1) and lazy.numeric(0)
    assert lazy.first(1) == eager.first(1) == "7"
    assert lazy.values(1) == eager.values(1) == ["7", None]
    assert lazy.values(0) == eager.values(0) == [1.0, None]


@pytest.mark.parametrize("pure", [False, True])
@pytest.mark.parametrize(
    "name", ["mornindew-broken.fit", "Suunto-Ambit-3-Peak-without-final-lap.fit"]
)
def test_read_fit_builds_ids_and_small_tables_on_first_read(name, pure, monkeypatch):
    if pure:
        monkeypatch.setenv(_compiled.PURE_ENV, "1")
    data = payload(name)
    act = read_fit(data, name=name, decoder="fast")
    copied = pickle.loads(pickle.dumps(act))  # (before anything lazy was read)
    msgs = fast_decode(data, name)
    eager = build_activity(msgs, activity_id="x", source_name=name)
    for a in (act, copied):
        assert a.activity_id == hashlib.sha256(data).hexdigest()
        rec_ts = Columns(msgs.table(RECORD))(253)
        assert len(a.sessions) == len(read_sessions(msgs, rec_ts).sports) == 1
        pd.testing.assert_frame_equal(a.sessions, eager.sessions, check_exact=True)
        pd.testing.assert_frame_equal(a.laps, eager.laps, check_exact=True)
        stryd = a.meta["manufacturer"] == "stryd"
        pd.testing.assert_frame_equal(
            a.developer_fields, developer_fields(msgs, stryd), check_exact=True
        )
        pd.testing.assert_frame_equal(a.records, eager.records, check_exact=True)
    assert act.sessions is act.sessions and act.developer_fields is act.developer_fields


def test_an_activity_without_developer_fields_gets_its_own_empty_table():
    def make() -> Activity:
        return Activity(
            activity_id="a",
            source_name="s",
            file_type="activity",
            meta={},
            sessions=pd.DataFrame(),
            laps=Later(pd.DataFrame),
            records=pd.DataFrame(),
        )

    one, two = make(), make()
    assert one.developer_fields.empty and one.developer_fields is not two.developer_fields
    one.developer_fields["x"] = []
    assert "x" not in two.developer_fields and "x" not in make().developer_fields


def test_repeated_descriptions_keep_the_last_as_drop_duplicates_does():
    name = "mornindew-broken.fit"
    msgs = fast_decode(payload(name), name)
    rows = developer_field_rows(msgs, stryd_device=False)
    assert len(rows) == len(msgs.table(FIELD_DESCRIPTION)) > len(latest_descriptions(rows))
    frame = developer_fields_frame(rows)
    # (a string column of the frame holds NaN where the row says None)
    in_frame = [tuple(None if pd.isna(v) else v for v in r) for r in frame.itertuples(index=False)]
    assert in_frame == latest_descriptions(rows)
    made = [
        (0, "a", 1, "n", "u", None),
        (0, "b", 1, None, None, "power_w"),
        (1, None, 1, "m", None, None),
    ]
    assert latest_descriptions(made) == made[1:]
    assert developer_fields_frame([]).columns.tolist() == list(frame.columns)


@pytest.mark.parametrize("name", [*FILES, "garmin-fenix-5-run.fit"])
def test_runs_cut_from_the_arrays_are_the_runs_cut_from_the_tables(name):
    act = read_fit(payload(name), name=name)
    tables_only = Activity(
        activity_id=act.activity_id,
        source_name=name,
        file_type=act.file_type,
        meta=act.meta,
        sessions=act.sessions,
        laps=act.laps,
        records=act.records,
    )
    from_arrays, from_tables = act.runs(), tables_only.runs()
    assert [r.run_id for r in from_arrays] == [r.run_id for r in from_tables]
    for got, want in zip(from_arrays, from_tables, strict=True):
        assert got.record_columns is not None and want.record_columns is None
        pd.testing.assert_series_equal(got.session, want.session, check_exact=True)
        pd.testing.assert_frame_equal(got.records, want.records, check_exact=True)
        pd.testing.assert_frame_equal(got.laps, want.laps, check_exact=True)
        assert list(got.record_columns) == list(got.records.columns)


@pytest.mark.parametrize("name", FILES)
def test_developer_field_rows_are_the_rows_of_the_table(name):
    # (what the import's worker keeps of them, read without building the table)
    act = read_fit(payload(name), name=name)
    frame = act.developer_fields
    in_frame = [tuple(None if pd.isna(v) else v for v in r) for r in frame.itertuples(index=False)]
    assert act.developer_field_rows == in_frame


@pytest.mark.parametrize("name", FILES)
def test_fit_offset_from_columns_is_device_offset_of_the_table(name):
    msgs = fast_decode(payload(name), name)
    device = device_offset(msgs.table(ACTIVITY))
    assert device is not None
    assert fit_offset(msgs, None) == local_offset(device, None)


@pytest.mark.parametrize("n", range(0, 8))
def test_permute_rows_is_fancy_indexing_in_place(n):
    rng = np.random.default_rng(n)
    for _ in range(20):
        perm = rng.permutation(n).tolist()
        block = rng.random((n, 5))
        want = block[perm]
        permute_rows(block, perm)
        np.testing.assert_array_equal(block, want)


@pytest.mark.parametrize("seconds", [0, 1, 1_000_000_000, 2**32 - 1, 1e9])
def test_fit_timestamp_is_what_times_gives(seconds):
    got = fit_timestamp(seconds)
    want = times(np.array([float(seconds)]))[0]
    assert got == want and got.unit == want.unit and str(got.tz) == str(want.tz)
    assert fit_timestamp(float("nan")) is None and fit_timestamp("12") is None


#: Corpus files without a device offset, with positions (the zone at the first fix counts).
NO_DEVICE_OFFSET = [
    "2013-02-06-12-11-14.fit",
    "Edge810-Vector-2013-08-16-15-35-10.fit",
    "Suunto_Spartan_Sport_Wrist_HR_Baro.fit",
    "Karoo-Botley_BW_Swanmore_Wickham-2025-05-09-1238.fit",
    "null_compressed_speed_dist.fit",
]


@pytest.mark.parametrize("pure", [False, True])
@pytest.mark.parametrize("name", NO_DEVICE_OFFSET)
def test_fit_offset_from_positions_is_the_pandas_rule(name, pure, monkeypatch):
    if pure:
        monkeypatch.setenv(_compiled.PURE_ENV, "1")
    msgs = fast_decode(payload(name), name)
    assert device_offset(msgs.table(ACTIVITY)) is None
    rec = msgs.table(RECORD)
    lat, lon = rec[0] * SEMICIRCLE_DEG, rec[1] * SEMICIRCLE_DEG
    first = pd.Timestamp(rec[253].dropna().iloc[0] + FIT_EPOCH_S, unit="s", tz="UTC")
    later = first + pd.Timedelta(days=180)  # (another side of a summer time change)
    for start, when in ((None, first), (later, later)):
        want = local_offset(None, position_offset(lat, lon, when))
        assert fit_offset(msgs, start) == want
