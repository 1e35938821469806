"""A move's own beat alignment: accents on the beat score high, off the beat low, none zero."""

import numpy as np
import pytest

from choleor.recommend import metrics
from choleor.recommend.beat_align import move_alignment
from choleor.recommend.features import SegmentFeatures
from choleor.recommend.index import build_index
from tests.synthetic_library import BASE_POSE, simple_move


def swing(offset_beats: float, samples_per_beat: int = 8, beats: int = 8) -> np.ndarray:
    """(65, 17, 2) trajectory: the wrists swing once a beat and stop `offset_beats` after it."""
    u = np.arange(beats * samples_per_beat + 1) / samples_per_beat - offset_beats
    traj = np.repeat(BASE_POSE[None], len(u), axis=0).astype(float)
    traj[:, [9, 10], 0] += 0.5 * np.cos(np.pi * u)[:, None]  # speed 0 at whole beats (+offset)
    return traj


def test_on_the_beat_beats_off_the_beat_and_a_glide_has_no_accents():
    glide = simple_move("glide", "g", start=BASE_POSE, end=BASE_POSE + 0.5).trajectory
    traj = np.stack([swing(0.0), swing(0.5), swing(0.25), glide])
    on, off, quarter, none = move_alignment(traj, np.full(4, 120.0))
    assert on > 0.8 and off < 0.1 and off < quarter < on and none == 0.0


def test_agrees_with_the_metric_on_the_composed_move():
    """The library feature is the metrics' Beat Align Score of the move played alone."""
    traj = np.stack([swing(o) for o in (0.0, 0.1, 0.2, 0.3, 0.5)])
    tempo = np.full(len(traj), 100.0)
    beats = np.arange(9) * 0.6
    seg = SegmentFeatures(0, beats, np.zeros(8), np.zeros(8))
    inner = beats[1:-1]
    expected = []
    for row in range(len(traj)):
        times, poses = metrics.compose(traj, [seg], [row])
        found = metrics.motion_beats(times, poses)
        expected.append(0.5 * (metrics.beat_align(inner, found) + metrics.beat_align(found, inner)))
    assert move_alignment(traj, tempo) == pytest.approx(expected, abs=0.05)


def test_index_holds_it_and_a_move_without_trajectory_gets_the_median():
    rng = np.random.default_rng(0)
    moves = [simple_move(f"m{i}", f"s{i}", music=rng.normal(size=8)) for i in range(3)]
    for m, offset in zip(moves, (0.0, 0.25, 0.5)):
        m.trajectory = swing(offset)
    moves.append(simple_move("bare", "s9", music=rng.normal(size=8)))
    moves[-1].trajectory = None
    index = build_index(moves, "t")
    assert index.beat_align[0] > index.beat_align[1] > index.beat_align[2]
    assert index.beat_align[3] == pytest.approx(np.median(index.beat_align[:3]))


def test_a_snapshot_of_an_earlier_format_asks_for_a_rebuild():
    import io

    from choleor.recommend import index as ix

    moves = [simple_move(f"m{i}", f"s{i}", music=np.full(8, float(i)) + np.arange(8)) for i in range(3)]
    with np.load(io.BytesIO(ix.save(build_index(moves, "t")))) as z:
        arrays = dict(z)
    for fmt, error in (("choleor-recommend-index/1", ix.OldFormat), ("something-else/1", ValueError)):
        buf = io.BytesIO()
        np.savez(buf, **{**arrays, "format": np.asarray(fmt)})
        with pytest.raises(error) as caught:
            ix.load(buf.getvalue())
        assert (caught.type is ix.OldFormat) == (error is ix.OldFormat)
