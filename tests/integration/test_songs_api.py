"""Songs through the real HTTP API: upload, analyse, read back, segments, and rejections."""

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
import requests

from choleor.storage import objects
from tests.api_client import wait_job
from tests.paths import DATA

CLIP = DATA / "beats" / "omsx_keep_on_rolling.flac"


def upload(api: str, path: Path, filename: str | None = None) -> dict:
    data = path.read_bytes()
    r = requests.post(
        f"{api}/api/songs", json={"filename": filename or path.name, "size": len(data)}, timeout=10
    )
    assert r.status_code == 201, r.text
    out = r.json()
    put = requests.put(out["upload"]["url"], data=data, headers=out["upload"]["headers"], timeout=30)
    assert put.status_code == 200
    return out["song"]


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def analysed(api, tmp_path_factory):
    mp3 = tmp_path_factory.mktemp("song") / "rolling.mp3"
    ffmpeg("-i", str(CLIP), "-b:a", "128k", str(mp3))
    song = upload(api, mp3)
    r = requests.post(f"{api}/api/songs/{song['id']}/analyze", timeout=30)
    assert r.status_code == 202, r.text
    job = wait_job(api, r.json()["job"]["id"])
    assert job["status"] == "done", job
    return song["id"]


def test_an_uploaded_song_is_analysed_and_listed(api, analysed):
    song = requests.get(f"{api}/api/songs/{analysed}", timeout=10).json()
    assert song["status"] == "ready"
    a = song["analysis"]
    truth = next(
        c
        for c in json.loads((DATA / "beats" / "annotations.json").read_text())["clips"]
        if c["file"] == CLIP.name
    )
    assert abs(a["tempo"] - truth["bpm"]) < 2
    assert abs(a["duration"] - truth["duration"]) < 0.1
    beats = np.array(a["beats"])
    # Every annotated beat after the first 5 s has a tracked beat within 70 ms.
    gt = np.array([b for b in truth["beats"] if b > 5])
    assert np.mean(np.min(np.abs(gt[:, None] - beats[None, :]), axis=1) < 0.07) > 0.95
    assert set(a["downbeats"]) <= set(a["beats"])
    assert 1000 <= len(a["peaks"]) <= 2000
    listed = requests.get(f"{api}/api/songs", timeout=10).json()["songs"]
    assert analysed in [s["id"] for s in listed]


def test_segments_of_an_interval_snap_to_the_grid(api, analysed):
    r = requests.get(f"{api}/api/songs/{analysed}/segments", params={"start": 10, "end": 30}, timeout=10)
    assert r.status_code == 200, r.text
    segs = r.json()["segments"]
    song = requests.get(f"{api}/api/songs/{analysed}", timeout=10).json()["analysis"]
    assert len(segs) >= 3
    for i, s in enumerate(segs):
        assert len(s["beats"]) == 9 and s["start"] == s["beats"][0] and s["end"] == s["beats"][-1]
        assert s["beats"][0] in song["downbeats"]
        if i:
            assert s["start"] == segs[i - 1]["end"]
    assert 8 <= segs[0]["start"] <= 12 and 28 <= segs[-1]["end"] <= 32


def test_an_interval_shorter_than_a_segment_is_a_400(api, analysed):
    r = requests.get(f"{api}/api/songs/{analysed}/segments", params={"start": 10, "end": 11}, timeout=10)
    assert r.status_code == 400 and "shorter than one 8-beat segment" in r.json()["error"]
    r = requests.get(f"{api}/api/songs/{analysed}/segments", params={"start": "ten"}, timeout=10)
    assert r.status_code == 400 and "number of seconds" in r.json()["error"]


def test_unknown_song_is_a_404(api):
    r = requests.get(f"{api}/api/songs/00000000000000ff", timeout=10)
    assert r.status_code == 404 and r.json()["error"] == "no song 00000000000000ff"
    r = requests.get(f"{api}/api/songs/nope", timeout=10)  # not even the shape of a song id
    assert r.status_code == 400 and "song_id must be a song id" in r.json()["error"]


def rejected(api: str, path: Path, filename: str | None = None) -> tuple[int, str, str]:
    """Upload and analyse; returns (status, message, song id) of the rejection."""
    song = upload(api, path, filename)
    r = requests.post(f"{api}/api/songs/{song['id']}/analyze", timeout=60)
    if r.status_code == 202:
        job = wait_job(api, r.json()["job"]["id"])
        assert job["status"] == "failed"
        status, message = job["error_status"], job["error"]
    else:
        status, message = r.status_code, r.json()["error"]
    # Nothing is left behind: no record, no file.
    assert requests.get(f"{api}/api/songs/{song['id']}", timeout=10).status_code == 404
    assert objects.list_keys(f"uploads/songs/{song['id']}/") == []
    assert objects.list_keys(f"songs/{song['id']}/") == []
    return status, message, song["id"]


def test_a_text_file_renamed_mp3_is_rejected(api, tmp_path):
    fake = tmp_path / "song.mp3"
    fake.write_text("these are lyrics, not music\n" * 100)
    status, message, _ = rejected(api, fake)
    assert status == 400 and "not a song or video we can read" in message


def test_a_corrupt_file_is_rejected(api, tmp_path):
    good = tmp_path / "good.mp3"
    ffmpeg("-i", str(CLIP), "-t", "10", str(good))
    bad = tmp_path / "corrupt.mp3"
    data = bytearray(good.read_bytes())
    bad.write_bytes(bytes(data[:64]) + bytes(np.random.default_rng(0).integers(0, 256, 20000, np.uint8)))
    status, message, _ = rejected(api, bad)
    assert status == 400 and message


def test_pure_silence_is_rejected(api, tmp_path):
    silent = tmp_path / "silence.wav"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=22050:cl=mono", "-t", "20", str(silent))
    status, message, _ = rejected(api, silent)
    assert status == 400 and "silent" in message


def test_a_two_hour_file_is_rejected_before_decoding(api, tmp_path):
    long = tmp_path / "two_hours.opus"
    ffmpeg("-f", "lavfi", "-i", "sine=f=220:r=8000", "-t", "7200", "-c:a", "libopus", "-b:a", "6k", str(long))
    status, message, _ = rejected(api, long)
    assert status == 413 and "120:00" in message


def test_an_empty_file_is_refused_at_once(api):
    r = requests.post(f"{api}/api/songs", json={"filename": "empty.mp3", "size": 0}, timeout=10)
    assert r.status_code == 400 and r.json()["error"] == "the file is empty"


def test_a_file_over_the_size_limit_is_refused_at_once(api):
    r = requests.post(f"{api}/api/songs", json={"filename": "big.wav", "size": 60 * 2**20}, timeout=10)
    assert r.status_code == 413 and "50 MB" in r.json()["error"]
