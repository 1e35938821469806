"""Dance sources: upload a video, start its ingest, list and read sources and moves.

Records: SourcesTable (one per video) and MovesTable (one per move, mirrored
twins included, indexed by source). Bytes: `uploads/sources/<id>/` (what was
uploaded), `sources/<id>/` (poses and move features), `moves/<id>/thumb.jpg`.
The ingest job itself is `library.ingest_job`. A rejected or failed video
leaves nothing.
"""

from __future__ import annotations

import hmac
import time
import uuid
from pathlib import Path

from ..config import Limits, admin_key
from ..errors import BadInput, ChoreError, Conflict, Forbidden, NotFound
from ..jobs import dispatch, store
from ..storage import objects, records
from ..uploads import check_size

AWAITING, INGESTING, READY = "awaiting_upload", "ingesting", "ready"
UPLOAD_PREFIX = "uploads/sources/"


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
    limits: Limits | None = None,
) -> dict:
    check_admin(key)
    limits = limits or Limits()
    filename = (filename or "").strip()
    if not filename:
        raise BadInput("a dance video needs a file name (for example salsa.mp4)")
    check_size(size, limits.max_video_bytes, "dance videos")
    source_id = "src" + uuid.uuid4().hex[:13]
    upload_key = f"{UPLOAD_PREFIX}{source_id}/original{Path(filename).suffix.lower()[:8] or '.bin'}"
    ctype = objects.content_type_for(filename)
    rec = {
        "id": source_id,
        "title": (title or Path(filename).stem)[:200],
        "filename": filename[:200],
        "style": (style or "unknown")[:40],
        "upload_key": upload_key,
        "status": AWAITING,
        "created_at": time.time(),
    }
    records.put("sources", rec, if_absent="id")
    return {
        "source": public(rec),
        "upload": {
            "method": "PUT",
            "url": objects.presign_put(upload_key, ctype),
            "headers": {"Content-Type": ctype},
        },
    }


def public(rec: dict) -> dict:
    keys = (
        "id",
        "title",
        "filename",
        "style",
        "status",
        "created_at",
        "fps",
        "frames",
        "duration",
        "tempo",
        "n_moves",
        "job_id",
        "origin",
    )
    return {k: rec[k] for k in keys if k in rec}


def get_record(source_id: str) -> dict:
    rec = records.get("sources", {"id": source_id})
    if rec is None:
        raise NotFound(f"no dance source {source_id}")
    return rec


def remove(source_id: str) -> None:
    """Delete a source and everything made from it."""
    for move in records.query("moves", "source_id", source_id, index="by_source"):
        records.delete("moves", {"id": move["id"]})
        objects.delete_prefix(f"moves/{move['id']}/")
    objects.delete_prefix(f"sources/{source_id}/")
    objects.delete_prefix(f"{UPLOAD_PREFIX}{source_id}/")
    records.delete("sources", {"id": source_id})


def start_ingest(source_id: str, key: str | None, limits: Limits | None = None) -> store.Job:
    check_admin(key)
    rec = get_record(source_id)
    if rec["status"] in (INGESTING, READY) and rec.get("job_id"):
        return store.get(rec["job_id"])
    head = objects.head(rec["upload_key"])
    if head is None:
        raise Conflict("the video has not been uploaded yet")
    limits = limits or Limits()
    try:
        check_size(head["size"], limits.max_video_bytes, "dance videos")
    except ChoreError:
        remove(source_id)
        raise
    job_id = f"ingest-{source_id}"
    try:
        records.update(
            "sources",
            {"id": source_id},
            {"status": INGESTING, "job_id": job_id},
            condition="#s = :a",
            names={"#s": "status"},
            values={":a": AWAITING},
        )
    except Conflict:
        return store.get(get_record(source_id)["job_id"])
    return dispatch.submit("source.ingest", {"source_id": source_id}, job_id=job_id)


def list_sources() -> list[dict]:
    return sorted(
        (public(r) for r in records.scan("sources")), key=lambda s: s.get("created_at", 0), reverse=True
    )


def view(source_id: str) -> dict:
    rec = get_record(source_id)
    out = public(rec)
    if rec["status"] == INGESTING and rec.get("job_id"):
        out["job"] = store.get(rec["job_id"]).public()
    return out


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
    sources = [r for r in records.scan("sources") if r.get("status") == READY]
    moves = list(records.scan("moves"))
    return {
        "sources": len(sources),
        "moves": len(moves),
        "styles": sorted({s.get("style", "unknown") for s in sources}),
        "duration_s": round(sum(float(s.get("duration", 0)) for s in sources), 2),
    }


def ingest_local(
    path: str | Path, style: str = "unknown", title: str | None = None, origin: str | None = None
) -> dict:
    """Add a video from this machine (CLI, seeding): upload it, then run the ingest job here."""
    from ..jobs.runner import run_job

    path = Path(path)
    if not path.is_file():
        raise BadInput(f"no such file: {path}")
    if path.stat().st_size == 0:
        raise BadInput("the file is empty")
    source_id = "src" + uuid.uuid4().hex[:13]
    upload_key = f"{UPLOAD_PREFIX}{source_id}/original{path.suffix.lower()[:8] or '.bin'}"
    objects.put_file(upload_key, path)
    rec = {
        "id": source_id,
        "title": (title or path.stem)[:200],
        "filename": path.name[:200],
        "style": style[:40],
        "upload_key": upload_key,
        "status": INGESTING,
        "created_at": time.time(),
        "job_id": f"ingest-{source_id}",
    }
    if origin:
        rec["origin"] = origin
    records.put("sources", rec, if_absent="id")
    job = store.create("source.ingest", {"source_id": source_id}, job_id=rec["job_id"])
    done = run_job(job.id)
    if done.status != store.DONE:
        if records.get("sources", {"id": source_id}):
            remove(source_id)
        raise BadInput(done.error or "the video could not be added")
    return done.result
