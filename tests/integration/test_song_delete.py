"""Deleting one's own song: every record and object it owns goes with it, and nothing else."""

from __future__ import annotations

import json
import time

import pytest
import requests

from choleor.storage import objects, records
from tests.api_client import wait_job
from tests.paths import DATA

CLIP = DATA / "beats" / "omsx_modern_motion.flac"
TABLES = ("songs", "choreographies", "jobs", "sources", "moves")


def everything_naming(ids: set[str]) -> tuple[list[str], list[str]]:
    """Every object key and every record (in any table) that mentions one of `ids`."""
    keys = [k for k in objects.list_keys("") if any(i in k for i in ids)]
    recs = []
    for table in TABLES:
        for rec in records.scan(table):
            text = json.dumps(rec, default=str)
            if any(i in text for i in ids):
                recs.append(f"{table}:{rec['id']}")
    return keys, recs


def upload(api: str) -> dict:
    data = CLIP.read_bytes()
    out = requests.post(f"{api}/api/songs", json={"filename": "mine.flac", "size": len(data)}, timeout=10)
    assert out.status_code == 201
    body = out.json()
    requests.put(body["upload"]["url"], data=data, headers=body["upload"]["headers"], timeout=30)
    job = requests.post(f"{api}/api/songs/{body['song']['id']}/analyze", timeout=10).json()["job"]
    assert wait_job(api, job["id"])["status"] == "done"
    return body


def settle(api: str, cid: str, token: str, timeout: float = 300.0) -> None:
    """Until no job of this choreography is queued or running (its pieces are drawn)."""
    from choleor.jobs import store

    deadline = time.time() + timeout
    while time.time() < deadline:
        if all(j.status in ("done", "failed") for j in store.about({"choreo_id": {cid}})):
            return
        time.sleep(0.5)
    raise AssertionError("the choreography's jobs did not finish")


def test_deleting_my_song_leaves_no_record_or_object(api, library):
    body = upload(api)
    song_id, owner = body["song"]["id"], body["owner_token"]
    other = upload(api)  # another song and its dance stay untouched
    dances = []
    for sid in (song_id, song_id, other["song"]["id"]):
        c = requests.post(
            f"{api}/api/choreographies", json={"song_id": sid, "start": 2, "end": 14}, timeout=10
        ).json()
        h = {"X-Choreo-Token": c["token"]}
        requests.post(f"{api}/api/choreographies/{c['id']}/auto", json={}, headers=h, timeout=60)
        dances.append((c["id"], c["token"]))
    # one dance with a video, a read-only link and an export; the other only picks
    cid, token = dances[0]
    h = {"X-Choreo-Token": token}
    assert (
        wait_job(
            api, requests.post(f"{api}/api/choreographies/{cid}/render", headers=h).json()["job"]["id"], 600
        )["status"]
        == "done"
    )
    requests.post(f"{api}/api/choreographies/{cid}/share", headers=h, timeout=10).raise_for_status()
    export = requests.post(
        f"{api}/api/choreographies/{cid}/exports/choreography.json", headers=h, timeout=10
    ).json()["job"]
    assert wait_job(api, export["id"])["status"] == "done"
    for c, t in dances:
        settle(api, c, t)
    mine = {song_id, dances[0][0], dances[1][0]}
    keys, recs = everything_naming(mine)
    assert any("renders/" in k for k in keys) and any("exports/" in k for k in keys)
    assert any(r.startswith("jobs:") for r in recs) and any(r.startswith("choreographies:") for r in recs)
    theirs_before = everything_naming({other["song"]["id"], dances[2][0]})

    # not without the uploader's token; not a song that came with Choleor
    for token in (None, "not-the-token", other["owner_token"]):
        r = requests.delete(f"{api}/api/songs/{song_id}", headers={"X-Song-Token": token} if token else {})
        assert r.status_code == 403 and "uploaded" in r.json()["error"], r.text
    r = requests.delete(f"{api}/api/songs/{song_id}", headers={"X-Song-Token": owner}, timeout=60)
    assert r.status_code == 200, r.text
    assert r.json() == {"deleted": song_id, "title": "mine", "dances": 2}
    assert everything_naming(mine) == ([], [])
    assert everything_naming({other["song"]["id"], dances[2][0]}) == theirs_before
    assert requests.get(f"{api}/api/songs/{song_id}", timeout=10).status_code == 404
    gone = requests.get(f"{api}/api/choreographies/{cid}", headers=h, timeout=10)
    assert gone.status_code == 404 and "deleting a song deletes the dances" in gone.json()["error"]
    assert song_id not in [s["id"] for s in requests.get(f"{api}/api/songs", timeout=10).json()["songs"]]


def test_a_song_whose_video_is_being_made_is_not_deleted_yet(api, library):
    body = upload(api)
    c = requests.post(
        f"{api}/api/choreographies", json={"song_id": body["song"]["id"], "start": 2, "end": 22}, timeout=10
    ).json()
    h = {"X-Choreo-Token": c["token"]}
    requests.post(f"{api}/api/choreographies/{c['id']}/auto", json={}, headers=h, timeout=60)
    job = requests.post(f"{api}/api/choreographies/{c['id']}/render", headers=h).json()["job"]
    r = requests.delete(
        f"{api}/api/songs/{body['song']['id']}", headers={"X-Song-Token": body["owner_token"]}
    )
    assert r.status_code == 409 and "in a minute" in r.json()["error"]
    assert requests.get(f"{api}/api/songs/{body['song']['id']}", timeout=10).status_code == 200
    wait_job(api, job["id"], 600)
    settle(api, c["id"], c["token"])
    r = requests.delete(
        f"{api}/api/songs/{body['song']['id']}", headers={"X-Song-Token": body["owner_token"]}
    )
    assert r.status_code == 200


@pytest.mark.parametrize("seeded", [True])
def test_a_shipped_song_cannot_be_deleted(api, seeded, tmp_path):
    from choleor.usecases import songs as usecase

    song_id, _ = usecase.songs.SONGS.add_local(CLIP)  # as the CLI and seeding add songs: no owner
    r = requests.delete(f"{api}/api/songs/{song_id}", headers={"X-Song-Token": "anything"}, timeout=10)
    assert r.status_code == 403 and "came with Choleor" in r.json()["error"]
