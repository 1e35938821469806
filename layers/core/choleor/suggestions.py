"""What the library suggests for a choreography: six candidates per segment, and auto-fill.

Ranking and auto-fill come from `choleor.recommend` over the library snapshot;
this module maps between choreography records (move ids) and index rows.
"""

from __future__ import annotations

import numpy as np

from . import choreography, songs
from .errors import Conflict
from .library import catalog
from .recommend import auto, rank
from .recommend import index as rindex
from .recommend.features import SegmentFeatures
from .recommend.repeats import music_repeats
from .storage import memo, objects, records

#: How long a move or source record read for candidates serves later requests of this process.
RECORD_SECONDS = 30.0


def _rows(index: rindex.LibraryIndex) -> dict[str, int]:
    cache = _rows.__dict__.setdefault("cache", {})
    if cache.get("version") != index.version:
        cache.clear()
        cache.update(version=index.version, rows={str(i): r for r, i in enumerate(index.ids)})
    return cache["rows"]


def segment_features(rec: dict) -> list[SegmentFeatures]:
    doc = songs.analysis(rec["song_id"])
    out = []
    for s in rec["segments"]:
        unit = doc["segments"][s["unit"]] if s.get("unit", -1) >= 0 else None
        if unit is None:
            raise Conflict("the song's analysis changed; make a new choreography")
        out.append(
            SegmentFeatures(
                index=s["index"],
                beats=np.asarray(s["beats"], float),
                music=np.asarray(unit["vector"], np.float32),
                energy=np.asarray(unit["energy"], np.float32),
            )
        )
    return out


def _picked_rows(rec: dict, rows: dict[str, int]) -> list[int | None]:
    return [rows.get(s["move_id"]) if s.get("move_id") else None for s in rec["segments"]]


def _ranked(rec: dict, k: int, n: int = 6):
    """(index, picked rows, the candidates of segment k, as its page shows them, with the
    segment's current pick always among them, the music's repeats)."""
    index = catalog.load_index()
    rows = _rows(index)
    feats = segment_features(rec)
    picked = _picked_rows(rec, rows)
    repeats = music_repeats(index, feats)
    prev = picked[k - 1] if k > 0 else None
    history = [r for r in picked[:k] if r is not None]
    repeat_of = picked[repeats[k]] if k in repeats and picked[repeats[k]] is not None else None
    found = rank.candidates(
        index, feats[k], prev=prev, history=history, repeats_of=repeat_of, k=n, keep=picked[k]
    )
    return index, picked, found, repeats


def candidates(choreo_id: str, token: str | None, k: int, n: int = 6) -> dict:
    rec = choreography.load(choreo_id, token)
    seg = choreography.segment(rec, k)
    k = seg["index"]
    index, picked, found, repeats = _ranked(rec, k, n)
    moves = _kept("moves", [c.id for c in found])
    sources = _kept("sources", [m["source_id"] for m in moves.values()])
    return {
        "segment": {x: seg.get(x) for x in ("index", "start", "end", "beats", "move_id")},
        "candidates": [_candidate_view(c, seg, moves, sources) for c in found],
        "pick": _pick_view(rec, k, index, found, picked, repeats),
    }


def _pick_view(
    rec: dict,
    k: int,
    index: rindex.LibraryIndex,
    found: list[rank.Candidate],
    picked: list[int | None],
    repeats: dict[int, int],
) -> dict | None:
    """Who picked segment k's move (the person or auto-fill), whether it is among the six, and,
    only where it is true, why a person's pick is no longer among them, or why Choleor's pick is
    not the best match (when every part has a move: the reason is about the whole sequence)."""
    seg = rec["segments"][k]
    if not seg.get("move_id"):
        return None
    by = seg.get("picked_by") or "you"
    in_top = any(c.id == seg["move_id"] and c.kind != "picked" for c in found)
    fell_out = _fell_out(rec, k, index) if by == "you" and not in_top else None
    why = None
    if by == "choleor" and found and None not in picked:
        why = auto.why_not_first(index, picked, k, found[0].index, repeats)
    return {"move_id": seg["move_id"], "picked_by": by, "in_top": in_top, "fell_out": fell_out, "why": why}


def _earlier(rec: dict, k: int) -> list[str]:
    return [s.get("move_id") or "-" for s in rec["segments"][:k]]


def pick_context(choreo_id: str, token: str | None, k, move_id: str | None) -> dict | None:
    """What a pick for segment k is made against: the earlier picks, the library's version, and
    whether the move is among the six shown now."""
    if move_id is None:
        return None
    rec = choreography.load(choreo_id, token)
    k = choreography.segment(rec, k)["index"]
    context = {"earlier": _earlier(rec, k), "library": "-", "shown": False}
    try:
        index, _, found, _ = _ranked(rec, k)
    except Conflict:  # no library yet, or the song changed: nothing was shown
        return context
    context["library"] = index.version
    context["shown"] = any(c.id == move_id and c.kind != "picked" for c in found)
    return context


def _fell_out(rec: dict, k: int, index: rindex.LibraryIndex) -> str | None:
    """Why the person's pick for segment k is no longer among the six shown, or None when it
    was not among them when picked (then nothing fell out, and nothing is said)."""
    context = rec["segments"][k].get("picked_with") or {}
    if not context.get("shown"):
        return None
    before, now = list(context.get("earlier") or []), _earlier(rec, k)
    if k > 0 and before[-1:] != now[-1:]:
        return "the move before it changed"
    if before != now:
        return "an earlier pick changed"
    if context.get("library") != index.version:
        return "new moves were added to the library"
    return None


def _kept(table: str, ids: list[str]) -> dict[str, dict]:
    """Move and source records change only when their source is ingested again or removed
    (a write that drops the copies in this process): candidates keep them for a while."""
    return memo.records_by_id(table, ids, lambda missing: records.get_many(table, missing), RECORD_SECONDS)


def _candidate_view(c: rank.Candidate, seg: dict, moves: dict, sources: dict) -> dict:
    move = moves.get(c.id) or {}
    source = sources.get(move.get("source_id")) if move else None
    seg_len = seg["end"] - seg["start"]
    preview = None
    if move and source:
        preview = {
            "video_url": objects.presign_get(source["upload_key"]),
            "start": move["start"],
            "end": move["end"],
            "beats": move["beats"],
            "mirrored": move.get("mirrored", False),
            "rate": round((move["end"] - move["start"]) / seg_len, 4),
        }
    return {
        "move_id": c.id,
        "source_id": move.get("source_id"),
        "source_title": (source or {}).get("title"),
        "style": move.get("style"),
        "mirrored": move.get("mirrored", False),
        "kind": c.kind,
        "match": round(c.match, 3),
        "score": round(c.score, 4),
        "scores": {n: round(v, 4) for n, v in c.scores.items()},
        "counting": int(move.get("counting", 1)),
        "reason": _with_counting(c.reason, int(move.get("counting", 1))),
        "thumbnail_url": objects.presign_get(move["thumb_key"]) if move.get("thumb_key") else None,
        "preview": preview,
    }


def _with_counting(reason: str, counting: int) -> str:
    """The reason, saying that a move of 16 beats is counted in half time, before any weakness."""
    if counting != 2:
        return reason
    good, but, weak = reason.partition(", but ")
    return f"{good}; 16 beats of dance counted in half time{but}{weak}"


def auto_fill(choreo_id: str, token: str | None, keep_picks: bool = True) -> dict:
    """A move for every segment, keeping the person's picks; picks made while this is worked
    out are kept too (the path is recomputed on the newer state, see `choreography.change_all`)."""
    choreography.load(choreo_id, token)  # the token first: nothing is said to someone without it
    index = catalog.load_index()
    rows = _rows(index)

    def compute(rec: dict) -> list[dict]:
        feats = segment_features(rec)
        picked = _picked_rows(rec, rows)
        fixed = {k: r for k, r in enumerate(picked) if r is not None} if keep_picks else {}
        path = auto.auto_choreograph(index, feats, fixed=fixed, repeats=music_repeats(index, feats))
        return [
            s if k in fixed else _by_choleor(s, str(index.ids[row]))
            for k, (s, row) in enumerate(zip(rec["segments"], path))
        ]

    return choreography.change_all(choreo_id, token, compute)


def _by_choleor(seg: dict, move_id: str) -> dict:
    out = {key: v for key, v in seg.items() if key != "picked_with"}
    return out | {"move_id": move_id, "picked_by": "choleor"}
