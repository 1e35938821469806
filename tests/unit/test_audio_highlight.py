"""The suggested part of a song: a chorus or drop, 32 or 64 beats, starting on a counted "1"."""

import dataclasses
import json

import numpy as np
import pytest

from choleor.audio.analysis import analyze_array, analyze_file
from tests import genre_signals as gs
from tests.paths import DATA

SHIPPED = sorted(DATA.glob("beats/*.flac")) + sorted(DATA.glob("beats/batch2/*.flac"))


def section(style: str, bars: int, gain: float, progression: str | None = None, seed: int = 0) -> np.ndarray:
    """`bars` bars of a groove at 120 BPM, starting on its "1" at t = 0."""
    s = dataclasses.replace(gs.STYLES[style], bpm=120.0)
    if progression:
        s = dataclasses.replace(s, progression=progression)
    y = gs.render(s, dur=bars * 2.0, first_beat=0, t0=0.0, seed=seed).y
    return gain * y / (np.abs(y).max() + 1e-9)


def verse_chorus_song():
    """intro 4 bars, verse 8, chorus 8, verse 8, chorus 8, outro 4: (samples, chorus intervals s)."""
    quiet_verse = lambda seed: section("syncopated", 8, 0.25, "minor", seed)  # noqa: E731
    loud_chorus = lambda seed: section("rock", 8, 0.9, "major", seed)  # noqa: E731
    parts = [
        ("intro", section("syncopated", 4, 0.12, "minor", 1)),
        ("verse", quiet_verse(2)),
        ("chorus", loud_chorus(3)),
        ("verse", quiet_verse(4)),
        ("chorus", loud_chorus(5)),
        ("outro", section("syncopated", 4, 0.12, "minor", 6)),
    ]
    choruses, t = [], 0.0
    for name, y in parts:
        if name == "chorus":
            choruses.append((t, t + len(y) / gs.SR))
        t += len(y) / gs.SR
    lead_in = np.zeros(int(0.5 * gs.SR), np.float32)  # the song does not start on a beat
    return np.concatenate([lead_in] + [y for _, y in parts]).astype(np.float32), [
        (a + 0.5, b + 0.5) for a, b in choruses
    ]


def test_the_suggested_part_of_a_verse_chorus_song_is_a_chorus():
    y, choruses = verse_chorus_song()
    a = analyze_array(y, gs.SR)
    s = a.suggested
    assert s is not None and s.beats in (32, 64)
    inside = max(max(0.0, min(s.end, b) - max(s.start, a_)) for a_, b in choruses)
    assert inside >= 0.9 * (s.end - s.start), (s, choruses)
    assert np.min(np.abs(a.downbeats - s.start)) < 1e-6


def test_a_song_shorter_than_32_beats_of_whole_units_has_no_suggestion():
    y = section("house", 6, 0.8)  # 24 beats
    a = analyze_array(np.concatenate([np.zeros(gs.SR // 2, np.float32), y]), gs.SR)
    assert len(a.segments) * 8 < 32
    assert a.suggested is None
    assert a.to_json()["suggested"] is None


@pytest.mark.slow
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_song_has_a_suggestion_on_a_downbeat_of_32_or_64_beats(path):
    doc = json.loads(json.dumps(analyze_file(path).to_json()))  # what the API serves
    s = doc["suggested"]
    assert s is not None
    assert min(abs(d - s["start"]) for d in doc["downbeats"]) < 1e-3  # starts on a counted "1"
    beats = np.asarray(doc["beats"])
    inside = beats[(beats >= s["start"] - 1e-3) & (beats < s["end"] - 1e-3)]
    assert len(inside) == s["beats"] >= 32
    assert s["beats"] in (32, 64)
    # it is whole segments of the song: a choreography of it snaps to exactly these units
    units = doc["segments"][s["first_segment"] : s["first_segment"] + s["segments"]]
    assert units[0]["start"] == pytest.approx(s["start"]) and units[-1]["end"] == pytest.approx(s["end"])
    assert 0.0 <= s["score"] <= 1.0
