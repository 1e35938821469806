"""Waveform overview for drawing: min/max of the samples in `n` equal bins."""

from __future__ import annotations

import numpy as np


def waveform_peaks(y: np.ndarray, n: int = 1500) -> np.ndarray:
    """(n, 2) float32 array of [min, max] per bin of `y`, covering the whole signal.

    Bins are as equal as integer sample boundaries allow; with fewer samples than bins,
    empty bins repeat their neighbour's sample. Uses `np.minimum.reduceat` (no copies)."""
    y = np.asarray(y, dtype=np.float32).ravel()
    out = np.zeros((n, 2), np.float32)
    if y.size == 0 or n <= 0:
        return out
    edges = np.minimum((np.arange(n) * y.size) // n, y.size - 1)
    out[:, 0] = np.minimum.reduceat(y, edges)
    out[:, 1] = np.maximum.reduceat(y, edges)
    return out
