"""Dynamic-programming beat tracking (Ellis 2007, as in librosa's `beat_track`), in numpy.

Differences from librosa's version, each for a reason:
- The beat period is fractional and may change over time (one value per frame): librosa
  rounds it to whole frames (at hop 256 and 125 BPM, 41.34 -> 41 frames, i.e. 126 BPM), and
  the tightness penalty then drags the grid off a constant-tempo song; a song whose tempo
  changes needs a period that follows it.
- Vectorised by blocks of half a period (every predecessor of a frame in the block lies
  before the block), so it needs no JIT compiler: numba's start-up and compile cost more
  than the whole analysis of a song.
- No trimming of weak beats at the ends: a quiet intro keeps its beats (the caller drops
  beats where there is no sound at all).
"""

from __future__ import annotations

import numpy as np


def local_score(env: np.ndarray, period: float) -> np.ndarray:
    """The onset envelope, normalised by its standard deviation and smoothed by a Gaussian
    of width period/32 (librosa's local score)."""
    env = np.asarray(env, dtype=float)
    std = env.std(ddof=1) if len(env) > 1 else 0.0
    x = env / std if std > 0 else env
    half = max(1, int(round(period)))
    window = np.exp(-0.5 * (np.arange(-half, half + 1) * 32.0 / period) ** 2)
    return np.convolve(x, window, mode="same")


def track(env: np.ndarray, period: float | np.ndarray, tightness: float = 800.0) -> np.ndarray:
    """Beat frames (int, increasing) maximising onset strength at the beats minus
    `tightness` * log(interval / period)**2 between consecutive beats.

    `period`: frames per beat, a scalar or one value per frame of `env`."""
    n = len(env)
    if n == 0:
        return np.zeros(0, int)
    period = np.broadcast_to(np.asarray(period, dtype=float), (n,))
    score = local_score(env, float(np.median(period)))
    cum = np.empty(n)
    back = np.full(n, -1)
    k = 0
    while k < n:
        p = period[k]
        size = max(1, int(p // 2))
        i = np.arange(k, min(n, k + size))
        lo = max(0, k - int(np.ceil(2 * p)))
        j = np.arange(lo, k)
        if len(j):
            gap = i[:, None] - j[None, :]
            pi = period[i][:, None]
            ok = (gap >= pi / 2) & (gap <= 2 * pi)
            cand = np.where(ok, cum[j][None, :] - tightness * np.log(np.maximum(gap, 1) / pi) ** 2, -np.inf)
            best = np.argmax(cand, axis=1)
            val = cand[np.arange(len(i)), best]
            has = np.isfinite(val)
            cum[i] = score[i] + np.where(has, val, 0.0)
            back[i] = np.where(has, j[best], -1)
        else:
            cum[i] = score[i]
        k += size
    # Frames too weak to start a path do not link back (librosa's first-beat rule).
    first = int(np.argmax(score >= 0.01 * score.max())) if score.max() > 0 else 0
    back[:first] = -1
    # Last beat: the last local maximum of the cumulative score that is at least half the
    # median local maximum (librosa's rule), so a fade-out does not invent beats.
    peaks = np.flatnonzero((cum[1:-1] > cum[:-2]) & (cum[1:-1] >= cum[2:])) + 1
    if len(peaks) == 0:
        return np.zeros(0, int)
    good = peaks[cum[peaks] >= 0.5 * np.median(cum[peaks])]
    beats = [int(good[-1])]
    while back[beats[-1]] >= 0:
        beats.append(int(back[beats[-1]]))
    return np.array(beats[::-1])


def refine(env: np.ndarray, frames: np.ndarray, radius: int = 2) -> np.ndarray:
    """Sub-frame beat positions: the parabolic peak of `env` near each beat frame, kept only
    where it moves the beat by less than one frame (else the frame itself)."""
    env = np.asarray(env, dtype=float)
    out = frames.astype(float)
    for m, f in enumerate(frames):
        a, b = max(1, f - radius), min(len(env) - 1, f + radius + 1)
        if b - a < 1:
            continue
        k = a + int(np.argmax(env[a:b]))
        if 0 < k < len(env) - 1:
            p, q, r = env[k - 1 : k + 2]
            d = p - 2 * q + r
            off = 0.5 * (p - r) / d if d < 0 else 0.0
            pos = k + off
            if abs(pos - f) < 1.0:
                out[m] = pos
    return out
