"""The whole flow under the real AWS SAM CLI: every API call through `sam local start-api`, every
job in a Lambda container started by `sam local start-lambda`, against DynamoDB Local and s3rver.

A dance library is added through the API (ingest runs in IngestDanceFunction), then a song goes
in (AnalyzeSongFunction), an interval, a pick, auto-fill, the video (RenderFunction: the pieces
as parallel invocations, then the join), and the downloaded file is checked.
"""

from __future__ import annotations

import json
import subprocess

import pytest
import requests

from tests.api_client import wait_job
from tests.integration import sam_app
from tests.paths import DATA

pytestmark = pytest.mark.sam


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    sam_app.skip_unless_set_up()
    sam = sam_app.start(tmp_path_factory.mktemp("sam") / "data")
    yield sam
    sam.stop()


def upload(app: sam_app.SamApp, route: str, path, headers: dict | None = None, **fields) -> dict:
    data = path.read_bytes()
    out = requests.post(
        f"{app.url}{route}",
        json={"filename": path.name, "size": len(data), **fields},
        headers=headers or {},
        timeout=60,
    )
    assert out.status_code == 201, out.text
    out = out.json()
    put = requests.put(out["upload"]["url"], data=data, headers=out["upload"]["headers"], timeout=60)
    assert put.status_code == 200, put.text
    return out


@pytest.fixture(scope="module")
def library(app, tmp_path_factory):
    from tests.media import dance_video

    media = tmp_path_factory.mktemp("sam-media")
    admin = {"X-Admin-Key": sam_app.ADMIN_KEY}
    jobs = []
    for take in ("salsa", "modern"):
        src = upload(app, "/api/sources", dance_video(media, take, 14), admin, style=take)["source"]
        r = requests.post(f"{app.url}/api/sources/{src['id']}/ingest", headers=admin, timeout=60)
        assert r.status_code == 202, r.text
        jobs.append(r.json()["job"]["id"])
    for job_id in jobs:
        assert wait_job(app.url, job_id, timeout=600)["status"] == "done"
    moves = requests.get(f"{app.url}/api/moves", timeout=60).json()["moves"]
    assert len(moves) >= 8
    return moves


@pytest.fixture(scope="module")
def song(app):
    out = upload(app, "/api/songs", DATA / "beats" / "omsx_modern_motion.flac")
    song_id = out["song"]["id"]
    r = requests.post(f"{app.url}/api/songs/{song_id}/analyze", timeout=60)
    assert r.status_code == 202, r.text
    job = wait_job(app.url, r.json()["job"]["id"], timeout=600)
    assert job["status"] == "done", job
    return requests.get(f"{app.url}/api/songs/{song_id}", timeout=60).json()


def test_the_front_end_and_the_api_share_the_gateway(app):
    page = requests.get(app.url + "/", timeout=60)
    assert page.status_code == 200 and "<script" in page.text
    assert (
        requests.get(app.url + "/js/app.js", timeout=60).headers["Content-Type"].startswith("text/javascript")
    )
    missing = requests.get(app.url + "/api/no-such-route", timeout=60)
    assert missing.status_code == 404 and "error" in missing.json()
    # The probes get 1.5 s; a container's first boto3 clients on a busy machine may need more.
    for _ in range(5):
        health = requests.get(app.url + "/api/health", timeout=60).json()
        if health["ok"]:
            break
    assert health["ok"] and health["workers"]["kind"] == "lambda", health


def test_a_song_becomes_a_video_through_lambda_containers(app, library, song, tmp_path):
    assert song["status"] == "ready" and song["analysis"]["segments"]
    start, end = 4.0, 22.0
    segs = requests.get(
        f"{app.url}/api/songs/{song['id']}/segments", params={"start": start, "end": end}, timeout=60
    ).json()["segments"]
    r = requests.post(
        f"{app.url}/api/choreographies", json={"song_id": song["id"], "start": start, "end": end}, timeout=60
    )
    assert r.status_code == 201, r.text
    choreo = r.json()
    assert [s["start"] for s in choreo["segments"]] == [s["start"] for s in segs]
    cid, h = choreo["id"], {"X-Choreo-Token": choreo["token"]}

    cands = requests.get(f"{app.url}/api/choreographies/{cid}/segments/0/candidates", headers=h, timeout=60)
    assert cands.status_code == 200, cands.text
    first = cands.json()["candidates"][0]["move_id"]
    picked = requests.put(
        f"{app.url}/api/choreographies/{cid}/segments/0", json={"move_id": first}, headers=h, timeout=60
    )
    assert picked.status_code == 200, picked.text
    filled = requests.post(f"{app.url}/api/choreographies/{cid}/auto", json={}, headers=h, timeout=60).json()
    assert filled["complete"] and filled["segments"][0]["move_id"] == first

    r = requests.post(f"{app.url}/api/choreographies/{cid}/render", headers=h, timeout=60)
    assert r.status_code == 202, r.text
    job = wait_job(app.url, r.json()["job"]["id"], timeout=900)
    assert job["status"] == "done", job
    video = requests.get(f"{app.url}/api/choreographies/{cid}/video", headers=h, timeout=60).json()
    path = tmp_path / "video.mp4"
    path.write_bytes(requests.get(video["download_url"], timeout=120).content)
    info = json.loads(
        subprocess.run(
            ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    streams = {s["codec_type"]: s for s in info["streams"]}
    assert streams["video"]["codec_name"] == "h264" and streams["audio"]["codec_name"] == "aac"
    assert abs(float(streams["video"]["duration"]) - (filled["end"] - filled["start"])) <= 1 / 30 + 1e-3

    # Every job ran in a container that start-lambda started for its function.
    assert app.invocations("ingestdancefunction") >= 2
    assert app.invocations("analyzesongfunction") >= 1
    assert app.invocations("renderfunction") >= len(filled["segments"])


MALFORMED = [{}, ["not", "an", "event"], {"job_id": 42, "Records": "x"}]


def test_every_function_answers_a_malformed_event_with_a_clear_error(app):
    """Each function in its container, invoked through start-lambda with events it cannot use,
    answers with a message (no traceback, no function error that Lambda would retry)."""
    from choleor.stack import sam, template

    lambda_url = json.loads((app.logs / "sam-env.json").read_text())["Parameters"]["AWS_ENDPOINT_URL_LAMBDA"]
    functions = template.resources_of_type(template.load(), "AWS::Serverless::Function")
    for name in functions:
        if name == "JobSweepFunction":  # a schedule's event carries nothing: it reads none
            payload, errored = sam.invoke(lambda_url, name, MALFORMED[1])
            assert not errored and "redispatched" in payload, payload
            continue
        if name == "WebFunction":
            events = [{"rawPath": "/../../etc/passwd"}, {"rawPath": "/api/nothing"}]
        else:
            events = MALFORMED + ([{"job_id": "no-such-job"}] if name == "JobFunction" else [])
        for event in events:
            payload, errored = sam.invoke(lambda_url, name, event)
            assert not errored, (name, event, payload)
            text = json.dumps(payload)
            assert "Traceback" not in text and "errorType" not in text, (name, event, text)
            if name.startswith("Api") or name == "WebFunction":
                assert payload["statusCode"] in (400, 404), (name, event, payload)
            else:
                assert payload.get("error") or payload == {"started": []}, (name, event, payload)
