"""The 9:16 video for phones: the same renderer and alignment, a tall frame that follows the dancer."""

import json
import subprocess

import numpy as np
import pytest
import requests

from choleor.pose.estimate import estimate_video
from tests.api_client import wait_job


def ffprobe(path) -> dict:
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-count_packets",
            "-show_streams",
            "-show_format",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def tall(api, library, ready_song, tmp_path_factory):
    """A filled choreography rendered 9:16 through the API: (choreography, job, local mp4)."""
    c = requests.post(
        f"{api}/api/choreographies", json={"song_id": ready_song, "start": 6, "end": 24}, timeout=10
    ).json()
    h = {"X-Choreo-Token": c["token"]}
    done = requests.post(f"{api}/api/choreographies/{c['id']}/auto", json={}, headers=h, timeout=60).json()
    assert done["complete"]
    r = requests.post(
        f"{api}/api/choreographies/{c['id']}/render", json={"shape": "9:16"}, headers=h, timeout=10
    )
    assert r.status_code == 202, r.text
    job = wait_job(api, r.json()["job"]["id"], timeout=900)
    assert job["status"] == "done", job
    video = requests.get(f"{api}/api/choreographies/{c['id']}/video?shape=9:16", headers=h, timeout=10)
    assert video.status_code == 200, video.text
    path = tmp_path_factory.mktemp("tall") / "tall.mp4"
    path.write_bytes(requests.get(video.json()["download_url"], timeout=60).content)
    return {**done, "token": c["token"]}, job, path


def test_the_tall_video_is_1080x1920_h264_aac_the_length_of_the_interval(tall):
    choreo, job, path = tall
    info = ffprobe(path)
    streams = {s["codec_type"]: s for s in info["streams"]}
    v, a = streams["video"], streams["audio"]
    assert (v["codec_name"], v["pix_fmt"], v["width"], v["height"]) == ("h264", "yuv420p", 1080, 1920)
    assert a["codec_name"] == "aac"
    interval = choreo["end"] - choreo["start"]
    frame = 1 / 30
    for duration in (v["duration"], a["duration"], info["format"]["duration"]):
        assert abs(float(duration) - interval) <= frame + 1e-3
    # same timing as the wide video: the cuts on the segment boundaries
    boundaries = [s["start"] - choreo["start"] for s in choreo["segments"][1:]]
    assert len(job["result"]["cuts"]) == len(boundaries)
    assert all(abs(x - y) <= frame for x, y in zip(job["result"]["cuts"], boundaries))
    assert job["result"]["shape"] == "9:16"


def test_the_dancer_is_found_framed_tall_and_inside_the_frame(tall):
    _, _, path = tall
    track = estimate_video(path)
    assert track.present.mean() >= 0.95, track.present.mean()
    kp = track.keypoints[track.present]
    left, right = kp[..., 0].min(1), kp[..., 0].max(1)
    top, bottom = kp[..., 1].min(1), kp[..., 1].max(1)
    inside = (left >= 0) & (right <= 1080) & (top >= 0) & (bottom <= 1920)
    assert inside.all(), f"{(~inside).sum()} frames with the dancer cut off by the frame's edge"
    assert np.median((bottom - top) / 1920) >= 0.4  # framed tall, not a small figure in a band


def test_the_wide_and_tall_videos_are_separate_and_the_shape_is_checked(api, tall):
    choreo, _, _ = tall
    h = {"X-Choreo-Token": choreo["token"]}
    now = requests.get(f"{api}/api/choreographies/{choreo['id']}", headers=h, timeout=10).json()
    assert now["tall_video_ready"] and not now["video_ready"] and now["render"]["shape"] == "9:16"
    r = requests.get(f"{api}/api/choreographies/{choreo['id']}/video", headers=h, timeout=10)
    assert r.status_code == 409
    r = requests.post(
        f"{api}/api/choreographies/{choreo['id']}/render", json={"shape": "4:3"}, headers=h, timeout=10
    )
    assert r.status_code == 400 and "9:16" in r.json()["error"]
