"""The whole song analysis for one file or one array: validate, decode, features, beats,
downbeats, 8-beat units with their descriptors, and the waveform overview."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from choleor.audio import decode
from choleor.audio.activation import beat_activation
from choleor.audio.beats import BeatGrid, compute_features, track_beats
from choleor.audio.confidence import STEADY
from choleor.audio.descriptors import VECTOR_NAMES, segment_descriptors
from choleor.audio.highlight import Suggestion, suggest_part
from choleor.audio.peaks import waveform_peaks
from choleor.audio.segments import Segment, segments_for
from choleor.errors import BadInput

Progress = Callable[[float, str], None]
SR = 22050


@dataclass
class SongAnalysis:
    """Everything later steps need about a song. Times in seconds from the song start."""

    duration: float
    sample_rate: int
    tempo: float
    beats: np.ndarray
    downbeats: np.ndarray
    peaks: np.ndarray  # (n, 2) min/max
    segments: list[Segment]  # every full 8-beat unit of the song
    vectors: np.ndarray  # (len(segments), len(VECTOR_NAMES)) raw music vectors
    energy: np.ndarray  # (len(segments), 8) per-beat loudness, z-scored over the song
    grid: BeatGrid | None = field(default=None, repr=False)
    beat_confidence: float = 1.0  # 0..1, see audio.confidence
    suggested: Suggestion | None = None  # the part to dance, see audio.highlight

    @property
    def steady_beat(self) -> bool:
        """False when the music has no beat steady enough to count (noise, speech, free time)."""
        return self.beat_confidence >= STEADY

    def to_json(self) -> dict:
        """Plain lists of floats. Beats are kept as computed, rounded to 0.1 ms."""
        r = lambda a, d=4: [round(float(x), d) for x in np.ravel(a)]  # noqa: E731
        return {
            "duration": round(float(self.duration), 4),
            "sample_rate": int(self.sample_rate),
            "tempo": round(float(self.tempo), 3),
            "beat_confidence": round(float(self.beat_confidence), 3),
            "steady_beat": bool(self.steady_beat),
            "beats": r(self.beats),
            "downbeats": r(self.downbeats),
            "suggested": self.suggested.to_json() if self.suggested else None,
            "peaks": [[round(float(lo), 4), round(float(hi), 4)] for lo, hi in self.peaks],
            "vector_names": list(VECTOR_NAMES),
            "segments": [
                {
                    **s.to_json(),
                    "beats": r(s.beats),
                    "start": round(s.start, 4),
                    "end": round(s.end, 4),
                    "vector": [float(v) for v in self.vectors[i]],
                    "energy": r(self.energy[i]),
                }
                for i, s in enumerate(self.segments)
            ],
        }


def _noop(fraction: float, message: str) -> None:
    pass


def analyze_array(y: np.ndarray, sr: int = SR, *, progress: Progress | None = None) -> SongAnalysis:
    """Analyse mono samples already in memory (e.g. a dance video's sound track)."""
    progress = progress or _noop
    y = np.asarray(y, dtype=np.float32)
    decode.check_not_silent(y)
    progress(0.3, "Listening to the music")
    # The learned activation (FFTs and the network, which release the GIL) runs on a second
    # core while this one computes the spectral features.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(beat_activation, y, sr)
        feats = compute_features(y, sr)
        act = pending.result()
    progress(0.55, "Finding the beats")
    grid = track_beats(feats=feats, act=act)
    if len(grid.beats) < 9:
        raise BadInput("No steady beat was found in this music, so it cannot be cut into 8-counts.")
    segs = segments_for(grid)
    progress(0.8, "Describing each 8-count")
    vecs, energy = segment_descriptors(None, sr, grid, segs, feats=feats)
    peaks = waveform_peaks(y)
    suggested = suggest_part(feats, grid.beats, segs)
    progress(1.0, "Done")
    return SongAnalysis(
        duration=len(y) / sr,
        sample_rate=sr,
        tempo=grid.tempo,
        beats=grid.beats,
        downbeats=grid.downbeats,
        peaks=peaks,
        segments=segs,
        vectors=vecs,
        energy=energy,
        grid=grid,
        beat_confidence=grid.confidence,
        suggested=suggested,
    )


def analyze_file(
    path: str | os.PathLike,
    *,
    max_bytes: int = 50 * 2**20,
    max_seconds: float = 600.0,
    progress: Progress | None = None,
    sr: int = SR,
) -> SongAnalysis:
    """Validate (from the probe, before decoding), decode and analyse a media file."""
    progress = progress or _noop
    progress(0.0, "Checking the file")
    decode.validate(path, max_bytes=max_bytes, max_seconds=max_seconds)
    progress(0.05, "Decoding the sound")
    y = decode.load_mono(path, sr=sr, max_seconds=max_seconds)
    return analyze_array(y, sr, progress=progress)
