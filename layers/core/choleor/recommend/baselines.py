"""Baselines: uniformly random moves, and the 2020 system's scoring re-implemented honestly.

`original2020` keeps the 2020 behaviour *including its mistakes* (see
shared/reference/ORIGINAL.md), because the point is to measure what they cost. Where a 2020
input does not exist in our features it is approximated; each approximation is stated where
it is made. Both baselines return a `Plan` (picks + the six shown per segment).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.cluster import KMeans

from choleor.keypoints import INDEX as J
from choleor.recommend.features import Plan, SegmentFeatures
from choleor.recommend.index import LibraryIndex, project

GRAY3 = np.array([0b00, 0b01, 0b11])  # 3 zones per axis; popcount(a ^ b) = zone distance


def random_picks(
    index: LibraryIndex, segments: Sequence[SegmentFeatures], rng: np.random.Generator, k: int = 6
) -> Plan:
    """Six distinct random moves per segment; the first one is picked."""
    shown = [rng.choice(len(index), size=k, replace=False).tolist() for _ in segments]
    return Plan(picks=[s[0] for s in shown], shown=shown)


# --- music similarity -------------------------------------------------------------------------


def mfcc_like(index: LibraryIndex, projected: np.ndarray, n: int = 20) -> np.ndarray:
    """Approximates 2020's per-slice `PCA(n_components=1, whiten=True)` of a 20 x T MFCC.

    2020 got one 20-vector per slice, centred, unit variance, its sign fixed by sklearn's
    svd_flip (largest entry positive). We have no MFCC matrix; we take the first 20 dims of the
    index's projected music descriptor and apply the same centring, whitening and sign rule.
    """
    x = np.atleast_2d(projected)[:, :n].astype(np.float64)
    x = x - x.mean(axis=1, keepdims=True)
    x /= np.maximum(x.std(axis=1, keepdims=True), 1e-9)
    sign = np.sign(x[np.arange(len(x)), np.argmax(np.abs(x), axis=1)])
    return x * sign[:, None]


def similarity_2020(
    library: np.ndarray, query: np.ndarray, seed: int | None, default: float = 80.0, k: int = 5
) -> np.ndarray:
    """KMeans(k=5) refitted per request on library + query (2020: over a CSV that grew with
    every request; seed None = unseeded, as in 2020), then 100 x cosine within the query's
    cluster. Moves outside that cluster keep the default 80 (2020's tie value), so a good
    neighbour across a cluster edge is scored as if it were fairly similar, and a poor one in
    the cluster can rank below it."""
    data = np.vstack([library, query[None]])
    labels = KMeans(n_clusters=k, n_init=1, random_state=seed).fit_predict(data)
    same = labels[:-1] == labels[-1]
    cos = library @ query / np.maximum(np.linalg.norm(library, axis=1) * np.linalg.norm(query), 1e-9)
    return np.where(same, 100.0 * cos, default)


# --- harmony: "amplitude" against "movement" --------------------------------------------------


def amplitude_2020(raw_music: np.ndarray, bands: int = 9) -> np.ndarray:
    """2020: STFT dB averaged over 9 *frequency* bands, 3 dB steps, 0..10.

    We have no spectrogram; the raw music descriptor is spectral summary statistics, so its 9
    contiguous chunks stand in for the bands, scaled so their range spans 30 'dB' (0..10 steps).
    Like 2020's, this is about timbre, not about when the music is loud.
    """
    chunks = np.array_split(np.asarray(raw_music, dtype=np.float64), bands)
    level = np.array([c.mean() for c in chunks])
    span = max(level.max() - level.min(), 1e-9)
    return np.clip(np.floor((level - level.min()) / span * 10.0), 0, 10)


def movement_2020(index: LibraryIndex) -> np.ndarray:
    """2020: per-sample joint displacement, top-3 sum, quantised 1..10 by hand (8 values).

    We use the per-beat motion energy (mean keypoint displacement per beat, 8 values) and
    quantise linearly between the library's 1st and 99th percentiles (our 'by hand')."""
    e = index.motion_energy
    lo, hi = np.percentile(e, [1, 99])
    return np.clip(1 + np.floor((e - lo) / max(hi - lo, 1e-9) * 10), 1, 10)


def harmony_2020(amplitude: np.ndarray, movement: np.ndarray) -> np.ndarray:
    """L1 distance of the two vectors over their common length (9 vs 8: 2020 zipped them)."""
    n = min(len(amplitude), movement.shape[1])
    return np.abs(movement[:, :n] - amplitude[:n]).sum(axis=1)


# --- the Labanotation-like pose code ----------------------------------------------------------


def _zone(dx: np.ndarray, dy: np.ndarray, x_edge: float, y_edges: tuple[float, float]) -> np.ndarray:
    col = np.digitize(dx, [-x_edge, x_edge])
    row = np.digitize(dy, list(y_edges))
    return (GRAY3[col] << 2) | GRAY3[row]


def pose_code(pose: np.ndarray) -> np.ndarray:
    """20-bit codes of normalised poses (..., 17, 2): direction 2 + height 2 + 4 limbs x 4.

    direction: shoulder-line width and order (front, right, back, left, in Gray order);
    height: ankles' depth below the hips (high, middle, low); limb zone: 3 x 3 grid of the
    wrist around its shoulder / ankle around its hip, Gray-coded per axis (Karnaugh layout).
    Thresholds are in torso lengths (y down).
    """
    p = np.asarray(pose)
    x, y = p[..., 0], p[..., 1]
    sx = x[..., J["left_shoulder"]] - x[..., J["right_shoulder"]]
    face = x[..., J["nose"]] - 0.5 * (x[..., J["left_shoulder"]] + x[..., J["right_shoulder"]])
    side = np.abs(sx) < 0.3
    direction = np.where(side, np.where(face > 0, 0b01, 0b10), np.where(sx > 0, 0b00, 0b11))
    leg = 0.5 * (y[..., J["left_ankle"]] + y[..., J["right_ankle"]])
    height = GRAY3[np.digitize(-leg, [-1.4, -0.9])]  # high 00, middle 01, low 11
    code = (direction << 18) | (height << 16)
    limbs = [
        ("left_wrist", "left_shoulder", (-0.2, 0.6)),
        ("right_wrist", "right_shoulder", (-0.2, 0.6)),
        ("left_ankle", "left_hip", (1.0, 1.5)),
        ("right_ankle", "right_hip", (1.0, 1.5)),
    ]
    for i, (end, root, y_edges) in enumerate(limbs):
        dx = x[..., J[end]] - x[..., J[root]]
        dy = y[..., J[end]] - y[..., J[root]]
        code = code | (_zone(dx, dy, 0.3, y_edges) << (12 - 4 * i))
    return code.astype(np.int64)


def _popcount(v: np.ndarray) -> np.ndarray:
    return np.bitwise_count(v.astype(np.uint64)).astype(np.int64)


def pose_fit_2020(prev_code: int, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(fits, distance): fit = same direction and height, each limb <= 1 bit, <= 2 in total."""
    diff = codes ^ prev_code
    same_frame = (diff >> 16) == 0
    per_limb = np.stack([_popcount((diff >> s) & 0xF) for s in (12, 8, 4, 0)])
    total = per_limb.sum(axis=0)
    return same_frame & (per_limb.max(axis=0) <= 1) & (total <= 2), total


# --- the 2020 ranking -------------------------------------------------------------------------


def original2020(
    index: LibraryIndex,
    segments: Sequence[SegmentFeatures],
    rng: np.random.Generator | None = None,
    k: int = 6,
) -> Plan:
    """The 2020 scoring, mistakes kept.

    - Every unit is scored against the FIRST unit's music (similarity and amplitude).
    - score = (harmony + similarity) / 2 + 3 (2 - pose distance): harmony is a distance added
      as a reward, so a worse energy fit ranks higher.
    - KMeans refitted per request, unseeded (a seed drawn from `rng` here, to be repeatable).
    - Pose fit is a filter; when fewer than k moves fit the previous end pose, the fallback
      takes all moves and gives the unfit ones distance 0, i.e. the largest bonus.
    - Shown: 3 random moves from rank >= 4, then the top 3. We assume the person picks the
      system's best (shown 4th); 2020's random intro/outro units lie outside our segments.
    """
    rng = np.random.default_rng() if rng is None else rng
    first = segments[0]
    lib = mfcc_like(index, index.music)
    query = mfcc_like(index, project(index, first.music))[0]
    harmony = harmony_2020(amplitude_2020(first.music), movement_2020(index))
    starts, ends = pose_code(index.pose_start), pose_code(index.pose_end)
    picks: list[int] = []
    shown: list[list[int]] = []
    for _ in segments:
        seed = int(rng.integers(2**31))
        score = (harmony + similarity_2020(lib, query, seed)) / 2
        if picks:
            fits, dist = pose_fit_2020(int(ends[picks[-1]]), starts)
            if fits.sum() >= k:
                score = np.where(fits, score + 3 * (2 - dist), -np.inf)
            else:
                score = score + 3 * (2 - np.where(fits, dist, 0))
        order = np.argsort(-score, kind="stable")
        order = order[np.isfinite(score[order])]
        extra = rng.choice(order[3:], size=min(3, max(len(order) - 3, 0)), replace=False)
        shown.append([int(r) for r in extra] + [int(r) for r in order[:3]])
        picks.append(int(order[0]))
    return Plan(picks=picks, shown=shown)
