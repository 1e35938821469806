"""The final video through the real API: pieces render as picks arrive, the video joins them."""

import json
import re
import subprocess
import time

import numpy as np
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


def watch_job(api: str, job_id: str, timeout: float = 600.0) -> tuple[dict, list[tuple[float, float, str]]]:
    """Poll a job every 0.2 s until it ends: (the job, every (time, progress, message) seen)."""
    seen = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        job = requests.get(f"{api}/api/jobs/{job_id}", timeout=10).json()
        if not seen or (job["progress"], job["message"]) != seen[-1][1:]:
            seen.append((time.time(), job["progress"], job["message"]))
        if job["status"] in ("done", "failed"):
            return job, seen
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not end in {timeout} s: {seen[-3:]}")


def test_render_progress_moves_per_frame_range_with_the_time_left(api, library, ready_song):
    """Asked for at once after the picks (their pieces are still queued), the final render
    draws them itself: its progress rises often, names the part and frames, and gives a time
    left. (How often it reports is printed, not asserted: it depends on the machine's load.)"""
    r = requests.post(
        f"{api}/api/choreographies", json={"song_id": ready_song, "start": 2, "end": 30}, timeout=10
    ).json()
    cid, h = r["id"], {"X-Choreo-Token": r["token"]}
    done = requests.post(f"{api}/api/choreographies/{cid}/auto", json={}, headers=h, timeout=60).json()
    n = len(done["segments"])
    start = requests.post(f"{api}/api/choreographies/{cid}/render", headers=h, timeout=10)
    job, seen = watch_job(api, start.json()["job"]["id"])
    assert job["status"] == "done", job
    progress = [p for _, p, _ in seen]
    rises = sum(b > a for a, b in zip(progress, progress[1:]))
    assert rises >= 5, seen
    assert progress == sorted(progress)
    drawing = [(t, m) for t, _, m in seen if m.startswith("drawing part")]
    assert drawing and job["result"]["pieces_drawn"], seen
    assert any(re.search(r"part \d+ of \d+: frames? \d+", m) for _, m in drawing), drawing
    assert all(re.search(r"(left|estimating)", m) for _, m in drawing), drawing
    gaps = np.diff([t for t, _ in drawing])
    print("\n".join(f"{t - seen[0][0]:6.2f} {p:.3f} {m}" for t, p, m in seen))
    print(f"drawing updates: {len(drawing)}, gaps median {np.median(gaps):.2f} s, max {gaps.max():.2f} s")
    assert any(m == f"joining {n} ready parts" for _, _, m in seen), seen
    print(f"{rises} rises over {seen[-1][0] - seen[0][0]:.1f} s, drawn {job['result']['pieces_drawn']}")

    # made again from the stored pieces, it says so
    again = requests.post(f"{api}/api/choreographies/{cid}/render", headers=h, timeout=10).json()["job"]
    job, seen = watch_job(api, again["id"])
    assert job["status"] == "done" and job["result"]["pieces_drawn"] == []
    assert f"joining {n} ready parts" in [m for _, _, m in seen] or job["message"] == "done"
    assert not any(m.startswith("drawing") for _, _, m in seen)


def test_the_cut_style_is_a_setting_of_the_dance(api, library, ready_song):
    r = requests.post(
        f"{api}/api/choreographies", json={"song_id": ready_song, "start": 6, "end": 20}, timeout=10
    ).json()
    cid, h = r["id"], {"X-Choreo-Token": r["token"]}
    assert r["cut"] == "hard"
    requests.post(f"{api}/api/choreographies/{cid}/auto", json={}, headers=h, timeout=60).raise_for_status()
    job = wait_job(
        api, requests.post(f"{api}/api/choreographies/{cid}/render", headers=h).json()["job"]["id"]
    )
    assert job["status"] == "done"
    hard_key = job["result"]["video_key"]
    bad = requests.put(f"{api}/api/choreographies/{cid}/cut", json={"cut": "wipe"}, headers=h, timeout=10)
    assert bad.status_code == 400 and "hard or soft" in bad.json()["error"]
    soft = requests.put(f"{api}/api/choreographies/{cid}/cut", json={"cut": "soft"}, headers=h, timeout=10)
    assert soft.status_code == 200 and soft.json()["cut"] == "soft" and not soft.json()["video_ready"]
    job = wait_job(
        api, requests.post(f"{api}/api/choreographies/{cid}/render", headers=h).json()["job"]["id"]
    )
    assert job["status"] == "done" and job["result"]["video_key"] != hard_key
    # back to hard cuts: the hard video's pieces are all there
    back = requests.put(f"{api}/api/choreographies/{cid}/cut", json={"cut": "hard"}, headers=h, timeout=10)
    assert back.json()["cut"] == "hard"
    job = wait_job(
        api, requests.post(f"{api}/api/choreographies/{cid}/render", headers=h).json()["job"]["id"]
    )
    assert job["status"] == "done" and job["result"]["pieces_drawn"] == []
    assert requests.get(f"{api}/api/choreographies/{cid}", headers=h, timeout=10).json()["video_ready"]
