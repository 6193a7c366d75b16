"""The compiled header walk (``analyzer/fit/fast/_cwalk.c``) against the Python walk.

``test_fastfit.py`` runs every fitparse comparison on both walks; here the two walks read every
corpus payload whole (fitparse is compared on a prefix of the big ones) and damaged files, and
must give the same tables, notes and errors (class, message and byte offset). The switch also
turns off the compiled field decoder (``_bulk.py``) and CRC, so the same comparisons check those
against the numpy path; the tests at the end check that they are used and what they compute.
"""

from __future__ import annotations

import pickle
import struct

import numpy as np
import pandas as pd
import pytest
from conftest import corpus_available
from fitcache import payload
from hypothesis import HealthCheck, given, settings
from test_fastfit import CORPUS_PAYLOADS, assert_same_messages
from test_fastfit_fuzz import damaged

from analyzer.errors import DecoderDeclined, InvalidFitFile
from analyzer.fit import fast as fastfit
from analyzer.fit.activity import read_fit
from analyzer.fit.fast import _compiled, _walk, crc16
from analyzer.fit.fast._bulk import bulk_table
from analyzer.fit.messages import FILE_ID, RECORD, WANTED_MESSAGES

pytestmark = [
    pytest.mark.skipif(not corpus_available(), reason="../shared/fit-corpus is absent"),
    pytest.mark.skipif(not _compiled.compiled_walk(), reason="the compiled walk is not built here"),
]


def _decode(data: bytes, name: str, *, pure: bool):
    with pytest.MonkeyPatch.context() as mp:
        if pure:
            mp.setenv(_compiled.PURE_ENV, "1")
        assert _compiled.compiled_walk() is not pure
        try:
            return fastfit.decode(data, name)
        except (InvalidFitFile, DecoderDeclined) as exc:
            return exc


def _same(data: bytes, name: str) -> None:
    compiled = _decode(data, name, pure=False)
    python = _decode(data, name, pure=True)
    if isinstance(python, Exception):
        assert type(compiled) is type(python), f"python: {python!r}; compiled: {compiled!r}"
        assert str(compiled) == str(python)
        return
    assert not isinstance(compiled, Exception), f"compiled: {compiled!r}; python read it"
    assert compiled.notes == python.notes
    assert_same_messages(python, compiled)


@pytest.mark.parametrize("name", CORPUS_PAYLOADS)
def test_both_walks_read_every_whole_file_alike(name):
    _same(payload(name), name)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged())
def test_both_walks_read_damaged_files_alike(case):
    name, data = case
    _same(data, name)


def test_every_truncation_alike():
    data = payload("Activity.fit")
    for cut in range(0, len(data), 5):
        _same(data[:cut], "cut")


# --- the compiled field decoder, CRC and the lazily built laps --------------------------------


def _tables_by_path(data: bytes, name: str) -> dict[int, bool]:
    """Per wanted message type, whether the compiled bulk decoder built its table."""
    walk = _walk.walk(data, name)
    u8 = np.frombuffer(data, np.uint8)
    by_mesg: dict[int, list] = {}
    for d in walk.defs:
        if d.gnum in WANTED_MESSAGES and d.count:
            by_mesg.setdefault(d.gnum, []).append(d)
    columns = _compiled.compiled_columns()
    return {
        gnum: bulk_table(walk, u8, data, defs, columns) is not None
        for gnum, defs in by_mesg.items()
    }


@pytest.mark.parametrize(
    "name",
    [
        "Suunto-Ambit-3-Peak-without-final-lap.fit",  # a definition before every record
        "mornindew-broken.fit",  # developer fields described twice, with the same scales
        "garmin-runPower.fit",  # developer fields in sessions, laps and records; strings
    ],
)
def test_the_compiled_decoder_builds_the_big_tables(name):
    # (the whole-file comparisons above would pass just as well if it built none of them)
    built = _tables_by_path(payload(name), name)
    assert built[RECORD] and built[FILE_ID], built
    assert sum(built.values()) == len(built), built


def test_compressed_messages_keep_the_numpy_path():
    built = _tables_by_path(payload("compressed-speed-distance.fit"), "csd")
    assert built[RECORD] is False


def test_columns_writes_valid_values_at_their_rows_only():
    # uint16 LE at body offset 0 (scale 5, offset 500), sint8 at 2, float32 BE at 3
    msgs = [b"\x00" + struct.pack("<Hb", 2600, -3) + struct.pack(">f", 1.5)]
    msgs.append(b"\x00" + struct.pack("<Hb", 0xFFFF, 0x7F) + struct.pack(">f", float("nan")))
    data = b"".join(msgs)
    starts = np.array([1, 1 + len(msgs[0])], dtype=np.int64)
    rows = np.array([1, 0], dtype=np.int64)
    out = np.full((3, 2), np.nan)
    specs = [
        (0, 0, 2, 0, 0, 0xFFFF, 5.0, 500.0),
        (1, 2, 1, 1, 0, 0x7F, 1.0, 0.0),
        (2, 3, 4, 2, 1, None, 1.0, 0.0),
    ]
    firsts = _compiled.compiled_columns()(data, starts, rows, out, 2, specs)
    assert firsts == [1, 1, 1]
    np.testing.assert_array_equal(out[:, 1], [2600 / 5 - 500, -3.0, 1.5])
    assert np.isnan(out[:, 0]).all()
    with pytest.raises(IndexError):
        _compiled.compiled_columns()(data, starts + 100, rows, out, 2, specs)


@pytest.mark.parametrize("size", [*range(0, 20), 511, 512, 513, 4099, 100_003])
def test_compiled_crc_is_the_numpy_crc(size):
    data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes()
    compiled = crc16(data)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(_compiled.PURE_ENV, "1")
        assert crc16(data) == compiled
        assert crc16(memoryview(data)[3:]) == crc16(data[3:])
    assert crc16(data + compiled.to_bytes(2, "little")) == 0


def test_laps_are_built_when_first_read():
    name = "garmin-runPower.fit"
    act = read_fit(payload(name), name=name, decoder="fast")
    first = act.laps
    assert first is act.laps  # built once
    eager = read_fit(payload(name), name=name, decoder="fast")
    copied = pickle.loads(pickle.dumps(eager))  # (before its laps were read)
    pd.testing.assert_frame_equal(copied.laps, first)
    assert len(first) == 26 and first["session_index"].eq(0).all()
