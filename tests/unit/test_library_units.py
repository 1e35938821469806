"""Where a dance video is cut into moves: 8 counted beats from every bar, also in half time."""

import numpy as np

from choleor.audio.beats import BeatGrid
from choleor.library.ingest import bar_units


def grid(n_beats=40, period=0.375, t0=0.5, first_downbeat=1):
    beats = t0 + period * np.arange(n_beats)
    return BeatGrid(
        beats=beats, downbeats=beats[first_downbeat::4], tempo=60 / period, first_downbeat=first_downbeat
    )


def test_a_move_starts_on_every_bar():
    g = grid()
    units = bar_units(g)
    assert len(units) == len(range(1, 40 - 8, 4))
    for u in units:
        assert len(u.beats) == 9 and u.beats[0] in g.downbeats
        assert np.allclose(np.diff(u.beats), 0.375)
    assert np.allclose(np.diff([u.start for u in units]), 4 * 0.375)


def test_half_time_units_count_every_other_beat_of_sixteen():
    g = grid()
    halves = bar_units(g, counting=2)
    assert len(halves) == len(range(1, 40 - 16, 4))
    for u in halves:
        # 9 times = 8 counted beats over 16 real ones: the dance at half its tempo
        assert len(u.beats) == 9 and u.beats[0] in g.downbeats and u.beats[-1] in g.beats
        assert np.allclose(np.diff(u.beats), 2 * 0.375)
        assert np.isclose(u.end - u.start, 16 * 0.375)
    assert all(u.end <= g.beats[-1] for u in halves)
