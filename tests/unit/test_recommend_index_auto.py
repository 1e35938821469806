"""The index (save/load, frozen projection) and the sequence search."""

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.preprocessing import RobustScaler

from choleor.recommend import index as ix
from choleor.recommend.auto import (
    MAX_RUN,
    auto_choreograph,
    greedy_choreograph,
    late_repeats,
    plan,
    sequence_cost,
    viterbi,
)
from choleor.recommend.features import SegmentFeatures
from choleor.recommend.rank import candidates
from choleor.recommend.repeats import music_repeats
from tests.synthetic_library import BASE_POSE, library, make_world, simple_move, song


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(0)
    world = make_world(rng, dim=24)
    moves = library(rng, world, sources=12, pieces=6)
    return moves, ix.build_index(moves, "v7"), song(rng, world, 4)


def test_projection_matches_sklearn_fitted_once(small):
    moves, index, _ = small
    raw = np.stack([m.music for m in moves])
    scaler = RobustScaler().fit(raw)
    pca = PCA(
        n_components=index.pca_components.shape[0], svd_solver="randomized", random_state=ix.RANDOM_STATE
    ).fit(scaler.transform(raw))
    expected = pca.transform(scaler.transform(raw))
    assert np.allclose(np.abs(index.music), np.abs(expected), atol=1e-3)


def test_save_load_round_trips_and_never_refits(small, monkeypatch):
    _, index, segments = small
    data = ix.save(index)
    for cls in (RobustScaler, PCA):
        monkeypatch.setattr(cls, "fit", lambda *a, **k: pytest.fail("refitted"))
    loaded = ix.load(data)
    for f in ix.fields(ix.LibraryIndex):
        a, b = getattr(index, f.name), getattr(loaded, f.name)
        assert (a == b) if isinstance(a, str) else np.array_equal(a, b), f.name
    before = [c.id for c in candidates(index, segments[0])]
    assert [c.id for c in candidates(loaded, segments[0])] == before
    music = segments[0].music
    assert np.array_equal(ix.project(loaded, music), ix.project(index, music))
    with np.load(__import__("io").BytesIO(data), allow_pickle=False) as npz:  # no object arrays
        assert all(npz[k].dtype != object for k in npz.files)


def test_load_refuses_other_files():
    import io

    buf = io.BytesIO()
    np.savez(buf, a=np.zeros(3))
    with pytest.raises(ValueError):
        ix.load(buf.getvalue())


def test_index_memory_per_move_is_small(small):
    _, index, _ = small
    assert index.nbytes() / len(index) < 3000  # 100k moves < 300 MB


def test_viterbi_on_matrices():
    unary = [np.array([0.0, 0.1]), np.array([0.0, 0.0])]
    pair = [np.array([[5.0, 5.0], [0.0, 5.0]])]
    assert viterbi(unary, pair) == [1, 0]


def test_viterbi_beats_greedy_on_a_trap():
    """Greedy takes the best-fitting first move, whose end pose no second move starts from."""
    rng = np.random.default_rng(5)
    pose = lambda: BASE_POSE + rng.normal(scale=0.4, size=(17, 2))  # noqa: E731
    link = pose()
    a, b = rng.normal(size=8), rng.normal(size=8)  # the two segments' music
    moves = [
        simple_move("trap", "a", music=a, start=pose(), end=pose()),
        simple_move("good", "b", music=a + 0.3, start=pose(), end=link),
        simple_move("next", "c", music=b, start=link, end=pose()),
        simple_move("next2", "d", music=b + 0.1, start=pose(), end=pose()),
    ] + [
        simple_move(f"f{i}", f"f{i}", music=rng.normal(size=8) * 3, start=pose(), end=pose())
        for i in range(12)
    ]
    index = ix.build_index(moves, "t")
    segs = [
        SegmentFeatures(k, np.arange(9) * 0.5 + 4 * k, music, np.linspace(0.2, 0.8, 8))
        for k, music in enumerate((a, b))
    ]
    greedy = greedy_choreograph(index, segs)
    best = auto_choreograph(index, segs, m=5)
    assert greedy[0] == 0 and best == [1, 2]
    assert sequence_cost(index, segs, best) < sequence_cost(index, segs, greedy) - 0.3


def test_auto_keeps_fixed_picks_and_does_not_repeat(small):
    _, index, segments = small
    picks = auto_choreograph(index, segments, fixed={1: 7})
    assert picks[1] == 7 and len(picks) == len(segments)
    seen = set()
    for p in picks:
        assert p not in seen and int(index.twin[p]) not in seen
        seen.add(p)


def test_auto_makes_new_choreography_not_a_replay(small):
    """Consecutive clips of one source join perfectly; auto must not just replay them."""
    _, index, _ = small
    rng = np.random.default_rng(3)
    segments = song(rng, make_world(np.random.default_rng(0), dim=24), 8)

    def longest_run(picks):
        runs, run = [1], 1
        for a, b in zip(picks[:-1], picks[1:]):
            run = run + 1 if index.source[a] == index.source[b] else 1
            runs.append(run)
        return max(runs)

    picks = auto_choreograph(index, segments)
    replay = auto_choreograph(index, segments, same_source_cost=0.0, max_run=len(segments))
    assert longest_run(picks) <= MAX_RUN < longest_run(replay)


def test_viterbi_limits_runs_of_one_source_exactly():
    # Two choices per step; choice 0 is always cheaper and always of the same source as the
    # previous choice 0, so without a limit the path is all zeros.
    unary = [np.array([0.0, 1.0])] * 4
    pair = [np.zeros((2, 2))] * 3
    same = [np.array([[True, False], [False, False]])] * 3
    assert viterbi(unary, pair) == [0, 0, 0, 0]
    path = viterbi(unary, pair, same, max_run=2)
    assert sum(path) == 1 and all(path[i : i + 3] != [0, 0, 0] for i in range(2))  # one break
    alternate = viterbi(unary, pair, same, max_run=1)
    assert alternate in ([0, 1, 0, 1], [1, 0, 1, 0])  # never two of one source in a row
    # a loose step (a person's fixed pick) may extend the run
    assert viterbi(unary, pair, same, max_run=2, loose=[False, False, True, True]) == [0, 0, 0, 0]


def test_auto_dances_a_repeated_phrase_again_where_the_music_repeats():
    """Segments 2-3 repeat the music of 0-1. Phrase A-B of one source loops (B ends where A
    starts), so dancing it twice beats anything new, although the run limit (16 beats of one
    source) keeps Viterbi alone from it. Without the repeat, nothing is danced twice."""
    rng = np.random.default_rng(11)
    pose = lambda: BASE_POSE + rng.normal(scale=0.4, size=(17, 2))  # noqa: E731
    p0, p1 = pose(), pose()
    a, b = rng.normal(size=8), rng.normal(size=8)
    moves = [
        simple_move("A", "s", music=a, start=p0, end=p1),
        simple_move("B", "s", music=b, start=p1, end=p0, at=4.0),
    ]
    moves += [
        simple_move(
            f"f{i}", f"f{i}", music=(a, b)[i % 2] + rng.normal(scale=0.5, size=8), start=pose(), end=pose()
        )
        for i in range(16)
    ]
    index = ix.build_index(moves, "t")
    segs = [
        SegmentFeatures(k, np.arange(9) * 0.5 + 4 * k, music, np.linspace(0.2, 0.8, 8))
        for k, music in enumerate((a, b, a, b))
    ]
    picks = auto_choreograph(index, segs, repeats={2: 0, 3: 1})
    assert picks[2:] == picks[:2] and {index.ids[p] for p in picks} == {"A", "B"}
    fresh = auto_choreograph(index, segs)
    assert len({int(index.source[p]) for p in fresh}) >= 2
    assert all(fresh.count(p) == 1 for p in fresh)


def _a_and_a_bar_later():
    """(index, segments): segments 0 and 2 have the same music, which cut A of a video (row 0)
    and the window one bar later (row 1) fit best; every pose is alike, so transitions do not
    choose. 16 single-move sources fill the rest."""
    rng = np.random.default_rng(12)
    a, b = rng.normal(size=8), rng.normal(size=8)
    moves = [simple_move("A", "v", music=a), simple_move("A-bar-later", "v", music=a, at=2.0)]
    moves += [
        simple_move(f"f{i}", f"f{i}", music=(a, b)[i % 2] + rng.normal(scale=2.0, size=8)) for i in range(16)
    ]
    segs = [
        SegmentFeatures(k, np.arange(9) * 0.5 + 4 * k, music, np.linspace(0.2, 0.8, 8))
        for k, music in enumerate((a, b, a))
    ]
    return ix.build_index(moves, "t"), segs


def test_auto_shows_footage_again_only_where_the_music_repeats():
    """Dancing both A and the window one bar later would show half of A twice, so auto-fill
    dances A once; where the music repeats, only A itself may come back."""
    index, segs = _a_and_a_bar_later()
    video = {0, 1}  # rows of A and A-bar-later
    picks = auto_choreograph(index, segs)
    assert index.ids[picks[0]] == "A" and picks[2] not in video, index.ids[picks]
    echo = auto_choreograph(index, segs, repeats={2: 0})
    assert len({p for p in echo if p in video}) == 1, index.ids[echo]


def test_footage_is_never_shown_twice_even_when_the_repairs_run_out():
    """With no repair rounds the first search shows A twice; the last-resort pass replaces the
    later segment with the cheapest move that shows nothing seen before."""
    index, segs = _a_and_a_bar_later()
    first = auto_choreograph(index, segs, max_repairs=0)
    assert late_repeats(index, first) == {} and {0, 1} & set(first) == {0}, index.ids[first]


def test_a_library_smaller_than_the_interval_still_gets_a_plan():
    """Two moves of one video for four segments: something must come back, and auto-fill
    returns a plan instead of searching for one that cannot exist."""
    moves = [
        simple_move("A", "v", music=np.arange(8.0)),
        simple_move("B", "v", music=np.arange(8.0)[::-1], at=4.0),
    ]
    index = ix.build_index(moves, "t")
    segs = [
        SegmentFeatures(k, np.arange(9) * 0.5 + 4 * k, np.arange(8.0), np.linspace(0.2, 0.8, 8))
        for k in range(4)
    ]
    picks = auto_choreograph(index, segs, max_repairs=1)
    assert len(picks) == 4 and set(picks) <= {0, 1}


def test_a_small_library_with_fixed_picks_still_gets_a_plan():
    """Two moves of one video, one of them the person's pick: the other overlaps nothing
    picked, but with the fixed pick's footage banned elsewhere a later segment may be left
    with no move at all. Auto-fill then dances something again instead of failing."""
    moves = [
        simple_move("A", "v", music=np.arange(8.0)),
        simple_move("B", "v", music=np.arange(8.0)[::-1], at=4.0),
    ]
    index = ix.build_index(moves, "t")
    segs = [
        SegmentFeatures(k, np.arange(9) * 0.5 + 4 * k, np.arange(8.0), np.linspace(0.2, 0.8, 8))
        for k in range(4)
    ]
    for fixed in ({0: 0}, {1: 1}, {0: 0, 3: 1}):
        picks = auto_choreograph(index, segs, fixed=fixed)
        assert len(picks) == 4 and set(picks) <= {0, 1}
        assert all(picks[t] == row for t, row in fixed.items())


def test_auto_fill_picks_from_the_six_each_part_shows():
    """After auto-fill, each part's page shows six candidates (given the picks before it);
    auto-fill's pick is one of them wherever one fits, as it does on this library."""
    rng = np.random.default_rng(21)
    world = make_world(rng, dim=24)
    index = ix.build_index(library(rng, world, sources=30, pieces=8), "v")
    for seed in range(3):
        segments = song(np.random.default_rng(100 + seed), world, 8)
        result = plan(index, segments)
        outside = [t for t, (p, shown) in enumerate(zip(result.picks, result.shown)) if p not in shown]
        assert outside == [], f"song {seed}: parts {outside} were filled with a move not shown there"
        assert late_repeats(index, result.picks, repeats=music_repeats(index, segments)) == {}


def test_why_auto_fill_did_not_take_the_best_match():
    """Each reason is given where it is the true one, in the search's order of costs."""
    from choleor.recommend.auto import why_not_first

    raised = BASE_POSE.copy()
    raised[9:11] += [0.0, -0.8]  # wrists up: a visible jump from the base pose
    moves = [
        simple_move("p", "P", end=BASE_POSE),  # ends in the base pose
        simple_move("smooth", "S", start=BASE_POSE, end=BASE_POSE),
        simple_move("jumpy-in", "J", start=raised, end=BASE_POSE),  # starts with the wrists up
        simple_move("jumpy-out", "K", start=BASE_POSE, end=raised),  # ends with them up
        simple_move("n", "N", start=BASE_POSE),
        *(simple_move(f"a{i}", "A", at=8.0 * i) for i in range(4)),  # one video, cut in a row
    ]
    index = ix.build_index(moves, "why")
    r = {str(i): row for row, i in enumerate(index.ids)}
    p, smooth, jin, jout, n = (r[x] for x in ("p", "smooth", "jumpy-in", "jumpy-out", "n"))
    assert why_not_first(index, [p, smooth, n], 1, first=smooth) is None
    assert why_not_first(index, [p, smooth, n], 1, first=jin) == "it flows more smoothly from part 1"
    assert why_not_first(index, [p, smooth, n], 1, first=jout) == "it flows more smoothly into part 3"
    assert why_not_first(index, [p, n, p], 2, first=smooth, repeats={2: 0}) == (
        "it dances part 1 again, where the music repeats"
    )
    assert (
        why_not_first(index, [p, n, smooth], 2, first=p)
        == "the best match shows dance already seen in part 1"
    )
    a = [r[f"a{i}"] for i in range(4)]
    assert why_not_first(index, [*a[:3], n], 3, first=a[3]) == (
        "the best match would keep one dancer on screen for more than 3 parts in a row"
    )
    assert why_not_first(index, [p, smooth, n], 1, first=r["a0"]) == "it fits the whole sequence better"
