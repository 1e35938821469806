"""Per-unit music descriptors, shared by songs and by the audio of dance videos.

`segment_descriptors` computes frame features once per song (`beats.compute_features`) and
slices them per unit, so a song's units cost one STFT pass in total.

The music vector is RAW: dimensions have different units (dB, MFCC coefficients, 0..1
chroma, onset flux, log2 tempo). Making songs comparable is the library index's job: it
fits a per-dimension robust scaler (median / IQR) over the whole library and applies it to
songs and moves alike. Names of the dimensions are in `VECTOR_NAMES`.

The energy profile is loudness over TIME: the RMS level in dB averaged over each beat span
(8 values per unit), z-scored over all beats of the same song so that a quiet song and a
loud master compare by shape. (The 2020 system averaged over frequency bands instead.)
"""

from __future__ import annotations

import numpy as np

from choleor.audio import spectral
from choleor.audio.beats import BeatGrid, Features, compute_features

N_MFCC = 13
_RHYTHM = [
    "log2_tempo_rel120",
    "onset_mean",
    "onset_std",
    "onset_low",
    "onset_mid",
    "onset_high",
    "onbeat_share",
    "eighth_share",
    "sixteenth_share",
    "onsets_per_beat",
]
VECTOR_NAMES: list[str] = (
    [f"mfcc{i}_mean" for i in range(N_MFCC)]
    + [f"mfcc{i}_std" for i in range(N_MFCC)]
    + [f"chroma{i}_mean" for i in range(12)]
    + [f"chroma{i}_std" for i in range(12)]
    + _RHYTHM
    + ["rms_db_mean", "rms_db_std"]
)
VECTOR_LENGTH = len(VECTOR_NAMES)


def _frames(feats: Features, times: np.ndarray) -> np.ndarray:
    f = np.rint(np.asarray(times) * feats.sr / feats.hop_length).astype(int)
    return np.clip(f, 0, feats.n_frames)


def _vector(feats: Features, mfcc: np.ndarray, beats9: np.ndarray) -> np.ndarray:
    """Music vector of the unit spanning beats9[0]..beats9[-1] from song-level features."""
    b = _frames(feats, beats9)
    a, z = b[0], max(b[-1], b[0] + 1)
    m, c = mfcc[:, a:z], feats.chroma[:, a:z]
    onset, bands = feats.onset[a:z], feats.onset_bands[:, a:z]
    ibi = float(np.mean(np.diff(beats9))) if len(beats9) > 1 else 0.5
    # Share of onset flux at beat / eighth / sixteenth positions of this unit's beats.
    pos = np.interp(np.arange(a, z), b, np.arange(len(b), dtype=float))  # beat phase
    frac = pos % 1.0
    width = 0.08  # ±8 % of a beat
    near = lambda x: np.abs(((frac - x + 0.5) % 1.0) - 0.5) < width  # noqa: E731
    tot = onset.sum() + 1e-9
    on = onset[near(0.0)].sum() / tot
    eighth = onset[near(0.5)].sum() / tot
    sixteenth = (onset[near(0.25)].sum() + onset[near(0.75)].sum()) / tot
    peaks = []
    if len(onset) > 25:
        peaks = spectral.peak_pick(
            onset, pre_max=3, post_max=3, pre_avg=10, post_avg=10, delta=0.5 * onset.std() + 1e-9, wait=4
        )
    rhythm = [
        np.log2(60.0 / ibi / 120.0) if ibi > 0 else 0.0,
        onset.mean(),
        onset.std(),
        *bands.mean(axis=1),
        on,
        eighth,
        sixteenth,
        len(peaks) / max(1, len(beats9) - 1),
    ]
    rms = feats.rms_db[a:z]
    return np.concatenate(
        [m.mean(1), m.std(1), c.mean(1), c.std(1), np.asarray(rhythm, float), [rms.mean(), rms.std()]]
    ).astype(np.float32)


def song_mfcc(feats: Features, n_mfcc: int = N_MFCC) -> np.ndarray:
    """MFCCs from the song's log-mel (no second STFT)."""
    return spectral.mfcc(feats.mel_db, n_mfcc)


def music_vector(y: np.ndarray, sr: int, beats9: np.ndarray, feats: Features | None = None) -> np.ndarray:
    """Fixed-length (VECTOR_LENGTH) raw descriptor of the unit beats9[0]..beats9[-1] of `y`.
    For many units of one song use `segment_descriptors` (features computed once)."""
    feats = feats if feats is not None else compute_features(y, sr)
    return _vector(feats, song_mfcc(feats), np.asarray(beats9, float))


def beat_loudness(feats: Features, beats: np.ndarray) -> np.ndarray:
    """Mean RMS level (dB) over each span beats[i]..beats[i+1]; len(beats) - 1 values."""
    f = _frames(feats, beats)
    f = np.minimum(f, feats.n_frames - 1)
    f[1:] = np.maximum(f[1:], f[:-1] + 1)  # at least one frame per span
    f = np.minimum(f, feats.n_frames)
    sums = np.add.reduceat(np.r_[feats.rms_db, 0.0], f)[:-1]
    return sums / np.maximum(np.diff(f), 1)


def energy_profile(
    y: np.ndarray | None,
    sr: int,
    beats9: np.ndarray,
    *,
    feats: Features | None = None,
    song_beats: np.ndarray | None = None,
) -> np.ndarray:
    """8 values: the unit's per-beat loudness (dB averaged over each beat span), z-scored over
    the beats of the song (`song_beats`; default: this unit's own beats)."""
    feats = feats if feats is not None else compute_features(y, sr)
    ref = beat_loudness(feats, np.asarray(song_beats if song_beats is not None else beats9, float))
    prof = beat_loudness(feats, np.asarray(beats9, float))
    return ((prof - ref.mean()) / (ref.std() + 1e-6)).astype(np.float32)


def segment_descriptors(
    y: np.ndarray | None, sr: int, grid: BeatGrid, segments: list, feats: Features | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(vectors (n, VECTOR_LENGTH), energy (n, 8)) for `segments` of one song, features
    computed once (or passed in) and sliced per unit."""
    feats = feats if feats is not None else compute_features(y, sr)
    if not segments:
        return np.zeros((0, VECTOR_LENGTH), np.float32), np.zeros((0, 8), np.float32)
    mfcc = song_mfcc(feats)
    vecs = np.stack([_vector(feats, mfcc, np.asarray(s.beats, float)) for s in segments])
    loud = beat_loudness(feats, np.asarray(grid.beats, float))
    mu, sd = loud.mean(), loud.std() + 1e-6
    energy = np.stack([(beat_loudness(feats, np.asarray(s.beats, float)) - mu) / sd for s in segments])
    return vecs, energy.astype(np.float32)
