"""Beat alignment: do the dancer's accents land on the music's beats?

Motion beats are local minima of the mean keypoint speed (the body settles on a beat). The
Beat Align Score between two lists of beat times is the mean over the first list of
exp(-d^2 / 2 sigma^2), d = distance to the nearest beat of the other list (sigma = 50 ms).

`move_alignment` scores every library move on its own: its 8-beat trajectory played at its own
tempo, its motion beats against its 7 inner beats, in both directions. The composed sequence
lays each move's beats on the song's beats, so a move whose accents sit on its own beats keeps
them on the song's; this is what `metrics.bas_*` then measure on the whole sequence.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d, maximum_filter1d, minimum_filter1d
from scipy.signal import argrelextrema

SIGMA = 0.05  # s
SMOOTH = 3.0  # Gaussian sigma of the speed curve, in frames
ORDER = 3  # a minimum is the lowest within this many frames on each side
FPS = 60.0
DIP = 0.01  # a minimum of a move counts when the speed around it is this share of its mean higher


def motion_beats(
    times: np.ndarray, poses: np.ndarray, smooth: float = SMOOTH, order: int = ORDER
) -> np.ndarray:
    """Times of local minima of the (Gaussian-smoothed, `smooth` frames) mean keypoint speed."""
    speed = np.linalg.norm(np.diff(poses, axis=0), axis=-1).mean(axis=-1)
    speed = gaussian_filter1d(speed, smooth) if smooth > 0 else speed
    idx = argrelextrema(speed, np.less_equal, order=order)[0]
    idx = idx[(idx > 0) & (idx < len(speed) - 1)]
    # plateaus give runs of equal minima: keep one per run
    idx = idx[np.insert(np.diff(idx) > 1, 0, True)] if idx.size else idx
    mids = 0.5 * (times[:-1] + times[1:])
    return mids[idx]


def beat_align(reference: np.ndarray, other: np.ndarray, sigma: float = SIGMA) -> float:
    """Mean over `reference` beats of exp(-d^2 / 2 sigma^2), d = distance to nearest `other`."""
    if len(reference) == 0 or len(other) == 0:
        return 0.0
    d = np.abs(np.asarray(reference)[:, None] - np.asarray(other)[None, :]).min(axis=1)
    return float(np.exp(-(d**2) / (2 * sigma**2)).mean())


def move_alignment(
    trajectories: np.ndarray,
    tempo: np.ndarray,
    beats: int = 8,
    fps: float = FPS,
    sigma: float = SIGMA,
    chunk: int = 4096,
) -> np.ndarray:
    """(N,) mean of both Beat Align Score directions for each move on its own, 0..1.

    trajectories: (N, beats * k + 1, 17, 2) sampled evenly over the move's beats; tempo: (N,)
    bpm. Each move is resampled at `fps` at a common reference tempo (the library median; a
    move is always stretched near its own tempo, and `sigma` is then read in that tempo's
    beats), with the same minimum rule as `motion_beats`, vectorised over the library.
    """
    tempo = np.asarray(tempo, dtype=np.float64)
    out = np.zeros(len(trajectories), np.float32)
    if not len(trajectories):
        return out
    period = 60.0 / float(np.median(tempo))
    frames = int(round(beats * period * fps)) + 1
    t = np.linspace(0.0, beats * period, frames)
    mids = 0.5 * (t[:-1] + t[1:])
    inner = np.arange(1, beats) * period  # the first and last beat: no minimum can be found there
    samples = trajectories.shape[1]
    # The speed of each sample interval, read at the frames' midpoints (linear between interval
    # centres): close to resampling the poses first, at a fraction of the memory and time.
    pos = np.clip(mids / (beats * period) * (samples - 1) - 0.5, 0, samples - 2)
    lo = np.minimum(pos.astype(int), samples - 3)
    frac = (pos - lo)[None, :]
    for a in range(0, len(trajectories), chunk):
        traj = np.asarray(trajectories[a : a + chunk], dtype=np.float32)
        step = np.linalg.norm(np.diff(traj, axis=1), axis=-1).mean(axis=-1)  # (n, samples - 1)
        speed = gaussian_filter1d((1 - frac) * step[:, lo] + frac * step[:, lo + 1], SMOOTH, axis=1)
        is_min = speed <= minimum_filter1d(speed, 2 * ORDER + 1, axis=1, mode="nearest")
        # A real dip, not float noise on a steady glide (which has no accents at all).
        rise = maximum_filter1d(speed, 2 * ORDER + 1, axis=1, mode="nearest") - speed
        is_min &= rise > DIP * speed.mean(axis=1, keepdims=True)
        is_min[:, [0, -1]] = False
        is_min[:, 1:] &= ~is_min[:, :-1]  # one per plateau
        out[a : a + len(traj)] = _both_ways(is_min, mids, inner, sigma)
    return out


def _both_ways(is_min: np.ndarray, times: np.ndarray, music: np.ndarray, sigma: float) -> np.ndarray:
    """`beat_align` both ways, averaged, for many motion-beat masks (n, F) over `times` (F,)."""

    def gauss(d: np.ndarray) -> np.ndarray:
        return np.exp(-(d**2) / (2 * sigma**2))

    # motion -> music: each minimum's distance to the nearest inner beat
    to_music = gauss(np.abs(times[:, None] - music[None, :]).min(axis=1))  # (F,)
    count = is_min.sum(axis=1)
    motion_side = (is_min * to_music).sum(axis=1) / np.maximum(count, 1)
    # music -> motion: time of the last minimum at or before, and the first at or after, each frame
    frame = np.arange(is_min.shape[1])
    before = np.maximum.accumulate(np.where(is_min, frame, -1), axis=1)
    after = np.minimum.accumulate(np.where(is_min, frame, len(frame))[:, ::-1], axis=1)[:, ::-1]
    at = np.clip(np.searchsorted(times, music), 0, len(times) - 1)  # frames nearest the beats
    b, f = before[:, at], after[:, at]
    far = np.inf
    d_before = np.where(b >= 0, music - times[np.clip(b, 0, None)], far)
    d_after = np.where(f < len(frame), times[np.clip(f, None, len(frame) - 1)] - music, far)
    music_side = gauss(np.minimum(np.abs(d_before), np.abs(d_after))).mean(axis=1)
    both = 0.5 * (motion_side + music_side)
    return np.where(count > 0, both, 0.0).astype(np.float32)
