"""Input schema of the recommendation core: one 8-beat dance move, one 8-beat song segment.

Units. Poses are COCO-17 keypoints in *normalised* body units: the hip centre is the origin
and 1.0 is the torso length (shoulder centre to hip centre), image y pointing down. That is
exactly the translation/scale alignment the renderer applies at a cut (hip centre and body
height matched), so distances between normalised poses are what a viewer sees after the cut.
Velocities are in the same units per beat. Times are seconds.

A move's `beats` are its 9 beat times in its source video (8 beats = 9 edges); `trajectory`
samples the pose 8 times per beat over those 8 beats (65 samples: sample j sits at beat j/8).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from choleor import keypoints

#: Index permutation that swaps every COCO left/right pair (applied with x negated = mirror).
FLIP_ORDER = np.array(keypoints.FLIP_ORDER)

SAMPLES_PER_BEAT = 8
N_BEATS = 8
MIRROR_SUFFIX = "~m"


@dataclass
class MoveFeatures:
    """Everything the ranking needs about one 8-beat clip of the dance library."""

    id: str
    source_id: str  # the video/take the clip was cut from (variety is counted per source)
    style: str
    mirrored: bool
    tempo: float  # bpm of the source music at this clip
    beats: np.ndarray  # (9,) beat times in the source, s
    music: np.ndarray  # (D,) raw music descriptor of the clip's original audio
    music_energy: np.ndarray  # (8,) per-beat loudness of that audio, normalised per source
    motion_energy: np.ndarray  # (8,) per-beat mean keypoint speed, body units per beat
    pose_start: np.ndarray  # (17, 2) normalised pose at the first beat
    pose_end: np.ndarray  # (17, 2) normalised pose at the last beat
    vel_start: np.ndarray  # (17, 2) keypoint velocity at the start, body units per beat
    vel_end: np.ndarray  # (17, 2) keypoint velocity at the end
    trajectory: np.ndarray | None = None  # (65, 17, 2); metrics only, never in the index


@dataclass
class SegmentFeatures:
    """One 8-beat unit of the chosen song interval (same music extractor as the library)."""

    index: int
    beats: np.ndarray  # (9,) beat times in the song, s
    music: np.ndarray  # (D,) raw music descriptor
    energy: np.ndarray  # (8,) per-beat loudness, normalised per song like MoveFeatures.music_energy


def flip_pose(points: np.ndarray) -> np.ndarray:
    """Left/right mirror of normalised keypoints (..., 17, 2): x negated, pairs swapped."""
    out = points[..., FLIP_ORDER, :].copy()
    out[..., 0] *= -1.0
    return out


def mirror_id(move_id: str) -> str:
    """Id of the mirrored twin (and back: mirroring twice gives the original id)."""
    if move_id.endswith(MIRROR_SUFFIX):
        return move_id[: -len(MIRROR_SUFFIX)]
    return move_id + MIRROR_SUFFIX


def mirror(m: MoveFeatures) -> MoveFeatures:
    """The left/right-swapped twin of a move; music and energies are unchanged."""
    return replace(
        m,
        id=mirror_id(m.id),
        mirrored=not m.mirrored,
        pose_start=flip_pose(m.pose_start),
        pose_end=flip_pose(m.pose_end),
        vel_start=flip_pose(m.vel_start),
        vel_end=flip_pose(m.vel_end),
        trajectory=None if m.trajectory is None else flip_pose(m.trajectory),
    )


def motion_energy(trajectory: np.ndarray) -> np.ndarray:
    """Per-beat mean keypoint speed (body units per beat) of a (65, 17, 2) trajectory."""
    step = np.linalg.norm(np.diff(trajectory, axis=0), axis=-1).mean(axis=-1)  # (64,)
    return step.reshape(N_BEATS, SAMPLES_PER_BEAT).sum(axis=1)


def pose_terms(trajectory: np.ndarray) -> dict[str, np.ndarray]:
    """Start/end poses and velocities (per beat, one-sided differences) of a trajectory."""
    spb = SAMPLES_PER_BEAT
    return {
        "pose_start": trajectory[0].copy(),
        "pose_end": trajectory[-1].copy(),
        "vel_start": (trajectory[1] - trajectory[0]) * spb,
        "vel_end": (trajectory[-1] - trajectory[-2]) * spb,
    }


def segment_tempo(beats: np.ndarray) -> float:
    """Mean tempo (bpm) over a 9-edge beat grid."""
    beats = np.asarray(beats, dtype=float)
    return 60.0 * (len(beats) - 1) / float(beats[-1] - beats[0])


@dataclass
class Plan:
    """What a method produces for an interval: one pick per segment and the moves it showed."""

    picks: list[int]  # index rows, one per segment
    shown: list[list[int]]  # the candidate rows shown for each segment, in display order
