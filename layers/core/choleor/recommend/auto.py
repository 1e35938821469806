"""Fill every segment at once: the lowest-cost sequence by Viterbi over a short list per segment.

Cost of a sequence = sum over segments of the unary cost (music, energy, tempo) + sum over cuts
of the transition cost + a penalty for using a move (or its mirror) twice + a smaller one for
two consecutive moves of one source. Each cost is weight x (1 - score), with the same weights
and scores as `rank.candidates`, so the interactive and automatic paths agree on "good".
The short list per segment = the m best by unary cost + the best follow-up of each move kept
for the previous segment (found among the `pool` best by unary cost).

Viterbi sees only neighbouring segments, so a non-adjacent repeat is removed afterwards: the
repeated move is dropped from the later segment's list and the search rerun (a few times at most).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from choleor.recommend.features import Plan, SegmentFeatures
from choleor.recommend.index import LibraryIndex
from choleor.recommend.rank import DEFAULT_WEIGHTS, candidates
from choleor.recommend.scores import transition_matrix, unary_scores

UNARY = ("music", "energy", "tempo")
#: Cost of two consecutive moves from one source. Consecutive clips of one video join
#: perfectly, so without it the search replays the library's dances clip after clip: a copy,
#: not new choreography. At 0.5 a run continues only where no other move joins nearly as well.
SAME_SOURCE_COST = 0.5


def unary_cost(index: LibraryIndex, segment: SegmentFeatures,
               weights: Mapping[str, float] = DEFAULT_WEIGHTS) -> np.ndarray:
    """(N,) sum over music/energy/tempo of weight x (1 - score)."""
    scores = unary_scores(index, segment)
    return sum(np.float32(weights[n]) * (1.0 - scores[n]) for n in UNARY)


def _same_move(index: LibraryIndex, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) True where b is a or a's mirrored twin."""
    return (a[:, None] == b[None, :]) | (index.twin[a][:, None] == b[None, :])


def pair_cost(index: LibraryIndex, a: np.ndarray, b: np.ndarray, w_tr: float,
              repeat_cost: float = 2.0, same_source_cost: float = SAME_SOURCE_COST,
              music_repeats: bool = False) -> np.ndarray:
    """(len(a), len(b)) cost of cutting from rows a to rows b: transition, same move again
    (free when the music repeats), same source again."""
    cost = w_tr * (1.0 - transition_matrix(index, a, b))
    if not music_repeats:
        cost = cost + repeat_cost * _same_move(index, a, b)
    return cost + same_source_cost * (index.source[a][:, None] == index.source[b][None, :])


def viterbi(unary: Sequence[np.ndarray], pair: Sequence[np.ndarray]) -> list[int]:
    """Positions minimising sum unary[t][x_t] + sum pair[t][x_t, x_t+1] (pair[t]: t -> t+1)."""
    total = unary[0].astype(np.float64)
    back = []
    for t in range(1, len(unary)):
        step = total[:, None] + pair[t - 1]
        arg = np.argmin(step, axis=0)
        back.append(arg)
        total = step[arg, np.arange(step.shape[1])] + unary[t]
    path = [int(np.argmin(total))]
    for arg in reversed(back):
        path.append(int(arg[path[-1]]))
    return path[::-1]


def _top(cost: np.ndarray, size: int, banned: set[int]) -> np.ndarray:
    """The `size` lowest-cost rows not in `banned`, best first."""
    size = min(len(cost), size + len(banned))
    top = np.argpartition(cost, size - 1)[:size]
    top = top[np.argsort(cost[top], kind="stable")]
    return np.array([r for r in top.tolist() if r not in banned][: size - len(banned)],
                    dtype=np.int64)


def _short_lists(index: LibraryIndex, costs: list[np.ndarray], fixed: Mapping[int, int],
                 banned: list[set[int]], m: int, pool: int, pair: dict) -> list[np.ndarray]:
    """Per segment: the m best rows by unary cost, plus, for each row kept for the previous
    segment, its best follow-up (unary + pair cost) among the `pool` best by unary.

    Without the follow-ups the lists are blind to transitions: the move that continues a
    kept move smoothly is rarely among the m best on music alone.
    """
    lists: list[np.ndarray] = []
    for t, cost in enumerate(costs):
        if t in fixed:
            lists.append(np.array([fixed[t]], dtype=np.int64))
            continue
        rows = _top(cost, m, banned[t])
        if t > 0 and pool > 0:
            near = _top(cost, pool, banned[t])
            step = cost[near][None, :] + pair_cost(index, lists[-1], near, **pair)
            follow = near[np.argmin(step, axis=1)]
            rows = np.concatenate([rows, np.unique(follow[~np.isin(follow, rows)])])
        lists.append(rows)
    return lists


def _late_repeat(index: LibraryIndex, path: list[int], fixed: Mapping[int, int],
                 repeats: Mapping[int, int]) -> tuple[int, int] | None:
    """(segment, row) of the first repeat the music does not justify, if any."""
    first: dict[int, int] = {}
    for t, row in enumerate(path):
        for key in (row, int(index.twin[row])):
            if key in first and t not in fixed and repeats.get(t) != first[key]:
                return t, row
        first.setdefault(row, t)
    return None


def auto_choreograph(index: LibraryIndex, segments: Sequence[SegmentFeatures],
                     fixed: Mapping[int, int] = {}, m: int = 30, pool: int = 2000,
                     weights: Mapping[str, float] = DEFAULT_WEIGHTS, repeat_cost: float = 2.0,
                     same_source_cost: float = SAME_SOURCE_COST, repeats: Mapping[int, int] = {},
                     max_repairs: int = 8) -> list[int]:
    """Rows for all segments, keeping `fixed` (segment position -> row).

    m: moves per segment kept for the search (the best by unary cost), plus up to one
    follow-up per move kept for the previous segment, found among the `pool` best.
    repeats: segment position -> earlier position whose music it repeats; a repeat of that
    segment's pick is then free.
    same_source_cost: added per cut between two moves of the same source (see the constant).
    """
    costs = [unary_cost(index, s, weights) for s in segments]
    # A fixed move is not offered again elsewhere (Viterbi would not see a distant repeat).
    fixed_rows = {r for row in fixed.values() for r in (int(row), int(index.twin[row])) if r >= 0}
    banned: list[set[int]] = [set() if t in fixed else set(fixed_rows)
                              for t in range(len(segments))]
    pair = {"w_tr": float(weights["transition"]), "repeat_cost": repeat_cost,
            "same_source_cost": same_source_cost}
    for _ in range(max_repairs + 1):
        lists = _short_lists(index, costs, fixed, banned, m, pool, pair)
        unary = [costs[t][rows] for t, rows in enumerate(lists)]
        pairs = [pair_cost(index, lists[t - 1], lists[t], **pair,
                           music_repeats=repeats.get(t) == t - 1)
                 for t in range(1, len(lists))]
        path = [int(lists[t][i]) for t, i in enumerate(viterbi(unary, pairs))]
        late = _late_repeat(index, path, fixed, repeats)
        if late is None:
            break
        banned[late[0]].update({late[1], int(index.twin[late[1]])})
    return path


def greedy_choreograph(index: LibraryIndex, segments: Sequence[SegmentFeatures],
                       weights: Mapping[str, float] = DEFAULT_WEIGHTS) -> list[int]:
    """Each segment's best move given the previous pick only (what clicking 'top' gives)."""
    picks: list[int] = []
    all_rows = np.arange(len(index))
    for seg in segments:
        cost = unary_cost(index, seg, weights)
        if picks:
            cost = cost + pair_cost(index, np.array(picks[-1:]), all_rows,
                                    float(weights["transition"]))[0]
            for r in picks:  # no repeats at all, like the interactive history rule
                cost[[r, index.twin[r]] if index.twin[r] >= 0 else [r]] = np.inf
        picks.append(int(np.argmin(cost)))
    return picks


def sequence_cost(index: LibraryIndex, segments: Sequence[SegmentFeatures], picks: Sequence[int],
                  weights: Mapping[str, float] = DEFAULT_WEIGHTS) -> float:
    """The objective `auto_choreograph` minimises (default penalties, no music repeats)."""
    total = sum(float(unary_cost(index, s, weights)[r]) for s, r in zip(segments, picks))
    for a, b in zip(picks[:-1], picks[1:]):
        total += float(pair_cost(index, np.array([a]), np.array([b]),
                                 float(weights["transition"]))[0, 0])
    return total


def plan(index: LibraryIndex, segments: Sequence[SegmentFeatures], rng=None, k: int = 6,
         m: int = 30) -> Plan:
    """Our method end to end: the automatic picks, and the six shown along that path."""
    picks = auto_choreograph(index, segments, m=m)
    shown = [[c.index for c in candidates(index, seg, prev=picks[t - 1] if t else None,
                                          history=picks[:t], k=k)]
             for t, seg in enumerate(segments)]
    return Plan(picks=picks, shown=shown)


plan.deterministic = True  # evaluate() runs it once, not once per seed
