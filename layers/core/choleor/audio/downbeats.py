"""Where the "1" is: the bar phase of a beat grid.

Four cues, each measured at every beat, z-scored over the song and added with equal weight
(nothing is fitted to the annotated clips):

- the learned downbeat activation (BeatNet), the only cue trained on thousands of songs;
- kick-band onset strength (kicks land on 1 and 3 far more than on 2 and 4);
- harmonic change: chroma of this beat against the previous one (chords change on the 1);
- timbre change: mean log-mel spectrum of the two beats from here against the two before
  (fills end and new parts enter on the 1).

The phase whose beats carry the most of the sum is the bar start. Each cue alone gets the bar
phase of 12 to 15 of the 20 annotated clips; the sum gets 17.

`kick_half` picks the counted half of a grid tracked twice as fast as it is counted (a fast
song's beats, a slow song's eighths) from the kick alone.
"""

from __future__ import annotations

import numpy as np

from choleor.audio import spectral


def _z(v: np.ndarray) -> np.ndarray:
    return (v - v.mean()) / (v.std() + 1e-12)


def beat_sync(x: np.ndarray, frames: np.ndarray, reduce=np.mean) -> np.ndarray:
    """(d, n) `reduce` of the columns of `x` (d, T) over each beat span frames[i]..frames[i+1]
    (the last beat spans to the end)."""
    bounds = np.clip(np.r_[np.rint(frames).astype(int), x.shape[1]], 0, x.shape[1])
    out = np.empty((x.shape[0], len(frames)), x.dtype)
    for i in range(len(frames)):
        a, b = bounds[i], max(bounds[i + 1], bounds[i] + 1)
        out[:, i] = reduce(x[:, a : min(b, x.shape[1])], axis=1) if a < x.shape[1] else 0
    return out


def cosine_change(x: np.ndarray, width: int) -> np.ndarray:
    """Per beat: cosine distance between the mean of the `width` beats from here and the
    mean of the `width` beats before (0 where there is no beat before)."""
    d, n = x.shape
    cs = np.concatenate([np.zeros((d, 1)), np.cumsum(x, axis=1)], axis=1)
    out = np.zeros(n)
    for i in range(1, n):
        a, b = max(0, i - width), min(n, i + width)
        left = (cs[:, i] - cs[:, a]) / (i - a)
        right = (cs[:, b] - cs[:, i]) / (b - i)
        out[i] = 1.0 - left @ right / (np.linalg.norm(left) * np.linalg.norm(right) + 1e-10)
    return out


def downbeat_cues(
    downbeat_act: np.ndarray, kick: np.ndarray, chroma: np.ndarray, mel_db: np.ndarray, frames: np.ndarray
) -> np.ndarray:
    """(4, n) z-scored cues at beat frames `frames` (fractional frame indices of the feature
    grid): downbeat activation, kick onset, harmonic change, timbre change."""

    chroma_b = beat_sync(chroma, frames, np.median)
    mel_b = beat_sync(mel_db, frames)
    mel_b -= mel_b.min()
    return np.stack(
        [
            _z(spectral.value_at(downbeat_act, frames, tol=2)),
            _z(spectral.value_at(kick, frames, tol=2)),
            _z(cosine_change(chroma_b, 1)),
            _z(cosine_change(mel_b, 2)),
        ]
    )


def bar_phase(cues: np.ndarray, beats_per_bar: int = 4) -> tuple[int, np.ndarray]:
    """(phase, score per phase): the index of the first downbeat among the beats, and the
    mean summed cue of the beats at each bar position."""
    n = cues.shape[1]
    if n < 2 * beats_per_bar:
        return 0, np.zeros(beats_per_bar)
    strength = cues.sum(axis=0)
    pos = np.arange(n) % beats_per_bar
    scores = np.array([strength[pos == p].mean() for p in range(beats_per_bar)])
    return int(np.argmax(scores)), scores


def kick_half(kick: np.ndarray, frames: np.ndarray, beats_per_bar: int = 4) -> int:
    """0 or 1: which every-other half of a grid tracked twice as fast as it is counted
    holds the kicks. The kick alone decides, not the four cues of `bar_phase`: whatever
    else a song does, its kick marks the counted beats, and the learned activation counts
    a drum and bass two-step (kick on 1 and the and-of-3, snare on 2 and 4) on the snare.
    The half holding the bar position with the most kick, as `bar_phase` does with one cue."""
    phase, _ = bar_phase(_z(spectral.value_at(kick, frames, tol=2))[None, :], beats_per_bar)
    return phase % 2
