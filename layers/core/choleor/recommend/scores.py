"""Component costs of putting a library move on a song segment, vectorised over all moves.

Every component is returned as a *score* in 0..1 (1 = perfect) that a person can read; the
cost used for optimisation is `1 - score`, so ranking by weighted score and minimising weighted
cost agree. The scale constants are in the signatures: they say what "a bad fit" means.
"""

from __future__ import annotations

import threading

import numpy as np

from choleor.recommend.features import SegmentFeatures, segment_tempo
from choleor.recommend.index import LEVEL_GRID, LibraryIndex, project
from choleor.recommend.weights import ENERGY_SHAPE

VEL_WEIGHT = 0.25  # torso lengths of jump per (torso length per beat) of velocity change


def music_distance(index: LibraryIndex, music: np.ndarray) -> np.ndarray:
    """(N,) Euclidean distance in the index's frozen projected space."""
    q = project(index, music)
    diff = index.music - q
    return np.sqrt(np.einsum("np,np->n", diff, diff))


def music_score(index: LibraryIndex, music: np.ndarray) -> np.ndarray:
    """exp(-d^2 / 2s^2), s = the library's lower-quartile pair distance (score 0.61 there)."""
    d = music_distance(index, music) / float(index.music_scale)
    return np.exp(-0.5 * d * d).astype(np.float32)


def energy_score(index: LibraryIndex, energy: np.ndarray, shape_weight: float = ENERGY_SHAPE) -> np.ndarray:
    """Segment loudness vs move motion energy, beat by beat: shape and level.

    Shape = Pearson r of the 8 per-beat values, as (1 + r) / 2. Level = 1 - |difference of
    quantiles|: the segment's mean loudness read as a quantile of the library's clip loudness,
    the move's mean motion energy as a quantile of the library's motion energy. The library's
    own clips pair loudness with motion, so ranks are the honest common unit of the two.
    A flat segment gives r = 0 (no shape information), not a division by zero.
    """
    e = np.asarray(energy, dtype=np.float32)
    c = e - e.mean()
    norm = float(np.linalg.norm(c))
    z = c / norm if norm > 1e-6 else np.zeros_like(c)
    r = index.motion_z @ z
    q = np.interp(e.mean(), index.music_level_q, LEVEL_GRID)
    level = 1.0 - np.abs(index.motion_level - q)
    return (shape_weight * 0.5 * (1.0 + r) + (1.0 - shape_weight) * level).astype(np.float32)


def tempo_stretch(index: LibraryIndex, beats: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """Stretch needed to lay each move's 8 beats on the segment's 8 (the renderer plays a move at
    its own count): max(rate, 1/rate) - 1 with rate = segment tempo / move tempo, so 0.04 = 4 %
    faster or slower. A dance fits a song about half as fast as a move counted in half time of
    its own (ingest cuts those), never by counting an 8-beat move at half speed."""
    log_tempo = index.log_tempo if rows is None else index.log_tempo[rows]
    return np.expm1(np.abs(np.float32(np.log(segment_tempo(beats))) - log_tempo))


def tempo_score(stretch: np.ndarray, tolerance: float = 0.2) -> np.ndarray:
    """0.5 at `tolerance` stretch, falling fast past it (4th power): 5 % -> 0.997, 30 % -> 0.03."""
    return np.exp(-np.log(2.0) * (stretch / tolerance) ** 4).astype(np.float32)


def keypoint_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mean Euclidean distance over 17 keypoints; (..., 17, 2) arrays that broadcast.

    Works on the flat (..., 34) view and adds x and y by stride: a reduction over a length-2
    last axis is ~10x slower in numpy, and this is the hot loop of a request.
    """
    shape = np.broadcast_shapes(a.shape, b.shape)[:-2]
    d = a.reshape(*a.shape[:-2], 34) - b.reshape(*b.shape[:-2], 34)
    d *= d
    dist = np.sqrt(d[..., 0::2] + d[..., 1::2])
    return dist.mean(axis=-1).reshape(shape)


def transition_distance(
    end_pose: np.ndarray,
    end_vel: np.ndarray,
    start_pose: np.ndarray,
    start_vel: np.ndarray,
    vel_weight: float = VEL_WEIGHT,
) -> np.ndarray:
    """Mean keypoint jump at a cut plus `vel_weight` x mean keypoint velocity change.

    Poses are normalised (hip-centred, torso = 1), i.e. already aligned the way the renderer
    aligns clips at a cut, so the distance is the jump a viewer sees. Arrays broadcast over
    leading axes: (17, 2) against (N, 17, 2), or (M, 1, 17, 2) against (1, M', 17, 2).
    """
    jump = keypoint_distance(start_pose, end_pose)
    jump += np.float32(vel_weight) * keypoint_distance(start_vel, end_vel)
    return jump


def transition_score_from_distance(d: np.ndarray, scale: float = 0.1) -> np.ndarray:
    """1 / (1 + (d/scale)^2): 0.04 torso scores 0.86, 0.1 scores 0.5, 0.3 scores 0.1.

    Steep near zero because at a hard cut even a small jump is seen (and it lands on a beat,
    where the body should be still); heavy-tailed so large jumps stay ordered.
    """
    return (1.0 / (1.0 + (d / scale) ** 2)).astype(np.float32)


_scratch = threading.local()  # per-thread buffers: a request allocates no 100k-row arrays


def _buffers(n: int) -> tuple[np.ndarray, np.ndarray]:
    bufs = getattr(_scratch, "bufs", None)
    if bufs is None or bufs[0].shape[0] != n:
        bufs = (np.empty((n, 68), np.float32), np.empty((n, 34), np.float32))
        _scratch.bufs = bufs
    return bufs


def transition_score(index: LibraryIndex, prev: int, vel_weight: float = VEL_WEIGHT) -> np.ndarray:
    """(N,) score of cutting from move `prev` (its end) to every move (its start).

    Same value as `transition_distance`, in one pass over the (N, 68) start array (x then y
    of 17 pose + 17 velocity keypoints): per-keypoint norms, then one weighted mean (mat-vec).
    """
    end = np.concatenate([index.pose_end[prev], index.vel_end[prev]]).T.ravel()  # x..., y...
    d, norms = _buffers(len(index))
    np.subtract(index.start_flat, end, out=d)
    np.multiply(d, d, out=d)
    np.add(d[:, :34], d[:, 34:], out=norms)
    np.sqrt(norms, out=norms)
    w = np.concatenate([np.full(17, 1.0 / 17), np.full(17, vel_weight / 17)]).astype(np.float32)
    return transition_score_from_distance(norms @ w)


def transition_matrix(
    index: LibraryIndex, rows_from: np.ndarray, rows_to: np.ndarray, vel_weight: float = VEL_WEIGHT
) -> tuple[np.ndarray, np.ndarray]:
    """(len(rows_from), len(rows_to)) transition scores for the sequence search, and the pose
    jumps (torso lengths, no velocity term) they were computed from."""
    jump = keypoint_distance(index.pose_end[rows_from, None], index.pose_start[None, rows_to])
    d = jump + np.float32(vel_weight) * keypoint_distance(
        index.vel_end[rows_from, None], index.vel_start[None, rows_to]
    )
    return transition_score_from_distance(d), jump


def beat_score(index: LibraryIndex) -> np.ndarray:
    """(N,) how well each move's accents (its body settling) land on its own beats, 0..1.

    Retiming puts a move's beats on the segment's beats, so a move that settles on its beats
    settles on the song's: the Beat Align Score of the move alone (`beat_align`).
    """
    return index.beat_align


def unary_scores(index: LibraryIndex, segment: SegmentFeatures) -> dict[str, np.ndarray]:
    """Scores that depend only on the segment (no previous pick): music, energy, tempo, beat."""
    return {
        "music": music_score(index, segment.music),
        "energy": energy_score(index, segment.energy),
        "tempo": tempo_score(tempo_stretch(index, segment.beats)),
        "beat": beat_score(index),
    }


def combine(scores: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """Weighted mean of the components present (missing ones, e.g. no previous pick, drop out)."""
    names = [n for n in scores if weights.get(n, 0.0) > 0]
    total = sum(weights[n] for n in names)
    out = np.zeros_like(next(iter(scores.values())), dtype=np.float32)
    for n in names:
        out += np.float32(weights[n] / total) * scores[n]
    return out
