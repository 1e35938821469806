"""Six candidate moves for one segment, best first, each with a match calibrated against the
library and a reason a person can read (`reasons`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from choleor.recommend import reasons
from choleor.recommend.features import SegmentFeatures, segment_tempo
from choleor.recommend.index import LibraryIndex, overlapping_rows
from choleor.recommend.scores import combine, tempo_stretch, transition_score, unary_scores
from choleor.recommend.weights import COMPONENTS

#: The component weights (`recommend.weights` holds every tuned number, and says where they
#: come from).
DEFAULT_WEIGHTS: Mapping[str, float] = COMPONENTS


@dataclass
class Candidate:
    index: int  # row in the LibraryIndex
    id: str
    score: float  # weighted mean of the component scores, 0..1
    scores: dict[str, float] = field(default_factory=dict)  # component -> 0..1
    reason: str = ""
    #: "ranked", "repeat" (your earlier pick), "mirror" (its twin), or "picked" (the segment's
    #: current pick, listed after the k when it is not among them)
    kind: str = "ranked"
    #: Calibrated against the library: the share (0..1) of the moves it may offer for this part
    #: that this one fits at least as well (`reasons.percentile`); 1 = the best it offers.
    match: float = 0.0


def component_scores(
    index: LibraryIndex, segment: SegmentFeatures, prev: int | None
) -> dict[str, np.ndarray]:
    scores = unary_scores(index, segment)
    if prev is not None:
        scores["transition"] = transition_score(index, prev)
    return scores


def _banned_rows(index: LibraryIndex, history: Sequence[int]) -> np.ndarray:
    """Every move showing footage of an earlier pick: the picks, their mirrors (a mirror is a
    repeat too), and moves cut from the same stretch of the same video."""
    return overlapping_rows(index, list(history)) if len(history) else np.zeros(0, np.int64)


def pick_distinct(
    total: np.ndarray, source: np.ndarray, need: int, avoid_sources: Sequence[int] = (), pool: int = 64
) -> list[int]:
    """Best `need` rows by `total` (-inf = excluded), at most one per source while possible.

    Looks at a growing top pool found with argpartition (never a full sort unless the library
    runs out of distinct sources); rows beyond the distinct sources are filled best-first.
    """
    n = len(total)
    used = set(int(s) for s in avoid_sources)
    size = min(n, max(pool, need))
    while True:
        top = np.argpartition(-total, size - 1)[:size] if size < n else np.arange(n)
        top = top[np.argsort(-total[top], kind="stable")]
        top = top[np.isfinite(total[top])]
        chosen, seen = [], set(used)
        for row in top.tolist():
            s = int(source[row])
            if s not in seen:
                chosen.append(row)
                seen.add(s)
                if len(chosen) == need:
                    return chosen
        if size >= n:  # not enough distinct sources left: fill with the best others
            taken = set(chosen)
            rest = [r for r in top.tolist() if r not in taken]
            return chosen + rest[: need - len(chosen)]
        size = min(n, size * 8)


def candidates(
    index: LibraryIndex,
    segment: SegmentFeatures,
    prev: int | None = None,
    history: Sequence[int] = (),
    repeats_of: int | None = None,
    k: int = 6,
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
    keep: int | None = None,
) -> list[Candidate]:
    """The k best moves for `segment`, best first.

    prev: row of the previous segment's pick (adds the transition score).
    history: rows picked so far; they, their mirrors and moves sharing their footage are not
    offered again...
    repeats_of: ...unless this segment's music repeats an earlier one: then that earlier pick
    and its mirror are offered (they may share a source; everything else is one per source).
    keep: the segment's current pick: always in the answer, appended as kind "picked" when it
    is not among the k (so a person always sees what the part holds).
    """
    comps = component_scores(index, segment, prev)
    total = combine(comps, dict(weights))
    offered = [] if repeats_of is None else [int(repeats_of)]
    if offered and index.twin[offered[0]] >= 0:
        offered.append(int(index.twin[offered[0]]))
    offered = offered[:k]
    masked = total.copy()
    masked[_banned_rows(index, history)] = -np.inf
    allowed = np.isfinite(masked)  # what the library may offer here, the calibration's yardstick
    allowed[offered] = True
    masked[offered] = -np.inf
    rows = offered + pick_distinct(
        masked, index.source, k - len(offered), avoid_sources=[index.source[r] for r in offered]
    )
    rows.sort(key=lambda r: -float(total[r]))
    extra = int(keep) if keep is not None and int(keep) not in rows else None
    if extra is not None:
        rows.append(extra)
    stretch = tempo_stretch(index, segment.beats, np.asarray(rows, dtype=np.int64))
    faster = index.tempo[rows] < np.float32(segment_tempo(segment.beats))  # sped up to fit
    match = reasons.percentile(total, allowed, rows)
    shares = reasons.standing(comps, allowed, rows)
    out = []
    for j, row in enumerate(rows):
        if row in offered:
            kind = "repeat" if row == offered[0] else "mirror"
        else:
            kind = "picked" if row == extra else "ranked"
        sc = {n: float(v[row]) for n, v in comps.items()}
        note = reasons.energy_weakness(index, row, segment.energy) if sc["energy"] < 0.35 else ""
        out.append(
            Candidate(
                index=row,
                id=str(index.ids[row]),
                score=float(total[row]),
                scores=sc,
                reason=reasons.reason(sc, shares[j], float(stretch[j]), bool(faster[j]), kind, note),
                kind=kind,
                match=float(match[j]),
            )
        )
    return out
