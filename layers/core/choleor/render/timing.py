"""Time maps: song time -> source time per piece, and crossfade weights at cuts.

Retiming is piecewise linear per beat, so every song beat lands exactly on the
move's matching beat whatever the two tempos are; outside its segment (during a
crossfade) a piece keeps the rate of its edge beat.
"""

from __future__ import annotations

import numpy as np


def retime(
    song_beats: np.ndarray, source_beats: np.ndarray, song_times: np.ndarray, source_end: float | None = None
) -> np.ndarray:
    """Source times (s) showing `song_times` (s); clamped to [0, source_end]."""
    song_beats = np.asarray(song_beats, float)
    source_beats = np.asarray(source_beats, float)
    t = np.asarray(song_times, float)
    # np.interp is exactly piecewise linear inside; it holds the edge value outside,
    # so extrapolate explicitly with the first/last beat's rate.
    out = np.interp(t, song_beats, source_beats)
    first_rate = (source_beats[1] - source_beats[0]) / (song_beats[1] - song_beats[0])
    last_rate = (source_beats[-1] - source_beats[-2]) / (song_beats[-1] - song_beats[-2])
    before, after = t < song_beats[0], t > song_beats[-1]
    out[before] = source_beats[0] + (t[before] - song_beats[0]) * first_rate
    out[after] = source_beats[-1] + (t[after] - song_beats[-1]) * last_rate
    return np.clip(out, 0.0, np.inf if source_end is None else source_end)


def crossfade_length(outgoing_beats: np.ndarray, incoming_beats: np.ndarray, beats: float) -> float:
    """Crossfade length (s) at a cut: `beats` of the local beat period around it."""
    period = 0.5 * ((outgoing_beats[-1] - outgoing_beats[-2]) + (incoming_beats[1] - incoming_beats[0]))
    return float(beats * period)


def incoming_weights(times: np.ndarray, cut: float, length: float, fps: float) -> np.ndarray:
    """Weight of the incoming piece at output `times`: a linear ramp centred on `cut`.

    The outgoing piece gets 1 - weight, so the two always sum to 1. A fade shorter
    than a frame is a hard cut at the frame nearest the cut.
    """
    times = np.asarray(times, float)
    if length * fps < 1.0:
        first = round(cut * fps)
        return (np.rint(times * fps) >= first).astype(float)
    return np.clip((times - (cut - 0.5 * length)) / length, 0.0, 1.0)


def smoothstep(x: np.ndarray | float) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)
