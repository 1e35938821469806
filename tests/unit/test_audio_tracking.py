"""Whole-tracker behaviour a dancer relies on: fast songs counted on the "1", tempo changes,
quiet intros, and a low confidence where there is no steady beat."""

import numpy as np
import pytest

from choleor.audio.analysis import analyze_array
from choleor.audio.beats import track_beats
from choleor.audio.confidence import STEADY
from tests import audio_signals as sig
from tests.audio_signals import SR, drum_track


def hit_share(est, ref, tol=0.05):
    """Share of `ref` times with an `est` time within `tol` seconds."""
    est = np.asarray(est)
    return float(np.mean([np.min(np.abs(est - r)) < tol for r in ref])) if len(est) else 0.0


def test_fast_song_is_counted_at_half_tempo_on_the_kicks_not_the_backbeat():
    # 184 BPM: kick on 1 and 3, snare on 2 and 4. Counted at 92, the counts are the kicks.
    y, onsets = drum_track(184, dur=30.0)
    g = track_beats(y, SR)
    assert g.tempo == pytest.approx(92, rel=0.01)
    kicks, snares = onsets[0::2], onsets[1::2]
    assert hit_share(g.beats, kicks[1:-1]) > 0.95
    assert hit_share(g.beats, snares[1:-1]) < 0.05


def test_follows_a_tempo_change_from_100_to_120_bpm():
    y, onsets = sig.stitched_tempo_change(100.0, 120.0, each=20.0)
    g = track_beats(y, SR)
    change = onsets[np.argmax(np.diff(onsets) < 0.55)]  # first 120 BPM interval
    before, after = onsets[(onsets > 1) & (onsets < change - 1)], onsets[onsets > change + 4]
    assert hit_share(g.beats, before) > 0.9
    assert hit_share(g.beats, after) > 0.9
    ibi = np.diff(g.beats)
    assert np.median(ibi[g.beats[1:] < change - 1]) == pytest.approx(0.6, abs=0.01)
    assert np.median(ibi[g.beats[1:] > change + 4]) == pytest.approx(0.5, abs=0.01)
    assert g.confidence >= STEADY


def test_first_beat_after_a_quiet_intro_is_kept():
    y, onsets = sig.quiet_intro(bpm=110.0, intro=6.0, dur=30.0)
    g = track_beats(y, SR)
    assert np.min(np.abs(g.beats - onsets[0])) < 0.05  # the first drum hit is a beat
    assert hit_share(g.beats, onsets[:-1]) > 0.95


@pytest.mark.parametrize("bpm", [92, 128, 172])
def test_drums_have_a_steady_beat(bpm):
    y, _ = drum_track(bpm, dur=20.0)
    assert track_beats(y, SR).confidence >= 0.9


def test_no_steady_beat_in_noise_speech_ambient_or_free_time_music(tmp_path):
    signals = {
        "pink noise": sig.noise(20.0),
        "speech": sig.speech(tmp_path, 20.0),
        "ambient pad": sig.ambient(20.0),
        "free-time piano": sig.rubato(24.0),
        "free-time piano (2)": sig.rubato(24.0, seed=1),
    }
    conf = {name: track_beats(y, SR).confidence for name, y in signals.items()}
    assert all(c < STEADY for c in conf.values()), conf


def test_analysis_says_when_there_is_no_steady_beat():
    song = analyze_array(sig.noise(20.0), SR)
    doc = song.to_json()
    assert doc["steady_beat"] is False and doc["beat_confidence"] < STEADY
    y, _ = drum_track(120, dur=20.0)
    doc = analyze_array(y, SR).to_json()
    assert doc["steady_beat"] is True and doc["beat_confidence"] >= STEADY


def test_downbeats_fall_where_the_chords_change():
    # Drums at 112 BPM (kick 1 and 3, snare 2 and 4) under sustained chords that change on
    # every bar's 1; the song starts on beat 3 of a bar, so phase 0 would be wrong.
    y, onsets = drum_track(112, dur=30.0, t0=0.4)
    bar_starts = onsets[2::4]
    roots = [220.0, 174.6, 261.6, 196.0]
    chords = np.zeros_like(y)
    for k, t0 in enumerate(bar_starts):
        chords += sig.tone_events(
            [t0] * 3, len(y) / SR, [roots[k % 4] * r for r in (1, 1.26, 1.5)], decay=1.5
        )
    g = track_beats(y + 0.5 * chords, SR)
    assert hit_share(g.downbeats, bar_starts[1:-1]) > 0.9
