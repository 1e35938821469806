"""One-Euro filter (Casiez et al., CHI 2012) over arrays of coordinates.

Cut-off grows with speed: still points are smoothed hard, fast ones follow
with little lag. Speeds are divided by a per-update `scale` (the dancer's
size in pixels) so the same settings work near and far from the camera,
as MediaPipe does for its landmarks.
"""

from __future__ import annotations

import math

import numpy as np

# MediaPipe's pose_landmark_filtering.pbtxt settings for visible landmarks.
MIN_CUTOFF = 0.05
BETA = 80.0
DERIVATIVE_CUTOFF = 1.0


def smoothing_factor(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
    """Exponential-smoothing alpha of a first-order low-pass at `cutoff` Hz."""
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """Filters an array of values (any shape) sampled at a known time step."""

    def __init__(
        self, min_cutoff: float = MIN_CUTOFF, beta: float = BETA, derivative_cutoff: float = DERIVATIVE_CUTOFF
    ):
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.derivative_cutoff = derivative_cutoff
        self.reset()

    def reset(self) -> None:
        self._value: np.ndarray | None = None
        self._speed: np.ndarray | None = None

    def __call__(self, value: np.ndarray, dt: float, scale: float = 1.0) -> np.ndarray:
        value = np.asarray(value, dtype=np.float64)
        if self._value is None:
            self._value = value.copy()
            self._speed = np.zeros_like(value)
            return value.copy()
        # In place: the same operations in the same order, without a new
        # array per step (this runs on every frame).
        speed = np.subtract(value, self._value)
        speed /= dt * scale
        speed -= self._speed
        speed *= smoothing_factor(self.derivative_cutoff, dt)
        self._speed = speed = np.add(self._speed, speed, out=speed)
        alpha = np.abs(speed)
        alpha *= self.beta
        alpha += self.min_cutoff
        alpha = smoothing_factor(alpha, dt)
        step = np.subtract(value, self._value)
        step *= alpha
        self._value = np.add(self._value, step, out=step)
        return self._value.copy()
