"""Cached decodes of the real FIT corpus, shared by the FIT test files (fitparse is slow).

Imported as ``fitcache`` (tests/ is on sys.path; garmin-fit-sdk installs a top-level ``tests``
package, so ``tests.fitcache`` would not resolve).

Payloads are read in memory from ``../shared/fit-corpus/files`` (``.fit.gz`` decompressed, zip
members read by name); nothing is copied or written.
"""

from __future__ import annotations

import gzip
import io
import zipfile
from functools import cache

import pytest
from conftest import CORPUS_FILES, NO_CORPUS, corpus_available, corpus_manifest

from analyzer.fit.activity import Activity, read_fit

RUN_CATEGORIES = (
    "run_dynamics",
    "run_dynamics_devfields",
    "run_dynamics_multisport",
    "run_dynamics_stryd",
    "run_plain",
    "run_devfields",
    "run_stryd_devfields",
)
BROKEN_CATEGORIES = ("broken", "broken_fitparse_only")


def entries(*categories: str) -> list[dict]:
    """Manifest entries of the given categories (zip members as separate entries)."""
    out = []
    for f in corpus_manifest()["files"]:
        if f["category"] not in categories:
            continue
        if f["kind"] == "zip":
            for m in f.get("members") or []:
                out.append({**m, "file": f"{f['file']}!{m['member']}", "category": f["category"]})
        else:
            out.append(f)
    return out


def payload(name: str) -> bytes:
    """The FIT bytes of a corpus file (``archive.zip!member`` for zip members); skips the
    calling test, saying why, when ../shared is absent."""
    if not corpus_available():
        pytest.skip(NO_CORPUS)
    return _payload(name)


@cache
def _payload(name: str) -> bytes:
    if "!" in name:
        archive, member = name.split("!", 1)
        with zipfile.ZipFile(io.BytesIO((CORPUS_FILES / archive).read_bytes())) as zf:
            return zf.read(member)
    data = (CORPUS_FILES / name).read_bytes()
    return gzip.decompress(data) if name.endswith(".gz") else data


@cache
def activity(name: str) -> Activity:
    """The corpus file decoded with the reference (fitparse) decoder; cached per process."""
    return read_fit(payload(name), name=name, decoder="fitparse")
