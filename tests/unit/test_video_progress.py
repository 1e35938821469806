"""The final render's progress: fraction, time left, and the ticker."""

import time

from choleor import video_progress
from choleor.video_progress import RenderProgress, time_left


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_time_left_reads_like_a_person_would_say_it():
    assert time_left(None) == "estimating the time left"
    assert time_left(4) == "a few seconds left"
    assert time_left(23) == "about 25 s left"
    assert time_left(200) == "about 3 min left"


def test_progress_counts_frames_and_estimates_only_once_measured(monkeypatch):
    monkeypatch.setattr(video_progress, "_last_speed", [])
    clock, seen = Clock(), []
    p = RenderProgress(lambda f, m, urgent=False: seen.append((f, m)), {2: 100, 5: 100}, 8, clock=clock)
    p.say("drawing part 3", force=True)
    assert seen[-1] == (video_progress.DRAW_SHARE[0], "drawing part 3 · estimating the time left")
    p.drawn(2, 1)
    clock.now += 0.5
    p.drawn(2, 6)
    p.say("drawing part 3", force=True)
    assert "estimating" in seen[-1][1]  # half a second, five frames: not measured yet
    clock.now += 1.5
    p.drawn(2, 41)  # 40 frames in 2 s: 20 frames/s, 159 frames to go
    p.say("drawing part 3", force=True)
    assert seen[-1][1] == "drawing part 3 · a few seconds left"
    assert 7.0 < p.seconds_left() < 9.0
    low, high = video_progress.DRAW_SHARE
    assert seen[-1][0] == low + (high - low) * 41 / 200
    # throttled unless forced
    count = len(seen)
    p.say("drawing part 3")
    assert len(seen) == count


def test_the_ticker_repeats_the_news_every_second_and_asks_what_others_drew():
    seen, asked = [], []
    with RenderProgress(
        lambda f, m, urgent=False: seen.append(m), {0: 10}, 1, refresh=lambda: asked.append(1)
    ) as p:
        p.say("waiting for part 1", force=True)
        time.sleep(2.6)
    assert len(seen) >= 3 and all(m.startswith("waiting for part 1") for m in seen)
    assert len(asked) >= 2
