"""The numpy/scipy spectral blocks give librosa's results for the settings the analysis uses."""

import librosa
import numpy as np
import pytest

from choleor.audio import spectral
from choleor.audio.beats import compute_features
from tests.audio_signals import SR, drum_track


@pytest.fixture(scope="module")
def song():
    y, _ = drum_track(117, dur=12.0)
    rng = np.random.default_rng(3)
    t = np.arange(len(y)) / SR
    return (y + 0.05 * np.sin(2 * np.pi * 220 * t) + 0.01 * rng.standard_normal(len(y))).astype(np.float32)


def test_filterbanks_and_window_match_librosa():
    np.testing.assert_allclose(
        spectral.mel_filterbank(SR, 2048, 96),
        librosa.filters.mel(sr=SR, n_fft=2048, n_mels=96),
        rtol=1e-5,
        atol=1e-8,
    )
    np.testing.assert_allclose(
        spectral.chroma_filterbank(SR, 2048), librosa.filters.chroma(sr=SR, n_fft=2048), rtol=1e-5, atol=1e-7
    )
    np.testing.assert_allclose(spectral.hann(2048), librosa.filters.get_window("hann", 2048), atol=1e-7)
    np.testing.assert_allclose(
        spectral.mel_frequencies(96, 0.0, SR / 2), librosa.mel_frequencies(n_mels=96, fmax=SR / 2), rtol=1e-9
    )


def test_features_match_a_librosa_stft(song):
    f = compute_features(song, SR)
    S = np.abs(librosa.stft(song, n_fft=2048, hop_length=256, center=True, pad_mode="constant")) ** 2
    mel = librosa.power_to_db(librosa.filters.mel(sr=SR, n_fft=2048, n_mels=96) @ S, ref=np.max, top_db=80.0)
    np.testing.assert_allclose(f.mel_db, mel, atol=2e-3)
    chroma = librosa.filters.chroma(sr=SR, n_fft=2048) @ S
    np.testing.assert_allclose(f.chroma, chroma / (chroma.max(axis=0) + 1e-10), atol=1e-4)


def test_autocorrelate_mfcc_and_peak_pick_match_librosa(song):
    f = compute_features(song, SR)
    x = f.onset.astype(float) - f.onset.mean()
    np.testing.assert_allclose(spectral.autocorrelate(x), librosa.autocorrelate(x), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(
        spectral.mfcc(f.mel_db, 13), librosa.feature.mfcc(S=f.mel_db, n_mfcc=13), atol=1e-3
    )
    kw = dict(pre_max=3, post_max=3, pre_avg=10, post_avg=10, delta=0.5 * f.onset.std(), wait=4)
    for seg in (f.onset, f.onset[:200], f.onset_bands[2]):
        np.testing.assert_array_equal(spectral.peak_pick(seg, **kw), librosa.util.peak_pick(seg, **kw))
