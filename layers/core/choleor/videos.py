"""The video of a choreography: progressive pieces, then the final video joined without re-encoding.

Piece k (segment k with its incoming crossfade) depends on the picks of
segments k-1 and k only, so it is rendered as a job as soon as both are known,
keyed by a hash of what it shows: a changed pick re-renders pieces k and k+1,
and a repeated request finds the piece already there. The final job renders
whatever piece is still missing, joins them (video copied, song muxed as AAC)
and records the video only when it is complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

from . import choreography, config, sharing
from .errors import Conflict, NotFound
from .jobs import dispatch, store
from .jobs.registry import register
from .render.draw import render_video
from .render.pieces import join_pieces, render_piece
from .render.plan import Clip, Piece, RenderSettings, build_plan, shape_settings
from .storage import objects, records

SETTINGS = RenderSettings()
WIDE = "16:9"  # the shape pieces are drawn in as picks arrive; a tall video is drawn when asked for


def settings(shape: str = WIDE) -> RenderSettings:
    return shape_settings(shape, SETTINGS)


def _video_fields(shape: str) -> tuple[str, str]:
    """The record's (key, picks) attributes of the video in `shape`."""
    return ("video_key", "video_picks") if shape == WIDE else choreography.TALL_VIDEO_FIELDS


def _cache_dir() -> Path:
    """Local copies of sources and songs (immutable once uploaded); /tmp on Lambda."""
    path = Path(os.environ.get("CHOLEOR_CACHE") or config.data_dir() / "cache")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _local(key: str, what: str) -> Path:
    path = _cache_dir() / key.replace("/", "_")
    if not path.exists():
        try:
            objects.download(key, path)
        except NotFound:
            raise NotFound(f"{what} is missing from storage, so the video cannot be made") from None
    return path


def _x_track(source_id: str) -> tuple | None:
    """(times, lefts, rights) of the dancer's box in its video, from the poses ingest stored."""
    from .pose.estimate import load_npz

    try:
        path = _local(f"sources/{source_id}/poses.npz", "the dancer's poses")
    except NotFound:
        return None
    import numpy as np

    track = load_npz(path)
    seen = np.flatnonzero(track.present)
    if len(seen) < 2:
        return None
    frames = np.arange(len(track.present))
    kp = track.keypoints[seen]
    lefts = np.interp(frames, seen, kp[..., 0].min(1))
    rights = np.interp(frames, seen, kp[..., 0].max(1))
    times = (track.start_frame + frames) / track.fps
    return tuple(times), tuple(lefts), tuple(rights)


def _clip(move_id: str, follow: bool = False) -> Clip:
    move = records.get("moves", {"id": move_id})
    if move is None:
        raise NotFound(f"move {move_id} is no longer in the library; pick another for its segment")
    src = records.get("sources", {"id": move["source_id"]})
    if src is None:
        raise NotFound(f"the dance video of move {move_id} was removed; pick another for its segment")
    path = _local(src["upload_key"], f"the dance video of move {move_id}")
    from .pose.video import probe

    info = probe(str(path))
    return Clip(
        path=str(path),
        beats=tuple(move["beats"]),
        box_start=tuple(move["box_start"]),
        box_end=tuple(move["box_end"]),
        body_height=float(move["body_height"]),
        width=info.width,
        height=info.height,
        fps=info.fps,
        mirrored=bool(move.get("mirrored")),
        duration=info.duration,
        name=f"{src.get('title', 'video')} ({move_id})",
        x_track=_x_track(src["id"]) if follow else None,
    )


def _first_missing(rec: dict) -> int | None:
    for s in rec["segments"]:
        if not s.get("move_id"):
            return s["index"]
    return None


def piece_key(rec: dict, k: int, shape: str = WIDE) -> str:
    """What piece k shows: its segment, its pick, the previous segment and pick, the settings."""
    segs = rec["segments"]
    parts = [
        segs[k]["beats"],
        segs[k].get("move_id"),
        segs[k - 1]["beats"] if k else None,
        segs[k - 1].get("move_id") if k else None,
        k == len(segs) - 1,
        repr(settings(shape)),
        rec["start"],
        rec["end"],
    ]
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _piece_object(rec: dict, k: int, shape: str = WIDE) -> str:
    return f"renders/{rec['id']}/pieces/{k:03d}-{piece_key(rec, k, shape)}.mp4"


def _plan(rec: dict, song_path: Path, known_only: bool = False, shape: str = WIDE):
    """The render plan; with `known_only`, unknown picks borrow a known clip (their pieces are not drawn)."""
    clips: dict[int, Clip] = {}
    for s in rec["segments"]:
        if s.get("move_id"):
            clips[s["index"]] = _clip(s["move_id"], follow=settings(shape).framing.follow)
    if not known_only and len(clips) < len(rec["segments"]):
        raise Conflict(f"segment {_first_missing(rec)} has no move yet")
    filler = next(iter(clips.values()))
    pieces = [
        Piece(index=s["index"], beats=tuple(s["beats"]), clip=clips.get(s["index"], filler))
        for s in rec["segments"]
    ]
    return build_plan(pieces, song_path, rec["start"], rec["end"], settings(shape))


def _song_path(rec: dict) -> Path:
    song = records.get("songs", {"id": rec["song_id"]})
    if song is None:
        raise NotFound("the song of this choreography was removed")
    return _local(song["upload_key"], "the song")


def queue_pieces(choreo_id: str, changed: Iterable[int]) -> list[str]:
    """After picks at `changed`: queue the pieces they touch whose picks are all known."""
    rec = records.get("choreographies", {"id": choreo_id})
    segs = rec["segments"]
    jobs = []
    for k in sorted({j for c in changed for j in (c, c + 1) if j < len(segs)}):
        if not segs[k].get("move_id") or (k and not segs[k - 1].get("move_id")):
            continue
        job_id = f"piece-{rec['id']}-{k}-{piece_key(rec, k)}"
        jobs.append(dispatch.submit("render.piece", {"choreo_id": rec["id"], "k": k}, job_id=job_id).id)
    return jobs


@register("render.piece")
def piece_job(params: dict, report) -> dict:
    rec = records.get("choreographies", {"id": params["choreo_id"]})
    k = int(params["k"])
    key = _piece_object(rec, k)
    if objects.exists(key):
        return {"piece": k, "key": key}
    plan = _plan(rec, _song_path(rec), known_only=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "piece.mp4"
        render_piece(plan, k, out)
        objects.put_file(key, out, "video/mp4")
    return {"piece": k, "key": key}


def start(choreo_id: str, token: str | None, shape: str = WIDE) -> dict:
    """Queue the final video (409 naming the first segment without a move); returns the job.

    While a render of these picks is queued or running, that job is the answer. Otherwise a new
    job starts, so a retry after a failure, or a person asking again, really renders again;
    the pieces already in storage are reused, so only what is missing is drawn.
    """
    rec = choreography.load(choreo_id, token)
    settings(shape)  # 400 naming the shapes
    missing = _first_missing(rec)
    if missing is not None:
        raise Conflict(
            f"segment {missing + 1} (of {len(rec['segments'])}) has no move yet: pick one or use "
            f"'Fill the rest for me'"
        )
    sig = choreography.picks_signature(rec)
    latest = choreography.latest_render(rec)
    same = latest and latest.params.get("picks") == sig and latest.params.get("shape", WIDE) == shape
    if same and latest.status in (store.QUEUED, store.RUNNING):
        return latest.public()
    tall = "" if shape == WIDE else "-" + shape.replace(":", "x")
    job_id = f"render-{choreo_id}-{sig}{tall}-{uuid.uuid4().hex[:8]}"
    try:  # two requests at once: the first to point the choreography at its job wins
        records.update(
            "choreographies",
            {"id": choreo_id},
            {"render": {"job_id": job_id, "picks": sig}},
            condition="attribute_not_exists(#r) OR #r.#j = :seen",
            names={"#r": "render", "#j": "job_id"},
            values={":seen": (rec.get("render") or {}).get("job_id", "")},
        )
    except Conflict:
        return choreography.latest_render(choreography.load(choreo_id, token)).public()
    params = {"choreo_id": choreo_id, "picks": sig, "shape": shape}
    return dispatch.submit("render", params, job_id=job_id).public()


@register("render")
def render_job(params: dict, report) -> dict:
    rec = records.get("choreographies", {"id": params["choreo_id"]})
    if choreography.picks_signature(rec) != params["picks"]:
        raise Conflict("the picks changed while the video was being made; render again")
    started = time.perf_counter()
    shape = params.get("shape", WIDE)
    song = _song_path(rec)
    report(0.02, "fetching the dance videos")
    plan = _plan(rec, song, shape=shape)
    n = len(rec["segments"])
    tall = "" if shape == WIDE else "-" + shape.replace(":", "x")
    video_key = f"renders/{rec['id']}/{params['picks']}{tall}.mp4"
    drawn = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for k in range(n):
            key = _piece_object(rec, k, shape)
            local = Path(tmp) / f"{k:03d}.mp4"
            if objects.exists(key):
                objects.download(key, local)
            else:
                drawn.append(k)
                render_piece(
                    plan,
                    k,
                    local,
                    progress=lambda done, total=None, k=k: report(
                        0.05 + 0.85 * (k + done) / n, f"drawing segment {k + 1} of {n}"
                    ),
                )
                objects.put_file(key, local, "video/mp4")
            paths.append(local)
            report(0.05 + 0.85 * (k + 1) / n, f"segment {k + 1} of {n} ready")
        out = Path(tmp) / "choreography.mp4"
        join_pieces(paths, song, (rec["start"], rec["end"]), out, settings(shape))
        objects.put_file(video_key, out, "video/mp4")
    key_field, picks_field = _video_fields(shape)
    records.update(
        "choreographies",
        {"id": rec["id"]},
        {key_field: video_key, picks_field: params["picks"], "rendered_at": time.time()},
    )
    return {
        "video_key": video_key,
        "shape": shape,
        "cuts": [float(c) for c in plan.cuts[1:-1]],
        "pieces_drawn": drawn,  # the others were already rendered as the picks came in
        "render_seconds": round(time.perf_counter() - started, 2),
    }


def video(choreo_id: str, token: str | None, shape: str = WIDE) -> dict:
    rec, _ = sharing.load(choreo_id, token)  # a read-only link may watch it too
    settings(shape)  # 400 naming the shapes
    key_field, picks_field = _video_fields(shape)
    if not rec.get(key_field) or rec.get(picks_field) != choreography.picks_signature(rec):
        what = "video" if shape == WIDE else f"{shape} video"
        raise Conflict(f"the {what} is not ready yet: render it first")
    tall = "" if shape == WIDE else "-" + shape.replace(":", "x")
    name = f"choleor-{rec.get('song_title') or 'choreography'}{tall}.mp4".replace(" ", "_")
    return {
        "url": objects.presign_get(rec[key_field]),
        "download_url": objects.presign_get(rec[key_field], filename=name),
    }


def render_song_file(song_path: Path, segments: list[dict], out: Path, progress=None) -> dict:
    """Render picks for a local song file (`choleor compose -o`): segments carry beats and move_id."""
    started = time.perf_counter()
    pieces = [Piece(index=s["index"], beats=tuple(s["beats"]), clip=_clip(s["move_id"])) for s in segments]
    plan = build_plan(pieces, song_path, segments[0]["beats"][0], segments[-1]["beats"][-1], SETTINGS)
    result = render_video(plan, out, progress)
    return {
        "output": str(out),
        "cuts": [round(float(c), 4) for c in plan.cuts[1:-1]],
        "render_seconds": round(time.perf_counter() - started, 2),
        "duration": result.duration,
    }
