"""Read-only links: their own token, showing the dance and never changing it; the owner turns them off."""

import pytest
import requests


def call(method, api, path, token, **kw):
    return requests.request(method, f"{api}{path}", headers={"X-Choreo-Token": token}, timeout=60, **kw)


@pytest.fixture(scope="module")
def filled(api, library, ready_song):
    r = requests.post(
        f"{api}/api/choreographies", json={"song_id": ready_song, "start": 5, "end": 25}, timeout=10
    )
    assert r.status_code == 201, r.text
    c = r.json()
    r = call("POST", api, f"/api/choreographies/{c['id']}/auto", c["token"], json={"keep_picks": True})
    assert r.status_code == 200, r.text
    return c


def changes(cid, move_id):
    """Every route that changes a choreography (or belongs to editing it)."""
    return [
        ("PUT", f"/api/choreographies/{cid}/segments/0", {"move_id": move_id}),
        ("DELETE", f"/api/choreographies/{cid}/segments/1", None),
        ("POST", f"/api/choreographies/{cid}/auto", {"keep_picks": False}),
        ("POST", f"/api/choreographies/{cid}/render", {}),
        ("GET", f"/api/choreographies/{cid}/segments/0/candidates", None),
        ("POST", f"/api/choreographies/{cid}/share", {}),
        ("DELETE", f"/api/choreographies/{cid}/share", None),
    ]


def test_a_read_only_link_shows_the_dance_refuses_every_change_and_dies_when_revoked(api, filled):
    cid, edit = filled["id"], filled["token"]
    r = call("POST", api, f"/api/choreographies/{cid}/share", edit)
    assert r.status_code == 201, r.text
    share = r.json()["share_token"]
    assert share != edit

    owner = call("GET", api, f"/api/choreographies/{cid}", edit).json()
    assert owner["access"] == "edit" and owner["shared"] is True
    seen = call("GET", api, f"/api/choreographies/{cid}", share)
    assert seen.status_code == 200, seen.text
    viewer = seen.json()
    assert viewer["access"] == "read" and "shared" not in viewer
    assert [s["move_id"] for s in viewer["segments"]] == [s["move_id"] for s in owner["segments"]]
    assert viewer["complete"]
    # the video route answers the viewer as it answers the owner (not rendered yet: 409, not 403)
    assert call("GET", api, f"/api/choreographies/{cid}/video", share).status_code == 409

    other_move = owner["segments"][1]["move_id"]
    for method, path, body in changes(cid, other_move):
        r = call(method, api, path, share, json=body)
        assert r.status_code == 403, (method, path, r.status_code, r.text)
        assert "read-only" in r.json()["error"]
    after = call("GET", api, f"/api/choreographies/{cid}", edit).json()
    assert [s["move_id"] for s in after["segments"]] == [s["move_id"] for s in owner["segments"]]

    # a new link replaces the old one
    newer = call("POST", api, f"/api/choreographies/{cid}/share", edit).json()["share_token"]
    assert call("GET", api, f"/api/choreographies/{cid}", share).status_code == 404
    assert call("GET", api, f"/api/choreographies/{cid}", newer).status_code == 200

    r = call("DELETE", api, f"/api/choreographies/{cid}/share", edit)
    assert r.status_code == 200 and r.json() == {"shared": False}
    for path in (f"/api/choreographies/{cid}", f"/api/choreographies/{cid}/video"):
        r = call("GET", api, path, newer)
        assert r.status_code == 404, (path, r.text)
        assert "turned off" in r.json()["error"]
    assert call("GET", api, f"/api/choreographies/{cid}", edit).json()["shared"] is False
    # the owner's own link keeps working, and a wrong edit token is still a 403
    assert call("GET", api, f"/api/choreographies/{cid}", "not-the-token").status_code == 403
