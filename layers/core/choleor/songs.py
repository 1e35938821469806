"""Songs: upload, analysis (beats, downbeats, descriptors, peaks) and segments.

Records live in SongsTable; bytes under `uploads/songs/<id>/` (what the person
uploaded) and `songs/<id>/` (what the analysis made). A rejected song leaves
nothing behind: its record and files are removed, and the job that rejected it
keeps the message.
"""

from __future__ import annotations

import json
import tempfile
import time
import uuid
from pathlib import Path

from .config import Limits
from .errors import BadInput, ChoreError, Conflict, NotFound
from .jobs import dispatch, store
from .jobs.registry import register
from .storage import objects, records
from .uploads import check_size

AWAITING, ANALYZING, READY = "awaiting_upload", "analyzing", "ready"
UPLOAD_PREFIX = "uploads/songs/"


def _upload_key(song_id: str, filename: str) -> str:
    suffix = Path(filename).suffix.lower()[:8] or ".bin"
    return f"{UPLOAD_PREFIX}{song_id}/original{suffix}"


def _analysis_key(song_id: str) -> str:
    return f"songs/{song_id}/analysis.json"


def create(
    filename: str, size: int | None = None, title: str | None = None, limits: Limits | None = None
) -> dict:
    """A new song record and a presigned URL to PUT the file to."""
    limits = limits or Limits()
    filename = (filename or "").strip()
    if not filename:
        raise BadInput("a song needs a file name (for example song.mp3)")
    check_size(size, limits.max_upload_bytes, "songs")
    song_id = uuid.uuid4().hex[:16]
    key = _upload_key(song_id, filename)
    ctype = objects.content_type_for(filename)
    record = {
        "id": song_id,
        "title": (title or Path(filename).stem)[:200],
        "filename": filename[:200],
        "upload_key": key,
        "content_type": ctype,
        "status": AWAITING,
        "created_at": time.time(),
    }
    records.put("songs", record, if_absent="id")
    return {
        "song": public(record),
        "upload": {
            "method": "PUT",
            "url": objects.presign_put(key, ctype),
            "headers": {"Content-Type": ctype},
        },
    }


def get_record(song_id: str) -> dict:
    rec = records.get("songs", {"id": song_id})
    if rec is None:
        raise NotFound(f"no song {song_id}")
    return rec


def public(rec: dict) -> dict:
    keys = (
        "id",
        "title",
        "filename",
        "status",
        "created_at",
        "duration",
        "tempo",
        "job_id",
        "n_beats",
        "n_units",
    )
    return {k: rec[k] for k in keys if k in rec}


def _reject(rec: dict, exc: ChoreError) -> ChoreError:
    """Remove everything of a rejected song, and pass the reason on."""
    remove(rec["id"])
    return exc


def remove(song_id: str) -> None:
    objects.delete_prefix(f"{UPLOAD_PREFIX}{song_id}/")
    objects.delete_prefix(f"songs/{song_id}/")
    records.delete("songs", {"id": song_id})


def start_analysis(song_id: str, limits: Limits | None = None) -> store.Job:
    """Check the upload's size, then queue the analysis job (which probes before decoding).

    Called by the API and by the S3 upload event; whichever comes second gets
    the job the first one started.
    """
    limits = limits or Limits()
    rec = get_record(song_id)
    if rec["status"] in (ANALYZING, READY) and rec.get("job_id"):
        return store.get(rec["job_id"])
    head = objects.head(rec["upload_key"])
    if head is None:
        raise Conflict("the song's file has not been uploaded yet")
    try:
        check_size(head["size"], limits.max_upload_bytes, "songs")
    except ChoreError as exc:
        raise _reject(rec, exc) from None
    job_id = f"analyze-{song_id}-{uuid.uuid4().hex[:6]}"
    try:
        records.update(
            "songs",
            {"id": song_id},
            {"status": ANALYZING, "job_id": job_id},
            condition="#s = :awaiting",
            names={"#s": "status"},
            values={":awaiting": AWAITING},
        )
    except Conflict:
        return store.get(get_record(song_id)["job_id"])
    return dispatch.submit("song.analyze", {"song_id": song_id}, job_id=job_id)


@register("song.analyze")
def analyze_job(params: dict, report) -> dict:
    """Download, analyse, store. Idempotent: every output is keyed by the song id."""
    from .audio.analysis import analyze_file

    limits = Limits()
    rec = get_record(params["song_id"])
    with tempfile.TemporaryDirectory(prefix="choleor-song-") as tmp:
        path = Path(tmp) / Path(rec["upload_key"]).name
        report(0.02, "fetching the file")
        objects.download(rec["upload_key"], path)
        try:
            result = analyze_file(
                path,
                max_bytes=limits.max_upload_bytes,
                max_seconds=limits.max_song_seconds,
                progress=lambda f, m="": report(0.05 + 0.85 * f, m),
            )
        except ChoreError as exc:
            raise _reject(rec, exc) from None
    report(0.92, "saving the analysis")
    doc = result.to_json()
    objects.put_bytes(_analysis_key(rec["id"]), json.dumps(doc).encode(), "application/json")
    summary = {
        "status": READY,
        "duration": doc["duration"],
        "tempo": doc["tempo"],
        "n_beats": len(doc["beats"]),
        "n_units": len(doc["segments"]),
        "analyzed_at": time.time(),
    }
    records.update("songs", {"id": rec["id"]}, summary)
    return {"song_id": rec["id"], **{k: summary[k] for k in ("duration", "tempo", "n_beats", "n_units")}}


def analysis(song_id: str) -> dict:
    """The stored analysis of a ready song (beats, downbeats, peaks, unit segments)."""
    rec = get_record(song_id)
    if rec["status"] != READY:
        raise Conflict(f"the song is not analysed yet (status: {rec['status']})")
    return json.loads(objects.get_bytes(_analysis_key(song_id)))


def view(song_id: str) -> dict:
    """What a client sees: the record, the job's progress while analysing, then the analysis."""
    rec = get_record(song_id)
    out = public(rec)
    if rec["status"] == ANALYZING and rec.get("job_id"):
        job = store.get(rec["job_id"])
        out["job"] = job.public()
    elif rec["status"] == READY:
        out["analysis"] = analysis(song_id)
    return out


def list_ready() -> list[dict]:
    songs = [
        public(r)
        for r in records.scan("songs", filter="#s = :ready", names={"#s": "status"}, values={":ready": READY})
    ]
    return sorted(songs, key=lambda s: s.get("created_at", 0), reverse=True)


def stored_grid(doc: dict):
    """The BeatGrid of a stored analysis (downbeats located among the beats)."""
    import numpy as np  # here, not at the top: the API reads song records without the numpy stack

    from .audio.beats import BeatGrid

    beats = np.asarray(doc["beats"], dtype=float)
    downbeats = np.asarray(doc["downbeats"], dtype=float)
    first = int(np.argmin(np.abs(beats - downbeats[0]))) if len(downbeats) else 0
    return BeatGrid(beats=beats, downbeats=downbeats, tempo=float(doc["tempo"]), first_downbeat=first)


def interval(
    grid, start: float | None = None, end: float | None = None, allow_empty: bool = False
) -> list[dict]:
    """The 8-beat segments of [start, end] snapped to `grid` (of the whole song without an interval),
    each with its 9 beat times."""
    from .audio.segments import segments_for

    if start is not None and end is not None and end <= start:
        raise BadInput("the interval must end after it starts")
    segs = segments_for(grid, start, end)
    if not segs and not allow_empty:
        raise BadInput("the interval is shorter than one 8-beat segment; choose a longer part of the song")
    return [
        {"index": s.index, "start": float(s.start), "end": float(s.end), "beats": [float(b) for b in s.beats]}
        for s in segs
    ]


def segments(song_id: str, start: float | None = None, end: float | None = None) -> list[dict]:
    """The 8-beat segments of [start, end] of a stored song."""
    return interval(stored_grid(analysis(song_id)), start, end)


def song_of_upload(key: str) -> str | None:
    """The song whose uploaded file is stored at `key` (an S3 event names the key), else None."""
    song_id, _, name = key.removeprefix(UPLOAD_PREFIX).partition("/")
    if not key.startswith(UPLOAD_PREFIX) or not song_id or "/" in name or not name.startswith("original"):
        return None
    return song_id


def audio_url(song_id: str) -> str:
    """A presigned URL of the song's file, for playback."""
    rec = get_record(song_id)
    if rec["status"] == AWAITING:
        raise Conflict("the song's file has not been uploaded yet")
    return objects.presign_get(rec["upload_key"])


def add_local(path: str | Path, title: str | None = None, origin: str | None = None) -> dict:
    """Add a song file from this machine (seeding, CLI) and analyse it here; returns its public record."""
    from .jobs.runner import run_job

    path = Path(path)
    song_id = uuid.uuid4().hex[:16]
    key = _upload_key(song_id, path.name)
    objects.put_file(key, path)
    job_id = f"analyze-{song_id}-local"
    rec = {
        "id": song_id,
        "title": (title or path.stem)[:200],
        "filename": path.name,
        "upload_key": key,
        "content_type": objects.content_type_for(path.name),
        "status": ANALYZING,
        "job_id": job_id,
        "created_at": time.time(),
    }
    if origin:
        rec["origin"] = origin
    records.put("songs", rec, if_absent="id")
    job = run_job(store.create("song.analyze", {"song_id": song_id}, job_id=job_id).id)
    if job.status != store.DONE:
        raise BadInput(job.error or "the song could not be analysed")
    return public(get_record(song_id))


def origins() -> set[str]:
    return {r["origin"] for r in records.scan("songs") if r.get("origin") and r.get("status") == READY}
