"""Metrics on hand-made sequences with known answers; the 2020 baseline's rules."""

import numpy as np

from choleor.recommend import baselines, metrics
from choleor.recommend.features import Plan, SegmentFeatures
from choleor.recommend.index import build_index
from tests.synthetic_library import BASE_POSE, eased, make_world, simple_move, song


def _index(moves):
    return build_index(moves, "t")


def test_transition_jump_known_value():
    traj = np.zeros((2, 65, 17, 2))
    traj[1] += [0.3, 0.4]  # every keypoint 0.5 away
    assert metrics.transition_jump(traj, [0, 1]) == np.float64(0.5)
    assert metrics.transition_jump(traj, [0, 0, 1, 1]) == np.float64(0.5 / 3)


def test_energy_corr_sign_and_value():
    e = np.linspace(0, 1, 8)
    index = _index(
        [simple_move("up", "a", energy=2 * e + 1), simple_move("down", "b", energy=1 - e)]
        + [simple_move(f"f{i}", f"f{i}", music=np.full(8, i)) for i in range(4)]
    )
    segs = [SegmentFeatures(0, np.arange(9.0), np.zeros(8), e)]
    assert np.isclose(metrics.energy_corr(index, segs, [0]), 1.0)
    assert np.isclose(metrics.energy_corr(index, segs, [1]), -1.0)


def test_beat_align_known_value_both_directions():
    music = np.array([1.0, 2.0, 3.0])
    motion = np.array([1.0, 2.05])
    expected = (1 + np.exp(-0.5) + np.exp(-81 / 2)) / 3  # 3.0 is 0.95 s from 2.05
    assert np.isclose(metrics.beat_align(music, motion, 0.05), expected)
    assert np.isclose(metrics.beat_align(motion, music, 0.05), (1 + np.exp(-0.5)) / 2)


def test_still_on_every_beat_gives_full_beat_alignment():
    rng = np.random.default_rng(0)
    keys = BASE_POSE + rng.normal(scale=0.3, size=(17, 17, 2))
    traj = eased(keys)  # 16 beats, still on each
    trajs = np.stack([traj[:65], traj[64:]])
    segs = [SegmentFeatures(k, 1.0 + 0.5 * (8 * k + np.arange(9)), np.zeros(4), np.ones(8)) for k in range(2)]
    times, poses = metrics.compose(trajs, segs, [0, 1])
    mb, db = metrics.music_beats(segs), metrics.motion_beats(times, poses)
    assert len(mb) == 15
    assert metrics.beat_align(mb, db) > 0.9 and metrics.beat_align(db, mb) > 0.9
    # the same dance laid half a beat late on the music aligns badly
    late = [SegmentFeatures(s.index, s.beats + 0.25, s.music, s.energy) for s in segs]
    t2, p2 = metrics.compose(trajs, late, [0, 1])
    assert metrics.beat_align(mb, metrics.motion_beats(t2, p2)) < 0.2


def test_diversity_counts_sources():
    index = _index([simple_move(f"m{i}", f"s{i // 2}", music=np.full(8, i)) for i in range(6)])
    assert metrics.diversity(index, [[0, 1, 2], [0, 2, 4]]) == 2.5


def test_pose_code_karnaugh_distance():
    base = baselines.pose_code(BASE_POSE)
    raised = BASE_POSE.copy()
    raised[9] = BASE_POSE[5] + [0.0, -0.5]  # left wrist from below to above: two rows, 2 bits
    fits, dist = baselines.pose_fit_2020(int(base), np.array([base, baselines.pose_code(raised)]))
    assert fits[0] and dist[0] == 0 and not fits[1] and dist[1] == 2
    wide = raised.copy()
    wide[9, 0] += 0.6  # and out to the side: one more zone
    _, d2 = baselines.pose_fit_2020(int(base), np.array([baselines.pose_code(wide)]))
    assert d2[0] == dist[1] + 1
    turned = BASE_POSE.copy()
    turned[:, 0] *= -1  # seen from behind: direction differs, never fits
    fits3, _ = baselines.pose_fit_2020(int(base), np.array([baselines.pose_code(turned)]))
    assert not fits3[0]


def test_original2020_scores_every_unit_against_the_first():
    rng = np.random.default_rng(0)
    world = make_world(rng, dim=24)
    from tests.synthetic_library import library

    index = _index(library(rng, world, 10, 6))
    segs = song(rng, world, 4)
    other = [segs[0]] + song(np.random.default_rng(9), world, 3)
    a = baselines.original2020(index, segs, np.random.default_rng(1))
    b = baselines.original2020(index, other, np.random.default_rng(1))
    assert a.picks == b.picks and a.shown == b.shown  # later units' music is ignored
    assert all(len(s) == 6 and s[3] == p for s, p in zip(a.shown, a.picks))


def test_random_picks_shape():
    index = _index([simple_move(f"m{i}", f"s{i}", music=np.full(8, i)) for i in range(10)])
    segs = [SegmentFeatures(0, np.arange(9.0), np.zeros(8), np.ones(8))] * 3
    plan = baselines.random_picks(index, segs, np.random.default_rng(0))
    assert isinstance(plan, Plan) and all(len(set(s)) == 6 for s in plan.shown)


def test_stretched_counts_picks_played_more_than_a_fifth_off_their_speed():
    rng = np.random.default_rng(0)
    index = _index(
        [
            simple_move(name, name, tempo=tempo, music=rng.normal(size=8))
            for name, tempo in (("own", 120.0), ("near", 138.0), ("fast", 160.0), ("half", 80.0))
        ]
    )
    segs = [
        SegmentFeatures(k, 4.0 * k + np.arange(9) * 0.5, np.zeros(8), np.zeros(8)) for k in range(4)
    ]  # 120 bpm
    assert metrics.stretched(index, segs, [0, 1, 0, 1]) == 0.0  # 0 % and 15 %
    assert metrics.stretched(index, segs, [0, 2, 3, 1]) == 0.5  # 33 % slower, 50 % faster
