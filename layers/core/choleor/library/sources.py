"""Dance sources: upload a video, start its ingest, list and read sources and moves.

Records: SourcesTable (one per video) and MovesTable (one per move, mirrored
twins included, indexed by source). Bytes: `uploads/sources/<id>/` (what was
uploaded), `sources/<id>/` (poses and move features), `moves/<id>/thumb.jpg`.
The ingest job itself is `library.ingest_job`. A rejected or failed video
leaves nothing.
"""

from __future__ import annotations

import hmac
from pathlib import Path

from .. import uploads
from ..config import admin_key
from ..errors import Forbidden, NotFound
from ..jobs import store
from ..storage import objects, records


def _remove_moves(source_id: str) -> None:
    for move in records.query("moves", "source_id", source_id, index="by_source"):
        records.delete("moves", {"id": move["id"]})
        objects.delete_prefix(f"moves/{move['id']}/")


SOURCES = uploads.Kind(
    table="sources",
    job="source.ingest",
    working="ingesting",
    max_bytes=lambda limits: limits.max_video_bytes,
    public_keys=tuple(
        "id title filename style status created_at fps frames duration tempo n_moves job_id origin soundtrack".split()
    ),
    thing="dance video",
    example="salsa.mp4",
    id_prefix="src",
    on_remove=_remove_moves,
)
READY, INGESTING = uploads.READY, SOURCES.working


def check_admin(given: str | None) -> None:
    expected = admin_key()
    if expected is None:
        raise Forbidden("adding dance videos is turned off here (no admin key is configured)")
    if not given or not hmac.compare_digest(str(given), expected):
        raise Forbidden("adding dance videos needs the library's admin key")


def create(
    filename: str,
    key: str | None,
    size: int | None = None,
    style: str | None = None,
    title: str | None = None,
) -> dict:
    """A new source record and a presigned URL to PUT the video to (needs the admin key)."""
    check_admin(key)
    rec, upload = SOURCES.create(filename, size, title, style=(style or "unknown")[:40])
    return {"source": SOURCES.public(rec), "upload": upload}


get_record = SOURCES.get
remove = SOURCES.remove  # the source and everything made from it


def start_ingest(source_id: str, key: str | None) -> store.Job:
    """Check the uploaded video and queue its ingest (needs the admin key)."""
    check_admin(key)
    return SOURCES.start(source_id)


def list_sources() -> list[dict]:
    """The library's videos (not those still uploading or being ingested)."""
    ready = records.scan("sources", filter="#s = :ready", names={"#s": "status"}, values={":ready": READY})
    return sorted(
        (SOURCES.public(r) for r in ready),
        key=lambda s: s.get("created_at", 0),
        reverse=True,
    )


view = SOURCES.view


def move_public(rec: dict) -> dict:
    out = {
        k: rec[k]
        for k in (
            "id",
            "source_id",
            "style",
            "mirrored",
            "start",
            "end",
            "beats",
            "tempo",
            "energy",
            "motion_energy",
        )
        if k in rec
    }
    out["counting"] = int(rec.get("counting", 1))
    out["thumbnail_url"] = objects.presign_get(rec["thumb_key"]) if rec.get("thumb_key") else None
    return out


def list_moves(source_id: str | None = None) -> list[dict]:
    if source_id:
        get_record(source_id)
        recs = records.query("moves", "source_id", source_id, index="by_source")
    else:
        recs = list(records.scan("moves"))
    return [move_public(r) for r in sorted(recs, key=lambda r: r["id"])]


def get_move(move_id: str) -> dict:
    rec = records.get("moves", {"id": move_id})
    if rec is None:
        raise NotFound(f"no move {move_id}")
    out = move_public(rec)
    src = records.get("sources", {"id": rec["source_id"]})
    if src:
        out["video_url"] = objects.presign_get(src["upload_key"])
        out["source_title"] = src.get("title")
    return out


def stats() -> dict:
    # Moves counted from their sources' records (every move record is written by its source's
    # ingest, which records how many): reading the move table took a third of a second at 600 moves.
    sources = [r for r in records.scan("sources") if r.get("status") == READY]
    soundtracks: dict[str, int] = {}  # the default library's takes: how many dance to each song
    for s in sources:
        if s.get("soundtrack"):
            soundtracks[s["soundtrack"]["file"]] = soundtracks.get(s["soundtrack"]["file"], 0) + 1
    return {
        "sources": len(sources),
        "moves": sum(int(s.get("n_moves", 0)) for s in sources),
        "styles": sorted({s.get("style", "unknown") for s in sources}),
        "duration_s": round(sum(float(s.get("duration", 0)) for s in sources), 2),
        "soundtracks": dict(sorted(soundtracks.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def ingest_local(
    path: str | Path,
    style: str = "unknown",
    title: str | None = None,
    origin: str | None = None,
    extra: dict | None = None,
) -> dict:
    """Add a video from this machine (CLI, seeding): store it, then run the ingest job here.
    `extra`: more fields for the source record (the seed's take and soundtrack)."""
    fields = {**(extra or {}), "style": style[:40], **({"origin": origin} if origin else {})}
    _, job = SOURCES.add_local(path, title, **fields)
    return job.result
