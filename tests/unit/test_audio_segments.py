"""8-beat units: what a dancer counts."""

import numpy as np

from choleor.audio.beats import BeatGrid
from choleor.audio.segments import segments_for


def grid(n_beats=70, period=0.5, t0=1.0, first_downbeat=2):
    beats = t0 + period * np.arange(n_beats)
    return BeatGrid(
        beats=beats, downbeats=beats[first_downbeat::4], tempo=60 / period, first_downbeat=first_downbeat
    )


def test_whole_song_units_have_nine_times_and_start_on_downbeats():
    g = grid()
    segs = segments_for(g)
    assert len(segs) == (70 - 1 - 2) // 8  # partial unit at the end is dropped
    for k, s in enumerate(segs):
        assert s.index == k
        assert len(s.beats) == 9
        assert s.beats[0] in g.downbeats and s.beats[-1] in g.downbeats
        assert s.start == s.beats[0] and s.end == s.beats[-1]
    # contiguous: one unit ends where the next begins
    assert all(a.end == b.start for a, b in zip(segs, segs[1:]))


def test_interval_snaps_by_half_unit_rule():
    g = grid()
    segs = segments_for(g)  # units of 4 s starting at 2.0, 6.0, 10.0, ...
    assert segs[0].start == 2.0
    # 8.1 .. 18.1 s: unit at 6-10 is mostly outside (47.5 % inside), 18-22 only 2.5 %
    picked = segments_for(g, 8.1, 18.1)
    assert [s.start for s in picked] == [10.0, 14.0]
    # 7.0 .. 21.0: unit 6-10 is 75 % inside, 18-22 is 75 % inside
    picked = segments_for(g, 7.0, 21.0)
    assert [s.start for s in picked] == [6.0, 10.0, 14.0, 18.0]
    # indices are song-wide, not interval-relative
    assert picked[0].index == 1


def test_an_interval_under_half_a_unit_gives_no_segment():
    g = grid()
    assert segments_for(g, 10.5, 11.5) == []  # the API answers 400 "shorter than one 8-beat segment"
    assert segments_for(g, 12.0, 12.0) == []
    assert segments_for(g, 500.0, 600.0) == []


def test_open_ended_interval():
    g = grid()
    assert segments_for(g, start=30.0)[0].start == 30.0
    assert segments_for(g, end=6.0)[-1].end == 6.0
