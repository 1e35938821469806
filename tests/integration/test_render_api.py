"""The final video through the real API: pieces render as picks arrive, the video joins them."""

import json
import subprocess
import time

import pytest
import requests

from choleor.storage import objects, records
from tests.api_client import wait_job


def ffprobe(url_or_path: str) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", url_or_path],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def wait_pieces(cid: str, n: int, timeout: float = 600.0) -> list[str]:
    """The piece files the picks queued, once all `n` are there."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        keys = objects.list_keys(f"renders/{cid}/pieces/")
        if len(keys) >= n:
            return keys
        time.sleep(0.5)
    raise AssertionError(f"{n} pieces of {cid} were not rendered in {timeout:.0f} s: {keys}")


@pytest.fixture(scope="module")
def picked(api, library, ready_song):
    r = requests.post(
        f"{api}/api/choreographies", json={"song_id": ready_song, "start": 4, "end": 22}, timeout=10
    ).json()
    return r


def test_render_needs_every_pick(api, picked):
    h = {"X-Choreo-Token": picked["token"]}
    r = requests.post(f"{api}/api/choreographies/{picked['id']}/render", headers=h, timeout=10)
    assert r.status_code == 409 and "segment 1" in r.json()["error"] and "no move" in r.json()["error"]
    r = requests.get(f"{api}/api/choreographies/{picked['id']}/video", headers=h, timeout=10)
    assert r.status_code == 409


def test_the_video_is_h264_aac_of_the_interval(api, picked, tmp_path):
    cid, h = picked["id"], {"X-Choreo-Token": picked["token"]}
    done = requests.post(f"{api}/api/choreographies/{cid}/auto", json={}, headers=h, timeout=60).json()
    assert done["complete"]
    r = requests.post(f"{api}/api/choreographies/{cid}/render", headers=h, timeout=10)
    assert r.status_code == 202, r.text
    job = wait_job(api, r.json()["job"]["id"], timeout=600)
    assert job["status"] == "done", job
    video = requests.get(f"{api}/api/choreographies/{cid}/video", headers=h, timeout=10).json()
    path = tmp_path / "out.mp4"
    path.write_bytes(requests.get(video["download_url"], timeout=60).content)
    info = ffprobe(str(path))
    streams = {s["codec_type"]: s for s in info["streams"]}
    assert streams["video"]["codec_name"] == "h264" and streams["video"]["pix_fmt"] == "yuv420p"
    assert streams["audio"]["codec_name"] == "aac"
    assert (streams["video"]["width"], streams["video"]["height"]) == (1280, 720)
    interval = done["end"] - done["start"]
    assert abs(float(streams["video"]["duration"]) - interval) <= 1 / 30 + 1e-3
    assert abs(float(streams["audio"].get("start_time", 0))) < 0.03
    cuts = job["result"]["cuts"]
    boundaries = [s["start"] - done["start"] for s in done["segments"][1:]]
    assert len(cuts) == len(boundaries) and all(abs(a - b) <= 1 / 30 for a, b in zip(cuts, boundaries))
    choreo = requests.get(f"{api}/api/choreographies/{cid}", headers=h, timeout=10).json()
    assert choreo["video_ready"]
    assert choreo["render"] == {
        "job_id": job["id"],
        "status": "done",
        "progress": 1.0,
        "message": "done",
        "shape": "16:9",
    }


def test_make_it_again_renders_again_from_the_finished_pieces(api, picked):
    cid, h = picked["id"], {"X-Choreo-Token": picked["token"]}
    first = requests.get(f"{api}/api/choreographies/{cid}", headers=h, timeout=10).json()["render"]
    assert first["status"] == "done"  # the video of the test above
    r = requests.post(f"{api}/api/choreographies/{cid}/render", headers=h, timeout=10)
    assert r.status_code == 202 and r.json()["job"]["id"] != first["job_id"]
    job = wait_job(api, r.json()["job"]["id"], timeout=600)
    assert job["status"] == "done" and job["result"]["pieces_drawn"] == []
    choreo = requests.get(f"{api}/api/choreographies/{cid}", headers=h, timeout=10).json()
    assert choreo["render"]["job_id"] == job["id"] and choreo["video_ready"]


def test_a_render_that_failed_is_tried_again_as_a_new_job(api, library, ready_song, tmp_path):
    from choleor.videos import _cache_dir

    r = requests.post(
        f"{api}/api/choreographies", json={"song_id": ready_song, "start": 12, "end": 26}, timeout=10
    ).json()
    cid, h = r["id"], {"X-Choreo-Token": r["token"]}
    done = requests.post(f"{api}/api/choreographies/{cid}/auto", json={}, headers=h, timeout=60).json()
    wait_pieces(cid, len(done["segments"]))  # nothing is downloading into the cache any more
    victim = records.get("moves", {"id": done["segments"][0]["move_id"]})
    key = records.get("sources", {"id": victim["source_id"]})["upload_key"]
    backup = objects.download(key, tmp_path / "backup.mp4")
    objects.delete(key)
    for f in _cache_dir().glob("*"):
        f.unlink()
    try:
        r = requests.post(f"{api}/api/choreographies/{cid}/render", headers=h, timeout=10)
        job = wait_job(api, r.json()["job"]["id"], timeout=600)
        assert job["status"] == "failed" and "missing from storage" in job["error"], job
        assert requests.get(f"{api}/api/choreographies/{cid}/video", headers=h, timeout=10).status_code == 409
        assert objects.list_keys(f"renders/{cid}/") == [] or all(
            "/pieces/" in k for k in objects.list_keys(f"renders/{cid}/")
        )
        state = requests.get(f"{api}/api/choreographies/{cid}", headers=h, timeout=10).json()["render"]
        assert state["job_id"] == job["id"] and state["status"] == "failed"
        assert "missing from storage" in state["error"]
    finally:
        objects.put_file(key, backup)
    # "Try again": the video is back, a new job renders (from the pieces already made)
    r = requests.post(f"{api}/api/choreographies/{cid}/render", headers=h, timeout=10)
    assert r.status_code == 202 and r.json()["job"]["id"] != job["id"]
    again = wait_job(api, r.json()["job"]["id"], timeout=600)
    assert again["status"] == "done" and again["result"]["pieces_drawn"] == [], again
    choreo = requests.get(f"{api}/api/choreographies/{cid}", headers=h, timeout=10).json()
    assert choreo["render"]["status"] == "done" and choreo["video_ready"]
