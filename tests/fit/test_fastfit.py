"""analyzer.fit.fast against the fitparse reference decoder, table for table, on real files.

Every FIT payload of ../shared/fit-corpus (and a sample of sample_data/) is decoded by both
decoders; the FitMessages tables must be identical (values, dtypes, row and column order), and
so must the Activity that analyzer.fit.activity builds from them. Broken files must raise the same error
class from both. Files above ``PREFIX_BYTES`` are compared on a valid FIT file made of their
first messages (fitparse alone needs ~30 s for the big ones); the fast decoder still reads
them whole and its message counts are checked against the corpus manifest.
"""

from __future__ import annotations

import struct
import zlib
from functools import cache

import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLE_DATA, corpus_manifest
from fitcache import payload

from analyzer.errors import (
    DecoderDeclined,
    FitCRCError,
    FitFormatError,
    FitHeaderError,
    FitTruncatedError,
    InvalidFitFile,
)
from analyzer.fit import fast as fastfit
from analyzer.fit.activity import build_activity
from analyzer.fit.activity import decode as fit_decode
from analyzer.fit.fast import _compiled, crc16
from analyzer.fit.messages import WANTED_MESSAGES, FitMessages, profile_scale_offset
from analyzer.fit.profile import SCALE_OFFSET, scale_offset
from analyzer.fit.reference import decode as fitparse_decode

#: Payloads larger than this are compared on a prefix cut at a message boundary [bytes].
PREFIX_BYTES = 256 * 1024
#: Files the fast decoder declines on purpose, with the reason it must give (none today).
DECLINED: dict[str, str] = {}
#: sample_data files compared with fitparse (all of them are decoded by the fast path).
SAMPLE_COMPARED = 6

_MESSAGE_NAMES = {
    0: "file_id",
    12: "sport",
    18: "session",
    19: "lap",
    20: "record",
    23: "device_info",
    206: "field_description",
    207: "developer_data_id",
}


def _corpus_payloads() -> list[str]:
    names = []
    for f in corpus_manifest()["files"]:
        if f["kind"] == "zip":
            names += [
                f"{f['file']}!{m['member']}"
                for m in f.get("members") or []
                if m["member"].lower().endswith(".fit")
            ]
        elif f["kind"] in ("fit", "fit.gz"):
            names.append(f["file"])
    return names


CORPUS_PAYLOADS = _corpus_payloads()
BROKEN = [f["file"] for f in corpus_manifest()["files"] if f["category"].startswith("broken")]


def _sample_files() -> list[str]:
    return sorted(str(p.relative_to(SAMPLE_DATA)) for p in SAMPLE_DATA.glob("*/*.fit"))


# --- a small, independent FIT message walker for building test payloads --------------------

_BASE_SIZE = {
    0x83: 2,
    0x84: 2,
    0x8B: 2,
    0x85: 4,
    0x86: 4,
    0x88: 4,
    0x8C: 4,
    0x89: 8,
    0x8E: 8,
    0x8F: 8,
    0x90: 8,
}


def messages(data: bytes):
    """Yield ``(start, end, kind, layout)`` for the messages of a single (first) FIT file.

    ``kind`` is "def" or "data"; ``layout`` is the definition's field list
    ``[(num, size, base)]`` (developer fields as base ``None``).
    """
    header = data[0]
    end = header + struct.unpack("<I", data[4:8])[0]
    pos = header
    local: dict[int, list] = {}
    while pos < end:
        h = data[pos]
        if h & 0x80:
            layout = local[(h >> 5) & 3]
            size = 1 + sum(s for _, s, _ in layout)
            yield pos, pos + size, "data", layout
        elif h & 0x40:
            n = data[pos + 5]
            fields = [tuple(data[pos + 6 + 3 * i : pos + 9 + 3 * i]) for i in range(n)]
            size = 6 + 3 * n
            if h & 0x20:
                ndev = data[pos + size]
                fields += [
                    (data[pos + size + 1 + 3 * i], data[pos + size + 2 + 3 * i], None)
                    for i in range(ndev)
                ]
                size += 1 + 3 * ndev
            local[h & 0xF] = fields
            yield pos, pos + size, "def", fields
        else:
            layout = local[h & 0xF]
            size = 1 + sum(s for _, s, _ in layout)
            yield pos, pos + size, "data", layout
        pos += size


def _finish(header: bytes, body: bytes) -> bytes:
    """A FIT file from a header template and message bytes (size and CRCs recomputed)."""
    head = bytearray(header)
    head[4:8] = struct.pack("<I", len(body))
    if len(head) >= 14:
        head[12:14] = struct.pack("<H", crc16(bytes(head[:12])))
    out = bytes(head) + body
    return out + struct.pack("<H", crc16(out))


def prefix_cut(data: bytes, limit: int) -> bytes:
    """A valid FIT file holding the messages that end before ``limit`` bytes."""
    cut = data[0]
    for _, end, _, _ in messages(data):
        if end > limit:
            break
        cut = end
    return _finish(data[: data[0]], data[data[0] : cut])


def flip_endian(data: bytes) -> bytes:
    """The same FIT file with every definition's byte order flipped (no developer fields)."""
    out = bytearray(data)
    for start, _, kind, layout in messages(data):
        if kind == "def":
            out[start + 2] = 0 if data[start + 2] else 1
            out[start + 3 : start + 5] = data[start + 3 : start + 5][::-1]
            continue
        pos = start + 1
        for _, size, base in layout:
            width = _BASE_SIZE.get(base, 1)
            for p in range(pos, pos + size - width + 1, width):
                out[p : p + width] = data[p : p + width][::-1]
            pos += size
    header = data[0]
    return _finish(bytes(out[:header]), bytes(out[header : len(data) - 2]))


# --- decodes, cached per process ------------------------------------------------------------


@cache
def compared_payload(name: str) -> bytes:
    data = payload(name)
    return prefix_cut(data, PREFIX_BYTES) if len(data) > PREFIX_BYTES else data


def _sample_payload(name: str) -> bytes:
    return (SAMPLE_DATA / name).read_bytes()


@cache
def _reference(data: bytes, name: str):
    """fitparse's decode (or error), once per payload: each test runs on both walks."""
    try:
        return fitparse_decode(data, name)
    except InvalidFitFile as exc:
        return exc


@pytest.fixture(autouse=True, params=["compiled walk", "python walk"])
def walk_path(request, monkeypatch):
    """Every test here runs with the compiled header walk and with the Python one."""
    if request.param == "python walk":
        monkeypatch.setenv(_compiled.PURE_ENV, "1")
    elif not _compiled.compiled_walk():
        pytest.skip("the compiled walk is not built here (no C compiler at install)")
    return request.param


def _decode_both(data: bytes, name: str):
    ref = _reference(data, name)
    try:
        fast = fastfit.decode(data, name)
    except (InvalidFitFile, DecoderDeclined) as exc:
        fast = exc
    return ref, fast


def assert_same_messages(ref: FitMessages, fast: FitMessages) -> None:
    assert fast.decoder == "fast"
    assert sorted(fast.tables) == sorted(ref.tables)
    for num, table in ref.tables.items():
        try:
            pd.testing.assert_frame_equal(fast.tables[num], table, check_exact=True)
        except AssertionError as exc:
            raise AssertionError(f"message {num}: {exc}") from None


def assert_same_activity(ref: FitMessages, fast: FitMessages, name: str) -> None:
    a = build_activity(ref, activity_id="x", source_name=name)
    b = build_activity(fast, activity_id="x", source_name=name)
    assert b.file_type == a.file_type
    assert b.meta == a.meta
    for attr in ("sessions", "laps", "records", "developer_fields"):
        pd.testing.assert_frame_equal(getattr(b, attr), getattr(a, attr), check_exact=True)
    assert len(b.runs()) == len(a.runs())


def _check_pair(data: bytes, name: str) -> None:
    ref, fast = _decode_both(data, name)
    if isinstance(fast, DecoderDeclined):
        assert name in DECLINED, f"unexpected decline: {fast}"
        assert DECLINED[name] in fast.reason
        return
    if isinstance(ref, InvalidFitFile):
        assert type(fast) is type(ref), f"fitparse: {ref!r}; fast: {fast!r}"
        assert fast.name == name and fast.offset is not None
        return
    assert not isinstance(fast, Exception), f"fast decoder failed: {fast!r}"
    assert_same_messages(ref, fast)
    assert_same_activity(ref, fast, name)


# --- the equivalence tests --------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", CORPUS_PAYLOADS)
def test_corpus_file_same_as_fitparse(name):
    _check_pair(compared_payload(name), name)


@pytest.mark.parametrize("name", [n for n in CORPUS_PAYLOADS if n not in BROKEN])
def test_whole_file_message_counts_match_manifest(name):
    """The fast decoder reads every valid file whole; its row counts are the manifest's."""
    entry = next((f for f in corpus_manifest()["files"] if f["file"] == name.split("!")[0]), {})
    counts = entry.get("message_counts") or {}
    msgs = fastfit.decode(payload(name), name)
    for num, mesg_name in _MESSAGE_NAMES.items():
        if "!" in name or mesg_name not in counts:
            continue
        assert len(msgs.table(num)) == counts[mesg_name], mesg_name


def test_broken_files_raise_the_reference_error_class():
    expected = {
        "activity-filecrc.fit": FitCRCError,
        "activity-activity-filecrc.fit": FitCRCError,
        "activity-settings-corruptheader.fit": FitHeaderError,
        "activity-settings-nodata.fit": FitTruncatedError,
        "activity-unexpected-eof.fit": FitTruncatedError,
        "nick.fit": FitTruncatedError,
        "strava-android-app-201.10-b1218918.fit": FitFormatError,
        "empty-activities.fit": FitCRCError,
        "empty-sessions.fit": FitHeaderError,
    }
    for name, cls in expected.items():
        with pytest.raises(cls) as info:
            fastfit.decode(payload(name), name)
        assert info.value.name == name
        assert name in str(info.value)


def _sample_names() -> list[str]:
    files = _sample_files()
    if len(files) <= SAMPLE_COMPARED:
        return files
    picks = np.linspace(0, len(files) - 1, SAMPLE_COMPARED).round().astype(int)
    return [files[i] for i in picks]


@pytest.mark.skipif(not _sample_files(), reason="sample_data/ absent (make sample-data)")
@pytest.mark.parametrize("name", _sample_names())
def test_sample_data_same_as_fitparse(name):
    _check_pair(_sample_payload(name), name)


@pytest.mark.skipif(not _sample_files(), reason="sample_data/ absent (make sample-data)")
def test_all_sample_data_decodes_fast():
    for name in _sample_files():
        msgs = fastfit.decode(_sample_payload(name), name)
        assert len(msgs.table(20)) > 100
        assert len(msgs.table(18)) == 1


# --- protocol features that the corpus has little or none of --------------------------------

#: Little-endian files, plus Activity.fit (the FIT SDK example, written big-endian).
FLIP_SOURCES = ["garmin-fenix-5-run.fit", "compressed-speed-distance.fit", "Activity.fit"]


@pytest.mark.parametrize("name", FLIP_SOURCES)
def test_flipped_byte_order_decodes_like_fitparse_and_like_the_original(name):
    original = payload(name)
    big = flip_endian(original)
    assert big != original
    assert any(big[s + 2] for s, _, kind, _ in messages(big) if kind == "def") != any(
        original[s + 2] for s, _, kind, _ in messages(original) if kind == "def"
    )
    _check_pair(big, name)
    a = fastfit.decode(original, name)
    b = fastfit.decode(big, name)
    assert_same_messages(a, b)


def test_chained_file_is_two_files_in_order():
    name = "activity-settings.fit"
    msgs = fastfit.decode(payload(name), name)
    single = fastfit.decode(payload("Activity.fit"), "Activity.fit")
    assert len(msgs.table(0)) == 2  # one file_id per chained file
    assert len(msgs.table(20)) == len(single.table(20))


def test_compressed_timestamps_and_accumulated_distance():
    name = "compressed-speed-distance.fit"
    rec = fastfit.decode(payload(name), name).table(20)
    ts = rec[253].to_numpy()
    assert not np.isnan(ts).any()
    assert (np.diff(ts) >= 0).all()
    dist = rec[5].to_numpy()
    assert (np.diff(dist[~np.isnan(dist)]) >= 0).all()  # accumulated: never wraps back
    assert np.nanmax(dist) > 4096 / 16  # beyond one 12-bit wrap


def test_prefix_cut_is_a_valid_fit_file():
    data = payload("Activity.fit")
    cut = prefix_cut(data, 400)
    assert len(cut) < len(data)
    ref, fast = _decode_both(cut, "cut")
    assert isinstance(ref, FitMessages)
    assert_same_messages(ref, fast)


def test_bad_header_crc_and_zero_header_crc():
    data = payload("garmin-fenix-5-run.fit")
    assert data[0] == 14

    def with_header_crc(value: int) -> bytes:
        out = data[:12] + struct.pack("<H", value) + data[14:-2]
        return out + struct.pack("<H", crc16(out))

    fastfit.decode(with_header_crc(0), "zero")  # a zero header CRC is not checked
    good = crc16(data[:12])
    with pytest.raises(FitCRCError, match="header CRC") as info:
        fastfit.decode(with_header_crc(good ^ 0x55), "bad")
    assert info.value.offset == 12


def test_trailing_bytes_after_a_file():
    data = payload("Activity.fit")
    with pytest.raises(FitTruncatedError):
        fastfit.decode(data + b"\x00" * 5, "tail")
    with pytest.raises(FitHeaderError):
        fastfit.decode(data + b"\x00" * 20, "tail")


def test_fit_decode_auto_uses_fast_path_and_falls_back_on_decline(monkeypatch):
    data = payload("Activity.fit")
    assert fit_decode(data, "a", decoder="auto").decoder == "fast"

    def decline(data, name):
        raise DecoderDeclined(name, "test")

    monkeypatch.setattr(fastfit, "decode", decline)
    assert fit_decode(data, "a", decoder="auto").decoder == "fitparse"


# --- the pieces ---------------------------------------------------------------------------------


def test_crc16_equals_fitparse_crc():
    from fitparse.records import Crc

    rng = np.random.default_rng(7)
    for n in (0, 1, 2, 3, 15, 16, 17, 511, 512, 513, 4099, 70001):
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        assert crc16(data) == Crc.calculate(data), n
    data = payload("Activity.fit")
    assert crc16(data) == 0  # a file followed by its own CRC checks to zero
    assert crc16(data) != zlib.crc32(data) & 0xFFFF or crc16(data[:-1]) != 0


def test_profile_table_matches_the_reference_profile():
    for mesg in WANTED_MESSAGES:
        for field in range(256):
            assert scale_offset(mesg, field) == profile_scale_offset(mesg, field), (mesg, field)
    assert set(SCALE_OFFSET) <= WANTED_MESSAGES


def test_unusual_compressed_speed_distance_is_declined_and_falls_back():
    """A compressed_speed_distance not typed ``byte`` is left to fitparse, with the reason."""
    data = bytearray(payload("compressed-speed-distance.fit"))
    changed = 0
    for start, _, kind, layout in messages(bytes(data)):
        if kind == "def" and data[start + 3 : start + 5] == b"\x14\x00":  # record, little-endian
            for i, (num, _, base) in enumerate(layout):
                if num == 8 and base == 0x0D:
                    data[start + 6 + 3 * i + 2] = 0x02  # uint8[3] instead of byte[3]
                    changed += 1
    assert changed
    header = data[0]
    odd = _finish(bytes(data[:header]), bytes(data[header:-2]))
    with pytest.raises(DecoderDeclined, match="compressed_speed_distance"):
        fastfit.decode(odd, "odd")
    # "auto" then gives exactly what fitparse gives (here fitparse itself fails on the 0xFF
    # elements of the uint8 array, so both raise the same error).
    ref, _ = _decode_both(odd, "odd")
    try:
        auto = fit_decode(odd, "odd", decoder="auto")
    except InvalidFitFile as exc:
        auto = exc
    if isinstance(ref, InvalidFitFile):
        assert type(auto) is type(ref)
    else:
        assert auto.decoder == "fitparse"


def test_records_frame_is_the_dict_constructor():
    from analyzer.fit.columns import frame

    rng = np.random.default_rng(0)
    n = 50
    cols = {"timestamp": pd.date_range("2024-01-01", periods=n, freq="s", tz="UTC").array}
    cols.update({f"c{i}": rng.normal(size=n) for i in range(9)})
    cols["c3"][5] = np.nan
    cols["session_index"] = np.zeros(n, dtype="int64")
    cols["last"] = rng.normal(size=n)
    built = frame(cols, pd.RangeIndex(n))
    pd.testing.assert_frame_equal(built, pd.DataFrame(cols, index=pd.RangeIndex(n)))
    assert list(built.columns) == list(cols)
    cols["c0"][0] = -1.0  # no view of the caller's arrays
    assert built["c0"].iloc[0] != -1.0
