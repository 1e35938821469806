"""Fill every segment at once: the lowest-cost sequence by Viterbi over a short list per segment.

Cost of a sequence = sum over segments of the unary cost (music, energy, tempo, beat) + sum over cuts
of the transition cost + a penalty for showing footage twice (a move, its mirror, or an
overlapping cut of the same video) + a smaller one for two consecutive moves of one source.
Each cost is weight x (1 - score), with the same weights and scores as `rank.candidates`, so
the interactive and automatic paths agree on "good".
The short list per segment = the m best by unary cost + the best follow-up of each move kept
for the previous segment (found among the `pool` best by unary cost).

A run of one source is limited exactly (the Viterbi state carries the run's length). Viterbi
sees only neighbouring segments, so a non-adjacent repeat is removed afterwards: the moves
showing that footage are dropped from the later segment's list and the search rerun (a few
times at most; if every rerun still repeats, `_resolve` replaces what repeats).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from choleor.recommend.features import Plan, SegmentFeatures
from choleor.recommend.index import LibraryIndex, footage_overlap, overlapping_rows
from choleor.recommend.rank import DEFAULT_WEIGHTS, candidates
from choleor.recommend.repeats import music_repeats
from choleor.recommend.scores import transition_matrix, unary_scores
from choleor.recommend.weights import ECHO_BONUS, JUMP_COST, MAX_RUN, REPEAT_COST, SAME_SOURCE_COST

UNARY = ("music", "energy", "tempo", "beat")
#: How many candidates a part shows; auto-fill picks one of them wherever one fits.
SHOWN = 6


def unary_cost(
    index: LibraryIndex, segment: SegmentFeatures, weights: Mapping[str, float] = DEFAULT_WEIGHTS
) -> np.ndarray:
    """(N,) sum over music/energy/tempo/beat of weight x (1 - score)."""
    scores = unary_scores(index, segment)
    return sum(np.float32(weights[n]) * (1.0 - scores[n]) for n in UNARY)


def _same_move(index: LibraryIndex, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) True where b is a or a's mirrored twin."""
    return (a[:, None] == b[None, :]) | (index.twin[a][:, None] == b[None, :])


def pair_cost(
    index: LibraryIndex,
    a: np.ndarray,
    b: np.ndarray,
    w_tr: float,
    repeat_cost: float = REPEAT_COST,
    same_source_cost: float = SAME_SOURCE_COST,
    repeat_free: bool = False,
    jump_cost: float = JUMP_COST,
) -> np.ndarray:
    """(len(a), len(b)) cost of cutting from rows a to rows b: transition, the jump itself
    (see JUMP_COST), the same footage again (the same move or its mirror is free when the
    music repeats), same source again."""
    score, jump = transition_matrix(index, a, b)
    cost = w_tr * (1.0 - score) + np.float32(jump_cost) * jump
    again = footage_overlap(index, a, b)
    if repeat_free:
        again &= ~_same_move(index, a, b)
    cost = cost + repeat_cost * again
    return cost + same_source_cost * (index.source[a][:, None] == index.source[b][None, :])


def viterbi(
    unary: Sequence[np.ndarray],
    pair: Sequence[np.ndarray],
    same: Sequence[np.ndarray] | None = None,
    max_run: int | None = None,
    loose: Sequence[bool] = (),
) -> list[int]:
    """Positions minimising sum unary[t][x_t] + sum pair[t][x_t, x_t+1] (pair[t]: t -> t+1).

    With `same` (same[t][i, j]: x_t = i and x_t+1 = j are of one source) and `max_run`, no more
    than max_run consecutive positions may be of one source: the state is (position, length of
    the run it ends), so the limit is exact, not repaired afterwards. `loose[t]` lifts it into
    t (a person's fixed pick may make a longer run).
    """
    limited = same is not None and max_run is not None
    runs = max_run if limited else 1
    total = np.full((runs, len(unary[0])), np.inf)
    total[0] = unary[0]
    back = []  # per step: (run, position) of the best predecessor of each (run, position)
    for t in range(1, len(unary)):
        n = len(unary[t])
        new = np.full((runs, n), np.inf)
        arg = np.zeros((runs, n, 2), dtype=np.int64)
        same_t = same[t - 1] if limited else np.zeros(pair[t - 1].shape, bool)
        # a cut to another source: from any run, into run 1
        cut = total[:, :, None] + np.where(same_t, np.inf, pair[t - 1])[None]
        flat = cut.reshape(-1, n)
        best = np.argmin(flat, axis=0)
        new[0] = flat[best, np.arange(n)]
        arg[0] = np.stack(np.unravel_index(best, total.shape), axis=1)
        # the same source again: run r -> r + 1 (capped at the last run when loose)
        stay = np.where(same_t, pair[t - 1], np.inf)
        for r in range(runs):
            into = r + 1 if r + 1 < runs else (r if t < len(loose) and loose[t] else None)
            if into is None:
                continue
            step = total[r][:, None] + stay
            a = np.argmin(step, axis=0)
            value = step[a, np.arange(n)]
            better = value < new[into]
            new[into] = np.where(better, value, new[into])
            arg[into][better] = np.stack([np.full(n, r), a], axis=1)[better]
        total = new + unary[t][None]
        back.append(arg)
    r, x = np.unravel_index(int(np.argmin(total)), total.shape)
    path = [int(x)]
    for arg in reversed(back):
        r, x = arg[r, x]
        path.append(int(x))
    return path[::-1]


def _top(cost: np.ndarray, size: int, banned: set[int]) -> np.ndarray:
    """The `size` lowest-cost rows not in `banned`, best first. When `banned` holds every row
    (a library with less footage than the interval needs), the best rows regardless: some
    footage must then come back, and a plan that repeats beats no plan."""
    wanted = min(len(cost), size + len(banned))
    top = np.argpartition(cost, wanted - 1)[:wanted]
    top = top[np.argsort(cost[top], kind="stable")]
    kept = [r for r in top.tolist() if r not in banned][:size]
    return np.array(kept if kept else top[:size].tolist(), dtype=np.int64)


def _short_lists(
    index: LibraryIndex,
    costs: list[np.ndarray],
    fixed: Mapping[int, int],
    banned: list[set[int]],
    m: int,
    pool: int,
    pair: dict,
) -> list[np.ndarray]:
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


def late_repeats(
    index: LibraryIndex, path: Sequence[int], fixed: Mapping[int, int] = {}, repeats: Mapping[int, int] = {}
) -> dict[int, set[int]]:
    """Segment -> rows to ban there, wherever footage is shown again unjustified.

    Justified: the same move or its mirror, where the music repeats the segment that first
    danced it. Part of an earlier move's footage (a window one bar later, the half-time move
    around it) never is: the person would see that stretch of dance twice. A segment is judged
    against the earlier ones that are not themselves flagged, since those will change.
    """
    shared = footage_overlap(index, path, path)
    origin: dict[int, int] = {}  # row -> the segment that first danced it or its mirror
    late: dict[int, set[int]] = {}
    for t, row in enumerate(path):
        for u in np.flatnonzero(shared[t, :t]).tolist() if t not in fixed else ():
            if u in late:
                continue
            echo = {path[u], int(index.twin[path[u]])}
            allowed = echo if repeats.get(t) == origin[path[u]] else set()
            if row not in allowed:
                late.setdefault(t, set()).update(set(overlapping_rows(index, [path[u]]).tolist()) - allowed)
        if t not in late:
            for key in (row, int(index.twin[row])):
                origin.setdefault(key, t)
    return late


def _resolve(
    index: LibraryIndex,
    path: list[int],
    costs: Sequence[np.ndarray],
    fixed: Mapping[int, int],
    repeats: Mapping[int, int],
    pair: Mapping,
) -> list[int]:
    """The path with each segment that still shows footage again replaced, left to right, by
    the cheapest move (its unary cost and both cuts) that shows nothing shown before: the
    last resort when the repaired searches all failed, so the promise holds."""
    path = list(path)
    everything = np.arange(len(index))
    while late := late_repeats(index, path, fixed, repeats):
        t = min(late)
        cost = costs[t].astype(np.float64)
        if t > 0:
            cost = cost + pair_cost(index, np.array(path[t - 1 : t]), everything, **pair)[0]
        if t + 1 < len(path):
            cost = cost + pair_cost(index, everything, np.array(path[t + 1 : t + 2]), **pair)[:, 0]
        others = [path[u] for u in range(len(path)) if u != t]
        cost[overlapping_rows(index, others)] = np.inf
        if not np.isfinite(cost).any():
            break  # the library has less footage than the interval needs
        path[t] = int(np.argmin(cost))
    return path


def auto_choreograph(
    index: LibraryIndex,
    segments: Sequence[SegmentFeatures],
    fixed: Mapping[int, int] = {},
    m: int = 30,
    pool: int = 2000,
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
    repeat_cost: float = REPEAT_COST,
    same_source_cost: float = SAME_SOURCE_COST,
    repeats: Mapping[int, int] = {},
    max_run: int = MAX_RUN,
    max_repairs: int = 8,
) -> list[int]:
    """Rows for all segments, keeping `fixed` (segment position -> row).

    m: moves per segment kept for the search (the best by unary cost), plus up to one
    follow-up per move kept for the previous segment, found among the `pool` best.
    repeats: segment position -> earlier position whose music it repeats; a repeat of that
    segment's pick is then free.
    same_source_cost: added per cut between two moves of the same source (see the constant).
    max_run: most consecutive segments from one source (fixed picks may exceed it).
    """
    costs = [unary_cost(index, s, weights) for s in segments]
    # A fixed move's footage is not offered again elsewhere (Viterbi would not see a distant
    # repeat).
    fixed_rows = set(overlapping_rows(index, list(fixed.values())).tolist()) if fixed else set()
    banned: list[set[int]] = [set() if t in fixed else set(fixed_rows) for t in range(len(segments))]
    pair = {
        "w_tr": float(weights["transition"]),
        "repeat_cost": repeat_cost,
        "same_source_cost": same_source_cost,
    }
    objective = echo_objective(index, costs, repeats, pair)
    best: tuple[float, list[int]] = (np.inf, [])
    for _ in range(max_repairs + 1):
        lists = _short_lists(index, costs, fixed, banned, m, pool, pair)
        unary = [costs[t][rows] for t, rows in enumerate(lists)]
        pairs = [
            pair_cost(index, lists[t - 1], lists[t], **pair, repeat_free=repeats.get(t) == t - 1)
            for t in range(1, len(lists))
        ]
        same = [
            index.source[lists[t - 1]][:, None] == index.source[lists[t]][None, :]
            for t in range(1, len(lists))
        ]
        loose = [t in fixed for t in range(len(lists))]
        path = [int(lists[t][i]) for t, i in enumerate(viterbi(unary, pairs, same, max_run, loose))]
        # Echo every path the search finds, not only the last: dancing a phrase again where the
        # music repeats can also remove the repeat that the next repair would ban.
        echoed = echo_repeats(index, path, costs, repeats, fixed, pair, objective=objective)
        if not late_repeats(index, echoed, fixed, repeats):
            best = min(best, (objective(echoed), echoed))
        late = late_repeats(index, path, fixed, repeats)
        if not late:
            break
        for t, rows in late.items():
            banned[t].update(rows)
    path = best[1] if best[1] else _resolve(index, echoed, costs, fixed, repeats, pair)
    return within_shown(index, segments, path, costs, fixed, repeats, pair, weights, max_run)


def _run_at(index: LibraryIndex, path: Sequence[int], t: int) -> int:
    """Length of the run of one source that includes segment t."""
    src = index.source[path[t]]
    a = t
    while a > 0 and index.source[path[a - 1]] == src:
        a -= 1
    b = t
    while b + 1 < len(path) and index.source[path[b + 1]] == src:
        b += 1
    return b - a + 1


def within_shown(
    index: LibraryIndex,
    segments: Sequence[SegmentFeatures],
    path: Sequence[int],
    costs: Sequence[np.ndarray],
    fixed: Mapping[int, int],
    repeats: Mapping[int, int],
    pair: Mapping,
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
    max_run: int = MAX_RUN,
    k: int = SHOWN,
) -> list[int]:
    """The path with each pick that is not among the k candidates its part shows replaced by
    the one of those k that costs least where it stands (its unary cost, both cuts, the echo
    bonus), left to right, so the page and auto-fill agree.

    The k shown for a part depend on the picks before it (`candidates`, as the page asks for
    them), so the parts are settled in order. A candidate fits when it shows no footage shown
    elsewhere (`late_repeats`) and makes no run of one source past `max_run`; when none fits,
    the search's pick stays (the page then lists it as the part's pick).
    """
    path = list(path)
    for t, seg in enumerate(segments):
        if t in fixed:
            continue
        s = repeats.get(t)
        shown = candidates(
            index,
            seg,
            prev=path[t - 1] if t else None,
            history=path[:t],
            repeats_of=path[s] if s is not None else None,
            k=k,
            weights=weights,
        )
        rows = np.array([c.index for c in shown], dtype=np.int64)
        if path[t] in rows or not len(rows):
            continue
        cost = costs[t][rows].astype(np.float64)
        if t > 0:
            cost += pair_cost(index, np.array(path[t - 1 : t]), rows, **pair, repeat_free=s == t - 1)[0]
        if t + 1 < len(path):
            free = repeats.get(t + 1) == t
            cost += pair_cost(index, rows, np.array(path[t + 1 : t + 2]), **pair, repeat_free=free)[:, 0]
        if s is not None:
            cost -= ECHO_BONUS * np.isin(rows, [path[s], int(index.twin[path[s]])])
        limit = max(max_run, _run_at(index, path, t))
        for i in np.argsort(cost, kind="stable"):
            trial = path[:t] + [int(rows[i])] + path[t + 1 :]
            if not late_repeats(index, trial, fixed, repeats) and _run_at(index, trial, t) <= limit:
                path = trial
                break
    return path


def _path_coster(index: LibraryIndex, costs: Sequence[np.ndarray], pair: Mapping):
    """path -> its unary costs plus cut costs (its repeats already judged allowed); the cuts
    are memoised, since the echo search prices many paths that differ in a few places."""
    cuts: dict[tuple[int, int], float] = {}

    def cut(a: int, b: int) -> float:
        if (a, b) not in cuts:
            cuts[a, b] = float(pair_cost(index, np.array([a]), np.array([b]), **pair, repeat_free=True)[0, 0])
        return cuts[a, b]

    def cost(path: Sequence[int]) -> float:
        return sum(float(costs[t][r]) for t, r in enumerate(path)) + sum(
            cut(a, b) for a, b in zip(path[:-1], path[1:])
        )

    return cost


def _phrases(repeats: Mapping[int, int], n: int) -> list[tuple[int, int, int]]:
    """(t, s, length): segments t.. repeat s.. for `length` segments in a row, every
    sub-phrase included (the best echo may be part of a longer repeat)."""
    out = []
    for t in range(n):
        if t not in repeats:
            continue
        length = 1
        while t + length < n and repeats.get(t + length) == repeats[t] + length:
            length += 1
        out += [(t, repeats[t], k) for k in range(1, length + 1)]
    return out


def echo_objective(
    index: LibraryIndex,
    costs: Sequence[np.ndarray],
    repeats: Mapping[int, int],
    pair: Mapping,
    bonus: float = ECHO_BONUS,
):
    """path -> its cost minus `bonus` per segment that dances the move of the segment whose
    music it repeats (every echo counts, old or new)."""
    path_cost = _path_coster(index, costs, pair)

    def objective(p: Sequence[int]) -> float:
        echoed = sum(p[t] in (p[s], int(index.twin[p[s]])) for t, s in repeats.items() if t < len(p))
        return path_cost(p) - bonus * echoed

    return objective


def echo_repeats(
    index: LibraryIndex,
    path: list[int],
    costs: Sequence[np.ndarray],
    repeats: Mapping[int, int],
    fixed: Mapping[int, int] = {},
    pair: Mapping = {},
    bonus: float = ECHO_BONUS,
    rounds: int = 8,
    objective=None,
) -> list[int]:
    """Where segments t.. repeat the music of s.., dance the same phrase at both (s..'s picks
    again at t.., or t..'s at s..; either may be mirrored) if that lowers `echo_objective`;
    the best change first, a few rounds. A path that shows footage twice where the music does
    not repeat takes the best change that removes that, whatever it costs.

    Viterbi cannot weigh this: s and t are not neighbours, and a phrase of one source danced
    twice would pass the run limit, which is there against replaying a source, not a phrase.
    """
    path = list(path)
    moves = [
        (src, dst, k)
        for t, s, k in _phrases(repeats, len(path))
        for src, dst in ((s, t), (t, s))
        if not any(u in fixed for u in range(dst, dst + k))
    ]
    objective = objective or echo_objective(index, costs, repeats, pair, bonus)
    valid = not late_repeats(index, path, fixed, repeats)
    for _ in range(rounds):
        best, best_value = None, objective(path) if valid else np.inf
        for src, dst, k in moves:
            for mirrored in (False, True):
                rows = [int(index.twin[r]) if mirrored else r for r in path[src : src + k]]
                if min(rows) < 0 or rows == path[dst : dst + k]:
                    continue
                trial = path[:dst] + rows + path[dst + k :]
                if late_repeats(index, trial, fixed, repeats):
                    continue  # the move is also danced where the music differs
                value = objective(trial)
                if value < best_value:
                    best, best_value = trial, value
        if best is None:
            break
        path, valid = best, True
    return path


def greedy_choreograph(
    index: LibraryIndex, segments: Sequence[SegmentFeatures], weights: Mapping[str, float] = DEFAULT_WEIGHTS
) -> list[int]:
    """Each segment's best move given the previous pick only (what clicking 'top' gives)."""
    picks: list[int] = []
    all_rows = np.arange(len(index))
    for seg in segments:
        cost = unary_cost(index, seg, weights)
        if picks:
            cost = cost + pair_cost(index, np.array(picks[-1:]), all_rows, float(weights["transition"]))[0]
            cost[overlapping_rows(index, picks)] = np.inf  # no repeats, like the history rule
        picks.append(int(np.argmin(cost)))
    return picks


def sequence_cost(
    index: LibraryIndex,
    segments: Sequence[SegmentFeatures],
    picks: Sequence[int],
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
) -> float:
    """The objective `auto_choreograph` minimises (default penalties, no music repeats)."""
    total = sum(float(unary_cost(index, s, weights)[r]) for s, r in zip(segments, picks))
    for a, b in zip(picks[:-1], picks[1:]):
        total += float(pair_cost(index, np.array([a]), np.array([b]), float(weights["transition"]))[0, 0])
    return total


def plan(index: LibraryIndex, segments: Sequence[SegmentFeatures], rng=None, k: int = 6, m: int = 30) -> Plan:
    """Our method end to end, as the product runs it: the automatic picks (free repeats where
    the music repeats), and the six each part's page shows along that path."""
    repeats = music_repeats(index, segments)
    picks = auto_choreograph(index, segments, m=m, repeats=repeats)
    shown = [
        [
            c.index
            for c in candidates(
                index,
                seg,
                prev=picks[t - 1] if t else None,
                history=picks[:t],
                repeats_of=picks[repeats[t]] if t in repeats else None,
                k=k,
            )
        ]
        for t, seg in enumerate(segments)
    ]
    return Plan(picks=picks, shown=shown)


plan.deterministic = True  # evaluate() runs it once, not once per seed


#: A pick "flows better" than the best-ranked move when its cut jumps this much less (torso lengths).
FLOW_GAIN = 0.05


def why_not_first(
    index: LibraryIndex,
    path: Sequence[int],
    t: int,
    first: int,
    repeats: Mapping[int, int] = {},
    max_run: int = MAX_RUN,
) -> str | None:
    """Why auto-fill's pick for part t is not `first`, the move ranked best for it, in a
    dancer's words (parts counted from 1); None when it is. The costs only a whole sequence
    has, in the order the search weighs them: the music repeats an earlier part, the best move
    shows dance seen elsewhere or keeps one video on too long, a smoother cut."""
    pick = path[t]
    if pick == first:
        return None
    s = repeats.get(t)
    if s is not None and pick in (path[s], int(index.twin[path[s]])):
        return f"it dances part {s + 1} again, where the music repeats"
    others = [u for u in range(len(path)) if u != t]
    seen = footage_overlap(index, [first], [path[u] for u in others])[0]
    if seen.any():
        return f"the best match shows dance already seen in part {others[int(np.argmax(seen))] + 1}"
    trial = [*path[:t], first, *path[t + 1 :]]
    if _run_at(index, trial, t) > max(max_run, _run_at(index, path, t)):
        return f"the best match would keep one dancer on screen for more than {max_run} parts in a row"
    gains = {}
    if t > 0:
        _, jump = transition_matrix(index, np.array([path[t - 1]]), np.array([first, pick]))
        gains[f"it flows more smoothly from part {t}"] = float(jump[0, 0] - jump[0, 1])
    if t + 1 < len(path):
        _, jump = transition_matrix(index, np.array([first, pick]), np.array([path[t + 1]]))
        gains[f"it flows more smoothly into part {t + 2}"] = float(jump[0, 0] - jump[1, 0])
    best = max(gains, key=gains.get, default=None)
    if best is not None and gains[best] >= FLOW_GAIN:
        return best
    return "it fits the whole sequence better"
