"""The count lands on the "1" in the genres a dancer brings (synthetic songs made on the fly,
tests/genre_signals.py): house, drum and bass, rock, fast rock, a syncopated kick under
off-beat hats, half-time metal. Each song starts on beat 2, 3 or 4 of its bar, so a grid
whose first beat is taken as the "1" fails."""

import numpy as np
import pytest

from choleor.audio.beats import track_beats
from choleor.audio.segments import segments_for
from tests.genre_signals import SR, STYLES, render

FAST_BPM = 150.0  # counted at half tempo, on the kicks (beats 1 and 3)
STARTS = [(1, 0), (2, 1), (3, 2)]  # (position in its bar of the first beat heard, 0-based; seed)


def near(times, ref, tol=0.05) -> np.ndarray:
    """Mask of `times` within `tol` s of some `ref` time."""
    times, ref = np.asarray(times), np.asarray(ref)
    return np.min(np.abs(times[:, None] - ref[None, :]), axis=1) < tol if len(times) else np.zeros(0, bool)


def counted_beats(song) -> np.ndarray:
    """What a dancer counts: every beat, or for a fast song beats 1 and 3 of each bar."""
    if song.bpm < FAST_BPM:
        return song.beats
    first = int(np.argmin(np.abs(song.beats - song.downbeats[0])))
    return song.beats[first % 2 :: 2]


@pytest.mark.parametrize("style", list(STYLES))
@pytest.mark.parametrize("first_beat,seed", STARTS)
def test_segments_start_on_the_one(style, first_beat, seed):
    song = render(STYLES[style], dur=30.0, first_beat=first_beat, seed=seed)
    g = track_beats(song.y, SR)
    counted = counted_beats(song)
    assert near(counted[(counted > 1) & (counted < 29)], g.beats).mean() > 0.9
    assert near(g.beats, counted).mean() > 0.9, "beats off the counted level"
    starts = [s.start for s in segments_for(g)]
    assert len(starts) >= 2
    assert near(starts, song.downbeats).mean() >= 0.9, (style, first_beat, starts[:3], song.downbeats[:3])


@pytest.mark.parametrize("style", [s for s, st in STYLES.items() if st.bpm >= FAST_BPM])
@pytest.mark.parametrize("first_beat,seed", [(1, 3), (2, 4), (3, 5)])
def test_fast_drums_alone_are_counted_on_the_kicks(style, first_beat, seed):
    # Without bass or chords only the drums tell the counted half: the kick's, never the
    # snare's backbeat (a drum and bass two-step has no kick on 3, its snare is on 2 and 4).
    song = render(STYLES[style], dur=30.0, first_beat=first_beat, seed=seed, harmony=False)
    g = track_beats(song.y, SR)
    counted = counted_beats(song)
    backbeat = np.setdiff1d(song.beats, counted)
    assert near(g.beats, counted).mean() > 0.9
    assert near(g.beats, backbeat).mean() < 0.1
