"""Shared fixtures: where the real FIT corpus lives, and cached decodes so the suite stays fast."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "fit-corpus"
CORPUS_FILES = CORPUS / "files"
SAMPLE_DATA = REPO / "sample_data"

NO_CORPUS = "../shared/fit-corpus is absent (it sits beside the checkout in CI and on dev machines)"


def corpus_available() -> bool:
    return (CORPUS / "manifest.json").is_file()


def corpus_manifest() -> dict:
    """The corpus manifest, or an empty one when ../shared is absent (tests then skip)."""
    if not corpus_available():
        return {"files": []}
    return json.loads((CORPUS / "manifest.json").read_text())


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not corpus_available():
        pytest.skip(NO_CORPUS)
    return CORPUS_FILES


@pytest.fixture(scope="session")
def manifest() -> dict:
    if not corpus_available():
        pytest.skip(NO_CORPUS)
    return corpus_manifest()


@pytest.fixture(autouse=True)
def _no_terminal_width(monkeypatch):
    """Commands fit their output to ``$COLUMNS`` when it is set: each test starts without it (a
    test about widths sets it), whatever the shell or an earlier test in this worker left."""
    monkeypatch.delenv("COLUMNS", raising=False)
