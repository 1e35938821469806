"""Learning a dance in the page, on a phone and on a desktop: the practice player (mirror, half speed
with the pitch kept, a looped part, the count on screen), the preview of the sequence, the suggested
part of the song, the cue sheet and exports, and a read-only link its owner turns off."""

from __future__ import annotations

import bisect
import json
import re

import pytest
import requests

from tests.api_client import wait_job

FRAME = 1 / 30  # the rendered video's frame
VIEWPORTS = {"phone": (390, 844), "desktop": (1280, 800)}
CONTEXT = {"phone": {"has_touch": True, "is_mobile": True}, "desktop": {}}


def new_page(make_page, viewport: str):
    return make_page(*VIEWPORTS[viewport], **CONTEXT[viewport])


@pytest.fixture(scope="module")
def rendered(serve, analysed_song) -> dict:
    """A choreography of the analysed song, filled and rendered through the API (+ its token)."""
    song = analysed_song
    units = song["analysis"]["segments"]
    c = requests.post(
        f"{serve}/api/choreographies",
        json={"song_id": song["id"], "start": units[0]["start"], "end": units[3]["end"]},
        timeout=10,
    ).json()
    h = {"X-Choreo-Token": c["token"]}
    done = requests.post(f"{serve}/api/choreographies/{c['id']}/auto", json={}, headers=h, timeout=120)
    assert done.status_code == 200, done.text
    job = requests.post(f"{serve}/api/choreographies/{c['id']}/render", headers=h, timeout=10).json()["job"]
    assert wait_job(serve, job["id"], timeout=900)["status"] == "done"
    return {**done.json(), "token": c["token"], "analysis": song["analysis"]}


def expected_counts(choreo: dict, video_t: float) -> set[int]:
    """The count (1..8) of the analysis's beats at video times within one frame of `video_t`."""
    beats = choreo["analysis"]["beats"]
    downbeats = choreo["analysis"]["downbeats"]
    first = min(range(len(beats)), key=lambda i: abs(beats[i] - choreo["start"]))
    assert min(abs(d - beats[first]) for d in downbeats) < 1e-3  # the dance starts on a counted "1"
    out = set()
    for dt in (-FRAME, 0.0, FRAME):
        i = bisect.bisect_right(beats, choreo["start"] + video_t + dt) - 1
        if i >= first:
            out.add((i - first) % 8 + 1)
    return out


def open_player(make_page, serve, choreo, viewport):
    page, watch = new_page(make_page, viewport)
    page.goto(f"/#/dance/{choreo['id']}/{choreo['token']}/video")
    video = page.locator(".practice video")
    video.wait_for()
    page.wait_for_function("document.querySelector('.practice video').readyState >= 2", timeout=60_000)
    return page, watch, video


def press(page, viewport: str, key: str, button_selector: str) -> None:
    """A shortcut on the desktop, a tap on the phone."""
    if viewport == "desktop":
        page.locator("body").press(key) if key != " " else page.keyboard.press("Space")
    else:
        page.locator(button_selector).tap()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_practice_player_mirrors_slows_down_loops_a_part_and_counts(
    make_page, serve, rendered, viewport, shots
):
    page, _, video = open_player(make_page, serve, rendered, viewport)
    page.locator("h1").click()  # focus on the page, not a button
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")

    # mirror: the CSS transform is applied to the video
    assert video.evaluate("v => getComputedStyle(v).transform") == "none"
    press(page, viewport, "m", "#practice-mirror")
    assert video.evaluate("v => getComputedStyle(v).transform") == "matrix(-1, 0, 0, 1, 0, 0)"
    press(page, viewport, "M", "#practice-mirror")
    assert video.evaluate("v => getComputedStyle(v).transform") == "none"

    # 0.5x with the song's pitch kept
    page.locator(".practice-speed button", has_text="0.5×").click()
    assert video.evaluate("v => [v.playbackRate, v.preservesPitch]") == [0.5, True]
    page.locator(".practice-speed button", has_text="1×").click()
    page.locator("h1").click()  # space on a focused button presses that button, as anywhere

    # the count on screen is the analysis's beat at the frame shown, at three times
    press(page, viewport, " ", "#practice-play")
    page.wait_for_function("!document.querySelector('.practice video').paused")
    seen = []
    for wait in (700, 2300, 3100):
        page.wait_for_timeout(wait)
        shown = page.evaluate(
            "() => { const c = document.querySelector('#practice-count');"
            " return [Number(c.dataset.count), Number(c.dataset.part), Number(c.dataset.mediaTime)]; }"
        )
        seen.append(shown)
        count, part, t = shown
        assert count in expected_counts(rendered, t), (shown, expected_counts(rendered, t))
        assert page.locator("#practice-count .count-num").inner_text() == str(count)
    assert len({s[2] for s in seen}) == 3

    # loop part 3: the time stays inside its interval for three loops
    part3 = rendered["segments"][2]
    lo, hi = part3["start"] - rendered["start"], part3["end"] - rendered["start"]
    press(page, viewport, "3", ".practice-parts button[data-part='3']")
    assert page.locator("#practice-loop").inner_text() == "Looping part 3"
    page.wait_for_function(
        f"(() => {{ const t = document.querySelector('.practice video').currentTime; return t >= {lo} && t < {hi}; }})()"
    )
    times = page.evaluate(
        """async () => {
            const v = document.querySelector('.practice video');
            const el = document.querySelector('.practice');
            const start = Number(el.dataset.loops);
            const out = [];
            const until = performance.now() + 40000;
            while (Number(el.dataset.loops) < start + 3 && performance.now() < until) {
                out.push(v.currentTime);
                await new Promise((r) => setTimeout(r, 20));
            }
            out.push(v.currentTime);
            return {times: out, loops: Number(el.dataset.loops) - start};
        }"""
    )
    assert times["loops"] >= 3, times["loops"]
    outside = [t for t in times["times"] if not lo - FRAME <= t <= hi + FRAME]
    assert not outside, f"left part 3 ({lo:.3f}-{hi:.3f}) at {outside[:5]}"
    assert max(times["times"]) > hi - 0.5  # it really played to the end of the part each time
    shots(page, f"practice-{viewport}")
    if viewport == "desktop":
        loop_a_range_with_the_keys(page, rendered)


def loop_a_range_with_the_keys(page, choreo) -> None:
    """Paused in part 2, `[` loops from it; moved into part 4, `]` loops to it; 0 stops looping."""
    segments = choreo["segments"]
    status = page.locator("#practice-loop")
    page.keyboard.press("Space")
    page.wait_for_function("document.querySelector('.practice video').paused")

    def seek_into(k: int) -> None:
        t = segments[k]["start"] - choreo["start"] + 0.2
        page.evaluate(f"document.querySelector('.practice video').currentTime = {t}")
        page.wait_for_function(f"document.querySelector('#practice-count').dataset.part === '{k + 1}'")

    page.keyboard.press("0")
    assert status.inner_text() == "Playing all parts"
    seek_into(1)
    page.keyboard.press("[")
    assert status.inner_text() == "Looping part 2"
    seek_into(3)
    page.keyboard.press("]")
    assert status.inner_text() == "Looping parts 2–4"
    pressed = page.locator(".practice-parts button[aria-pressed='true']").evaluate_all(
        "bs => bs.map((b) => b.dataset.part)"
    )
    assert pressed == ["2", "3", "4"]
    page.keyboard.press("0")
    assert status.inner_text() == "Playing all parts"


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_preview_plays_the_parts_in_order_switching_on_the_beat(make_page, serve, rendered, viewport):
    """Every part in order, each switch on its beat. The timing is the browser's own, so a play
    on a machine busy with other work may run late: the preview is played a second time when the
    first misses, and the better play must land every switch within 80 ms."""
    page, _, _ = open_player(make_page, serve, rendered, viewport)
    n = len(rendered["segments"])
    starts = [s["start"] for s in rendered["segments"][1:]]

    def play() -> list[dict]:
        page.locator("#sequence-play").click()
        page.wait_for_function("document.querySelector('.sequence').dataset.playing === 'true'")
        page.wait_for_function(
            "document.querySelector('.sequence').dataset.playing === 'false'", timeout=120_000
        )
        switches = json.loads(page.locator(".sequence").get_attribute("data-switches"))
        print(viewport, "switches (ms after the beat: flip shown, sync of the clip)", switches)
        assert [s["part"] for s in switches] == list(range(2, n + 1))  # every part, in order
        assert [s["beat"] for s in switches] == pytest.approx(starts, abs=1e-3)
        assert all(s["sync_ms"] is not None for s in switches)
        return switches

    def worst(switches: list[dict]) -> float:
        return max(max(abs(s["flip_ms"]), abs(s["sync_ms"])) for s in switches)

    switches = play()
    if worst(switches) > 80:
        switches = min(switches, play(), key=worst)
    assert worst(switches) <= 80, switches
    assert "landed within" in page.locator("#sequence-report").inner_text()


def test_the_suggested_part_is_one_click_on_step_2(make_page, serve, analysed_song):
    tip = analysed_song["analysis"]["suggested"]
    assert tip and tip["beats"] >= 32
    page, _ = new_page(make_page, "phone")
    page.goto(f"/#/song/{analysed_song['id']}")
    button = page.locator("#suggested-part")
    button.wait_for()
    button.tap()
    facts = page.locator("dl.facts")
    assert facts.locator("dd").first.inner_text() == str(tip["segments"])
    page.get_by_role("button", name=re.compile("Next: choose moves")).click()
    page.wait_for_url(re.compile(r"#/dance/([^/]+)/([^/]+)/moves/0$"))
    cid, token = re.search(r"#/dance/([^/]+)/([^/]+)/", page.url).groups()
    made = requests.get(
        f"{serve}/api/choreographies/{cid}", headers={"X-Choreo-Token": token}, timeout=10
    ).json()
    assert made["start"] == pytest.approx(tip["start"], abs=1e-3)
    assert made["end"] == pytest.approx(tip["end"], abs=1e-3)
    assert len(made["segments"]) * 8 == tip["beats"]


def test_the_cue_sheet_page_and_the_exports(make_page, serve, rendered, tmp_path):
    page, _, _ = open_player(make_page, serve, rendered, "desktop")
    with page.expect_download(timeout=120_000) as pdf:
        page.locator("#export-pdf").click()
    path = tmp_path / "cues.pdf"
    pdf.value.save_as(path)
    assert path.read_bytes()[:5] == b"%PDF-"
    with page.expect_download(timeout=120_000) as js:
        page.locator("#export-json").click()
    doc = json.loads(open(js.value.path()).read())
    assert [p["move"]["id"] for p in doc["parts"]] == [s["move_id"] for s in rendered["segments"]]

    page.locator("#cue-sheet").click()
    page.wait_for_selector("#cues-table tbody tr")
    rows = page.locator("#cues-table tbody tr")
    assert rows.count() == len(rendered["segments"])
    assert rows.nth(1).locator("td").nth(1).inner_text() == "9-16"
    page.wait_for_function(
        "[...document.querySelectorAll('#cues-table img')].every((i) => i.complete && i.naturalWidth > 0)"
    )
    page.emulate_media(media="print")
    assert page.locator("header.top").is_hidden() and page.locator("#print-cues").is_hidden()


def test_a_read_only_link_shows_the_player_changes_nothing_and_can_be_turned_off(make_page, serve, rendered):
    owner, _, _ = open_player(make_page, serve, rendered, "desktop")
    owner.locator("#share-make").click()
    link = owner.locator("#share-link")
    link.wait_for()
    url = link.input_value()
    assert "/watch/" in url and rendered["token"] not in url
    share = re.search(r"#/watch/[^/]+/([^/]+)", url).group(1)

    viewer, watch = new_page(make_page, "phone")
    viewer.goto(url)
    viewer.locator(".practice video").wait_for()
    viewer.wait_for_function("document.querySelector('.practice video').readyState >= 1", timeout=60_000)
    assert viewer.locator("#share-make").count() == 0  # no owner controls
    assert viewer.get_by_text("Change moves").count() == 0
    h = {"X-Choreo-Token": share}
    cid = rendered["id"]
    r = requests.put(
        f"{serve}/api/choreographies/{cid}/segments/0", json={"move_id": "x"}, headers=h, timeout=10
    )
    assert r.status_code == 403

    owner.locator("#share-revoke").click()
    owner.locator("#share-state").filter(has_text="No read-only link").wait_for()
    watch.allow("404")  # the page asks, and is told the link is off
    viewer.reload()
    viewer.get_by_role("heading", name="This link is off").wait_for()
    assert requests.get(f"{serve}/api/choreographies/{cid}", headers=h, timeout=10).status_code == 404


RECORD_COUNT_IN = """
(() => {
  window.__beeps = [];
  const start = OscillatorNode.prototype.start;
  OscillatorNode.prototype.start = function (when) {
    window.__beeps.push({ when, freq: this.frequency.value });
    return start.apply(this, arguments);
  };
  window.__shown = [];
  window.__playing = null;
  document.addEventListener("playing", (e) => {
    if (window.__playing === null && e.target.matches(".practice video")) {
      window.__playing = { at: performance.now() / 1000, t: e.target.currentTime };
    }
  }, true);
  new MutationObserver(() => {
    const n = document.querySelector("#practice-count .count-num");
    if (n) window.__shown.push({ at: performance.now() / 1000, text: n.textContent });
  }).observe(document, { subtree: true, childList: true, characterData: true });
})();
"""


def test_on_a_phone_the_player_fits_and_counts_in_5_6_7_8_at_the_songs_beat(make_page, rendered, shots):
    """390x844: the player and its controls fit the screen with thumb-sized buttons; at 0.5x the
    count-in beeps and shows 5, 6, 7, 8 one beat of the song (slowed) apart, then part 2 plays."""
    page, _ = new_page(make_page, "phone")
    page.add_init_script(RECORD_COUNT_IN)
    page.goto(f"/#/dance/{rendered['id']}/{rendered['token']}/video")
    page.wait_for_function("document.querySelector('.practice video')?.readyState >= 2", timeout=60_000)

    width = VIEWPORTS["phone"][0]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    video_box = page.locator(".practice video").bounding_box()
    assert video_box["x"] >= 0 and video_box["x"] + video_box["width"] <= width
    count_box = page.locator("#practice-count").bounding_box()
    assert (
        video_box["y"] <= count_box["y"]
        and count_box["y"] + count_box["height"] <= video_box["y"] + video_box["height"]
    )
    for button in page.locator(".practice button").all():
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, button.inner_text()
        assert box["height"] >= 40 and box["width"] >= 40, (button.inner_text(), box)

    page.locator(".practice-speed button", has_text="0.5×").tap()
    page.locator(".practice-parts button[data-part='2']").tap()
    page.locator("#practice-countin").tap()
    assert page.locator("#practice-countin").is_checked()
    page.locator("#practice-play").tap()
    page.wait_for_function("window.__playing !== null", timeout=30_000)
    shots(page, "practice-phone-count-in")

    part = rendered["segments"][1]
    period = (part["beats"][1] - part["beats"][0]) / 0.5
    beeps = page.evaluate("window.__beeps")
    assert len(beeps) == 4
    assert [b["when"] - beeps[0]["when"] for b in beeps] == pytest.approx(
        [0, period, 2 * period, 3 * period], abs=1e-3
    )
    assert beeps[3]["freq"] > beeps[0]["freq"]  # the "8" is the higher one

    playing = page.evaluate("window.__playing")
    shown = [s for s in page.evaluate("window.__shown") if s["at"] < playing["at"]]
    shown = shown[next(i for i, s in enumerate(shown) if s["text"] == "5") :]  # from the count-in on
    words = []  # each change of the number shown during the count-in, with its time
    for s in shown:
        if s["text"] in "5678" and (not words or words[-1]["text"] != s["text"]):
            words.append(s)
    assert [w["text"] for w in words] == ["5", "6", "7", "8"]
    gaps = [b["at"] - a["at"] for a, b in zip(words, words[1:])]
    assert gaps == pytest.approx([period] * 3, abs=0.1), gaps
    assert playing["at"] - words[0]["at"] == pytest.approx(4 * period, abs=0.25)
    start = part["start"] - rendered["start"]
    assert start - FRAME <= playing["t"] <= start + 0.3  # on part 2's "1"
