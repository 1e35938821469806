"""Synthetic songs in the genres a dancer brings, with exactly known beats and downbeats.

Each song is a drum pattern on a 16th-note grid (one bar), a bass line and chords that change
on the "1", rendered with numpy. Hits are humanised (a few ms of timing jitter, velocity
variation) and the song starts on a beat other than the "1", so a tracker that assumes the
first beat is a downbeat is wrong. The patterns follow the genres' textbook grooves; none was
adjusted to what the tracker does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.signal as ss

SR = 22050
STEPS = 16  # 16th notes per 4/4 bar

# Chord roots (Hz, bass octave) and chord qualities (semitones above the root).
PROGRESSIONS = {
    "minor": [(110.0, (0, 3, 7)), (87.31, (0, 4, 7)), (130.81, (0, 4, 7)), (98.0, (0, 4, 7))],  # Am F C G
    "major": [(98.0, (0, 4, 7)), (146.83, (0, 4, 7)), (110.0, (0, 3, 7)), (130.81, (0, 4, 7))],  # G D Em C
    "power": [(82.41, (0, 7, 12)), (98.0, (0, 7, 12)), (73.42, (0, 7, 12)), (110.0, (0, 7, 12))],  # E G D A
}


@dataclass(frozen=True)
class Style:
    """A groove: per-instrument 16-step patterns ('x' hit, 'o' soft hit, '.' rest)."""

    name: str
    bpm: float  # the notated quarter note (fast songs are annotated at this level)
    kick: str
    snare: str
    hat: str
    bass: str  # steps where the bass plays the bar's root
    chords: str  # steps where the chord is struck (held until the next strike)
    progression: str = "minor"
    bars_per_chord: int = 1
    open_hat: str = "................"
    distorted: bool = False


STYLES = {
    # Four-on-the-floor house: kick every beat, clap on 2 and 4, closed hats on the
    # off-beats with an open hat on the last one, off-beat bass, a chord stab per bar.
    "house": Style(
        "house",
        124.0,
        kick="x...x...x...x...",
        snare="....x.......x...",
        hat="..x...x...x.....",
        open_hat="..............x.",
        bass="..x...x...x...x.",
        chords="x.......x.......",
    ),
    # Drum and bass two-step at 174: kick on 1 and the and-of-3, snare on 2 and 4, 8th
    # hats, a sub bass held for two bars from the "1".
    "dnb": Style(
        "dnb",
        174.0,
        kick="x.........x.....",
        snare="....x.......x...",
        hat="x.o.x.o.x.o.x.o.",
        bass="x...............",
        chords="x...............",
        bars_per_chord=2,
    ),
    # Rock: 8th-note hats, kick on 1 and 3, snare on 2 and 4, 8th-note bass on the root,
    # a power chord per bar.
    "rock": Style(
        "rock",
        118.0,
        kick="x.......x.......",
        snare="....x.......x...",
        hat="x.x.x.x.x.x.x.x.",
        bass="x.x.x.x.x.x.x.x.",
        chords="x.......x.......",
        progression="power",
        distorted=True,
    ),
    # Fast rock (General-MIDI-like, 170): the same groove, counted at half tempo.
    "fast_rock": Style(
        "fast_rock",
        170.0,
        kick="x.......x.......",
        snare="....x.......x...",
        hat="x...x...x...x...",
        bass="x...x...x...x...",
        chords="x...............",
        progression="power",
        distorted=True,
    ),
    # Syncopated kick (1, and-of-2, and-of-3) under off-beat hats, snare on 2 and 4,
    # bass on the 1 and the and-of-2.
    "syncopated": Style(
        "syncopated",
        100.0,
        kick="x.....x...x.....",
        snare="....x.......x...",
        hat="..x...x...x...x.",
        bass="x.....x.........",
        chords="x...............",
        progression="major",
    ),
    # Half-time metal at 180: kick on 1, the and-of-1 and the and-of-2, snare on 3 only,
    # crash/ride on the beats, palm-muted 8ths on the root, chords held for two bars.
    "halftime_metal": Style(
        "halftime_metal",
        180.0,
        kick="x.x...x.........",
        snare="........x.......",
        hat="x...x...x...x...",
        bass="x.x.x.x.x.x.x.x.",
        chords="x...............",
        progression="power",
        bars_per_chord=2,
        distorted=True,
    ),
}


@dataclass
class Song:
    y: np.ndarray
    beats: np.ndarray  # every notated beat (s)
    downbeats: np.ndarray  # the beats that start a bar (s)
    bpm: float


def _env(n: int, tau: float, attack: float = 0.002) -> np.ndarray:
    t = np.arange(n) / SR
    return np.minimum(t / attack, 1.0) * np.exp(-t / tau)


def _drums(rng: np.random.Generator) -> dict[str, np.ndarray]:
    n = int(0.4 * SR)
    t = np.arange(n) / SR
    noise = rng.standard_normal(n)
    high = ss.lfilter(*ss.butter(4, 7000 / (SR / 2), "high"), noise)
    band = ss.lfilter(*ss.butter(2, [1000 / (SR / 2), 6000 / (SR / 2)], "band"), noise)
    return {
        "kick": np.sin(2 * np.pi * (50 * t + 2.0 * (1 - np.exp(-t / 0.025)))) * _env(n, 0.18),
        "snare": (0.7 * band + 0.5 * np.sin(2 * np.pi * 190 * t)) * _env(n, 0.09),
        "hat": 0.35 * high * _env(n, 0.025),
        "open_hat": 0.3 * high * _env(n, 0.15),
    }


def _tone(freq: float, n: int, tau: float, distorted: bool, harmonics: int = 6) -> np.ndarray:
    t = np.arange(n) / SR
    wave = sum(np.sin(2 * np.pi * freq * h * t) / h for h in range(1, harmonics + 1))
    if distorted:
        wave = np.tanh(3.0 * wave)
    return wave * _env(n, tau, attack=0.005)


def render(
    style: Style,
    dur: float = 30.0,
    first_beat: int = 1,
    t0: float = 0.35,
    seed: int = 0,
    harmony: bool = True,
) -> Song:
    """`style` for `dur` seconds. The first beat heard is beat `first_beat` (0..3) of its bar,
    at `t0` seconds. `harmony=False`: the drums alone."""
    rng = np.random.default_rng(seed)
    n = int(dur * SR)
    y = np.zeros(n + SR, np.float64)
    step = 60.0 / style.bpm / 4
    kit = _drums(rng)
    prog = PROGRESSIONS[style.progression]
    level = {"kick": 1.0, "snare": 0.8, "hat": 0.5, "open_hat": 0.5}

    def add(sample: np.ndarray, t: float, gain: float) -> None:
        i = int(round((t + rng.normal(0, 0.003)) * SR))
        if 0 <= i < n:
            m = min(len(sample), len(y) - i)
            y[i : i + m] += gain * rng.uniform(0.85, 1.0) * sample[:m]

    beats, downbeats = [], []
    start_step = first_beat * 4
    bar_len = STEPS * step
    total_steps = int((dur - t0) / step)
    for k in range(total_steps):
        s = (start_step + k) % STEPS
        bar = (start_step + k) // STEPS
        t = t0 + k * step
        if s % 4 == 0:
            beats.append(t)
            if s == 0:
                downbeats.append(t)
        for inst in ("kick", "snare", "hat", "open_hat"):
            c = getattr(style, inst)[s]
            if c != ".":
                add(kit[inst], t, level[inst] * (1.0 if c == "x" else 0.45))
        root, quality = prog[(bar // style.bars_per_chord) % len(prog)]
        if harmony and style.bass[s] == "x":
            length = _hold(style.bass, s) * step
            add(_tone(root / 2 if root > 90 else root, int(length * SR), 0.6 * length, False, 3), t, 0.5)
        if harmony and style.chords[s] == "x":
            first_of_chord = bar % style.bars_per_chord == 0 or s != 0
            length = min(_hold(style.chords, s) * step, bar_len * style.bars_per_chord)
            gain = 0.35 if first_of_chord else 0.25
            notes = [root * 2 * 2 ** (q / 12) for q in quality]
            chord = sum(_tone(f, int(length * SR), 0.8 * length, style.distorted) for f in notes)
            add(chord / len(notes), t, gain)
    y = y[:n]
    y *= 0.5 / (np.abs(y).max() + 1e-9)
    return Song(y.astype(np.float32), np.array(beats), np.array(downbeats), style.bpm)


def _hold(pattern: str, s: int) -> int:
    """Steps from step `s` to the next hit of `pattern` (wrapping round the bar)."""
    for d in range(1, STEPS + 1):
        if pattern[(s + d) % STEPS] != ".":
            return d
    return STEPS
