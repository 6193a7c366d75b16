"""The JSON twin equals the CLI's JSON; the pages' writes reach the store and the cache."""

from __future__ import annotations

import json

from appkit import ATHLETE, client, sample_store, store_copy, write_headers  # noqa: F401  (fixtures, see appkit)

from analyzer.cli import main


def _without_generated_at(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "generated_at"}


def test_api_athlete_equals_report_json(client, store_copy, capsys):
    api = client.get(f"/api/athletes/{ATHLETE}").json()
    assert main(["report", "--json", "--athlete", ATHLETE, "--store", str(store_copy)]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert _without_generated_at(api) == _without_generated_at(cli)


def test_api_athletes_lists_status_and_index(client):
    (row,) = client.get("/api/athletes").json()["athletes"]
    assert row["athlete"] == ATHLETE and row["n_runs"] == 54
    assert row["index"] is not None and row["state"] in ("judged", "balance_not_judged")


def test_unknown_athlete_is_404(client):
    assert client.get("/api/athletes/nobody").status_code == 404
    assert client.get("/athletes/nobody").status_code == 404


def test_diary_plan_and_rename_change_what_the_pages_show(client):
    h = write_headers(client)
    reply = client.post("/api/plan/start", data={"athlete": ATHLETE}, headers=h)
    assert reply.status_code == 200, reply.text
    ex = {"athlete": ATHLETE, "exercise": "clamshell", "feel": "easy"}
    assert client.post("/api/diary/exercise", data=ex, headers=h).status_code == 200
    pain = {"athlete": ATHLETE, "body_part": "knee", "pain": "2", "side": "left"}
    assert client.post("/api/diary/pain", data=pain, headers=h).status_code == 200
    so_far = client.get(f"/api/athletes/{ATHLETE}").json()["plan_so_far"]
    assert so_far["available"] and so_far["version"] == 1
    assert [p["text"] for p in so_far["open_pain"]]
    page = client.get(f"/diary/{ATHLETE}").text
    assert "clamshell" in page and "knee" in page
    bad = client.post("/api/diary/pain", data={**pain, "pain": "11"}, headers=h)
    assert bad.status_code == 400 and "pain 11" in bad.json()["error"]
    r = client.post("/api/rename", data={"athlete": ATHLETE, "new": "Ann B"}, headers=h)
    assert r.status_code == 200 and r.json()["next"] == "/athletes/Ann%20B"
    assert [a["athlete"] for a in client.get("/api/athletes").json()["athletes"]] == ["Ann B"]
    assert client.get("/athletes/Ann%20B").status_code == 200


def test_delete_needs_the_name_typed_again(client):
    h = write_headers(client)
    r = client.post("/api/delete", data={"athlete": ATHLETE, "confirm": "no"}, headers=h)
    assert r.status_code == 400 and "nothing was deleted" in r.json()["error"]
    r = client.post("/api/delete", data={"athlete": ATHLETE, "confirm": ATHLETE}, headers=h)
    assert r.status_code == 200
    assert client.get("/api/athletes").json()["athletes"] == []


def test_units_switch_on_the_athlete_page(client):
    metric = client.get(f"/athletes/{ATHLETE}").text
    imperial = client.get(f"/athletes/{ATHLETE}?units=imperial").text
    assert "/km" in metric and "/mi" in imperial
