"""Exports a dancer takes away: the cue sheet (page data and PDF) and the choreography as JSON."""

import json
import re
import subprocess

import jsonschema
import numpy as np
import pytest
import requests

from tests.api_client import wait_job
from tests.paths import ARTIFACTS, ROOT


def call(method, api, path, token, **kw):
    return requests.request(method, f"{api}{path}", headers={"X-Choreo-Token": token}, timeout=60, **kw)


def api_doc_schema() -> dict:
    doc = (ROOT / "docs" / "API.md").read_text()
    found = re.search(r"<!-- choreography.json schema -->\s*```json\n(.*?)\n```", doc, re.S)
    assert found, "docs/API.md has no choreography.json schema"
    return json.loads(found.group(1))


@pytest.fixture(scope="module")
def filled(api, library, ready_song):
    r = requests.post(
        f"{api}/api/choreographies", json={"song_id": ready_song, "start": 5, "end": 30}, timeout=10
    )
    c = r.json()
    r = call("POST", api, f"/api/choreographies/{c['id']}/auto", c["token"], json={"keep_picks": True})
    assert r.status_code == 200, r.text
    return {**c, **r.json(), "token": c["token"]}


def export(api, cid, token, kind) -> bytes:
    r = call("POST", api, f"/api/choreographies/{cid}/exports/{kind}", token)
    assert r.status_code == 202, r.text
    job = wait_job(api, r.json()["job"]["id"])
    assert job["status"] == "done", job
    r = call("GET", api, f"/api/choreographies/{cid}/exports/{kind}", token)
    assert r.status_code == 200, r.text
    got = requests.get(r.json()["download_url"], timeout=30)
    assert got.status_code == 200
    assert "attachment" in got.headers.get("Content-Disposition", "")
    return got.content


def test_the_cue_sheet_lists_every_part_with_counts_time_move_picture_and_tags(api, filled):
    r = call("GET", api, f"/api/choreographies/{filled['id']}/cues", filled["token"])
    assert r.status_code == 200, r.text
    sheet = r.json()
    parts = sheet["parts"]
    assert [p["part"] for p in parts] == list(range(1, len(filled["segments"]) + 1))
    assert parts[0]["counts"] == "1-8" and parts[1]["counts"] == "9-16"
    for p, seg in zip(parts, filled["segments"]):
        assert p["start"] == pytest.approx(seg["start"]) and p["end"] == pytest.approx(seg["end"])
        assert re.fullmatch(r"\d+:\d\d\.\d-\d+:\d\d\.\d", p["time"])
        assert p["move"]["id"] == seg["move_id"] and p["move"]["title"] and p["move"]["style"]
        assert requests.get(p["move"]["thumbnail_url"], timeout=10).content[:2] == b"\xff\xd8"  # a JPEG
        assert ("mirror" in p["tags"]) == p["move"]["mirrored"]
        assert ("half-time" in p["tags"]) == (p["move"]["counting"] == 2)


def test_the_cue_sheet_pdf_opens_and_lists_every_part(api, filled, tmp_path):
    pdf = export(api, filled["id"], filled["token"], "cues.pdf")
    assert pdf[:5] == b"%PDF-"
    path = tmp_path / "cues.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        ["pdftoppm", "-png", "-r", "50", str(path), str(tmp_path / "page")], capture_output=True
    )
    assert done.returncode == 0, done.stderr
    assert sorted(tmp_path.glob("page*.png")), "pdftoppm rendered no page"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "cue-sheet.pdf").write_bytes(pdf)  # for a person to look at
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout
    sheet = call("GET", api, f"/api/choreographies/{filled['id']}/cues", filled["token"]).json()
    for p in sheet["parts"]:
        assert p["counts"] in text and p["time"] in text, p
        assert p["move"]["style"] in text
        for tag in p["tags"]:
            assert tag in text
    # the pictures are in it: one image drawn per part
    images = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True).stdout
    assert len([line for line in images.splitlines()[2:] if line.strip()]) >= len(sheet["parts"])


def test_the_json_export_validates_against_the_schema_in_the_api_doc(api, filled):
    doc = json.loads(export(api, filled["id"], filled["token"], "choreography.json"))
    jsonschema.validate(doc, api_doc_schema())
    assert [p["move"]["id"] for p in doc["parts"]] == [s["move_id"] for s in filled["segments"]]
    for p, seg in zip(doc["parts"], filled["segments"]):
        times = [q["time"] for q in p["poses"]]
        assert times[0] == pytest.approx(seg["start"], abs=1e-3)
        assert times[-1] == pytest.approx(seg["end"], abs=1e-3)
        assert all(b > a for a, b in zip(times, times[1:]))
        # every 8th sample sits on one of the song's beats
        assert np.allclose(times[::8], seg["beats"], atol=1e-3)
        kp = np.array([q["keypoints"] for q in p["poses"]])
        assert np.isfinite(kp).all() and kp.std() > 0.05  # a moving body, not zeros
        hips = 0.5 * (kp[:, 11] + kp[:, 12])
        assert np.abs(hips).max() < 1e-3  # hip-centred


def test_a_read_only_link_may_export_and_an_unfinished_choreography_may_not(api, filled, ready_song):
    share = call("POST", api, f"/api/choreographies/{filled['id']}/share", filled["token"]).json()[
        "share_token"
    ]
    r = call("POST", api, f"/api/choreographies/{filled['id']}/exports/cues.pdf", share)
    assert r.status_code == 202
    assert call("GET", api, f"/api/choreographies/{filled['id']}/cues", share).status_code == 200
    r = call("POST", api, f"/api/choreographies/{filled['id']}/exports/video.avi", filled["token"])
    assert r.status_code == 400 and "cues.pdf" in r.json()["error"]

    empty = requests.post(
        f"{api}/api/choreographies", json={"song_id": ready_song, "start": 5, "end": 20}, timeout=10
    ).json()
    r = call("POST", api, f"/api/choreographies/{empty['id']}/exports/choreography.json", empty["token"])
    assert r.status_code == 409 and "part 1" in r.json()["error"]
    r = call("GET", api, f"/api/choreographies/{empty['id']}/exports/cues.pdf", empty["token"])
    assert r.status_code == 409
