"""Hostile requests against the app in-process: token, Host, Origin, CSRF, uploads, archives."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from appkit import (  # noqa: F401  (fixtures, see appkit)
    ATHLETE,
    BASE,
    client,
    make_client,
    sample_store,
    store_copy,
    write_headers,
)

GET_PATHS = [
    "/",
    f"/athletes/{ATHLETE}",
    f"/diary/{ATHLETE}",
    "/import",
    "/static/app.js",
    "/api/athletes",
    f"/api/athletes/{ATHLETE}",
    "/api/imports/nojob",
]
POST_PATHS = [
    "/api/imports",
    "/api/imports/nojob/files",
    "/api/imports/nojob/start",
    "/api/diary/exercise",
    "/api/diary/pain",
    "/api/plan/start",
    "/api/rename",
    "/api/merge",
    "/api/delete",
    "/api/units",
]


def _diary_rows(path) -> int:
    from analyzer.store.database import Store
    from analyzer.store.diary import Diary

    with Store(path, read_only=True) as store:
        d = Diary(store)
        return len(d.exercises()) + len(d.pain())


def test_every_route_is_listed_here(client):
    """A new route must be added to the lists above, so that it is tested without a token."""
    from starlette.routing import Route

    listed = {p.replace("nojob", "{job}").replace(ATHLETE, "{name:path}") for p in GET_PATHS}
    listed |= {p.replace("nojob", "{job}") for p in POST_PATHS}
    routes = {r.path for r in client.app.routes if isinstance(r, Route)}
    assert routes <= listed


@pytest.mark.parametrize("path", GET_PATHS)
def test_no_token_is_403_on_every_page(store_copy, path):
    with make_client(store_copy, login=False) as c:
        assert c.get(path).status_code == 403
        assert c.get(path + "?token=wrong").status_code == 403
        assert c.get(path, headers={"Authorization": "token wrong"}).status_code == 403


@pytest.mark.parametrize("path", POST_PATHS)
def test_no_token_is_403_on_every_write(store_copy, path):
    with make_client(store_copy, login=False) as c:
        headers = write_headers(c)
        assert c.post(path, headers=headers, data={"athlete": ATHLETE}).status_code == 403
    assert _diary_rows(store_copy) == 0


def test_token_url_sets_a_strict_httponly_cookie_and_redirects_to_a_clean_url(store_copy):
    with make_client(store_copy, login=False) as c:
        reply = c.get(f"/athletes/{ATHLETE}?token={c.secrets.token}&units=imperial")
        assert reply.status_code == 303
        assert reply.headers["location"] == f"/athletes/{ATHLETE}?units=imperial"
        cookie = reply.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
        page = c.get(reply.headers["location"])
        assert page.status_code == 200
        assert c.secrets.token not in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]


@pytest.mark.parametrize(
    "host", ["evil.example:8765", "evil.example", "127.0.0.1:9999", "127.0.0.1.evil.example:8765"]
)
def test_wrong_host_header_is_refused(client, host):
    reply = client.get("/api/athletes", headers={"Host": host})
    assert reply.status_code == 403
    assert "127.0.0.1 or localhost" in reply.text


def test_localhost_is_accepted(client):
    assert client.get("/api/athletes", headers={"Host": "localhost:8765"}).status_code == 200


EXERCISE = {"athlete": ATHLETE, "exercise": "clamshell", "feel": "easy", "date": "2026-01-05"}


@pytest.mark.parametrize(
    "drop", ["csrf", "origin", "foreign-origin", "wrong-csrf"], ids=lambda d: d
)
def test_a_write_without_csrf_or_from_another_origin_is_403_and_writes_nothing(
    client, store_copy, drop
):
    headers = write_headers(client)
    if drop == "csrf":
        del headers["X-CSRF-Token"]
    elif drop == "wrong-csrf":
        headers["X-CSRF-Token"] = "x" * 43
    elif drop == "origin":
        del headers["Origin"]
    else:
        headers["Origin"] = "http://evil.example"
    for path, data in [
        ("/api/diary/exercise", EXERCISE),
        ("/api/rename", {"athlete": ATHLETE, "new": "bob"}),
        ("/api/delete", {"athlete": ATHLETE, "confirm": ATHLETE}),
        ("/api/imports", {"athlete": ATHLETE}),
    ]:
        reply = client.post(path, data=data, headers=headers)
        assert reply.status_code == 403, path
        assert "nothing was changed" in reply.text
    assert _diary_rows(store_copy) == 0
    assert client.get("/api/athletes").json()["athletes"][0]["athlete"] == ATHLETE


def test_a_form_post_with_the_token_in_its_action_is_accepted(client, store_copy):
    reply = client.post(
        f"/api/diary/exercise?csrf_token={client.secrets.csrf}",
        data=EXERCISE,
        headers={"Origin": BASE},
    )
    assert reply.status_code == 303
    assert reply.headers["location"].startswith(f"/diary/{ATHLETE}?msg=Logged")
    assert _diary_rows(store_copy) == 1


def _import(client, files: dict[str, bytes], athlete: str = ATHLETE) -> dict:
    headers = write_headers(client)
    job = client.post("/api/imports", data={"athlete": athlete}, headers=headers).json()["job"]
    for name, body in files.items():
        reply = client.post(f"/api/imports/{job}/files", params={"name": name}, content=body,
                            headers=headers)  # fmt: skip
        if reply.status_code != 200:
            return {"upload": reply}
    assert client.post(f"/api/imports/{job}/start", headers=headers).status_code == 202
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = client.get(f"/api/imports/{job}").json()
        if status["state"] != "running":
            return status
        time.sleep(0.1)
    raise AssertionError("the import did not finish in 60 s")


def test_an_oversized_upload_is_refused_clearly_and_writes_nothing(store_copy, tmp_path):
    with make_client(store_copy, max_upload_bytes=1 << 20) as c:
        before = c.app.state.app.version()
        got = _import(c, {"big.fit": b"\0" * ((1 << 20) + 1)})
        reply = got["upload"]
        assert reply.status_code == 413
        assert reply.json()["error"].startswith("big.fit: the upload passes the limit of 1.0 MiB")
        assert "nothing was imported" in reply.json()["error"]
        assert c.app.state.app.version() == before
        assert list(c.app.state.jobs.root.iterdir()) == []  # the upload was removed


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_hostile_files_fail_with_the_importers_reasons(client, store_copy, tmp_path):
    files = {
        "traversal.zip": _zip({"../../escape.fit": b"not a fit file at all" * 10}),
        "bomb.zip": _zip({"big.fit": b"\0" * (40 << 20)}),  # about 1000:1
        "notes.fit": b"this is not a FIT file, it is a note" * 4,
        "../../../etc/passwd.gpx": b"<gpx",
    }
    status = _import(client, files)
    assert status["state"] == "done"
    summary = status["summary"]
    reasons = {f["name"]: f["detail"] for f in summary["failures"]}
    assert summary["imported"] == 0 and summary["failed"] == len(reasons)
    assert "bomb.zip!big.fit" in reasons and "unsafe archive" in reasons["bomb.zip!big.fit"]
    assert "traversal.zip!../../escape.fit" in reasons
    assert "notes.fit" in reasons and "FIT" in reasons["notes.fit"]
    assert "etc/passwd.gpx" in " ".join(reasons)  # kept inside the upload folder
    assert not list(tmp_path.parent.rglob("escape.fit"))
    assert _diary_rows(store_copy) == 0


def test_names_from_users_are_escaped(client):
    evil = "<img src=x onerror=alert(1)>"
    reply = client.post(
        "/api/rename", data={"athlete": ATHLETE, "new": evil}, headers=write_headers(client)
    )
    assert reply.status_code == 200
    page = client.get("/")
    assert evil not in page.text and "&lt;img src=x onerror=alert(1)&gt;" in page.text
