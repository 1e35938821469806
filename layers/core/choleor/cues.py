"""The cue sheet of a choreography: one row per part (8-count) that a dancer prints and writes on.

Built from records only (no numpy), so the light API serves it; the PDF of it is an export job
(`choleor.export_job`).
"""

from __future__ import annotations

from .storage import objects, records


def clock(seconds: float) -> str:
    """m:ss.s, the way a song's time is read off a player."""
    seconds = max(0.0, float(seconds))
    minutes = int(seconds // 60)
    return f"{minutes}:{seconds - 60 * minutes:04.1f}"


def _tags(move: dict) -> list[str]:
    tags = []
    if move.get("mirrored"):
        tags.append("mirror")
    if int(move.get("counting") or 1) == 2:
        tags.append("half-time")
    return tags


def sheet(rec: dict, thumbnail_urls: bool = True) -> dict:
    """{"title", "song_title", "start", "end", "tempo", "parts": [row...]} for a choreography record.

    A row: part (1-based), counts ("1-8", "9-16", ...), start/end (song s), time ("0:12.4-0:16.3"),
    move (id, title, source_title, style, mirrored, counting, thumbnail_url) or None, and tags
    ("mirror", "half-time")."""
    sources: dict[str, dict] = {}
    rows = []
    for k, seg in enumerate(rec["segments"]):
        row = {
            "part": k + 1,
            "counts": f"{8 * k + 1}-{8 * k + 8}",
            "start": float(seg["start"]),
            "end": float(seg["end"]),
            "time": f"{clock(seg['start'])}-{clock(seg['end'])}",
            "move": None,
            "tags": [],
        }
        move = records.get("moves", {"id": seg["move_id"]}) if seg.get("move_id") else None
        if move is not None:
            sid = move["source_id"]
            if sid not in sources:
                sources[sid] = records.get("sources", {"id": sid}) or {}
            source_title = sources[sid].get("title") or sid
            row["move"] = {
                "id": move["id"],
                "title": f"{source_title} at {clock(move['start'])}",
                "source_title": source_title,
                "style": move.get("style") or "",
                "mirrored": bool(move.get("mirrored")),
                "counting": int(move.get("counting") or 1),
                "thumbnail_url": (
                    objects.presign_get(move["thumb_key"])
                    if thumbnail_urls and move.get("thumb_key")
                    else None
                ),
            }
            row["tags"] = _tags(move)
        rows.append(row)
    beats = [b for s in rec["segments"] for b in s["beats"][:-1]]
    span = rec["segments"][-1]["end"] - rec["segments"][0]["start"] if rec["segments"] else 0.0
    return {
        "id": rec["id"],
        "song_title": rec.get("song_title") or "",
        "start": float(rec["start"]),
        "end": float(rec["end"]),
        "tempo": round(60.0 * len(beats) / span, 1) if span > 0 else None,
        "parts": rows,
    }
