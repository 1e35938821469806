"""Beat tracking on signals whose beats are known exactly."""

import numpy as np
import pytest

from choleor.audio.beats import DETECTOR_LAG, compute_features, estimate_tempo, track_beats
from tests.audio_signals import SR, drum_track


def nearest_errors(est, ref):
    d = est[:, None] - ref[None, :]
    return d[np.arange(len(est)), np.argmin(np.abs(d), axis=1)]


def test_click_track_128_bpm_within_10_ms():
    y, onsets = drum_track(128)
    g = track_beats(y, SR)
    assert g.tempo == pytest.approx(128, abs=0.5)
    err = nearest_errors(g.beats, onsets)
    assert np.median(np.abs(err)) < 0.010
    assert np.mean(np.abs(err) < 0.010) > 0.9
    assert len(g.beats) >= len(onsets) - 2
    # downbeats are beats, every 4th
    assert set(np.round(g.downbeats, 6)) <= set(np.round(g.beats, 6))
    assert np.allclose(np.diff(g.downbeats), 4 * 60 / 128, atol=0.03)


@pytest.mark.parametrize("bpm", [92, 110, 140])
def test_tempo_level_in_dance_range(bpm):
    y, _ = drum_track(bpm)
    g = track_beats(y, SR)
    assert g.tempo == pytest.approx(bpm, rel=0.02)  # not 1/2, 2/3 or 3/2 of it


def test_follows_slow_tempo_drift():
    y, onsets = drum_track(120, dur=40, drift=0.04)  # 120 -> ~125 BPM
    g = track_beats(y, SR)
    err = nearest_errors(g.beats, onsets)
    assert np.mean(np.abs(err) < 0.035) > 0.95


@pytest.mark.parametrize("bpm", [90, 128])
def test_detector_lag_constant_matches_synthetic_calibration(bpm):
    # How DETECTOR_LAG was measured: raw beats vs exactly known drum onsets.
    y, onsets = drum_track(bpm, hats=False)
    raw = track_beats(y, SR, lag=0.0)
    assert np.median(nearest_errors(raw.beats, onsets)) == pytest.approx(DETECTOR_LAG, abs=0.005)


def test_detector_lag_is_compensated():
    y, onsets = drum_track(100, hats=False)
    raw = track_beats(y, SR, lag=0.0)
    fixed = track_beats(y, SR)
    e_raw = np.median(nearest_errors(raw.beats, onsets))
    e_fix = np.median(nearest_errors(fixed.beats, onsets))
    assert abs(e_fix) < abs(e_raw)
    assert e_fix == pytest.approx(e_raw - DETECTOR_LAG, abs=1e-3)


def test_offbeat_hihats_do_not_pull_the_grid():
    # Loud open hi-hats on the off-beats (house): beats must stay on the kicks.
    y, onsets = drum_track(124, hat_level=2.0)
    g = track_beats(y, SR)
    err = nearest_errors(g.beats, onsets)
    assert np.mean(np.abs(err) < 0.05) > 0.9


def test_silence_gives_empty_grid_and_features_shape():
    y = np.zeros(SR * 5, np.float32)
    f = compute_features(y, SR)
    assert f.mel_db.shape[1] == f.n_frames == 1 + len(y) // f.hop_length
    g = track_beats(y, SR)
    assert len(g.beats) == 0


def test_tempo_candidates_include_related_levels():
    y, _ = drum_track(120)
    f = compute_features(y, SR)
    tempo, cands = estimate_tempo(f.onset, SR, f.hop_length)
    assert tempo == pytest.approx(120, rel=0.01)
    best = max(cands, key=cands.get)
    assert best == pytest.approx(120, rel=0.01)
    assert any(abs(c - 80) < 1 for c in cands) and any(abs(c - 180) < 1.5 for c in cands)
