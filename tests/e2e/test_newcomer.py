"""What a newcomer meets first, in headless Chromium on a phone (390x844)."""

from __future__ import annotations

import re
import shutil

import requests

from tests.e2e.test_frontend import no_horizontal_scroll

PHONE = dict(width=390, height=844, is_mobile=True, has_touch=True, device_scale_factor=2)


def test_phone_song_list_holds_a_long_title_and_my_upload_can_be_deleted(
    make_page, serve, serve_storage, song_mp3, analysed_song, shots, tmp_path
):
    long_name = ("A very long song title that goes on " * 6)[:196].strip() + ".mp3"
    mine = tmp_path / long_name
    shutil.copy(song_mp3, mine)
    page, watch = make_page(**PHONE)
    # /api/health answers 503 when a probe takes over 2 s, which a busy 2-core machine reaches while
    # the analysis runs; the header then says so, and that is not what this test is about
    watch.allow(r"status of 503 \(Service Unavailable\)")
    page.goto("/")
    page.locator("#song-file").set_input_files(str(mine))
    page.wait_for_url(re.compile(r"#/song/[^/]+$"), timeout=240_000)
    song_id = page.url.rsplit("/", 1)[1]
    assert len(requests.get(f"{serve}/api/songs/{song_id}", timeout=10).json()["title"]) > 150

    page.goto("/")
    row = page.locator(f'.songs li[data-song-id="{song_id}"]')
    row.wait_for()
    no_horizontal_scroll(page)
    box = row.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert row.locator("button.open").get_attribute("title").startswith("A very long song title")
    assert row.locator(".meta").is_visible() and "BPM" in row.locator(".meta").inner_text()
    # only the song uploaded from this browser offers Delete
    other = page.locator(f'.songs li[data-song-id="{analysed_song["id"]}"]')
    assert other.locator("button.delete").count() == 0
    shots(page, "09-phone-song-list-long-title")

    # a dance made to it goes with it
    created = requests.post(
        f"{serve}/api/choreographies", json={"song_id": song_id, "start": 2, "end": 10}, timeout=10
    ).json()
    assert serve_storage.s3.list_objects_v2(Bucket=serve_storage.bucket, Prefix=f"uploads/songs/{song_id}/")[
        "KeyCount"
    ]
    page.once("dialog", lambda d: (d.message.startswith("Delete “A very long"), d.accept()))
    row.get_by_role("button", name=re.compile("^Delete")).click()
    page.locator("#song-message").filter(
        has_text=re.compile("Deleted .* and the dance made to it")
    ).wait_for()
    assert page.locator(f'.songs li[data-song-id="{song_id}"]').count() == 0  # gone before it says so
    shots(page, "09-phone-song-deleted")
    assert requests.get(f"{serve}/api/songs/{song_id}", timeout=10).status_code == 404
    r = requests.get(
        f"{serve}/api/choreographies/{created['id']}",
        headers={"X-Choreo-Token": created["token"]},
        timeout=10,
    )
    assert r.status_code == 404
    left = [
        o["Key"]
        for o in serve_storage.s3.list_objects_v2(Bucket=serve_storage.bucket).get("Contents", [])
        if song_id in o["Key"] or created["id"] in o["Key"]
    ]
    assert left == []


def test_the_chosen_part_survives_back_reload_and_a_stray_tap(make_page, serve, analysed_song, shots):
    from tests.e2e.test_frontend import choreo_from_hash, wait_cards

    page, _ = make_page(**PHONE)
    song_id = analysed_song["id"]
    segments = analysed_song["analysis"]["segments"]
    assert len(segments) >= 4
    page.goto(f"/#/song/{song_id}")
    page.wait_for_selector("canvas")
    parts, span = page.locator(".facts dd").nth(0), page.locator(".facts dd").nth(2)
    # parts 2-3 with the keyboard
    page.get_by_role("slider", name="Start of the part to dance").focus()
    page.keyboard.press("ArrowRight")
    page.get_by_role("slider", name="End of the part to dance").focus()
    page.keyboard.press("ArrowLeft")
    assert parts.inner_text() == "2"
    assert re.search(rf"#/song/{song_id}/{segments[1]['start']:.2f}-{segments[2]['end']:.2f}$", page.url), (
        page.url
    )
    # a tap on part 4 moves the end there; the start stays
    box = page.locator("canvas").bounding_box()
    dur = analysed_song["analysis"]["duration"]
    mid = (segments[3]["start"] + segments[3]["end"]) / 2
    page.touchscreen.tap(box["x"] + box["width"] * mid / dur, box["y"] + box["height"] / 2)
    assert parts.inner_text() == "3"
    chosen = span.inner_text()
    t = segments[1]["start"]
    assert chosen.startswith(f"{int(t // 60)}:{int(t % 60):02d}"), chosen
    # reload keeps it
    page.reload()
    page.wait_for_selector("canvas")
    assert page.locator(".facts dd").nth(0).inner_text() == "3"
    assert page.locator(".facts dd").nth(2).inner_text() == chosen
    shots(page, "10-phone-part-after-reload")

    page.get_by_role("button", name=re.compile("Next: choose moves")).click()
    page.wait_for_url(re.compile(r"#/dance/[^/]+/[^/]+/moves"))
    cid, _ = choreo_from_hash(page)
    wait_cards(page, 1)  # the moves page as a person sees it before going back
    # back shows the same part, and Next goes on with the same dance
    page.go_back()
    page.wait_for_selector("canvas")
    assert page.locator(".facts dd").nth(2).inner_text() == chosen
    page.get_by_role("button", name=re.compile("Next: choose moves")).click()
    page.wait_for_url(re.compile(r"#/dance/[^/]+/[^/]+/moves"))
    assert choreo_from_hash(page)[0] == cid
    # a pick's confirmation is on the screen, not below six cards; previews use the screen's width
    cards = wait_cards(page, 1)
    assert cards.first.locator(".media").bounding_box()["width"] >= 300
    cards.last.scroll_into_view_if_needed()
    cards.last.get_by_role("button", name=re.compile("^Pick")).click()
    confirm = page.locator("#moves-message").filter(has_text="Picked a move for part 1")
    confirm.wait_for()
    page.wait_for_timeout(300)
    box = confirm.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 844, box
    shots(page, "10-phone-picked")
    # the step bar links back to the part and to the song
    steps = page.locator("#steps")
    steps.get_by_role("link", name="Part").click()
    page.wait_for_selector("canvas")
    assert page.locator(".facts dd").nth(2).inner_text() == chosen
    shots(page, "10-phone-part-from-step-bar")
    page.locator("#steps").get_by_role("link", name="Song").click()
    page.get_by_role("heading", name="Pick a song").wait_for()


def test_broken_links_say_so_in_plain_words_and_the_picker_takes_videos(make_page, serve, shots):
    page, watch = make_page(**PHONE)
    watch.allow(r"status of 40[034]")  # the broken links are tried on purpose
    page.goto("/")
    accept = page.locator("#song-file").get_attribute("accept")
    assert "audio/*" in accept and "video/*" in accept and ".mp4" in accept
    for hash_, says, button in (
        ("#/dance/nope123/abc/moves", "doesn't open a dance", "Start a new dance"),
        ("#/dance/ch00000000000000/abc/video", "doesn't open a dance", "Start a new dance"),
        ("#/song/00000000000000ff", "This song isn't here", "Pick a song"),
    ):
        page.goto(f"/{hash_}")
        alert = page.get_by_role("alert")
        alert.filter(has_text=says).wait_for()
        assert "no choreography" not in alert.inner_text() and "must be" not in alert.inner_text()
        assert page.get_by_role("link", name=button, exact=True).is_visible()
    shots(page, "11-phone-broken-link")


def test_library_page_pages_and_filters(make_page, serve, shots):
    lib = requests.get(f"{serve}/api/library", timeout=10).json()
    sources = requests.get(f"{serve}/api/sources", timeout=10).json()["sources"]
    page, _ = make_page(**PHONE)
    page.goto("/#/library")
    page.locator("section.source").first.wait_for()
    no_horizontal_scroll(page)
    cards = page.locator("section.source li.card")
    assert cards.count() == min(lib["moves"], 48)
    assert page.locator("section.source img").count() <= 60
    assert page.locator("#library-more").count() == (1 if lib["moves"] > 48 else 0)
    assert page.locator("#library-count").inner_text() == f"{len(sources)} videos"
    # the counts per style, and a style filter
    style = sources[0]["style"]
    assert page.locator(".style-counts").inner_text().count(":") == len(
        {s.get("style") or "other" for s in sources}
    )
    page.locator("#filter-style").select_option(style)
    want = [s for s in sources if s.get("style") == style]
    assert page.locator("section.source").count() == len(want)
    page.locator("#filter-style").select_option("")
    # a tempo range no video is in, then words from one title
    page.locator("#filter-min").fill("239")
    page.locator("#filter-min").dispatch_event("change")
    page.get_by_text("No video matches").wait_for()
    page.locator("#filter-min").fill("")
    page.locator("#filter-min").dispatch_event("change")
    title = sources[-1]["title"]
    page.locator("#filter-words").fill(title.lower())
    assert page.locator("section.source h3").first.inner_text() == title
    assert page.locator("#library-count").inner_text().endswith(f"of {len(sources)} videos match")
    shots(page, "12-phone-library-filtered")
    no_horizontal_scroll(page)


def test_a_200_character_title_fits_every_page_at_both_sizes(make_page, serve, song_mp3, shots):
    from tests.api_client import wait_job

    title = ("Extended club remix " * 7 + "x" * 80)[:200]  # words, then one unbroken run
    body = requests.post(
        f"{serve}/api/songs",
        json={"filename": "long.mp3", "size": song_mp3.stat().st_size, "title": title},
        timeout=10,
    ).json()
    up = body["upload"]
    requests.put(up["url"], data=song_mp3.read_bytes(), headers=up["headers"], timeout=60).raise_for_status()
    job = requests.post(f"{serve}/api/songs/{body['song']['id']}/analyze", timeout=10).json()["job"]
    assert wait_job(serve, job["id"])["status"] == "done"
    for name, size in (("phone", PHONE), ("desktop", dict(width=1280, height=800))):
        page, watch = make_page(**size)
        watch.allow(r"status of 503 \(Service Unavailable\)")  # /api/health on a busy machine, as above
        page.goto("/")
        page.locator(f'.songs li[data-song-id="{body["song"]["id"]}"]').wait_for()
        no_horizontal_scroll(page)
        page.goto(f"/#/song/{body['song']['id']}")
        page.wait_for_selector("canvas")
        no_horizontal_scroll(page)
        shots(page, f"13-{name}-long-title-part")
        page.goto("/#/library")
        page.locator("section.source").first.wait_for()
        no_horizontal_scroll(page)


def test_the_cut_style_switches_on_the_result_step_and_makes_the_video_again(
    make_page, serve, analysed_song, shots
):
    """The result step shows the stored cut style; choosing "soft" stores it and starts a new render,
    which makes the video; reopened, the page shows "soft" chosen."""
    from tests.e2e.test_frontend import get_choreo

    created = requests.post(
        f"{serve}/api/choreographies",
        json={"song_id": analysed_song["id"], "start": 8, "end": 18},  # a part no other test renders
        timeout=10,
    ).json()
    cid, token = created["id"], created["token"]
    h = {"X-Choreo-Token": token}
    requests.post(f"{serve}/api/choreographies/{cid}/auto", json={}, headers=h, timeout=60).raise_for_status()
    page, _ = make_page(width=1280, height=800)
    page.goto(f"/#/dance/{cid}/{token}/video")
    hard, soft = (
        page.get_by_role("radio", name=re.compile("^Hard")),
        page.get_by_role("radio", name=re.compile("^Soft")),
    )
    page.locator("#download").wait_for(timeout=480_000)
    assert get_choreo(serve, cid, token)["cut"] == "hard"
    assert hard.is_checked() and not soft.is_checked()
    choreo = get_choreo(serve, cid, token)
    first = choreo["render"]["job_id"]
    assert page.locator("p.lead").inner_text().endswith("cut together on the beat.")
    # a dance opened from its link: the step bar leads back to its part too
    part = f"#/song/{choreo['song_id']}/{choreo['start']:.2f}-{choreo['end']:.2f}"
    assert page.locator(".steps li[data-step=interval] a.label").get_attribute("href") == part
    shots(page, "13-result-cut-hard")

    with page.expect_request(
        lambda r: r.method == "PUT" and r.url.endswith(f"/api/choreographies/{cid}/cut")
    ) as put:
        soft.check()
    assert put.value.post_data_json == {"cut": "soft"}
    page.locator("p.lead").filter(has_text="crossfaded into each other on the beat").wait_for()
    page.locator("progress").first.wait_for()  # the video is being made again, with its progress
    shots(page, "13-result-cut-rendering")
    for _ in range(100):  # the render the page asked for is the choreography's latest
        again = get_choreo(serve, cid, token)
        if again["render"]["job_id"] != first:
            break
        page.wait_for_timeout(100)
    assert again["cut"] == "soft" and again["render"]["job_id"] != first
    assert again["render"]["status"] in ("queued", "running", "done")
    page.locator("#download").wait_for(timeout=480_000)
    done = get_choreo(serve, cid, token)
    assert done["video_ready"] and done["render"]["status"] == "done" and done["cut"] == "soft"

    for name, size in (("13-result-cut-soft", dict(width=1280, height=800)), ("13-phone-result-cut", PHONE)):
        page, _ = make_page(**size)
        page.goto(f"/#/dance/{cid}/{token}/video")
        page.locator("#download").wait_for(timeout=60_000)
        assert page.get_by_role("radio", name=re.compile("^Soft")).is_checked()
        assert not page.get_by_role("radio", name=re.compile("^Hard")).is_checked()
        no_horizontal_scroll(page)
        shots(page, name)


def test_library_show_more_adds_cards_without_repeating_any(make_page, library_of_more_than, shots):
    moves = library_of_more_than(48)
    assert moves > 48, f"the library has {moves} moves: too few to need a second page"
    page, _ = make_page(width=1280, height=800)
    page.goto("/#/library")
    page.locator("section.source").first.wait_for()
    cards = page.locator("section.source li.card")
    assert cards.count() == 48
    ids = cards.evaluate_all("cs => cs.map(c => c.dataset.moveId)")
    page.locator("#library-more").click()
    page.wait_for_function("document.querySelectorAll('section.source li.card').length > 48")
    more = cards.evaluate_all("cs => cs.map(c => c.dataset.moveId)")
    assert len(set(more)) == len(more), "a move is shown twice"
    assert len(more) == min(moves, 96)
    assert more[: len(ids)] == ids  # the first page stays, in order, above the new cards
    shots(page, "14-library-show-more")
