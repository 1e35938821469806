"""The ranking index: the dance library as flat arrays, built once, saved as one .npz.

The music projection (robust scaler + PCA) is fitted here, on the library, at build time, and
stored as plain arrays; requests only *apply* it (`project`). The 2020 system refitted its
clustering on every request, so similarity drifted; this index never refits.

Memory is dominated by poses and velocities (4 x 34 float32 per move): about 0.85 KB per move,
so ~85 MB at 100k moves. Trajectories are not held (metrics take them separately).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import cached_property

import numpy as np
from sklearn.decomposition import PCA
from sklearn.preprocessing import RobustScaler

from choleor.recommend.beat_align import move_alignment
from choleor.recommend.features import MoveFeatures, mirror_id

FORMAT = "choleor-recommend-index/3"  # 2: beat_align, 3: span
N_COMPONENTS = 32
RANDOM_STATE = 0
LEVEL_GRID = np.linspace(0.0, 1.0, 101)


class OldFormat(ValueError):
    """A snapshot written by another release: rebuild it from the moves' features."""


@dataclass
class LibraryIndex:
    """Flat per-move arrays (row i = move i) plus the frozen music projection."""

    version: str
    ids: np.ndarray  # (N,) str
    source: np.ndarray  # (N,) int32 code into source_names
    source_names: np.ndarray  # (S,) str
    style: np.ndarray  # (N,) int16 code into style_names
    style_names: np.ndarray  # (Y,) str
    mirrored: np.ndarray  # (N,) bool
    twin: np.ndarray  # (N,) int32 row of the mirrored twin, -1 if absent
    tempo: np.ndarray  # (N,) float32 bpm
    span: np.ndarray  # (N, 2) float32 first and last beat of the move's footage in its source, s
    music: np.ndarray  # (N, P) float32 projected music descriptors
    music_energy: np.ndarray  # (N, 8) float32
    motion_energy: np.ndarray  # (N, 8) float32
    beat_align: np.ndarray  # (N,) float32 0..1: do the move's accents land on its beats
    pose_start: np.ndarray  # (N, 17, 2) float32
    pose_end: np.ndarray  # (N, 17, 2) float32
    vel_start: np.ndarray  # (N, 17, 2) float32
    vel_end: np.ndarray  # (N, 17, 2) float32
    scaler_center: np.ndarray  # (D,) RobustScaler.center_
    scaler_scale: np.ndarray  # (D,) RobustScaler.scale_
    pca_mean: np.ndarray  # (D,) PCA.mean_
    pca_components: np.ndarray  # (P, D) PCA.components_
    music_scale: np.ndarray  # () a typical projected distance: where the music score is 0.61
    music_level_q: np.ndarray  # (101,) quantiles of clip mean loudness (to read a segment's level)
    motion_level_q: np.ndarray  # (101,) quantiles of clip mean motion energy

    def __len__(self) -> int:
        return len(self.ids)

    # Derived arrays: recomputed on load, not stored.
    @cached_property
    def motion_z(self) -> np.ndarray:
        """(N, 8) motion energy centred and scaled so that z @ z_seg is Pearson's r."""
        return _unit_rows(self.motion_energy)

    @cached_property
    def motion_level(self) -> np.ndarray:
        """(N,) each move's mean motion energy as a quantile 0..1 of the library."""
        level = self.motion_energy.mean(axis=1)
        return np.interp(level, self.motion_level_q, LEVEL_GRID).astype(np.float32)

    @cached_property
    def start_flat(self) -> np.ndarray:
        """(N, 68) start x of 17 pose + 17 velocity keypoints, then their y (scores.py).

        x and y in two contiguous halves, so per-keypoint norms need no strided access.
        """
        n = len(self.ids)
        both = np.concatenate([self.pose_start, self.vel_start], axis=1)  # (N, 34, 2)
        return np.ascontiguousarray(both.transpose(0, 2, 1).reshape(n, 68))

    @cached_property
    def rows_by_source(self) -> list[np.ndarray]:
        """Rows of each source code, ascending."""
        counts = np.bincount(self.source, minlength=len(self.source_names))
        return np.split(np.argsort(self.source, kind="stable"), np.cumsum(counts)[:-1])

    @cached_property
    def log_tempo(self) -> np.ndarray:
        return np.log(self.tempo).astype(np.float32)

    def nbytes(self) -> int:
        """Bytes held by the stored and derived arrays."""
        arrays = [getattr(self, f.name) for f in fields(self) if f.name != "version"]
        derived = (self.motion_z, self.motion_level, self.start_flat, self.log_tempo)
        return sum(a.nbytes for a in arrays) + sum(a.nbytes for a in derived)


def footage_overlap(
    index: LibraryIndex, a: Sequence[int] | np.ndarray, b: Sequence[int] | np.ndarray
) -> np.ndarray:
    """(len(a), len(b)) True where moves a and b show the same footage: one source, spans
    overlapping by more than 1/16 of the shorter (half a counted beat).

    A move and its mirror overlap, so do windows one bar apart and a half-time move and the
    8-beat moves inside it; consecutive clips that only touch do not.
    """
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    sa, sb = index.span[a], index.span[b]
    shared = np.minimum(sa[:, None, 1], sb[None, :, 1]) - np.maximum(sa[:, None, 0], sb[None, :, 0])
    shorter = np.minimum((sa[:, 1] - sa[:, 0])[:, None], (sb[:, 1] - sb[:, 0])[None, :])
    return (index.source[a][:, None] == index.source[b][None, :]) & (shared > shorter / 16)


def overlapping_rows(index: LibraryIndex, rows: Sequence[int] | np.ndarray) -> np.ndarray:
    """Every row showing footage of any of `rows` (the rows and their mirrors included)."""
    found = [np.asarray(rows, dtype=np.int64)]
    for row in found[0].tolist():
        same = index.rows_by_source[int(index.source[row])]
        found.append(same[footage_overlap(index, [row], same)[0]])
    return np.unique(np.concatenate(found))


def _unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows centred and divided by their norm (flat rows stay zero: correlation 0)."""
    c = x - x.mean(axis=-1, keepdims=True)
    norm = np.linalg.norm(c, axis=-1, keepdims=True)
    return (c / np.maximum(norm, 1e-6)).astype(np.float32)


def _codes(values: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    names, codes = np.unique(np.asarray(values, dtype=str), return_inverse=True)
    return codes.astype(np.int32), names


def _twins(ids: np.ndarray) -> np.ndarray:
    row = {m: i for i, m in enumerate(ids.tolist())}
    return np.array([row.get(mirror_id(m), -1) for m in ids.tolist()], dtype=np.int32)


def project(index: LibraryIndex, music: np.ndarray) -> np.ndarray:
    """Apply the stored scaler and PCA to raw descriptors (D,) or (n, D); never refits."""
    x = (np.asarray(music, dtype=np.float64) - index.scaler_center) / index.scaler_scale
    return ((x - index.pca_mean) @ index.pca_components.T).astype(np.float32)


def _fit_projection(raw: np.ndarray, n_components: int) -> dict[str, np.ndarray]:
    scaler = RobustScaler().fit(raw)
    scaled = scaler.transform(raw)
    p = min(n_components, raw.shape[1], raw.shape[0])
    pca = PCA(n_components=p, svd_solver="randomized", random_state=RANDOM_STATE).fit(scaled)
    return {
        "scaler_center": scaler.center_.astype(np.float64),
        "scaler_scale": scaler.scale_.astype(np.float64),
        "pca_mean": pca.mean_.astype(np.float64),
        "pca_components": pca.components_.astype(np.float64),
    }


def _music_scale(projected: np.ndarray, n_pairs: int = 4000) -> np.ndarray:
    """Lower quartile of distances between random library pairs (seeded: reproducible)."""
    rng = np.random.default_rng(RANDOM_STATE)
    a, b = rng.integers(0, len(projected), size=(2, n_pairs))
    d = np.linalg.norm(projected[a] - projected[b], axis=1)
    d = d[a != b]
    return np.asarray(max(float(np.quantile(d, 0.25)) if d.size else 1.0, 1e-6))


def _beat_alignment(moves: Sequence[MoveFeatures]) -> np.ndarray:
    """Each move's own beat alignment; a move without a trajectory gets the library median."""
    have = [i for i, m in enumerate(moves) if m.trajectory is not None]
    out = np.full(len(moves), np.nan, np.float32)
    if have:
        out[have] = move_alignment(
            np.stack([moves[i].trajectory for i in have]), np.array([moves[i].tempo for i in have])
        )
    return np.nan_to_num(out, nan=float(np.nanmedian(out)) if have else 0.5)


def build_index(
    moves: Sequence[MoveFeatures], version: str, n_components: int = N_COMPONENTS
) -> LibraryIndex:
    """Build the index from the whole library (mirrored twins included as their own rows)."""
    if not moves:
        raise ValueError("empty library")

    def stack(name: str) -> np.ndarray:
        return np.stack([getattr(m, name) for m in moves]).astype(np.float32)

    raw = np.stack([m.music for m in moves]).astype(np.float64)
    proj = _fit_projection(raw, n_components)
    ids = np.asarray([m.id for m in moves], dtype=str)
    if len(set(ids.tolist())) != len(ids):
        raise ValueError("duplicate move ids")
    source, source_names = _codes([m.source_id for m in moves])
    style, style_names = _codes([m.style for m in moves])
    music_energy, motion_energy = stack("music_energy"), stack("motion_energy")
    index = LibraryIndex(
        version=version, ids=ids, source=source, source_names=source_names,
        style=style.astype(np.int16), style_names=style_names,
        mirrored=np.array([m.mirrored for m in moves], dtype=bool), twin=_twins(ids),
        tempo=np.array([m.tempo for m in moves], dtype=np.float32),
        span=np.array([(m.beats[0], m.beats[-1]) for m in moves], dtype=np.float32),
        music=np.zeros((len(moves), 0), np.float32),
        music_energy=music_energy, motion_energy=motion_energy,
        beat_align=_beat_alignment(moves),
        pose_start=stack("pose_start"), pose_end=stack("pose_end"),
        vel_start=stack("vel_start"), vel_end=stack("vel_end"),
        music_scale=np.asarray(1.0),
        music_level_q=np.quantile(music_energy.mean(axis=1), LEVEL_GRID).astype(np.float32),
        motion_level_q=np.quantile(motion_energy.mean(axis=1), LEVEL_GRID).astype(np.float32),
        **proj,
    )  # fmt: skip
    index.music = project(index, raw)
    index.music_scale = _music_scale(index.music)
    return index


def save(index: LibraryIndex) -> bytes:
    """The index as one compressed .npz (plain arrays only: loadable without pickle)."""
    arrays = {f.name: getattr(index, f.name) for f in fields(index)}
    arrays["version"] = np.asarray(index.version, dtype=str)
    arrays["format"] = np.asarray(FORMAT, dtype=str)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def load(data: bytes) -> LibraryIndex:
    """Inverse of `save`; refuses other formats (OldFormat: another release of this one)."""
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        if "format" not in npz or not str(npz["format"]).startswith(FORMAT.split("/")[0] + "/"):
            raise ValueError("not a choleor recommendation index")
        if str(npz["format"]) != FORMAT:
            raise OldFormat(f"index format {npz['format']}, this release reads {FORMAT}")
        values = {f.name: npz[f.name] for f in fields(LibraryIndex)}
    values["version"] = str(values["version"])
    return LibraryIndex(**values)
