"""The few spectral building blocks of the song analysis, in numpy and scipy.fft.

Each one gives librosa's result for the settings we use (the unit tests compare them with
librosa). They are written out because importing librosa's filters, spectrum and utility
modules pulls in scipy.signal and numba and costs about a second and a half of start-up
plus JIT compilation, more than the whole analysis of a song; a command-line analysis has
to start in well under a second.
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.fft


def hann(n: int) -> np.ndarray:
    """Periodic Hann window (librosa/scipy `get_window("hann", n)`)."""
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)).astype(np.float32)


def power_frames(frames: np.ndarray, window: np.ndarray) -> np.ndarray:
    """(n_fft//2 + 1, n) power spectrum of (n, n_fft) frames (librosa.stft(center=False),
    magnitude squared)."""
    spec = scipy.fft.rfft(frames * window, axis=1, workers=1)
    parts = spec.view(np.float32).reshape(*spec.shape, 2)
    return np.einsum("ijk,ijk->ji", parts, parts)


def hz_to_mel(f: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (librosa's default): linear below 1 kHz, logarithmic above."""
    f = np.asarray(f, dtype=float)
    mel = f / (200.0 / 3)
    log = f >= 1000.0
    return np.where(log, 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / (np.log(6.4) / 27.0), mel)


def mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=float)
    return np.where(m >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0)), (200.0 / 3) * m)


def mel_frequencies(n_mels: int, fmin: float = 0.0, fmax: float = 11025.0) -> np.ndarray:
    """Centre frequencies of `n_mels` mel bands (librosa.mel_frequencies, Slaney)."""
    return mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels))


@functools.cache
def mel_filterbank(sr: int, n_fft: int, n_mels: int) -> np.ndarray:
    """(n_mels, 1 + n_fft//2) triangular mel filters, Slaney-normalised (librosa.filters.mel
    with fmin=0, fmax=sr/2)."""
    fft_freqs = np.linspace(0, sr / 2, 1 + n_fft // 2)
    mel_f = mel_frequencies(n_mels + 2, 0.0, sr / 2)
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    lower = -ramps[:n_mels] / fdiff[:n_mels, None]
    upper = ramps[2 : n_mels + 2] / fdiff[1 : n_mels + 1, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels]))[:, None]
    return weights.astype(np.float32)


@functools.cache
def chroma_filterbank(sr: int, n_fft: int, n_chroma: int = 12) -> np.ndarray:
    """(12, 1 + n_fft//2) chroma filters (librosa.filters.chroma defaults: A440, Gaussian
    over octaves centred on octave 5 with width 2, columns L2-normalised, starting at C)."""
    freqs = np.linspace(0, sr, n_fft, endpoint=False)[1:]
    frqbins = n_chroma * np.log2(freqs / (440.0 / 16))
    frqbins = np.concatenate(([frqbins[0] - 1.5 * n_chroma], frqbins))
    binwidth = np.concatenate((np.maximum(frqbins[1:] - frqbins[:-1], 1.0), [1]))
    d = frqbins[None, :] - np.arange(n_chroma, dtype=float)[:, None]
    half = np.round(n_chroma / 2)
    d = np.remainder(d + half + 10 * n_chroma, n_chroma) - half
    wts = np.exp(-0.5 * (2 * d / binwidth[None, :]) ** 2)
    norm = np.sqrt(np.sum(wts**2, axis=0, keepdims=True))
    wts = np.where(norm > np.finfo(float).tiny, wts / np.where(norm > 0, norm, 1), wts)
    wts *= np.exp(-0.5 * ((frqbins / n_chroma - 5.0) / 2.0) ** 2)[None, :]
    wts = np.roll(wts, -3 * (n_chroma // 12), axis=0)
    return np.ascontiguousarray(wts[:, : 1 + n_fft // 2], dtype=np.float32)


def autocorrelate(x: np.ndarray) -> np.ndarray:
    """Full-length autocorrelation of a 1-d signal (librosa.autocorrelate), by FFT."""
    n = len(x)
    spec = scipy.fft.rfft(x, n=scipy.fft.next_fast_len(2 * n - 1, real=True))
    return scipy.fft.irfft(spec.real**2 + spec.imag**2)[:n].astype(x.dtype, copy=False)


def mfcc(mel_db: np.ndarray, n_mfcc: int) -> np.ndarray:
    """MFCCs of a log-mel spectrogram (librosa.feature.mfcc(S=...), DCT-II, orthonormal)."""
    return scipy.fft.dct(mel_db, axis=-2, type=2, norm="ortho")[:n_mfcc]


def peak_pick(
    x: np.ndarray, pre_max: int, post_max: int, pre_avg: int, post_avg: int, delta: float, wait: int
) -> np.ndarray:
    """Indices of the peaks of `x` (librosa.util.peak_pick): x[n] is the maximum of
    x[n-pre_max : n+post_max], at least `delta` above the mean of x[n-pre_avg : n+post_avg],
    and more than `wait` samples after the previous peak."""
    x = np.asarray(x)
    n = len(x)
    if n == 0:
        return np.zeros(0, int)
    delta = np.float32(delta)
    idx = np.arange(n)
    lo_m, hi_m = np.maximum(0, idx - pre_max), np.minimum(n, idx + post_max)
    lo_a, hi_a = np.maximum(0, idx - pre_avg), np.minimum(n, idx + post_avg)
    lo_m[0], lo_a[0] = 0, 0
    hi_m[0], hi_a[0] = min(post_max, n), min(post_avg, n)
    cs = np.concatenate([[0.0], np.cumsum(x, dtype=float)])
    avg = (cs[hi_a] - cs[lo_a]) / np.maximum(hi_a - lo_a, 1)
    pad = np.concatenate([np.full(pre_max, -np.inf), x.astype(float), np.full(post_max, -np.inf)])
    window = np.lib.stride_tricks.sliding_window_view(pad, pre_max + post_max)[:n]
    local_max = window.max(axis=1)
    if hi_m[0] > 0:
        local_max[0] = x[: hi_m[0]].max()
    cand = np.flatnonzero((x == local_max) & (x >= (avg + delta)))
    peaks, nxt = [], 0
    for i in cand:
        if i >= nxt:
            peaks.append(int(i))
            nxt = i + wait + 1
    return np.asarray(peaks, dtype=int)


def acf(env: np.ndarray) -> np.ndarray:
    """Autocorrelation of the envelope about its mean, 1 at lag 0."""
    x = env - env.mean()
    ac = autocorrelate(x)
    return ac / (ac[0] + 1e-12)


def acf_at(ac: np.ndarray, lags: np.ndarray, tol: int = 1) -> np.ndarray:
    """Autocorrelation at (fractional) lags, max within ±tol frames (rounding slack)."""
    i = np.rint(lags).astype(int)
    out = np.full(i.shape, -1.0)
    for d in range(-tol, tol + 1):
        j = i + d
        ok = (j >= 0) & (j < len(ac))
        out[ok] = np.maximum(out[ok], ac[j[ok]])
    return out


def value_at(env: np.ndarray, frames: np.ndarray, tol: int = 1) -> np.ndarray:
    """Envelope at frames, max within ±tol frames."""
    return acf_at(env, frames, tol)
