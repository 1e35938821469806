"""Ingest through the real API and the CLI: moves of 8 beats on downbeats, poses present,
clear errors that leave nothing behind."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import requests

from choleor.storage import objects, records
from tests.api_client import wait_job
from tests.media import dance_video, nobody_dancing, without_audio
from tests.paths import ROOT

KEY = {"X-Admin-Key": "test-admin-key"}


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


def add_source(api, path, style="salsa", headers=KEY):
    data = path.read_bytes()
    r = requests.post(
        f"{api}/api/sources",
        json={"filename": path.name, "size": len(data), "style": style},
        headers=headers,
        timeout=10,
    )
    if r.status_code != 201:
        return r
    out = r.json()
    assert (
        requests.put(
            out["upload"]["url"], data=data, headers=out["upload"]["headers"], timeout=30
        ).status_code
        == 200
    )
    return requests.post(f"{api}/api/sources/{out['source']['id']}/ingest", headers=headers, timeout=30)


def test_a_dance_video_becomes_moves_on_the_beat(api, media):
    video = dance_video(media, "salsa", 12)
    truth = np.load(str(video).replace(".mp4", ".truth.npz"))
    r = add_source(api, video)
    assert r.status_code == 202, r.text
    job = wait_job(api, r.json()["job"]["id"], timeout=240)
    assert job["status"] == "done", job
    source_id = job["result"]["source_id"]
    src = requests.get(f"{api}/api/sources/{source_id}", timeout=10).json()
    assert src["status"] == "ready" and src["n_moves"] >= 4
    moves = requests.get(f"{api}/api/moves", params={"source": source_id}, timeout=10).json()["moves"]
    assert len(moves) == src["n_moves"]
    assert sum(m["mirrored"] for m in moves) * 2 == len(moves)
    originals = [m for m in moves if not m["mirrored"] and m["counting"] == 1]
    halves = [m for m in moves if not m["mirrored"] and m["counting"] == 2]
    beats = truth["beat_times"]
    for m in originals:
        assert len(m["beats"]) == 9
        # Each tracked beat is on the soundtrack's true beat grid (70 ms).
        assert np.all(np.min(np.abs(np.array(m["beats"])[:, None] - beats[None, :]), axis=1) < 0.07)
        assert m["thumbnail_url"] and requests.get(m["thumbnail_url"], timeout=10).content[:2] == b"\xff\xd8"
        assert 140 < m["tempo"] < 180 and m["energy"] > 0
    # A move starts on every bar (8-beat windows one bar apart; downbeat accuracy is measured in
    # tests/bench/bench_beats.py, and this soundtrack's annotated bar phase is approximate).
    starts = sorted(m["start"] for m in originals)
    bar = 4 * np.median(np.diff(beats))
    assert all(abs((b - a) - bar) < 0.1 for a, b in zip(starts, starts[1:]))
    assert all(abs((m["end"] - m["start"]) - 2 * bar) < 0.15 for m in originals)
    # The same dance counted in half time: 16 beats as 8, every other true beat, half the tempo.
    assert halves and len(halves) <= len(originals)
    for m in halves:
        step = np.diff(m["beats"])
        assert len(m["beats"]) == 9 and np.all(np.abs(step - 2 * np.median(np.diff(beats))) < 0.1)
        assert np.all(np.min(np.abs(np.array(m["beats"])[:, None] - beats[None, :]), axis=1) < 0.07)
        assert 70 < m["tempo"] < 90 and abs((m["end"] - m["start"]) - 4 * bar) < 0.2
    one = requests.get(f"{api}/api/moves/{originals[0]['id']}", timeout=10).json()
    assert one["video_url"] and one["source_id"] == source_id
    poses = objects.get_bytes(f"sources/{source_id}/poses.npz")
    assert len(poses) > 1000
    assert requests.get(f"{api}/api/library", timeout=10).json()["moves"] >= len(moves)


def test_adding_videos_needs_the_admin_key(api, media):
    r = requests.post(f"{api}/api/sources", json={"filename": "x.mp4"}, timeout=10)
    assert r.status_code == 403 and "admin key" in r.json()["error"]
    r = requests.post(
        f"{api}/api/sources", json={"filename": "x.mp4"}, headers={"X-Admin-Key": "wrong"}, timeout=10
    )
    assert r.status_code == 403


def _rejected(api, path, needle):
    before = {s["id"] for s in requests.get(f"{api}/api/sources", timeout=10).json()["sources"]}
    r = add_source(api, path)
    assert r.status_code == 202, r.text
    job = wait_job(api, r.json()["job"]["id"], timeout=240)
    assert job["status"] == "failed" and job["error_status"] == 400
    assert needle in job["error"], job["error"]
    source_id = job["id"].removeprefix("ingest-")
    after = {s["id"] for s in requests.get(f"{api}/api/sources", timeout=10).json()["sources"]}
    assert after == before
    assert records.query("moves", "source_id", source_id, index="by_source") == []
    assert objects.list_keys(f"sources/{source_id}/") == []
    assert objects.list_keys(f"uploads/sources/{source_id}/") == []


def test_a_video_with_no_person_is_rejected(api, media):
    _rejected(api, nobody_dancing(media / "empty_room.mp4"), "no person")


def test_a_video_with_no_sound_is_rejected(api, media):
    _rejected(api, without_audio(dance_video(media, "salsa", 12), media / "silent.mp4"), "no sound")


def test_a_file_with_no_video_stream_is_rejected(api, media):
    from tests.paths import DATA

    _rejected(api, DATA / "beats" / "spi_loop_mika_x4.flac", "no video")


def test_a_video_too_short_for_a_move_is_rejected(api, media):
    _rejected(api, dance_video(media, "salsa", 2.5), "too short")


def test_cli_ingest_prints_moves(media, local_stack):
    video = dance_video(media, "indian", 12)
    out = subprocess.run(
        [sys.executable, "-m", "choleor.cli", "ingest", str(video), "--style", "indian", "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={**os.environ},
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert set(doc) == {"source_id", "fps", "frames", "moves"} and doc["fps"] == 30
    assert abs(doc["frames"] - 360) <= 1
    assert doc["moves"] and all(
        len(m["beats"]) == 9 and set(m) == {"move_id", "start", "end", "beats", "mirrored", "counting"}
        for m in doc["moves"]
    )
    assert {m["counting"] for m in doc["moves"]} == {1, 2}
    bad = subprocess.run(
        [sys.executable, "-m", "choleor.cli", "ingest", str(media / "nope.mp4")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env={**os.environ},
    )
    assert bad.returncode != 0 and "no such file" in bad.stderr and "Traceback" not in bad.stderr
