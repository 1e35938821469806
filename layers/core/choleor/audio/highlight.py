"""The part of a song to dance: its strongest 32- or 64-beat stretch (a chorus or a drop).

A stretch is a run of whole 8-beat units (so it starts on a counted "1" and a choreography of it
snaps exactly to its segments). Each candidate is scored by two things a listener hears:

- **repetition**: the music comes back elsewhere in the song. Beat-synchronous chroma (harmony)
  and MFCC (timbre) give a beat-by-beat self-similarity matrix; the stretch's repetition is the
  best mean similarity along a diagonal, i.e. between the stretch and the same length of music
  at least 16 beats earlier or later (at whole-bar lags, at least half of it inside the song).
- **energy**: how loud and busy it is against the rest of the song: the mean, over its beats,
  of each beat's rank (0..1) in loudness (RMS dB) and in onset strength.

The score is their mean (both 0..1). The best 32-beat stretch is offered, or the best 64-beat
stretch when that scores within `LONGER_MARGIN` of it (both of its halves are strong).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from choleor.audio import spectral
from choleor.audio.beats import Features
from choleor.audio.segments import BEATS_PER_UNIT, Segment

LENGTHS = (32, 64)  # beats
MIN_LAG = 16  # beats: a repeat must be at least two units away
LAG_STEP = 4  # beats: repeats are looked for at whole-bar lags
LONGER_MARGIN = 0.03  # a 64-beat stretch is offered when it scores at least best 32 - this


@dataclass(frozen=True)
class Suggestion:
    start: float  # s, a downbeat (a unit's first beat)
    end: float  # s, the last unit's end
    beats: int  # 32 or 64
    first_segment: int  # index of the first 8-beat unit of the song in the stretch
    segments: int  # how many units (4 or 8)
    score: float  # 0..1
    repetition: float  # 0..1
    energy: float  # 0..1

    def to_json(self) -> dict:
        out = asdict(self)
        for key in ("start", "end"):
            out[key] = round(float(out[key]), 4)
        for key in ("score", "repetition", "energy"):
            out[key] = round(float(out[key]), 3)
        return out


def _beat_means(values: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """(len(frames) - 1, d): the mean of each row of values (d, T) over each span of frames."""
    sums = np.add.reduceat(np.concatenate([values, np.zeros((values.shape[0], 1))], axis=1), frames, axis=1)
    return (sums[:, :-1] / np.maximum(np.diff(frames), 1)).T


def _span_frames(feats: Features, beats: np.ndarray) -> np.ndarray:
    f = np.clip(np.rint(beats * feats.sr / feats.hop_length).astype(int), 0, feats.n_frames - 1)
    f[1:] = np.maximum(f[1:], f[:-1] + 1)  # at least one frame per beat
    return np.minimum(f, feats.n_frames)


def _unit_rows(x: np.ndarray) -> np.ndarray:
    return x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-9)


def self_similarity(feats: Features, beats: np.ndarray) -> np.ndarray:
    """(n, n) similarity of the song's n beat spans, 0..1: the mean of chroma and MFCC cosines."""
    frames = _span_frames(feats, beats)
    chroma = _unit_rows(_beat_means(feats.chroma, frames))
    timbre = _beat_means(spectral.mfcc(feats.mel_db, 13)[1:], frames)  # MFCC 0 is loudness
    timbre = _unit_rows((timbre - timbre.mean(0)) / (timbre.std(0) + 1e-9))
    return np.clip(0.5 * (chroma @ chroma.T) + 0.5 * (timbre @ timbre.T), 0.0, 1.0)


def beat_energy(feats: Features, beats: np.ndarray) -> np.ndarray:
    """(n,) 0..1 per beat span: the mean of its rank in loudness and its rank in onset strength."""
    frames = _span_frames(feats, beats)
    both = _beat_means(np.vstack([feats.rms_db, feats.onset]), frames)
    ranks = both.argsort(0).argsort(0) / max(len(both) - 1, 1)
    return ranks.mean(1)


def repetition(similarity: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """Per start beat: the best mean similarity between beats start..start+length and the same
    beats shifted by a whole-bar lag of at least MIN_LAG (at least half of them inside the song)."""
    n = len(similarity)
    best = np.zeros(len(starts))
    for lag in range(MIN_LAG, n, LAG_STEP):
        diag = np.diagonal(similarity, lag)  # diag[j] = S[j, j + lag]
        sums = np.concatenate([[0.0], np.cumsum(diag)])
        # the repeat comes later (pairs j, j + lag: diag[j]) or earlier (pairs j, j - lag: diag[j - lag]);
        # `first` is the first stretch beat j that has a partner inside the song
        for first in (0, lag):
            lo = np.clip(starts, first, first + len(diag))
            hi = np.clip(starts + length, first, first + len(diag))
            count = hi - lo
            mean = (sums[hi - first] - sums[lo - first]) / np.maximum(count, 1)
            best = np.where(count * 2 >= length, np.maximum(best, mean), best)
    return best


def suggest_part(feats: Features, beats: np.ndarray, units: list[Segment]) -> Suggestion | None:
    """The strongest 32- or 64-beat run of whole units, or None when the song has fewer than 32 beats
    of whole units. `beats` are the song's beats, `units` its 8-beat units (contiguous, in order)."""
    beats = np.asarray(beats, float)
    if len(units) * BEATS_PER_UNIT < LENGTHS[0] or len(beats) < 2:
        return None
    first_beat = int(np.argmin(np.abs(beats - units[0].start)))
    similarity = self_similarity(feats, beats)
    energy = beat_energy(feats, beats)
    energy_sums = np.concatenate([[0.0], np.cumsum(energy)])
    best: dict[int, Suggestion] = {}
    for length in LENGTHS:
        n_units = length // BEATS_PER_UNIT
        if n_units > len(units):
            continue
        firsts = np.arange(len(units) - n_units + 1)
        starts = first_beat + firsts * BEATS_PER_UNIT
        rep = repetition(similarity, starts, length)
        hi = np.minimum(starts + length, len(energy))
        eng = (energy_sums[hi] - energy_sums[starts]) / np.maximum(hi - starts, 1)
        score = 0.5 * (rep + eng)
        i = int(np.argmax(score))
        last = units[firsts[i] + n_units - 1]
        best[length] = Suggestion(
            start=units[firsts[i]].start,
            end=last.end,
            beats=length,
            first_segment=units[firsts[i]].index,
            segments=n_units,
            score=float(score[i]),
            repetition=float(rep[i]),
            energy=float(eng[i]),
        )
    short, long = best[LENGTHS[0]], best.get(LENGTHS[1])
    if long is not None and long.score >= short.score - LONGER_MARGIN:
        return long
    return short
