"""Scores and candidates on hand-made libraries: each test can fail for one reason."""

import numpy as np
import pytest

from choleor.recommend.features import SegmentFeatures, flip_pose, mirror, mirror_id
from choleor.recommend.index import build_index, footage_overlap, overlapping_rows
from choleor.recommend.rank import candidates, pick_distinct
from choleor.recommend.scores import tempo_score, tempo_stretch
from tests.synthetic_library import BASE_POSE, simple_move


def _segment(tempo=120.0, music=None, energy=None, index=0):
    return SegmentFeatures(
        index=index,
        beats=np.arange(9) * 60.0 / tempo,
        music=np.zeros(8) if music is None else music,
        energy=np.linspace(0.2, 0.8, 8) if energy is None else energy,
    )


def _filler(rng, n, sources=None, tempo=120.0):
    """Moves with random music and poses, to give the scaler and PCA something to fit."""
    return [
        simple_move(
            f"f{i}",
            f"fs{i if sources is None else i % sources}",
            tempo=tempo,
            music=rng.normal(size=8),
            energy=rng.uniform(size=8),
            start=BASE_POSE + rng.normal(scale=0.3, size=(17, 2)),
            end=BASE_POSE + rng.normal(scale=0.3, size=(17, 2)),
        )
        for i in range(n)
    ]


def test_mirror_swaps_sides_and_round_trips():
    m = simple_move("a", "s", start=BASE_POSE + np.arange(34).reshape(17, 2) * 0.01)
    t = mirror(m)
    assert t.id == mirror_id("a") and t.mirrored and mirror(t).id == "a"
    assert np.allclose(t.pose_start[5], [-m.pose_start[6, 0], m.pose_start[6, 1]])
    assert np.allclose(mirror(t).pose_start, m.pose_start)
    assert np.allclose(flip_pose(BASE_POSE), BASE_POSE)  # the standing skeleton is symmetric


def test_continuous_start_ranks_above_a_jump():
    rng = np.random.default_rng(1)
    end = BASE_POSE + rng.normal(scale=0.2, size=(17, 2))
    prev = simple_move("prev", "p", start=BASE_POSE, end=end)
    smooth = simple_move("smooth", "a", start=end, end=BASE_POSE)
    jump = simple_move("jump", "b", start=end + 0.3, end=BASE_POSE)
    index = build_index([prev, smooth, jump] + _filler(rng, 20), "t")
    out = candidates(index, _segment(), prev=0, history=[0])
    order = [c.id for c in out]
    assert order.index("smooth") < order.index("jump")
    by_id = {c.id: c for c in out}
    assert by_id["smooth"].scores["transition"] > 0.95 > 0.5 > by_id["jump"].scores["transition"]
    assert by_id["smooth"].reason.startswith("flows from your last move")
    assert "but a visible jump from your last move" in by_id["jump"].reason


@pytest.mark.parametrize("move_tempo", [240.0, 60.0])
def test_a_move_counts_at_its_own_beat_only(move_tempo):
    rng = np.random.default_rng(0)
    index = build_index([simple_move("x", "s", tempo=move_tempo)] + _filler(rng, 10), "t")
    # The renderer plays 8 beats on 8 beats: a 240 bpm move on 120 would play at half speed.
    stretch = tempo_stretch(index, _segment(120.0).beats)
    assert stretch[0] == pytest.approx(1.0, abs=1e-5)
    assert tempo_score(stretch)[0] < 0.01


def test_thirty_percent_stretch_scores_much_lower_than_five():
    rng = np.random.default_rng(0)
    moves = [simple_move("s5", "a", tempo=120 * 1.05), simple_move("s30", "b", tempo=120 * 1.3)]
    index = build_index(moves + _filler(rng, 10), "t")
    score = tempo_score(tempo_stretch(index, _segment(120.0).beats))
    assert score[0] > 0.95 and score[1] < 0.1


def test_candidates_are_best_first_with_distinct_sources():
    rng = np.random.default_rng(2)
    # 8 sources x 10 near-identical moves: the top 6 by score would share sources.
    moves = [
        simple_move(f"m{s}-{i}", f"src{s}", music=np.full(8, s * 0.01) + i * 1e-3)
        for s in range(8)
        for i in range(10)
    ]
    index = build_index(moves + _filler(rng, 10, sources=2), "t")
    out = candidates(index, _segment(music=np.zeros(8)))
    sources = [index.source[c.index] for c in out]
    assert len(out) == 6 and len(set(sources)) == 6
    assert [c.score for c in out] == sorted((c.score for c in out), reverse=True)
    assert all(0.0 <= v <= 1.0 for c in out for v in c.scores.values())
    # same tempo everywhere: every move is danced at its own speed, and nothing is said against it
    assert all("danced at its own speed" in c.reason and "but" not in c.reason for c in out)
    # the match is calibrated on the library for this part: the best reads 100 %
    assert out[0].match == 1.0 and all(0.0 <= c.match <= 1.0 for c in out)
    assert [c.match for c in out] == sorted((c.match for c in out), reverse=True)


def test_pick_distinct_fills_when_sources_run_out():
    total = np.array([0.9, 0.8, 0.7, 0.6, -np.inf])
    source = np.array([0, 0, 1, 1, 2])
    assert pick_distinct(total, source, 3, pool=2) == [0, 2, 1]


def _repeat_library(rng):
    moves = []
    for s in range(8):
        for i in range(2):
            m = simple_move(
                f"m{s}-{i}", f"src{s}", music=rng.normal(size=8), energy=rng.uniform(size=8), at=4.0 * i
            )
            moves += [m, mirror(m)]
    return build_index(moves, "t")


def test_earlier_picks_and_their_mirrors_are_not_offered_again():
    index = _repeat_library(np.random.default_rng(3))
    history = [0, 4]
    out = candidates(index, _segment(), prev=4, history=history)
    banned = set(history) | {int(index.twin[h]) for h in history}
    assert not banned & {c.index for c in out}


def _one_video(rng):
    """Cuts of one 120 bpm video (8 beats = 4 s) that fit the segment best, and fillers."""
    cuts = [
        simple_move("pick", "v"),
        simple_move("bar-later", "v", at=2.0),
        simple_move("half-time", "v", tempo=60.0, at=2.0),
        simple_move("next", "v", at=4.0),
    ]
    cuts += [mirror(m) for m in cuts]
    return build_index(cuts + _filler(rng, 10), "t")


def test_footage_overlap_is_one_source_and_more_than_half_a_beat():
    index = _one_video(np.random.default_rng(4))
    row = {str(m): i for i, m in enumerate(index.ids)}
    names = ["pick", "bar-later", "half-time", "next", mirror_id("pick"), "f0"]
    shared = footage_overlap(index, [row["pick"]], [row[n] for n in names])[0]
    assert shared.tolist() == [True, True, True, False, True, False]
    assert set(index.ids[overlapping_rows(index, [row["next"]])]) == {
        "next",
        mirror_id("next"),
        "bar-later",
        mirror_id("bar-later"),
        "half-time",
        mirror_id("half-time"),
    }


def test_footage_of_an_earlier_pick_is_not_offered_again():
    """A window one bar later and a half-time cut around the pick show some of its footage
    again; the next clip of the video only touches it and is offered."""
    index = _one_video(np.random.default_rng(4))
    pick = int(np.flatnonzero(index.ids == "pick")[0])
    offered = {str(index.ids[c.index]) for c in candidates(index, _segment(), history=[pick])}
    assert offered & {"next", mirror_id("next")}
    shared = {"pick", "bar-later", "half-time"}
    assert not offered & (shared | {mirror_id(n) for n in shared})


def test_repeated_music_offers_the_earlier_pick_and_its_mirror():
    index = _repeat_library(np.random.default_rng(3))
    history = [0, 4]
    out = candidates(index, _segment(), prev=4, history=history, repeats_of=0)
    kinds = {c.kind: c.index for c in out if c.kind != "ranked"}
    assert kinds == {"repeat": 0, "mirror": int(index.twin[0])}
    others = [index.source[c.index] for c in out if c.kind == "ranked"]
    assert index.source[0] not in others and len(set(others)) == len(others) == 4
    assert 4 not in {c.index for c in out} and int(index.twin[4]) not in {c.index for c in out}
    assert "the music repeats" in next(c.reason for c in out if c.kind == "repeat")


def test_fast_paths_match_their_definitions():
    from choleor.recommend.scores import transition_distance, transition_score, transition_score_from_distance

    rng = np.random.default_rng(4)
    index = build_index(_filler(rng, 30, tempo=97.0), "t")
    for prev in (0, 11):
        d = transition_distance(index.pose_end[prev], index.vel_end[prev], index.pose_start, index.vel_start)
        assert np.allclose(transition_score(index, prev), transition_score_from_distance(d), atol=1e-6)
    stretch = tempo_stretch(index, _segment(120.0).beats)
    rate = 120.0 / 97.0
    assert np.allclose(stretch, rate - 1, atol=1e-5)


def test_the_current_pick_is_always_in_the_answer():
    """A part's list shows what the part holds: its pick is appended, marked, when it is not
    among the six; when it is, the six stay as they are."""
    rng = np.random.default_rng(6)
    index = build_index(_filler(rng, 40), "t")
    out = candidates(index, _segment())
    keep = next(r for r in range(len(index)) if r not in {c.index for c in out})
    with_pick = candidates(index, _segment(), keep=keep)
    assert [c.id for c in with_pick[:6]] == [c.id for c in out]
    assert with_pick[-1].index == keep and with_pick[-1].kind == "picked" and len(with_pick) == 7
    inside = candidates(index, _segment(), keep=out[2].index)
    assert [c.id for c in inside] == [c.id for c in out] and inside[2].kind == "ranked"


def test_match_is_calibrated_on_what_the_library_offers_and_reasons_stay_plain():
    """A library of fast dances for a slow song: the raw score of the best is low, yet it reads
    as the best available; its reason says what fits first and names the stretch after 'but'."""
    rng = np.random.default_rng(5)
    moves = [
        simple_move(
            f"m{i}", f"s{i}", tempo=150.0 + 5 * i, music=rng.normal(size=8), energy=rng.uniform(size=8)
        )
        for i in range(30)
    ]
    index = build_index(moves, "t")
    out = candidates(index, _segment(tempo=100.0))
    assert out[0].score < 0.7 and out[0].match == 1.0
    # the percentile: the sixth best of 30 distinct moves fits at least as well as 25 of them
    assert out[5].match == pytest.approx(25 / 30)
    best = out[0].reason
    assert "slower than danced" in best and not best.startswith("but") and best.index(", but ") > 0
