"""Choreographies: a person's session — song, interval, segments, one pick per segment.

A choreography is read and changed only with its token (stored hashed). Ranking
and auto-fill come from `choleor.recommend` over the library snapshot; this
module only maps between records (move ids) and index rows.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid

import numpy as np

from . import songs
from .errors import BadInput, Conflict, Forbidden, NotFound
from .library import catalog
from .recommend import auto, rank
from .recommend import index as rindex
from .recommend.features import SegmentFeatures
from .recommend.repeats import music_repeats
from .storage import objects, records


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(song_id: str, start: float, end: float) -> dict:
    try:
        start, end = float(start), float(end)
    except (TypeError, ValueError):
        raise BadInput("start and end must be numbers of seconds") from None
    segs = songs.segments(song_id, start, end)  # 404 / 409 / 400 from the song
    doc = songs.analysis(song_id)
    units = {round(u["start"], 4): i for i, u in enumerate(doc["segments"])}
    token = secrets.token_urlsafe(24)
    rec = {
        "id": "ch" + uuid.uuid4().hex[:14],
        "token_hash": _hash(token),
        "song_id": song_id,
        "song_title": songs.get_record(song_id).get("title", ""),
        "start": segs[0]["start"],
        "end": segs[-1]["end"],
        "created_at": time.time(),
        "segments": [
            {
                "index": k,
                "start": s["start"],
                "end": s["end"],
                "beats": s["beats"],
                "unit": units.get(round(s["start"], 4), -1),
                "move_id": None,
            }
            for k, s in enumerate(segs)
        ],
    }
    records.put("choreographies", rec, if_absent="id")
    return {**view_record(rec), "token": token}


def load(choreo_id: str, token: str | None) -> dict:
    rec = records.get("choreographies", {"id": choreo_id})
    if rec is None:
        raise NotFound(f"no choreography {choreo_id}")
    if not token or not hmac.compare_digest(_hash(str(token)), rec["token_hash"]):
        raise Forbidden("this choreography needs its token (the link you were given)")
    return rec


def _move_summary(move_id: str | None) -> dict | None:
    if not move_id:
        return None
    rec = records.get("moves", {"id": move_id})
    if rec is None:
        return {"id": move_id, "missing": True}
    return {
        "id": move_id,
        "source_id": rec["source_id"],
        "style": rec.get("style"),
        "mirrored": rec.get("mirrored", False),
        "tempo": rec.get("tempo"),
        "thumbnail_url": objects.presign_get(rec["thumb_key"]) if rec.get("thumb_key") else None,
    }


def view_record(rec: dict) -> dict:
    # (records drop None attributes, so an unpicked segment has no move_id at all)
    segs = [
        {k: s.get(k) for k in ("index", "start", "end", "beats", "move_id")}
        | {"move": _move_summary(s.get("move_id"))}
        for s in rec["segments"]
    ]
    out = {k: rec.get(k) for k in ("id", "song_id", "song_title", "start", "end")}
    out["segments"] = segs
    out["complete"] = all(s.get("move_id") for s in rec["segments"])
    out["render"] = rec.get("render")
    out["video_ready"] = bool(rec.get("video_key")) and rec.get("video_picks") == _picks_signature(rec)
    return out


def _picks_signature(rec: dict) -> str:
    return hashlib.sha1("|".join(str(s.get("move_id")) for s in rec["segments"]).encode()).hexdigest()[:16]


def view(choreo_id: str, token: str | None) -> dict:
    return view_record(load(choreo_id, token))


# --- ranking -----------------------------------------------------------------


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


def _segment(rec: dict, k: int) -> dict:
    try:
        k = int(k)
    except (TypeError, ValueError):
        raise NotFound(f"no segment {k}") from None
    if not 0 <= k < len(rec["segments"]):
        raise NotFound(f"no segment {k}: this choreography has segments 0 to {len(rec['segments']) - 1}")
    return rec["segments"][k]


def candidates(choreo_id: str, token: str | None, k: int, n: int = 6) -> dict:
    rec = load(choreo_id, token)
    seg = _segment(rec, k)
    k = seg["index"]
    index = catalog.load_index()
    rows = _rows(index)
    feats = segment_features(rec)
    picked = _picked_rows(rec, rows)
    repeats = music_repeats(index, feats)
    prev = picked[k - 1] if k > 0 else None
    history = [r for j, r in enumerate(picked[:k]) if r is not None]
    repeat_of = picked[repeats[k]] if k in repeats and picked[repeats[k]] is not None else None
    found = rank.candidates(index, feats[k], prev=prev, history=history, repeats_of=repeat_of, k=n)
    return {
        "segment": {x: seg.get(x) for x in ("index", "start", "end", "beats", "move_id")},
        "candidates": [_candidate_view(c, seg) for c in found],
    }


def _candidate_view(c: rank.Candidate, seg: dict) -> dict:
    move = records.get("moves", {"id": c.id}) or {}
    source = records.get("sources", {"id": move.get("source_id")}) if move else None
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
        "score": round(c.score, 4),
        "scores": {n: round(v, 4) for n, v in c.scores.items()},
        "counting": int(move.get("counting", 1)),
        "reason": c.reason
        + ("; 16 beats of dance counted in half time" if move.get("counting") == 2 else ""),
        "thumbnail_url": objects.presign_get(move["thumb_key"]) if move.get("thumb_key") else None,
        "preview": preview,
    }


# --- picks -------------------------------------------------------------------


def _save_segments(rec: dict) -> dict:
    records.update(
        "choreographies", {"id": rec["id"]}, {"segments": rec["segments"], "updated_at": time.time()}
    )
    return view_record(rec)


def pick(choreo_id: str, token: str | None, k: int, move_id: str | None) -> dict:
    rec = load(choreo_id, token)
    seg = _segment(rec, k)
    if move_id is not None:
        if not isinstance(move_id, str) or records.get("moves", {"id": move_id}) is None:
            raise BadInput(f"no move {move_id!r} in the library")
    seg["move_id"] = move_id
    out = _save_segments(rec)
    if move_id is not None:
        from . import renders  # progressive: the pieces this pick touches start rendering now

        renders.queue_pieces(rec, seg["index"])
    return out


def auto_fill(choreo_id: str, token: str | None, keep_picks: bool = True) -> dict:
    rec = load(choreo_id, token)
    index = catalog.load_index()
    rows = _rows(index)
    feats = segment_features(rec)
    picked = _picked_rows(rec, rows)
    fixed = {k: r for k, r in enumerate(picked) if r is not None} if keep_picks else {}
    path = auto.auto_choreograph(index, feats, fixed=fixed, repeats=music_repeats(index, feats))
    for s, row in zip(rec["segments"], path):
        s["move_id"] = str(index.ids[row])
    out = _save_segments(rec)
    from . import renders

    for k in range(len(rec["segments"])):
        renders.queue_pieces(rec, k)
    return out
