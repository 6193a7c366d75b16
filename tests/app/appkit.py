"""Shared by the app tests (a module, not a conftest: a second conftest.py would shadow the
suite's own ``conftest`` module for ``from conftest import ...``).

Shared fixtures of the app tests: one imported sample store, an in-process client per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analyzer import import_paths

REPO = Path(__file__).resolve().parents[2]
#: The smaller of the two sample exports (a Garmin "Export your data" zip, 54 runs).
SAMPLE_ZIP = REPO / "sample_data" / "exports" / "imbalance_garmin_export.zip"
ATHLETE = "ann"
PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory) -> Path:
    """A store holding the sample export for athlete ``ann`` (imported once per session)."""
    from analyzer.store.database import Store

    path = tmp_path_factory.mktemp("app-sample") / "sample.duckdb"
    with Store(path) as store:
        import_paths(store, [SAMPLE_ZIP], athlete=ATHLETE, workers=1)
    return path


@pytest.fixture
def store_copy(sample_store, tmp_path) -> Path:
    """A private copy of the sample store (a test may write to it)."""
    path = tmp_path / "store.duckdb"
    shutil.copy(sample_store, path)
    # (the store is its file and its records folder)
    shutil.copytree(
        sample_store.with_name(sample_store.name + ".records"),
        path.with_name(path.name + ".records"),
    )
    return path


def make_client(store_path: Path, *, max_upload_bytes: int = 64 << 20, login: bool = True):
    """A TestClient on the app, logged in through the token URL unless ``login=False``."""
    from starlette.testclient import TestClient

    from analyzer.app.auth import Secrets
    from analyzer.app.server import create_app
    from analyzer.app.state import AppState

    secrets = Secrets()
    state = AppState(store_path, max_upload_bytes=max_upload_bytes)
    app = create_app(state, secrets=secrets, host="127.0.0.1", port=PORT)
    client = TestClient(app, base_url=BASE, follow_redirects=False)
    client.secrets = secrets
    if login:
        reply = client.get(f"/?token={secrets.token}")
        assert reply.status_code == 303
    return client


def write_headers(client) -> dict[str, str]:
    """What the app's own pages send with a change: same Origin and the CSRF token."""
    return {"Origin": BASE, "X-CSRF-Token": client.secrets.csrf, "Accept": "application/json"}


@pytest.fixture
def client(store_copy):
    with make_client(store_copy) as c:
        yield c
