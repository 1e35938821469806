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


def tone_events(times, dur, freqs, decay=0.6, attack=0.005, seed=0) -> np.ndarray:
    """Piano-like notes (a few harmonics, exponential decay) starting at `times`."""
    rng = np.random.default_rng(seed)
    y = np.zeros(int(dur * SR), np.float32)
    t = np.arange(int(1.5 * SR)) / SR
    for k, t0 in enumerate(times):
        f = freqs[k % len(freqs)] * (1 + 0.002 * rng.standard_normal())
        note = (
            sum(np.sin(2 * np.pi * f * h * t) / h for h in (1, 2, 3))
            * np.minimum(t / attack, 1)
            * np.exp(-t / decay)
        )
        i = int(t0 * SR)
        m = min(len(note), len(y) - i)
        if m > 0:
            y[i : i + m] += note[:m].astype(np.float32)
    return 0.2 * y / (np.abs(y).max() + 1e-9)


def noise(dur=20.0, seed=0) -> np.ndarray:
    """Pink-ish noise (white noise through a one-pole low-pass)."""
    w = np.random.default_rng(seed).standard_normal(int(dur * SR))
    return (0.1 * ss.lfilter([1.0], [1.0, -0.9], w) / 10).astype(np.float32)


def ambient(dur=20.0, seed=0) -> np.ndarray:
    """Slow pad: chords of sines that swell in and out over seconds, no attacks."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(dur * SR)) / SR
    y = np.zeros_like(t)
    chords = [(220.0, 277.2, 329.6), (196.0, 246.9, 293.7), (174.6, 220.0, 261.6)]
    for k in range(int(dur / 4) + 1):
        env = np.exp(-0.5 * ((t - 4 * k - rng.uniform(0, 1.5)) / 1.8) ** 2)
        for f in chords[k % 3]:
            y += env * np.sin(2 * np.pi * f * t + rng.uniform(0, 6.3))
    return (0.1 * y / np.abs(y).max()).astype(np.float32)


def rubato(dur=24.0, seed=0) -> np.ndarray:
    """Free-time piano phrase: the beat swells from 60 to 110 BPM and back within each
    phrase, notes off the beat by up to a quarter of it, and pauses between phrases."""
    rng = np.random.default_rng(seed)
    times, t = [], 0.3
    while t < dur - 1:
        for k in range(int(rng.integers(5, 10))):
            bpm = 60 + 50 * np.sin(np.pi * k / 8)
            times.append(t + rng.uniform(-0.25, 0.25) * 60 / bpm)
            t += 60 / bpm * rng.choice([0.5, 1.0, 1.5])
        t += rng.uniform(0.8, 2.0)
    freqs = [261.6, 329.6, 392.0, 440.0, 349.2, 293.7, 523.3]
    return tone_events(np.clip(times, 0, None), dur, freqs, decay=0.9, seed=seed)


def speech(tmp_dir, seconds=20.0) -> np.ndarray:
    """espeak-ng reading a paragraph, decoded at SR (needs the espeak-ng program)."""
    import subprocess
    from pathlib import Path

    from choleor.audio.decode import load_mono

    text = (
        "Good evening. Tonight we look at how rivers shape the land around them, why some "
        "valleys are wide and others narrow, and what happens to a town when the water "
        "changes its course after a long winter of heavy rain and melting snow. "
    ) * 3
    wav = Path(tmp_dir) / "speech.wav"
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(wav), text], check=True, capture_output=True)
    return load_mono(wav, sr=SR)[: int(seconds * SR)]


def stitched_tempo_change(first_bpm=100.0, second_bpm=120.0, each=20.0) -> tuple[np.ndarray, np.ndarray]:
    """A drum track at `first_bpm` followed, without a gap, by one at `second_bpm`."""
    a, on_a = drum_track(first_bpm, dur=each, t0=0.3)
    n = int(round((on_a[-1] + 60 / first_bpm) * SR))  # cut one beat after the last onset
    b, on_b = drum_track(second_bpm, dur=each, t0=0.0, seed=1)
    a = np.pad(a, (0, max(0, n - len(a))))
    return np.r_[a[:n], b], np.r_[on_a, n / SR + on_b]


def quiet_intro(bpm=110.0, intro=6.0, dur=30.0) -> tuple[np.ndarray, np.ndarray]:
    """A soft ambient pad alone for `intro` seconds, then drums start on a beat (30 dB
    louder than the pad). Returns (y, onsets of the drums)."""
    pad = 0.03 * ambient(dur) / 0.1
    drums, onsets = drum_track(bpm, dur=dur - intro, t0=0.0)
    y = pad.copy()
    i = int(intro * SR)
    y[i:] += drums[: len(y) - i]
    return y, intro + onsets
