"""The definition-run walk (analyzer.fit.fast._defruns) reads what the Python loop reads.

Files in which a definition precedes every record (Suunto's habit) are built byte by byte,
with the interruptions that must hand the walk back to the loop: a layout not seen before, a
compressed-timestamp header, a message on another local type, several data messages after
one definition, a definition with developer fields. Each must decode exactly as fitparse
decodes it, and the walk must really have been used.
"""

from __future__ import annotations

import random
import struct

import pandas as pd
import pytest
from fitbytes import UINT8, UINT16, UINT32, fit_file, message

from analyzer.fit import fast as fastfit
from analyzer.fit.fast import _defruns
from analyzer.fit.reference import decode as fitparse_decode

T0 = 1_100_000_000  # FIT seconds

#: Three record layouts that alternate on local type 0 (field number, base type, value packer).
LAYOUTS = [
    [(253, UINT32, "<I"), (6, UINT16, "<H"), (4, UINT8, "<B")],
    [(253, UINT32, "<I"), (41, UINT16, "<H")],
    [(253, UINT32, "<I"), (6, UINT16, "<H"), (5, UINT32, "<I"), (39, UINT16, "<H")],
]


def _record(layout: list, i: int, local: int = 0) -> bytes:
    values = {253: T0 + i, 6: 3000 + i % 50, 4: 80 + i % 7, 41: 2400 + i % 30, 5: 100 * i, 39: 90}
    return message(
        local, 20, [(num, base, struct.pack(fmt, values[num])) for num, base, fmt in layout]
    )


def _data_only(layout: list, i: int, local: int = 0) -> bytes:
    return _record(layout, i, local)[6 + 3 * len(layout) :]  # the data message of _record


def _file(*, seed: int = 3, n: int = 400, extras: bool = True) -> bytes:
    rng = random.Random(seed)
    body = []
    for i in range(n):
        which = rng.choice([0, 0, 1, 2]) if i < n // 2 or not extras else rng.choice([0, 1])
        body.append(_record(LAYOUTS[which], i))
        if not extras:
            continue
        if i == n // 3:  # a layout first seen in the middle
            body.append(_record([(253, UINT32, "<I"), (4, UINT8, "<B")], i))
        if i == n // 2:  # two more data messages after one definition
            body += [_data_only(LAYOUTS[which], i + 1), _data_only(LAYOUTS[which], i + 2)]
        if i == 2 * n // 3:  # a record with a compressed-timestamp header (local 0)
            short = [(6, UINT16, "<H"), (4, UINT8, "<B")]
            body.append(_record(short, i)[: 6 + 3 * len(short)])  # its definition only
            body.append(bytes([0x80 | (T0 + i + 1) & 0x1F]) + _data_only(short, i)[1:])
        if i % 97 == 0:  # an event on another local type
            ev = [(253, UINT32, struct.pack("<I", T0 + i)), (0, 0x00, b"\x00"), (1, 0x00, b"\x00")]
            body.append(message(3, 21, ev))
    file_id = message(1, 0, [(0, 0x00, b"\x04"), (1, UINT16, struct.pack("<H", 1))])
    return fit_file(file_id, *body)


def _same(data: bytes, name: str) -> None:
    ref, got = fitparse_decode(data, name), fastfit.decode(data, name)
    assert sorted(got.tables) == sorted(ref.tables)
    for num, table in ref.tables.items():
        pd.testing.assert_frame_equal(got.tables[num], table, check_exact=True)


@pytest.fixture
def calls(monkeypatch):
    """How many bytes the definition-run walk consumed, per call."""
    seen: list[int] = []
    walk = _defruns.DefinitionRuns.walk

    def counting(self, data, pos, *args):
        end = walk(self, data, pos, *args)
        seen.append(end - pos)
        return end

    monkeypatch.setattr(_defruns.DefinitionRuns, "walk", counting)
    return seen


def test_a_definition_before_every_record_decodes_as_fitparse_does(calls):
    data = _file(extras=False)
    _same(data, "plain.fit")
    assert sum(calls) > 0.9 * len(data)  # nearly the whole file went through the walk


def test_interruptions_hand_back_to_the_loop_and_decode_as_fitparse_does(calls):
    data = _file()
    _same(data, "mixed.fit")
    # (a new layout and a compressed-timestamp header stop it; layouts seen before do not)
    assert len(calls) >= 3 and sum(calls) > 0.5 * len(data)


@pytest.mark.parametrize("seed", range(6))
def test_small_windows_split_tokens_and_decode_the_same(monkeypatch, seed):
    monkeypatch.setattr(_defruns, "WINDOW", 97 + 13 * seed)  # windows cut data runs and tokens
    _same(_file(seed=seed, n=250), f"window-{seed}.fit")


def test_no_plain_definitions_never_tries(calls):
    """A file with one definition per message type never reaches the walk."""
    data = fit_file(
        message(1, 0, [(0, 0x00, b"\x04")]),
        _record(LAYOUTS[0], 0),
        *[_data_only(LAYOUTS[0], i) for i in range(1, 200)],
    )
    _same(data, "garmin-like.fit")
    assert calls == []


def test_the_suunto_corpus_file_goes_through_the_walk_and_matches_fitparse(calls):
    from fitcache import payload

    name = "Suunto-Ambit-3-Peak-without-final-lap.fit"
    data = payload(name)  # (skips, saying why, when ../shared is absent)
    _same(data, name)
    assert sum(calls) > 0.9 * len(data)
