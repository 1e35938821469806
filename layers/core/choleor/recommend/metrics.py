"""Quality of a chosen sequence, and the comparison of methods on one interval.

Music beats are the segments' beat times except the interval's first and last (no motion beat
can be detected at the very ends). Motion beats are local minima of the mean keypoint speed of
the composed sequence: each move's trajectory retimed beat by beat onto its segment's beats
(piecewise linear, as the renderer does) and sampled at `fps`.

Beat Align Score, sigma = 50 ms, in both averaging directions:
- `bas_music`: mean over music beats of exp(-d^2 / 2 sigma^2), d = distance to the nearest
  motion beat (Bailando's direction; it punishes music beats the dance ignores);
- `bas_motion`: mean over motion beats, d = distance to the nearest music beat (AIST++/FACT's
  direction; it punishes motion beats off the music, and ignores missed music beats).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from choleor.recommend import auto, baselines
from choleor.recommend.beat_align import beat_align, motion_beats
from choleor.recommend.features import SAMPLES_PER_BEAT, Plan, SegmentFeatures
from choleor.recommend.index import LibraryIndex
from choleor.recommend.scores import tempo_stretch

Method = Callable[[LibraryIndex, Sequence[SegmentFeatures], np.random.Generator], Plan]
DEFAULT_METHODS: Mapping[str, Method] = {
    "ours": auto.plan,
    "random": baselines.random_picks,
    "original2020": baselines.original2020,
}
METRICS = ("transition_jump", "energy_corr", "bas_music", "bas_motion", "diversity")
#: Reported beside them: the share of picks played more than 20 % off their own speed (the
#: renderer lays a move's 8 beats on the segment's). None of the five sees it: retiming puts the
#: accents on the beat however far a move is stretched; a viewer sees slow or fast motion.
REPORTED = ("stretched",)
STRETCH_LIMIT = 0.2


def transition_jump(trajectories: np.ndarray, picks: Sequence[int]) -> float:
    """Mean over cuts of the mean keypoint distance (torso units) between the outgoing last
    pose and the incoming first pose; normalised poses are already aligned as at a cut."""
    if len(picks) < 2:
        return 0.0
    out = trajectories[np.asarray(picks[:-1]), -1]
    inc = trajectories[np.asarray(picks[1:]), 0]
    return float(np.linalg.norm(inc - out, axis=-1).mean())


def energy_corr(index: LibraryIndex, segments: Sequence[SegmentFeatures], picks: Sequence[int]) -> float:
    """Pearson r between the interval's per-beat loudness and the picks' per-beat motion."""
    music = np.concatenate([s.energy for s in segments])
    motion = index.motion_energy[np.asarray(picks)].reshape(-1)
    if music.std() < 1e-9 or motion.std() < 1e-9:
        return 0.0
    return float(np.corrcoef(music, motion)[0, 1])


def compose(
    trajectories: np.ndarray, segments: Sequence[SegmentFeatures], picks: Sequence[int], fps: float = 60.0
) -> tuple[np.ndarray, np.ndarray]:
    """(times (F,), poses (F, 17, 2)) of the cross-edited sequence sampled at `fps`."""
    start, end = float(segments[0].beats[0]), float(segments[-1].beats[-1])
    times = np.arange(start, end, 1.0 / fps)
    poses = np.empty((len(times), 17, 2))
    sample_beat = np.arange(8 * SAMPLES_PER_BEAT + 1) / SAMPLES_PER_BEAT
    for t, (seg, row) in enumerate(zip(segments, picks)):
        last = t == len(segments) - 1
        sel = (times >= seg.beats[0]) & ((times < seg.beats[-1]) | last)
        # time -> position in the move's own beats -> fractional sample index
        beat_pos = np.interp(times[sel], seg.beats, np.arange(len(seg.beats)))
        traj = trajectories[row].reshape(len(sample_beat), -1)
        pos = beat_pos * SAMPLES_PER_BEAT
        lo = np.clip(np.floor(pos).astype(int), 0, len(traj) - 2)
        frac = (pos - lo)[:, None]
        poses[sel] = ((1 - frac) * traj[lo] + frac * traj[lo + 1]).reshape(-1, 17, 2)
    return times, poses


def music_beats(segments: Sequence[SegmentFeatures]) -> np.ndarray:
    beats = np.unique(np.concatenate([s.beats for s in segments]))
    return beats[1:-1]


def diversity(index: LibraryIndex, shown: Sequence[Sequence[int]]) -> float:
    """Distinct sources among each segment's shown candidates, averaged over segments."""
    return float(np.mean([len(set(index.source[list(s)].tolist())) for s in shown]))


def stretched(
    index: LibraryIndex,
    segments: Sequence[SegmentFeatures],
    picks: Sequence[int],
    limit: float = STRETCH_LIMIT,
) -> float:
    """Share of picks whose 8 beats must be played more than `limit` faster or slower."""
    over = [float(tempo_stretch(index, s.beats, np.array([r]))[0]) > limit for s, r in zip(segments, picks)]
    return float(np.mean(over)) if over else 0.0


def plan_metrics(
    index: LibraryIndex,
    trajectories: np.ndarray,
    segments: Sequence[SegmentFeatures],
    plan: Plan,
    sigma: float = 0.05,
) -> dict[str, float]:
    times, poses = compose(trajectories, segments, plan.picks)
    mb, db = music_beats(segments), motion_beats(times, poses)
    return {
        "transition_jump": transition_jump(trajectories, plan.picks),
        "energy_corr": energy_corr(index, segments, plan.picks),
        "bas_music": beat_align(mb, db, sigma),
        "bas_motion": beat_align(db, mb, sigma),
        "diversity": diversity(index, plan.shown),
        "stretched": stretched(index, segments, plan.picks),
    }


def evaluate(
    index: LibraryIndex,
    trajectories: np.ndarray,
    segments: Sequence[SegmentFeatures],
    methods: Mapping[str, Method] = DEFAULT_METHODS,
    seeds: int = 20,
) -> dict[str, dict[str, float]]:
    """Metrics per method; a method without `deterministic = True` is averaged over `seeds`
    runs (random, and 2020's unseeded KMeans and random 'discovery' picks)."""
    out = {}
    for name, method in methods.items():
        runs = 1 if getattr(method, "deterministic", False) else seeds
        rows = [
            plan_metrics(index, trajectories, segments, method(index, segments, np.random.default_rng(seed)))
            for seed in range(runs)
        ]
        out[name] = {k: float(np.mean([r[k] for r in rows])) for k in METRICS + REPORTED}
    return out
