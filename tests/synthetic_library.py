"""A synthetic dance library and song with real structure, for tests and benchmarks.

Each source is one long dance: a key pose per beat, taken from a shared vocabulary of poses
(dancers return to common positions, so different sources can join smoothly), with smoothstep
easing between key poses, so the body is still on every beat (motion beats on music beats).
On loud beats the dancer moves to a far pose of the vocabulary, on quiet beats to a near one,
so motion energy correlates with loudness, as in real dance.
Sources are cut into 8-beat moves; consecutive moves of a source join without a jump, so
a good sequence exists. Music descriptors = style centre + source offset + loudness + noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from choleor.recommend.features import (
    SAMPLES_PER_BEAT,
    MoveFeatures,
    SegmentFeatures,
    flip_pose,
    mirror,
    motion_energy,
    pose_terms,
)

BASE_POSE = np.array([
    [0.0, -1.45], [0.06, -1.52], [-0.06, -1.52], [0.14, -1.47], [-0.14, -1.47],
    [0.4, -1.0], [-0.4, -1.0], [0.5, -0.5], [-0.5, -0.5], [0.55, 0.0], [-0.55, 0.0],
    [0.2, 0.0], [-0.2, 0.0], [0.22, 0.85], [-0.22, 0.85], [0.22, 1.7], [-0.22, 1.7],
])  # fmt: skip
#: How far each keypoint swings per beat (limbs most, hips least).
MOBILITY = np.array(
    [0.25, 0.25, 0.25, 0.25, 0.25, 0.15, 0.15, 0.5, 0.5, 0.8, 0.8, 0.05, 0.05, 0.35, 0.35, 0.5, 0.5]
)[:, None]


@dataclass
class World:
    """Shared generators: style centres in music-descriptor space, the pose vocabulary."""

    dim: int
    centres: np.ndarray  # (styles, dim)
    loud_axis: np.ndarray  # (dim,) the direction loudness moves a descriptor
    poses: np.ndarray  # (K, 17, 2) key-pose vocabulary, closed under mirroring


def make_world(rng: np.random.Generator, dim: int = 48, styles: int = 6, poses: int = 24) -> World:
    axis = rng.normal(size=dim)
    vocab = BASE_POSE + 0.6 * MOBILITY * rng.normal(size=(poses, 17, 2))
    vocab = np.concatenate([vocab, flip_pose(vocab)])
    return World(dim, rng.normal(scale=2.0, size=(styles, dim)), axis / np.linalg.norm(axis), vocab)


def loudness(rng: np.random.Generator, beats: int, rho: float = 0.8) -> np.ndarray:
    """Per-beat loudness: an AR(1) process scaled to 0..1 (normalised per source/song)."""
    x = np.empty(beats)
    x[0] = rng.normal()
    for b in range(1, beats):
        x[b] = rho * x[b - 1] + np.sqrt(1 - rho**2) * rng.normal()
    return (x - x.min()) / max(x.max() - x.min(), 1e-9)


def key_poses(rng: np.random.Generator, world: World, loud: np.ndarray, jitter: float = 0.02) -> np.ndarray:
    """(beats + 1, 17, 2) key poses from the vocabulary; louder beats step to farther poses."""
    vocab = world.poses
    flat = vocab.reshape(len(vocab), -1)
    dist = np.linalg.norm(flat[:, None] - flat[None, :], axis=-1)
    order = np.argsort(dist, axis=1)[:, 1:]  # other poses, nearest first
    k = [int(rng.integers(len(vocab)))]
    for e in loud:
        rank = int(np.clip(e * (len(vocab) - 2) + rng.normal(scale=2.0), 0, len(vocab) - 2))
        k.append(int(order[k[-1], rank]))
    return vocab[k] + jitter * rng.normal(size=(len(k), 17, 2))


def eased(keys: np.ndarray) -> np.ndarray:
    """(beats * 8 + 1, 17, 2) trajectory, smoothstep between key poses (still on the beat)."""
    u = np.arange(SAMPLES_PER_BEAT) / SAMPLES_PER_BEAT
    s = (3 * u**2 - 2 * u**3)[None, :, None, None]
    seg = keys[:-1, None] + (keys[1:] - keys[:-1])[:, None] * s
    return np.concatenate([seg.reshape(-1, 17, 2), keys[-1:]], axis=0)


def music_vector(
    rng: np.random.Generator,
    world: World,
    style: int,
    offset: np.ndarray,
    loud_mean: float,
    noise: float = 0.5,
) -> np.ndarray:
    return (
        world.centres[style]
        + offset
        + 3.0 * loud_mean * world.loud_axis
        + rng.normal(scale=noise, size=world.dim)
    )


def source_moves(
    rng: np.random.Generator, world: World, name: str, pieces: int, keep_trajectory: bool = True
) -> list[MoveFeatures]:
    """One source cut into `pieces` moves, plus their mirrored twins."""
    style = int(rng.integers(len(world.centres)))
    tempo = float(rng.uniform(85, 145))
    offset = rng.normal(scale=0.7, size=world.dim)
    loud = loudness(rng, pieces * 8)
    traj = eased(key_poses(rng, world, loud))
    period = 60.0 / tempo
    moves = []
    for i in range(pieces):
        t = traj[i * 64 : i * 64 + 65]
        e = loud[i * 8 : i * 8 + 8]
        m = MoveFeatures(
            id=f"{name}-{i:03d}", source_id=name, style=f"style{style}", mirrored=False,
            tempo=tempo, beats=(i * 8 + np.arange(9)) * period,
            music=music_vector(rng, world, style, offset, float(e.mean())),
            music_energy=e, motion_energy=motion_energy(t),
            trajectory=t if keep_trajectory else None, **pose_terms(t),
        )  # fmt: skip
        moves += [m, mirror(m)]
    return moves


def library(
    rng: np.random.Generator, world: World, sources: int, pieces: int, keep_trajectory: bool = True
) -> list[MoveFeatures]:
    moves: list[MoveFeatures] = []
    for s in range(sources):
        moves += source_moves(rng, world, f"src{s:05d}", pieces, keep_trajectory)
    return moves


def song(
    rng: np.random.Generator, world: World, n_segments: int, tempo: float | None = None
) -> list[SegmentFeatures]:
    """An interval of `n_segments` 8-beat segments with its own loudness curve and style."""
    tempo = float(rng.uniform(90, 140)) if tempo is None else tempo
    style = int(rng.integers(len(world.centres)))
    offset = rng.normal(scale=0.7, size=world.dim)
    loud = loudness(rng, n_segments * 8)
    period = 60.0 / tempo
    return [
        SegmentFeatures(
            index=k,
            beats=(k * 8 + np.arange(9)) * period + 1.0,
            music=music_vector(rng, world, style, offset, float(loud[k * 8 : k * 8 + 8].mean())),
            energy=loud[k * 8 : k * 8 + 8],
        )
        for k in range(n_segments)
    ]


def simple_move(
    move_id: str,
    source: str,
    *,
    tempo: float = 120.0,
    music: np.ndarray | None = None,
    energy: np.ndarray | None = None,
    start: np.ndarray = BASE_POSE,
    end: np.ndarray = BASE_POSE,
    style: str = "test",
    at: float = 0.0,
) -> MoveFeatures:
    """A hand-made move: straight-line trajectory from `start` to `end` (for unit tests),
    cut `at` seconds into its source (moves of one source whose spans overlap are one footage)."""
    energy = np.linspace(0.2, 0.8, 8) if energy is None else np.asarray(energy, dtype=float)
    music = np.zeros(8) if music is None else np.asarray(music, dtype=float)
    u = (np.arange(65) / 64.0)[:, None, None]
    traj = start + (end - start) * u
    terms = pose_terms(traj)
    return MoveFeatures(
        id=move_id,
        source_id=source,
        style=style,
        mirrored=False,
        tempo=tempo,
        beats=at + np.arange(9) * 60.0 / tempo,
        music=music,
        music_energy=energy,
        motion_energy=energy.copy(),
        trajectory=traj,
        **terms,
    )
