"""Dance sources: upload a video, ingest it into moves, list and read them.

Records: SourcesTable (one per video) and MovesTable (one per move, mirrored
twins included, indexed by source). Bytes: `uploads/sources/<id>/` (what was
uploaded), `sources/<id>/` (poses and move features), `moves/<id>/thumb.jpg`.
Move ids derive from the source id and the unit index, so an ingest that runs
twice writes the same records. A rejected or failed video leaves nothing.
"""

from __future__ import annotations

import hmac
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

from ..config import Limits, admin_key, pose_variant
from ..errors import BadInput, ChoreError, Conflict, Forbidden, NotFound, TooLarge
from ..jobs import dispatch, store
from ..jobs.registry import register
from ..recommend.features import mirror_id
from ..storage import objects, records
from . import catalog

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
    if size is not None and size > limits.max_video_bytes:
        raise TooLarge(f"the video is {size / 2**20:.0f} MB; at most {limits.max_video_bytes / 2**20:.0f} MB")
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
    if head["size"] == 0:
        remove(source_id)
        raise BadInput("the file is empty")
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


def store_result(source_id: str, video: Path, result, style: str) -> list[dict]:
    """Write poses, move features, move records and thumbnails; returns the move summaries."""
    from ..pose.estimate import save_npz
    from .ingest import thumbnail

    with tempfile.TemporaryDirectory() as tmp:
        save_npz(result.track, Path(tmp) / "poses.npz")
        objects.put_file(f"sources/{source_id}/poses.npz", Path(tmp) / "poses.npz")
    catalog.save_features(source_id, [m.features for m in result.moves])
    summaries = []
    thumbs: dict[float, str] = {}  # frame time -> key: twins and half-time moves share one
    for move in result.moves:
        f = move.features
        original_id = mirror_id(f.id) if f.mirrored else f.id
        thumb_key = thumbs.setdefault(move.thumbnail_time, f"moves/{original_id}/thumb.jpg")
        if thumb_key == f"moves/{original_id}/thumb.jpg" and not f.mirrored:
            objects.put_bytes(thumb_key, thumbnail(video, move.thumbnail_time), "image/jpeg")
        rec = {
            "id": f.id,
            "source_id": source_id,
            "style": style,
            "mirrored": f.mirrored,
            "start": move.start,
            "end": move.end,
            "beats": [float(b) for b in f.beats],
            "tempo": round(f.tempo, 2),
            "energy": float(np.mean(f.motion_energy)),
            "motion_energy": [float(v) for v in f.motion_energy],
            "box_start": [float(v) for v in move.box_start],
            "box_end": [float(v) for v in move.box_end],
            "body_height": move.body_height,
            "thumb_key": thumb_key,
            "counting": move.counting,
        }
        records.put("moves", rec)
        summaries.append(
            {
                "move_id": f.id,
                "start": move.start,
                "end": move.end,
                "beats": rec["beats"],
                "mirrored": f.mirrored,
                "counting": move.counting,
            }
        )
    return summaries


@register("source.ingest")
def ingest_job(params: dict, report) -> dict:
    from .ingest import ingest_file

    rec = get_record(params["source_id"])
    source_id = rec["id"]
    try:
        with tempfile.TemporaryDirectory(prefix="choleor-src-") as tmp:
            video = Path(tmp) / Path(rec["upload_key"]).name
            report(0.01, "fetching the video")
            objects.download(rec["upload_key"], video)
            result = ingest_file(
                video,
                source_id=source_id,
                style=rec.get("style", "unknown"),
                variant=pose_variant(),
                progress=report,
                max_seconds=Limits().max_video_seconds,
            )
            report(0.94, "saving moves")
            moves = store_result(source_id, video, result, rec.get("style", "unknown"))
    except ChoreError as exc:
        remove(source_id)
        raise exc
    records.update(
        "sources",
        {"id": source_id},
        {
            "status": READY,
            "fps": result.fps,
            "frames": result.frames,
            "duration": result.duration,
            "tempo": round(result.tempo, 2),
            "n_moves": len(moves),
            "ingested_at": time.time(),
        },
    )
    report(0.97, "updating the library")
    catalog.rebuild()
    return {"source_id": source_id, "fps": result.fps, "frames": result.frames, "moves": moves}


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
