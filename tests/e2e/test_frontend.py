"""The front end in headless Chromium against the whole app (`choleor serve`), as a dancer uses it."""

from __future__ import annotations

import json
import os
import re
import subprocess

import requests

ADMIN_KEY = os.environ.get("CHOLEOR_E2E_KEY", "e2e-key")


def choreo_from_hash(page) -> tuple[str, str]:
    m = re.search(r"#/dance/([^/]+)/([^/]+)/", page.url)
    assert m, page.url
    return m.group(1), m.group(2)


def get_choreo(serve, cid, token) -> dict:
    r = requests.get(f"{serve}/api/choreographies/{cid}", headers={"X-Choreo-Token": token}, timeout=10)
    r.raise_for_status()
    return r.json()


def wait_cards(page, part: int):
    """The six candidates of part `part` (1-based) are on the page."""
    page.wait_for_function(f"document.querySelector('#seg-title')?.textContent.startsWith('Part {part} ')")
    page.wait_for_selector("ul.cards li.card")
    page.wait_for_function("!document.querySelector('ul.cards').hasAttribute('aria-busy')")
    return page.locator("ul.cards li.card")


def no_horizontal_scroll(page) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], f"page scrolls sideways: {width}"


def start_choreography(page, serve, song: dict, shots=None, name="") -> tuple[str, str]:
    """From step 2 of an analysed song to step 3 with the default part; returns (id, token)."""
    page.goto(f"/#/song/{song['id']}")
    page.wait_for_selector("canvas")
    if shots:
        shots(page, name)
    page.get_by_role("button", name=re.compile("Next: choose moves")).click()
    page.wait_for_url(re.compile(r"#/dance/[^/]+/[^/]+/moves/0$"))
    return choreo_from_hash(page)


# --- the whole flow ------------------------------------------------------------------------------


def test_whole_flow_from_song_upload_to_downloaded_video(make_page, serve, song_mp3, shots, tmp_path):
    page, watch = make_page()
    page.goto("/")
    page.get_by_role("heading", name="Pick a song").wait_for()
    shots(page, "01-song")

    # 1. song: upload (presigned PUT with progress) and analysis (job with progress)
    page.locator("#song-file").set_input_files(str(song_mp3))
    page.locator("progress").first.wait_for()
    shots(page, "01-song-uploading")
    page.wait_for_url(re.compile(r"#/song/[^/]+$"), timeout=180_000)
    song_id = page.url.rsplit("/", 1)[1]

    # 2. part: waveform, snapped range, keyboard, play/stop, facts
    page.wait_for_selector("canvas")
    song = requests.get(f"{serve}/api/songs/{song_id}", timeout=10).json()
    segments = song["analysis"]["segments"]
    assert len(segments) >= 3
    parts = page.locator(".facts dd").first
    default = int(parts.inner_text())
    end_handle = page.get_by_role("slider", name="End of the part to dance")
    end_handle.focus()
    page.keyboard.press("ArrowLeft")
    assert int(parts.inner_text()) == default - 1
    page.keyboard.press("ArrowRight")
    assert int(parts.inner_text()) == default
    assert end_handle.get_attribute("aria-valuenow") == str(default)
    # drag across the first two segments with the mouse: snaps to whole segments
    box = page.locator("canvas").bounding_box()
    dur = song["analysis"]["duration"]
    x_of = lambda t: box["x"] + box["width"] * t / dur  # noqa: E731
    page.mouse.move(x_of((segments[0]["start"] + segments[0]["end"]) / 2), box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(
        x_of((segments[1]["start"] + segments[1]["end"]) / 2), box["y"] + box["height"] / 2, steps=5
    )
    page.mouse.up()
    assert parts.inner_text() == "2"
    # and back to three parts with the keyboard
    end_handle.focus()
    page.keyboard.press("ArrowRight")
    assert parts.inner_text() == "3"
    play = page.get_by_role("button", name=re.compile("Play this part"))
    play.click()
    page.wait_for_function("document.querySelector('[aria-pressed=true]') !== null")
    page.wait_for_timeout(800)
    shots(page, "02-interval-playing")
    page.get_by_role("button", name=re.compile("Stop")).click()
    page.get_by_role("button", name=re.compile("Play this part")).wait_for()

    page.get_by_role("button", name=re.compile("Next: choose moves")).click()
    page.wait_for_url(re.compile(r"#/dance/[^/]+/[^/]+/moves/0$"))
    cid, token = choreo_from_hash(page)
    choreo = get_choreo(serve, cid, token)
    assert len(choreo["segments"]) == 3
    assert abs(choreo["start"] - segments[0]["start"]) < 0.05
    assert abs(choreo["end"] - segments[2]["end"]) < 0.05

    # 3. moves: six candidates, best first, preview in time with the music, pick, fill the rest
    cards = wait_cards(page, 1)
    assert cards.count() == 6
    assert "Best match" in cards.first.inner_text()
    cards.first.get_by_role("button", name=re.compile("Preview")).click()
    video = cards.first.locator("video")
    page.wait_for_function(
        "(v) => !v.hidden && v.currentTime > 0 && !v.paused", arg=video.element_handle(), timeout=15_000
    )
    shots(page, "03-moves-preview")
    state = video.evaluate("v => ({rate: v.playbackRate, muted: v.muted})")
    assert state["muted"] is True
    assert 0.25 <= state["rate"] <= 4
    # the preview stops by itself at the end of the part
    seg = choreo["segments"][0]
    page.get_by_role("button", name=re.compile("Preview")).first.wait_for(
        timeout=int((seg["end"] - seg["start"] + 6) * 1000)
    )

    first_pick = cards.first.get_attribute("data-move-id")
    cards.first.get_by_role("button", name=re.compile("^Pick")).click()
    wait_cards(page, 2)
    assert get_choreo(serve, cid, token)["segments"][0]["move_id"] == first_pick
    assert page.locator(".strip button").first.locator("img").count() == 1
    page.get_by_role("button", name=re.compile("Fill the rest for me")).click()
    page.locator("#moves-message").filter(has_text="Choleor picked").wait_for()
    choreo = get_choreo(serve, cid, token)
    assert choreo["complete"] and choreo["segments"][0]["move_id"] == first_pick
    assert page.locator(".strip button img").count() == 3
    shots(page, "03-moves-filled")

    # 4. result: render with progress, play, download, reopen link
    page.get_by_role("button", name=re.compile("Make my video")).click()
    page.wait_for_url(re.compile(r"#/dance/[^/]+/[^/]+/video$"))
    page.locator("progress, video.player").first.wait_for()
    shots(page, "04-result-rendering")
    download_link = page.locator("#download")
    download_link.wait_for(timeout=480_000)
    page.wait_for_function("document.querySelector('video.player').readyState >= 1", timeout=30_000)
    shots(page, "04-result-video")
    link = page.locator("#reopen-link").input_value()
    assert cid in link and token in link
    with page.expect_download(timeout=60_000) as dl:
        download_link.click()
    out = tmp_path / "dance.mp4"
    dl.value.save_as(out)
    probe = json.loads(
        subprocess.run(
            ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(out)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    kinds = {s["codec_type"] for s in probe["streams"]}
    assert {"video", "audio"} <= kinds
    assert float(probe["format"]["duration"]) > 3
    assert max(watch.max_in_flight.values()) == 1


def test_a_failed_render_says_why_and_try_again_makes_the_video(
    make_page, serve, serve_storage, analysed_song, shots
):
    """The song's file goes missing from storage: the render fails and says so. Once the file is
    back, "Try again" starts a new render, which makes the video."""
    created = requests.post(
        f"{serve}/api/choreographies",
        json={"song_id": analysed_song["id"], "start": 2, "end": 12},
        timeout=10,
    ).json()
    cid, token = created["id"], created["token"]
    h = {"X-Choreo-Token": token}
    taken = serve_storage.take_away(f"uploads/songs/{analysed_song['id']}/")
    assert taken, "the song's file was not found in the serve's storage"
    try:
        requests.post(
            f"{serve}/api/choreographies/{cid}/auto", json={}, headers=h, timeout=60
        ).raise_for_status()
        page, _ = make_page()
        page.goto(f"/#/dance/{cid}/{token}/video")
        page.locator("#result-message").filter(has_text="couldn't make the video").wait_for(timeout=300_000)
        assert "the song is missing from storage" in page.locator("#result-message").inner_text()
        shots(page, "06-render-failed")
        failed = get_choreo(serve, cid, token)["render"]
        assert failed["status"] == "failed" and "missing from storage" in failed["error"]
        page.reload()  # reopened, the page shows the failed render from the choreography, not a new one
        page.get_by_role("button", name="Try again").wait_for()
        assert "the song is missing from storage" in page.locator("#result-message").inner_text()
        assert get_choreo(serve, cid, token)["render"]["job_id"] == failed["job_id"]
    finally:
        serve_storage.put_back(taken)
    page.get_by_role("button", name="Try again").click()
    page.locator("#download").wait_for(timeout=480_000)
    page.wait_for_function("document.querySelector('video.player').readyState >= 1", timeout=30_000)
    assert page.locator("#result-message").inner_text().strip() == ""
    shots(page, "06-render-tried-again")
    done = get_choreo(serve, cid, token)
    assert done["video_ready"] and done["render"]["status"] == "done"
    assert done["render"]["job_id"] != failed["job_id"]


# --- changing an earlier pick ----------------------------------------------------------------------


def test_going_back_and_changing_a_pick(make_page, serve, analysed_song, shots):
    page, _ = make_page()
    cid, token = start_choreography(page, serve, analysed_song)
    cards = wait_cards(page, 1)
    cards.nth(0).get_by_role("button", name=re.compile("^Pick")).click()
    cards = wait_cards(page, 2)
    cards.nth(0).get_by_role("button", name=re.compile("^Pick")).click()
    wait_cards(page, 3)
    before = get_choreo(serve, cid, token)

    # back to part 1 through the strip, pick another move
    page.locator(".strip button").nth(0).click()
    cards = wait_cards(page, 1)
    assert "picked" in (cards.nth(0).get_attribute("class") or "")
    other = cards.nth(1).get_attribute("data-move-id")
    assert other != before["segments"][0]["move_id"]
    # part 2's suggestions are asked for again after the change
    with page.expect_response(re.compile(r"/segments/1/candidates")) as resp:
        cards.nth(1).get_by_role("button", name=re.compile("^Pick")).click()
    assert resp.value.ok
    wait_cards(page, 2)
    after = get_choreo(serve, cid, token)
    assert after["segments"][0]["move_id"] == other
    assert after["segments"][1]["move_id"] == before["segments"][1]["move_id"]  # later picks stay
    # part 2's pick is still listed; the message that it left the six shows exactly when it did
    kept = page.locator(f'li.card.picked[data-move-id="{after["segments"][1]["move_id"]}"]')
    assert kept.count() == 1
    fell_out = kept.get_attribute("data-kind") == "picked"
    assert page.locator("#fell-out").count() == int(fell_out)
    if fell_out:
        assert "the move before it changed" in page.locator("#fell-out").inner_text()
    shots(page, "05-changed-pick")

    # the previous button and the hash both move between parts; clearing a pick works too
    page.get_by_role("button", name="← Previous part").click()
    wait_cards(page, 1)
    assert page.url.endswith("/moves/0")
    assert page.locator(f'li.card.picked[data-move-id="{other}"]').count() == 1
    page.get_by_role("button", name="Clear this pick").click()
    page.locator("#moves-message").filter(has_text="Cleared").wait_for()
    assert get_choreo(serve, cid, token)["segments"][0]["move_id"] is None


def test_after_auto_fill_every_part_lists_its_pick(make_page, serve, analysed_song, shots):
    """Candidates and auto-fill agree: every part's list holds the move picked for it, marked as
    the person's or Choleor's, and the 'no longer among the top six' message never shows for a
    pick that was not in them."""
    page, _ = make_page()
    cid, token = start_choreography(page, serve, analysed_song)
    cards = wait_cards(page, 1)
    # a newcomer's first look: the best card reads as the best the library offers, and its
    # reason opens with what fits
    assert cards.first.locator(".score").inner_text().strip().startswith("Match 100%")
    reason = cards.first.locator(".reason").inner_text().strip()
    assert reason and not reason.lower().startswith("but")
    cards.nth(1).get_by_role("button", name=re.compile("^Pick")).click()
    wait_cards(page, 2)
    page.get_by_role("button", name=re.compile("Fill the rest for me")).click()
    page.locator("#moves-message").filter(has_text="Choleor picked").wait_for()
    choreo = get_choreo(serve, cid, token)
    assert choreo["complete"] and [s["picked_by"] for s in choreo["segments"]][:1] == ["you"]
    assert all(s["picked_by"] == "choleor" for s in choreo["segments"][1:])
    for k, seg in enumerate(choreo["segments"]):
        page.locator(".strip button").nth(k).click()
        wait_cards(page, k + 1)
        picked = page.locator(f'li.card.picked[data-move-id="{seg["move_id"]}"]')
        assert picked.count() == 1, f"part {k + 1}: its pick is not in the list"
        assert ("Your pick" if k == 0 else "Choleor's pick") in picked.locator(".whose").text_content()
        assert page.locator("#fell-out").count() == 0, f"part {k + 1}: false 'no longer among the top six'"
        # Choleor's pick that is not the first card says why; the first card needs no reason.
        first = page.locator("li.card").first.get_attribute("data-move-id") == seg["move_id"]
        why = picked.locator(".why")
        assert why.count() == (1 if k > 0 and not first else 0), f"part {k + 1}"
        if why.count():
            assert why.inner_text().startswith("Chosen over the best match: ")
        if k == 1:
            shots(page, "06-auto-fill-pick-listed")


def test_a_link_reopens_the_choreography(make_page, serve, analysed_song, shots):
    page, _ = make_page()
    cid, token = start_choreography(page, serve, analysed_song)
    wait_cards(page, 1).nth(2).get_by_role("button", name=re.compile("^Pick")).click()
    wait_cards(page, 2)
    # another browser (no localStorage) opens the link with id and token in the hash
    other, _ = make_page(width=800, height=900)
    other.goto(f"/#/dance/{cid}/{token}/moves")
    cards = wait_cards(other, 2)  # the first part without a pick
    assert other.locator(".strip button.picked").count() == 1
    assert cards.count() == 6
    # the same browser remembers it on the song page
    page.goto("/")
    page.get_by_role("link", name=re.compile("Continue")).click()
    wait_cards(page, 2)


# --- rejected files ---------------------------------------------------------------------------------


def test_a_rejected_upload_shows_its_message(make_page, tmp_path, shots, serve):
    page, _ = make_page()
    fake = tmp_path / "not-really-a-song.mp3"
    fake.write_text("These are my dance notes, not music.\n" * 50)
    page.goto("/")
    page.locator("#song-file").set_input_files(str(fake))
    box = page.locator("#song-message")
    box.filter(has_text=re.compile(r"\w")).wait_for(timeout=120_000)
    text = box.inner_text()
    assert box.get_attribute("role") == "alert"
    assert "#/song/" not in page.url
    shots(page, "06-rejected-upload")
    assert len(text) > 10, text
    # the dancer can try again right away
    assert page.locator("#song-file").is_enabled()


def test_noise_shows_no_steady_beat_instead_of_a_grid(make_page, serve, e2e_media, shots):
    from tests.api_client import wait_job

    noise = e2e_media / "pink-noise.mp3"
    if not noise.exists():
        subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "anoisesrc=color=pink:amplitude=0.3:d=25",
                "-c:a",
                "libmp3lame",
                "-b:a",
                "128k",
                str(noise),
            ],
            check=True,
        )
    created = requests.post(
        f"{serve}/api/songs",
        json={"filename": "noise.mp3", "size": noise.stat().st_size, "title": "Rain"},
        timeout=10,
    )
    created.raise_for_status()
    body = created.json()
    up = body["upload"]
    requests.put(up["url"], data=noise.read_bytes(), headers=up["headers"], timeout=60).raise_for_status()
    job = requests.post(f"{serve}/api/songs/{body['song']['id']}/analyze", timeout=10).json()["job"]
    assert wait_job(serve, job["id"])["status"] == "done"
    analysis = requests.get(f"{serve}/api/songs/{body['song']['id']}", timeout=10).json()["analysis"]
    assert analysis["steady_beat"] is False and analysis["beat_confidence"] < 0.5

    page, _ = make_page()
    page.goto(f"/#/song/{body['song']['id']}")
    note = page.get_by_role("status").filter(has_text="No steady beat here")
    note.wait_for()
    shots(page, "07-no-steady-beat")
    assert page.locator("canvas").count() == 0  # no waveform with a made-up grid
    assert page.get_by_role("button", name=re.compile("Next: choose moves")).count() == 0
    page.get_by_role("link", name="Pick another song").click()
    page.get_by_role("heading", name="Pick a song").wait_for()


# --- the library ------------------------------------------------------------------------------------


def test_library_page_uploads_a_video_and_shows_its_moves(make_page, serve, e2e_media, shots):
    from tests.media import dance_video

    video = dance_video(e2e_media, "salsa", 10.0)
    page, watch = make_page()
    watch.allow(r"status of 403")  # the wrong key is tried on purpose
    page.goto("/#/library")
    page.get_by_role("heading", name="Move library").wait_for()
    page.locator("section.source").first.wait_for()
    shots(page, "07-library")

    page.get_by_label("Dance style").fill("salsa")
    page.get_by_label("Title (optional)").fill("Salsa practice")
    page.locator("#source-file").set_input_files(str(video))
    page.get_by_label("Admin key").fill("wrong-key")
    page.get_by_role("button", name="Add to the library").click()
    page.locator("#library-message.error").wait_for()
    assert page.locator("#library-message").inner_text()

    page.get_by_label("Admin key").fill(ADMIN_KEY)
    page.get_by_role("button", name="Add to the library").click()
    page.locator("progress").first.wait_for()
    shots(page, "07-library-uploading")
    page.locator("#library-message").filter(has_text="Added").wait_for(timeout=300_000)
    section = page.locator("section.source").filter(has=page.get_by_role("heading", name="Salsa practice"))
    section.wait_for()
    moves = section.locator("li.card")
    assert moves.count() >= 2
    assert section.locator("img.flip").count() >= 1  # the mirrored twins
    assert section.locator(".half-tag").count() >= 1  # 16 beats counted in half time
    moves.first.get_by_role("button", name=re.compile("Play")).click()
    clip = moves.first.locator("video")
    page.wait_for_function("(v) => !v.hidden && v.currentTime > 0", arg=clip.element_handle(), timeout=15_000)
    shots(page, "07-library-added")
    # the key is remembered
    page.reload()
    assert page.get_by_label("Admin key").input_value() == ADMIN_KEY


# --- phone -----------------------------------------------------------------------------------------


def test_phone_viewport_has_no_horizontal_scroll(make_page, serve, analysed_song, shots):
    page, _ = make_page(width=360, height=740, is_mobile=True, has_touch=True, device_scale_factor=2)
    page.goto("/")
    page.get_by_role("heading", name="Pick a song").wait_for()
    page.locator(".songs button").first.wait_for()
    no_horizontal_scroll(page)
    shots(page, "08-phone-song")
    cid, token = start_choreography(page, serve, analysed_song, shots, "08-phone-interval")
    wait_cards(page, 1)
    no_horizontal_scroll(page)
    shots(page, "08-phone-moves")
    page.goto(f"/#/dance/{cid}/{token}/video")
    page.get_by_role("heading", name="Your dance video").wait_for()
    page.locator("#reopen-link").wait_for()
    no_horizontal_scroll(page)
    shots(page, "08-phone-result")
    page.goto("/#/library")
    page.locator("section.source").first.wait_for()
    no_horizontal_scroll(page)
    shots(page, "08-phone-library")


def test_every_page_loads_with_a_clean_console(make_page, serve, analysed_song):
    """The fixture fails the test on any console error (a Content-Security-Policy violation
    included: this page runs under the served policy); visit every route, also by reloading."""
    page, _ = make_page(bypass_csp=False)
    made = requests.post(
        f"{serve}/api/choreographies",
        json={"song_id": analysed_song["id"], "start": 0, "end": 30},
        timeout=30,
    ).json()
    dance = f"/#/dance/{made['id']}/{made['token']}"
    shared = requests.post(
        f"{serve}/api/choreographies/{made['id']}/share",
        headers={"X-Choreo-Token": made["token"]},
        timeout=30,
    ).json()
    watch = f"/#/watch/{made['id']}/{shared['share_token']}"
    for route, ready in [
        ("/", ".songs"),
        ("/#/library", "section.source"),
        (f"/#/song/{analysed_song['id']}", "canvas"),
        (f"{dance}/moves/0", "ul.cards li.card .bar span"),
        (f"{dance}/video", "main h1"),
        (f"{dance}/cues", "#cues-table"),
        (watch, ".takeaway"),
        (f"{watch}/cues", "#cues-table"),
        ("/#/nowhere", ".songs"),
    ]:
        page.goto(route)
        page.locator(ready).first.wait_for()
        page.reload()
        page.locator(ready).first.wait_for()
    page.locator(".health.ok").wait_for()
