"""What a candidate card says: a match calibrated against the library, and plain reasons.

The raw score (the weighted mean of the component scores, `scores.combine`) depends on what the
library holds: on a library of fast dances no move fits a slow song well, and the best of six
read "40 %". So the match shown is a percentile: the share of the moves this library may offer
for this very part (everything but the footage already danced before it) that this move fits
at least as well. The best the library offers reads 100 %, a typical move 50 %.

Reasons lead with what fits, in a dancer's words, judged against the same moves: a part of the
fit is named when this move is among the best quarter of them on it (and is good in itself),
strongest first. A weakness follows only when it would be seen: a move played more than 20 %
off its own speed, a visible jump at the cut, energy far from the music's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from choleor.recommend.index import LEVEL_GRID, LibraryIndex

#: The share of the allowed moves a move must beat on one part of the fit for it to be named...
STANDOUT = 0.75
#: ...and the least score (0..1) that part must have in itself.
GOOD = 0.5
#: Stretch beyond which a move is said to be played faster or slower than danced.
STRETCH_SEEN = 0.2

STRENGTHS = {
    "energy": "same energy as the music",
    "transition": "flows from your last move",
    "beat": "hits the accents",
    "music": "suits the music's character",
}


def percentile(total: np.ndarray, allowed: np.ndarray, rows: Sequence[int]) -> np.ndarray:
    """Per row: the share (0..1) of the allowed moves whose weighted score is at most its own."""
    pool = np.sort(total[allowed] if allowed.any() else total)
    at_most = np.searchsorted(pool, total[np.asarray(rows, dtype=np.int64)], side="right")
    return np.minimum(at_most / len(pool), 1.0)


def standing(
    comps: Mapping[str, np.ndarray], allowed: np.ndarray, rows: Sequence[int]
) -> list[dict[str, float]]:
    """Per row: for each component, the share of the allowed moves it beats on that component."""
    rows = np.asarray(rows, dtype=np.int64)
    out: list[dict[str, float]] = [{} for _ in rows]
    for name, values in comps.items():
        pool = np.sort(values[allowed] if allowed.any() else values)
        beaten = np.searchsorted(pool, values[rows], side="left") / len(pool)
        for i, share in enumerate(beaten.tolist()):
            out[i][name] = share
    return out


def tempo_words(stretch: float, faster: bool) -> tuple[str | None, str | None]:
    """(strength, weakness) about the speed a move is played at."""
    if stretch <= 0.05:
        return "danced at its own speed", None
    if stretch <= 0.12:
        return "close to its own speed", None
    if stretch > STRETCH_SEEN:
        return None, f"played {round(100 * stretch)} % {'faster' if faster else 'slower'} than danced"
    return None, None


def energy_weakness(index: LibraryIndex, row: int, energy: np.ndarray) -> str:
    """Why the energy fits badly: the move calmer or busier than the music, else its shape."""
    music_level = float(np.interp(np.mean(energy), index.music_level_q, LEVEL_GRID))
    move_level = float(index.motion_level[row])
    if move_level < music_level - 0.3:
        return "calmer than the music"
    if move_level > music_level + 0.3:
        return "busier than the music"
    return "rises and falls against the music"


def reason(
    scores: Mapping[str, float],
    shares: Mapping[str, float],
    stretch: float,
    faster: bool,
    kind: str = "ranked",
    energy_note: str = "",
) -> str:
    """One line, strengths first, e.g. 'same energy as the music; danced at its own speed', then
    at most one weakness after 'but'."""
    parts = []
    if kind == "repeat":
        parts.append("your earlier move again, where the music repeats")
    elif kind == "mirror":
        parts.append("your earlier move mirrored, where the music repeats")
    named = [n for n in STRENGTHS if n in scores and shares.get(n, 0.0) >= STANDOUT and scores[n] >= GOOD]
    named.sort(key=lambda n: -shares[n])
    parts += [STRENGTHS[n] for n in named[:3]]
    good_tempo, bad_tempo = tempo_words(stretch, faster)
    if good_tempo:
        parts.append(good_tempo)
    if not parts:
        parts.append("another option for this part")
    weakness = bad_tempo
    if weakness is None and "transition" in scores and scores["transition"] < 0.3:
        weakness = "a visible jump from your last move"
    if weakness is None and scores.get("energy", 1.0) < 0.35 and energy_note:
        weakness = energy_note
    line = "; ".join(parts)
    return f"{line}, but {weakness}" if weakness else line
