"""The compiled header walk (``analyzer/fit/fast/_cwalk.c``) against the Python walk.

``test_fastfit.py`` runs every fitparse comparison on both walks; here the two walks read every
corpus payload whole (fitparse is compared on a prefix of the big ones) and damaged files, and
must give the same tables, notes and errors (class, message and byte offset).
"""

from __future__ import annotations

import pytest
from conftest import corpus_available
from fitcache import payload
from hypothesis import HealthCheck, given, settings
from test_fastfit import CORPUS_PAYLOADS, assert_same_messages
from test_fastfit_fuzz import damaged

from analyzer.errors import DecoderDeclined, InvalidFitFile
from analyzer.fit import fast as fastfit
from analyzer.fit.fast import _compiled

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
