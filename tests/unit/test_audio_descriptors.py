"""Per-unit descriptors, energy profile, waveform peaks and the whole analysis."""

import json
from pathlib import Path

import numpy as np
import pytest

from choleor.audio.analysis import analyze_array, analyze_file
from choleor.audio.beats import BeatGrid, compute_features
from choleor.audio.descriptors import (
    VECTOR_LENGTH,
    VECTOR_NAMES,
    energy_profile,
    music_vector,
    segment_descriptors,
)
from choleor.audio.peaks import waveform_peaks
from choleor.audio.segments import segments_for
from choleor.errors import BadInput

SR = 22050
CLIP = Path(__file__).resolve().parents[2] / "data" / "beats" / "omsx_keep_on_rolling.flac"


def tone_bursts(levels, period=0.5, freq=220.0):
    """One tone per beat whose amplitude follows `levels`; beats at k * period."""
    t = np.arange(int(period * SR)) / SR
    y = np.concatenate([a * np.sin(2 * np.pi * freq * t) for a in levels]).astype(np.float32)
    return y, period * np.arange(len(levels) + 1)


def test_energy_profile_follows_loudness_over_time():
    levels = [0.05, 0.1, 0.2, 0.4, 0.8, 0.4, 0.2, 0.1]  # crescendo then decrescendo
    y, beats9 = tone_bursts(levels)
    prof = energy_profile(y, SR, beats9)
    assert prof.shape == (8,)
    assert np.argmax(prof) == 4 and np.argmin(prof) == 0
    assert np.all(np.diff(prof[:5]) > 0) and np.all(np.diff(prof[4:]) < 0)
    assert abs(prof.mean()) < 1e-4  # z-scored over the song's (here: the unit's) beats
    # Doubling the amplitude adds 6 dB per beat: the profile itself barely moves.
    assert np.allclose(energy_profile(2 * y, SR, beats9), prof, atol=0.05)


def test_energy_profile_normalised_per_song():
    y, beats = tone_bursts([0.1] * 8 + [0.8] * 8)
    f = compute_features(y, SR)
    quiet = energy_profile(None, SR, beats[:9], feats=f, song_beats=beats)
    loud = energy_profile(None, SR, beats[8:], feats=f, song_beats=beats)
    assert np.all(quiet < 0) and np.all(loud > 0)


def test_music_vector_fixed_length_and_distinguishes_timbre():
    y1, b = tone_bursts([0.3] * 8, freq=220)
    noise = np.random.default_rng(0).standard_normal(len(y1)).astype(np.float32) * 0.1
    v1 = music_vector(y1, SR, b)
    v2 = music_vector(noise, SR, b)
    assert v1.shape == v2.shape == (VECTOR_LENGTH,) == (len(VECTOR_NAMES),)
    assert np.all(np.isfinite(v1)) and np.all(np.isfinite(v2))
    chroma = slice(VECTOR_NAMES.index("chroma0_mean"), VECTOR_NAMES.index("chroma11_mean") + 1)
    assert np.argmax(v1[chroma]) == 9  # 220 Hz is an A
    assert not np.allclose(v1, v2)


def test_segment_descriptors_match_single_vector():
    y, b = tone_bursts([0.2, 0.4] * 12)
    g = BeatGrid(beats=b, downbeats=b[::4], tempo=120.0)
    segs = segments_for(g)
    vecs, energy = segment_descriptors(y, SR, g, segs)
    assert vecs.shape == (len(segs), VECTOR_LENGTH) and energy.shape == (len(segs), 8)
    assert np.allclose(vecs[1], music_vector(y, SR, segs[1].beats), atol=1e-5)


def test_waveform_peaks():
    y = np.sin(np.linspace(0, 20 * np.pi, 10_000)).astype(np.float32)
    p = waveform_peaks(y, n=100)
    assert p.shape == (100, 2)
    assert np.all(p[:, 0] <= p[:, 1])
    assert p[:, 1].max() == pytest.approx(1.0, abs=1e-3) and p[:, 0].min() == pytest.approx(-1.0, abs=1e-3)
    assert waveform_peaks(y[:10], n=100).shape == (100, 2)


def test_analyze_file_on_a_real_clip():
    seen = []
    a = analyze_file(CLIP, progress=lambda f, m: seen.append(f))
    assert a.tempo == pytest.approx(104, abs=1)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    assert len(a.segments) >= 8
    for s in a.segments:
        assert len(s.beats) == 9 and np.any(np.isclose(a.downbeats, s.start))
    j = json.loads(json.dumps(a.to_json()))  # plain JSON types only
    assert len(j["beats"]) == len(a.beats) and len(j["peaks"]) == 1500
    assert np.allclose(j["beats"], a.beats, atol=1e-4)
    assert len(j["segments"][0]["vector"]) == VECTOR_LENGTH


def test_analyze_array_rejects_silence_and_noise_without_beat():
    with pytest.raises(BadInput, match="silent"):
        analyze_array(np.zeros(SR * 10, np.float32), SR)
