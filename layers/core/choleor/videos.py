"""The video of a choreography: progressive pieces, then the final video joined without re-encoding.

Piece k (segment k with its incoming cut) depends on the picks of segments k-1
and k only, so it is rendered as a job as soon as both are known, keyed by a
hash of what it shows: a changed pick re-renders pieces k and k+1, and a
repeated request finds the piece already there. The final job draws whatever
piece is still missing (taking over a piece job nobody started, waiting for one
another worker is drawing), joins them (video copied, song muxed as AAC) and
records the video only when it is complete. A tall (9:16) video is drawn when
asked for, piece by piece in the final job. It reports frames drawn and the
time left at least every second (`video_progress`).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

from . import choreography, config, sharing
from .errors import Conflict, NotFound
from .jobs import dispatch, store
from .jobs.registry import register
from .jobs.runner import worker_name
from .render.draw import render_video
from .render.pieces import join_pieces, render_piece
from .render.plan import Clip, Piece, RenderSettings, build_plan, settings_for, shape_settings
from .storage import objects, records
from .video_progress import RenderProgress

SETTINGS = RenderSettings()
WIDE = "16:9"  # the shape pieces are drawn in as picks arrive; a tall video is drawn when asked for
# Part of every piece's key: raise it when the drawing of a piece changes, so that pieces drawn
# the old way are not joined with new ones (2: cuts keep the floor line still).
RENDERER = 2


def settings(rec: dict, shape: str = WIDE) -> RenderSettings:
    """The render settings of a choreography in a frame shape: its cut style, the shape's size."""
    return shape_settings(shape, settings_for(choreography.cut_style(rec), SETTINGS))


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


def _floor_y(path: Path, info) -> float | None:
    """The source video's floor line, found once and kept beside the cached copy."""
    from .render.floor import floor_line

    memo = path.with_name(path.name + ".floor.json")
    if memo.exists():
        return json.loads(memo.read_text())["floor_y"]
    found = floor_line(path, info)
    # Per thread too: two render pieces of one source find it at once in one process.
    partial = memo.with_name(f".{memo.name}.{os.getpid()}.{threading.get_ident()}")
    partial.write_text(json.dumps({"floor_y": found}))
    os.replace(partial, memo)
    return found


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
        floor_y=_floor_y(path, info),
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
        repr(settings(rec, shape)),
        rec["start"],
        rec["end"],
    ]
    if RENDERER > 1:  # (keys of pieces drawn before there was a version stay as they were)
        parts.append(RENDERER)
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _piece_object(rec: dict, k: int, shape: str = WIDE) -> str:
    return f"renders/{rec['id']}/pieces/{k:03d}-{piece_key(rec, k, shape)}.mp4"


def _plan(rec: dict, song_path: Path, known_only: bool = False, shape: str = WIDE, on_clip=None):
    """The render plan; with `known_only`, unknown picks borrow a known clip (their pieces are not drawn).
    `on_clip(i, n)` is told as each of the n distinct moves is fetched and measured."""
    picked = {s["index"]: s["move_id"] for s in rec["segments"] if s.get("move_id")}
    if not known_only and len(picked) < len(rec["segments"]):
        raise Conflict(f"segment {_first_missing(rec)} has no move yet")
    follow = settings(rec, shape).framing.follow
    distinct = list(dict.fromkeys(picked.values()))
    by_move = {}
    for i, move_id in enumerate(distinct):
        if on_clip is not None:
            on_clip(i, len(distinct))
        by_move[move_id] = _clip(move_id, follow=follow)
    clips = {k: by_move[m] for k, m in picked.items()}
    filler = next(iter(clips.values()))
    pieces = [
        Piece(index=s["index"], beats=tuple(s["beats"]), clip=clips.get(s["index"], filler))
        for s in rec["segments"]
    ]
    return build_plan(pieces, song_path, rec["start"], rec["end"], settings(rec, shape))


def _song_path(rec: dict) -> Path:
    song = records.get("songs", {"id": rec["song_id"]})
    if song is None:
        raise NotFound("the song of this choreography was removed")
    return _local(song["upload_key"], "the song")


def _piece_job_id(rec: dict, k: int) -> str:
    return f"piece-{rec['id']}-{k}-{piece_key(rec, k)}"


def queue_pieces(choreo_id: str, changed: Iterable[int]) -> list[str]:
    """After picks at `changed`: queue the pieces they touch whose picks are all known."""
    rec = records.get("choreographies", {"id": choreo_id})
    segs = rec["segments"]
    jobs = []
    for k in sorted({j for c in changed for j in (c, c + 1) if j < len(segs)}):
        if not segs[k].get("move_id") or (k and not segs[k - 1].get("move_id")):
            continue
        params = {"choreo_id": rec["id"], "k": k}
        jobs.append(dispatch.submit("render.piece", params, job_id=_piece_job_id(rec, k)).id)
    return jobs


@register("render.piece")
def piece_job(params: dict, report) -> dict:
    rec = records.get("choreographies", {"id": params["choreo_id"]})
    k = int(params["k"])
    key = _piece_object(rec, k)
    if objects.exists(key):
        return {"piece": k, "key": key}
    plan = _plan(rec, _song_path(rec), known_only=True)
    _draw_piece(
        plan,
        k,
        key,
        lambda done, total: report(done / total, f"drawing part {k + 1}: frame {done} of {total}"),
    )
    return {"piece": k, "key": key}


def _draw_piece(plan, k: int, key: str, progress) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "piece.mp4"
        render_piece(plan, k, out, progress)
        objects.put_file(key, out, "video/mp4")


def start(choreo_id: str, token: str | None, shape: str = WIDE) -> dict:
    """Queue the final video (409 naming the first segment without a move); returns the job.

    While a render of these picks is queued or running, that job is the answer. Otherwise a new
    job starts, so a retry after a failure, or a person asking again, really renders again;
    the pieces already in storage are reused, so only what is missing is drawn.
    """
    rec = choreography.load(choreo_id, token)
    settings(rec, shape)  # 400 naming the shapes
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
    n = len(rec["segments"])
    report(0.01, "fetching the song", True)
    song = _song_path(rec)
    plan = _plan(
        rec,
        song,
        shape=shape,
        on_clip=lambda i, m: report(0.01 + 0.04 * i / m, f"fetching dance video {i + 1} of {m}", True),
    )
    keys = [_piece_object(rec, k, shape) for k in range(n)]
    missing = [k for k in range(n) if not objects.exists(keys[k])]
    drawn = _draw_missing(rec, plan, keys, missing, report, shape) if missing else []
    tall = "" if shape == WIDE else "-" + shape.replace(":", "x")
    video_key = f"renders/{rec['id']}/{params['picks']}{tall}.mp4"
    report(0.93, f"joining {n} ready part{'s' if n != 1 else ''}", True)
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for k in range(n):
            local = Path(tmp) / f"{k:03d}.mp4"
            objects.download(keys[k], local)
            paths.append(local)
        out = Path(tmp) / "choreography.mp4"
        join_pieces(paths, song, (rec["start"], rec["end"]), out, plan.settings)
        report(0.97, "saving the video", True)
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
        "pieces_drawn": drawn,  # the others were already rendered as the picks came in (or by other workers)
        "render_seconds": round(time.perf_counter() - started, 2),
    }


def _draw_missing(
    rec: dict, plan, keys: list[str], missing: list[int], report, shape: str = WIDE
) -> list[int]:
    """Draw the missing pieces, in order: a piece job nobody is running is taken over (claimed)
    and drawn here; a piece another worker is drawing is waited for, showing its progress, and
    taken over if that worker dies. Returns the pieces drawn here. (Pieces of a tall video have
    no jobs of their own: they are all drawn here.)"""
    n = len(rec["segments"])
    here: set[int] = set()  # pieces drawn (or being drawn) by this job

    def elsewhere() -> None:  # what the other workers drew meanwhile
        for k in missing:
            if k not in here and shape == WIDE:
                job = _piece_job_state(rec, k)
                if job is not None and job.status in (store.RUNNING, store.DONE):
                    progress.drawn(
                        k, (1.0 if job.status == store.DONE else job.progress) * progress.frames[k]
                    )

    frames = {k: len(plan.piece_frames(k)) for k in missing}
    with RenderProgress(report, frames, n, refresh=elsewhere) as progress:
        return _draw_with(rec, plan, keys, missing, progress, here, shape == WIDE)


def _piece_job_state(rec: dict, k: int) -> store.Job | None:
    try:
        return store.get(_piece_job_id(rec, k))
    except NotFound:
        return None


def _draw_with(
    rec: dict,
    plan,
    keys: list[str],
    missing: list[int],
    progress: RenderProgress,
    here: set[int],
    with_jobs: bool,
) -> list[int]:
    n = len(rec["segments"])
    owner = f"{worker_name()}:render"
    drawn = []

    def draw(k: int, job_id: str | None) -> None:
        def frame(done: int, total: int) -> None:
            progress.drawn(k, done)
            if job_id and done % 15 == 0:  # keeps the piece job's lease and shows its progress there
                store.progress(job_id, owner, done / total, f"drawing part {k + 1}: frame {done} of {total}")
            progress.say(f"drawing part {k + 1} of {n}: frame {done} of {total}")

        here.add(k)
        frames = plan.piece_frames(k)
        progress.say(f"drawing part {k + 1} of {n}: frames {frames.start + 1}–{frames.stop}", force=True)
        try:
            _draw_piece(plan, k, keys[k], frame)
        except BaseException:
            if job_id:  # give the piece job back, so it can be tried again
                store.requeue(job_id, owner, "the final render drawing it stopped")
            raise
        if job_id:
            store.complete(job_id, owner, {"piece": k, "key": keys[k]})
        drawn.append(k)

    def take(k: int) -> bool:
        """Draw piece k here unless another worker is drawing it now."""
        if not with_jobs:
            draw(k, None)
            return True
        job_id = _piece_job_id(rec, k)
        store.create("render.piece", {"choreo_id": rec["id"], "k": k}, job_id)
        if store.claim(job_id, owner) is not None:
            draw(k, job_id)
            return True
        if store.get(job_id).status in (store.DONE, store.FAILED):  # ended, yet no piece: draw it
            draw(k, None)
            return True
        return False

    progress.say(f"{n - len(missing)} of {n} parts ready, {len(missing)} to draw", force=True)
    elsewhere = []
    for k in missing:
        if objects.exists(keys[k]):  # finished by another worker meanwhile
            progress.drawn(k, progress.frames[k])
        elif not take(k):
            elsewhere.append(k)
    for k in elsewhere:
        job_id = _piece_job_id(rec, k)
        while not objects.exists(keys[k]):
            job = store.get(job_id)
            if job.status == store.FAILED:
                raise Conflict(f"part {k + 1} of the video could not be drawn: {job.error}")
            progress.drawn(k, job.progress * progress.frames[k])
            progress.say(
                f"part {k + 1} of {n} is being drawn by another worker ({round(job.progress * 100)} %)"
            )
            if job.status != store.DONE and take(k):  # its worker died (lease expired): drawn here
                break
            time.sleep(0.25)
        progress.drawn(k, progress.frames[k])
    return drawn


def video(choreo_id: str, token: str | None, shape: str = WIDE) -> dict:
    rec, _ = sharing.load(choreo_id, token)  # a read-only link may watch it too
    settings(rec, shape)  # 400 naming the shapes
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


def render_song_file(
    song_path: Path, segments: list[dict], out: Path, progress=None, cut: str = "hard"
) -> dict:
    """Render picks for a local song file (`choleor compose -o`): segments carry beats and move_id."""
    started = time.perf_counter()
    pieces = [Piece(index=s["index"], beats=tuple(s["beats"]), clip=_clip(s["move_id"])) for s in segments]
    start, end = segments[0]["beats"][0], segments[-1]["beats"][-1]
    plan = build_plan(pieces, song_path, start, end, settings_for(cut))
    result = render_video(plan, out, progress)
    return {
        "output": str(out),
        "cuts": [round(float(c), 4) for c in plan.cuts[1:-1]],
        "render_seconds": round(time.perf_counter() - started, 2),
        "duration": result.duration,
    }
