"""Test signals made on the fly (never committed), with exactly known beats."""

from __future__ import annotations

import numpy as np
import scipy.signal as ss

SR = 22050


def drum_track(bpm, dur=30.0, t0=0.5, hats=True, drift=0.0, seed=0, hat_level=0.3):
    """Kick on 1 and 3, snare on 2 and 4, hi-hat on the off-beats; `drift` = relative
    tempo change over the track. Returns (y, onset times)."""
    rng = np.random.default_rng(seed)
    n = int(dur * SR)
    y = np.zeros(n, np.float32)
    t = np.arange(int(0.3 * SR)) / SR
    env = lambda tau: np.minimum(t / 0.002, 1) * np.exp(-t / tau)  # noqa: E731
    kick = np.sin(2 * np.pi * (45 * t + 1.8 * (1 - np.exp(-t / 0.03)))) * env(0.15)
    snare = (0.6 * rng.standard_normal(len(t)) + np.sin(2 * np.pi * 185 * t)) * env(0.08)
    hat = ss.lfilter(*ss.butter(4, 6000 / (SR / 2), "high"), rng.standard_normal(len(t))) * env(0.02)
    onsets, tb, k = [], t0, 0
    while tb + 0.35 < dur:
        period = 60 / (bpm * (1 + drift * tb / dur))
        i = int(round(tb * SR))
        y[i : i + len(t)] += kick if k % 2 == 0 else 0.7 * snare + 0.3 * kick
        if hats:
            j = int(round((tb + period / 2) * SR))
            y[j : j + len(t)] += hat_level * hat[: max(0, min(len(t), n - j))]
        onsets.append(tb)
        tb += period
        k += 1
    return 0.3 * y, np.array(onsets)
