"""The whole flow under the real AWS SAM CLI: every API call through `sam local start-api`, every
job in a Lambda container started by `sam local start-lambda`, against DynamoDB Local and s3rver.

A dance library is added through the API (ingest runs in IngestDanceFunction), then a song goes
in (AnalyzeSongFunction), an interval, a pick, auto-fill, the video (RenderFunction: the pieces
as parallel invocations, then the join), and the downloaded file is checked: once through the
API as a client calls it, once in headless Chromium as a person uses the front end.
"""

from __future__ import annotations

import json
import re
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


@pytest.fixture(scope="module")
def library(app, tmp_path_factory):
    moves = sam_app.ingest_library(app, tmp_path_factory.mktemp("sam-media"))
    assert len(moves) >= 8
    return moves


@pytest.fixture(scope="module")
def song(app):
    return sam_app.add_song(app, DATA / "beats" / "omsx_modern_motion.flac")


def assert_video_of(path, choreography: dict) -> None:
    """The downloaded video is H.264 with AAC and lasts the choreography's span, within a frame."""
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
    span = choreography["end"] - choreography["start"]
    assert abs(float(streams["video"]["duration"]) - span) <= 1 / 30 + 1e-3


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
    assert_video_of(path, filled)

    # Every job ran in a container that start-lambda started for its function.
    assert app.invocations("ingestdancefunction") >= 2
    assert app.invocations("analyzesongfunction") >= 1
    assert app.invocations("renderfunction") >= len(filled["segments"])


def test_the_four_steps_in_a_browser_through_the_gateway(app, library, browser, tmp_path):
    """`make sam` as a person uses it: headless Chromium on start-api's port, a song in, an
    interval, a pick, auto-fill, the video downloaded. Every API call the page makes is one that
    start-api served, and the jobs run in containers start-lambda started."""
    from tests.browser import Watch
    from tests.e2e.test_frontend import choreo_from_hash, wait_cards

    before = {f: app.invocations(f) for f in ("analyzesongfunction", "renderfunction")}
    context = browser.new_context(
        viewport={"width": 1100, "height": 900}, base_url=app.url, accept_downloads=True, bypass_csp=True
    )
    try:
        context.set_default_timeout(60_000)
        page = context.new_page()
        watch = Watch(page)
        api_calls = set()
        page.on(
            "request",
            lambda r: (
                r.url.startswith(app.url + "/api/")
                and api_calls.add((r.method, r.url[len(app.url) :].split("?")[0]))
            ),
        )

        # 1. the song: presigned upload to s3rver, analysis in AnalyzeSongFunction
        page.goto("/")
        # The first page starts WebFunction's and ApiFunction's containers (warm after that);
        # on a busy 2-core machine that has taken over a minute.
        page.get_by_role("heading", name="Pick a song").wait_for(timeout=180_000)
        page.locator("#song-file").set_input_files(str(DATA / "beats" / "h2_tr808kit_demo_x2.flac"))
        page.wait_for_url(re.compile(r"#/song/[^/]+$"), timeout=600_000)
        song_id = page.url.rsplit("/", 1)[1]

        # 2. the interval: the first two segments dragged with the mouse, one more by keyboard
        page.wait_for_selector("canvas")
        song = requests.get(f"{app.url}/api/songs/{song_id}", timeout=60).json()
        segments, duration = song["analysis"]["segments"], song["analysis"]["duration"]
        box = page.locator("canvas").bounding_box()
        x_of = lambda t: box["x"] + box["width"] * t / duration  # noqa: E731
        mid_y = box["y"] + box["height"] / 2
        page.mouse.move(x_of((segments[0]["start"] + segments[0]["end"]) / 2), mid_y)
        page.mouse.down()
        page.mouse.move(x_of((segments[1]["start"] + segments[1]["end"]) / 2), mid_y, steps=5)
        page.mouse.up()
        page.get_by_role("slider", name="End of the part to dance").focus()
        page.keyboard.press("ArrowRight")
        assert page.locator(".facts dd").first.inner_text() == "3"
        page.get_by_role("button", name=re.compile("Next: choose moves")).click()
        page.wait_for_url(re.compile(r"#/dance/[^/]+/[^/]+/moves/0$"))
        cid, token = choreo_from_hash(page)

        # 3. the moves: pick the best match of part 1, let Choleor fill the rest
        cards = wait_cards(page, 1)
        first = cards.first.get_attribute("data-move-id")
        cards.first.get_by_role("button", name=re.compile("^Pick")).click()
        wait_cards(page, 2)
        page.get_by_role("button", name=re.compile("Fill the rest for me")).click()
        page.locator("#moves-message").filter(has_text="Choleor picked").wait_for()
        choreo = requests.get(
            f"{app.url}/api/choreographies/{cid}", headers={"X-Choreo-Token": token}, timeout=60
        ).json()
        assert choreo["complete"] and choreo["segments"][0]["move_id"] == first
        assert len(choreo["segments"]) == 3
        assert abs(choreo["start"] - segments[0]["start"]) < 0.05
        assert abs(choreo["end"] - segments[2]["end"]) < 0.05

        # 4. the video: rendered in RenderFunction containers, downloaded from s3rver
        page.get_by_role("button", name=re.compile("Make my video")).click()
        page.wait_for_url(re.compile(r"#/dance/[^/]+/[^/]+/video$"))
        download = page.locator("#download")
        download.wait_for(timeout=900_000)
        with page.expect_download(timeout=120_000) as dl:
            download.click()
        out = tmp_path / "dance.mp4"
        dl.value.save_as(out)
    finally:
        context.close()
    assert not watch.errors, "the browser console had errors:\n" + "\n".join(watch.errors)

    assert_video_of(out, choreo)

    # Every API call the page made is one start-api served; the jobs ran in Lambda containers.
    served = app.api_requests()
    assert (("POST", f"/api/choreographies/{cid}/render")) in api_calls
    assert api_calls <= served, api_calls - served
    assert app.invocations("analyzesongfunction") > before["analyzesongfunction"]
    assert app.invocations("renderfunction") >= before["renderfunction"] + len(choreo["segments"])


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


def test_the_sweeper_removes_an_upload_that_never_came(app):
    """JobSweepFunction in its light container: a song whose file never came, past its hour, is
    removed with what was stored of it; one still within its hour is kept."""
    import boto3

    from choleor.stack import sam

    params = json.loads((app.logs / "sam-env.json").read_text())["Parameters"]
    late, fresh = (
        requests.post(f"{app.url}/api/songs", json={"filename": f"{n}.mp3", "size": 1000}, timeout=60).json()
        for n in ("late", "fresh")
    )
    table = boto3.resource(
        "dynamodb",
        endpoint_url=params["AWS_ENDPOINT_URL_DYNAMODB"],
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    ).Table(params["CHOLEOR_TABLE_SONGS"])
    table.update_item(
        Key={"id": late["song"]["id"]},
        UpdateExpression="SET expires_at = :past",
        ExpressionAttributeValues={":past": 1},
    )
    payload, errored = sam.invoke(params["AWS_ENDPOINT_URL_LAMBDA"], "JobSweepFunction", {})
    assert not errored and payload["expired_uploads"] >= 1, payload
    assert requests.get(f"{app.url}/api/songs/{late['song']['id']}", timeout=60).status_code == 404
    kept = requests.get(f"{app.url}/api/songs/{fresh['song']['id']}", timeout=60)
    assert kept.status_code == 200 and kept.json()["status"] == "awaiting_upload"


def test_every_route_of_the_light_api_function_answers_in_its_container(app, library, song):
    """ApiFunction runs on the light image (Chalice and boto3, no numpy stack): each of its routes
    answers there as the API doc says. Last in the file: it deletes the song."""
    from choleor.stack import template

    events = template.load()["Resources"]["ApiFunction"]["Properties"]["Events"].values()
    routes = {(e["Properties"]["Method"], e["Properties"]["Path"]) for e in events}
    base = template.load()["Resources"]["ApiFunction"]["Metadata"]["DockerBuildArgs"]["BASE"]
    assert base == "light"
    get = lambda path, **kw: requests.get(app.url + path, timeout=60, **kw)  # noqa: E731
    checked = set()

    def check(method: str, route: str, response: requests.Response, status: int = 200) -> dict:
        assert response.status_code == status, (method, route, response.text)
        checked.add((method, route))
        return response.json()

    check("GET", "/api/health", get("/api/health"))
    songs = check("GET", "/api/songs", get("/api/songs"))["songs"]
    assert song["id"] in [s["id"] for s in songs]
    assert check("GET", "/api/songs/{song_id}", get(f"/api/songs/{song['id']}"))["status"] == "ready"
    assert check("GET", "/api/songs/{song_id}/audio", get(f"/api/songs/{song['id']}/audio"))["url"]
    sources = check("GET", "/api/sources", get("/api/sources"))["sources"]
    assert len(sources) >= 2
    assert check("GET", "/api/sources/{source_id}", get(f"/api/sources/{sources[0]['id']}"))["n_moves"] > 0
    moves = check("GET", "/api/moves", get("/api/moves"))["moves"]
    assert check("GET", "/api/moves/{move_id}", get(f"/api/moves/{moves[0]['id']}"))["video_url"]
    # The routes that start something: checked in the flow above and by the library fixture.
    checked |= {
        ("POST", "/api/songs"),
        ("POST", "/api/songs/{song_id}/analyze"),
        ("GET", "/api/jobs/{job_id}"),
    }
    checked |= {("POST", "/api/sources"), ("POST", "/api/sources/{source_id}/ingest")}

    choreo = requests.post(
        f"{app.url}/api/choreographies", json={"song_id": song["id"], "start": 4.0, "end": 22.0}, timeout=60
    ).json()
    cid, h = choreo["id"], {"X-Choreo-Token": choreo["token"]}
    assert (
        check("GET", "/api/choreographies/{choreo_id}", get(f"/api/choreographies/{cid}", headers=h))["id"]
        == cid
    )
    shared = requests.post(f"{app.url}/api/choreographies/{cid}/share", headers=h, timeout=60)
    view = {
        "X-Choreo-Token": check("POST", "/api/choreographies/{choreo_id}/share", shared, 201)["share_token"]
    }
    assert get(f"/api/choreographies/{cid}", headers=view).json()["access"] == "read"
    off = requests.delete(f"{app.url}/api/choreographies/{cid}/share", headers=h, timeout=60)
    assert check("DELETE", "/api/choreographies/{choreo_id}/share", off)["shared"] is False
    assert get(f"/api/choreographies/{cid}", headers=view).status_code == 404

    owner = {"X-Song-Token": song["owner_token"]}
    gone = requests.delete(f"{app.url}/api/songs/{song['id']}", headers=owner, timeout=60)
    assert check("DELETE", "/api/songs/{song_id}", gone)["dances"] >= 1
    assert get(f"/api/songs/{song['id']}").status_code == 404
    assert get(f"/api/choreographies/{cid}", headers=h).status_code == 404
    assert checked == routes
