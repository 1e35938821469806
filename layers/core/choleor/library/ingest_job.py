"""The `source.ingest` job: fetch the uploaded video, ingest it, store what it made.

Poses go to `sources/<id>/poses.npz`, move features to the library's per-source
file, one record per move (mirrored twins included) to MovesTable, thumbnails
to `moves/<id>/thumb.jpg`; then the library index is rebuilt. Move ids derive
from the source id and the unit index, so a job that runs twice writes the same
records. A video that is rejected leaves nothing behind.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from ..config import Limits, pose_variant
from ..errors import ChoreError
from ..jobs.registry import register
from ..pose.estimate import save_npz
from ..recommend.features import mirror_id
from ..storage import objects, records
from . import catalog, sources
from .ingest import ingest_file, thumbnails


def store_result(source_id: str, video: Path, result, style: str) -> list[dict]:
    """Write poses, move features, move records and thumbnails; returns the move summaries."""
    with tempfile.TemporaryDirectory() as tmp:
        save_npz(result.track, Path(tmp) / "poses.npz")
        objects.put_file(f"sources/{source_id}/poses.npz", Path(tmp) / "poses.npz")
    catalog.save_features(source_id, [m.features for m in result.moves])
    summaries = []
    thumbs: dict[float, str] = {}  # frame time -> key: twins and half-time moves share one
    pictures = thumbnails(video, [m.thumbnail_time for m in result.moves if not m.features.mirrored])
    for move in result.moves:
        f = move.features
        original_id = mirror_id(f.id) if f.mirrored else f.id
        thumb_key = thumbs.setdefault(move.thumbnail_time, f"moves/{original_id}/thumb.jpg")
        if thumb_key == f"moves/{original_id}/thumb.jpg" and not f.mirrored:
            objects.put_bytes(thumb_key, pictures[move.thumbnail_time], "image/jpeg")
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
    rec = sources.get_record(params["source_id"])
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
                variant=rec.get("pose_variant") or pose_variant(),
                progress=report,
                max_seconds=Limits().max_video_seconds,
            )
            report(0.94, "saving moves")
            moves = store_result(source_id, video, result, rec.get("style", "unknown"))
    except ChoreError as exc:
        sources.remove(source_id)
        raise exc
    records.update(
        "sources",
        {"id": source_id},
        {
            "status": sources.READY,
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
