"""The default library: the shipped CMU dance takes, rendered and ingested like any video.

Each take is drawn as a solid mannequin dancing to music at its movement tempo
(`choleor.mocap`), then goes through the normal ingest — pose model, beats,
moves; no shortcut writes moves directly. The soundtracks are spread over the
shipped songs (`mocap.music.assign_soundtracks`) and recorded in each source.

The build is a pipeline, so a newcomer has moves to pick from within the first
minutes: takes are drawn in worker processes (at a lower priority) while this
process adds the shipped songs and then ingests each drawn take as soon as it is
ready; the library snapshot is rebuilt after every take. Takes are ordered so the
first few cover the tempo range. Renders are cached under the data directory; a
take already in the library (same origin) is skipped, so seeding twice adds
nothing. The true 2D joints kept beside each render measure the pose pipeline
(`pose_accuracy`).
"""

from __future__ import annotations

import ctypes
import hashlib
import io
import json
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import numpy as np

from ..config import repo_root
from ..errors import BadInput, Unavailable
from ..jobs.registry import register
from ..storage import memo, objects, records
from . import catalog, sources

RENDER_VERSION = "v1"  # bump when the renderer's look changes, to re-render cached takes
BUILD_KEY = "library/build.json"  # how the default library was built: times, counts
MIN_BEATS = 16  # a take shorter than this at its tempo holds its first and last pose (see render_take)
FIRST_MOVES = 100  # the build log says when this many moves are usable
_PR_SET_PDEATHSIG = 1
Progress = Callable[[float, str], None]


def mocap_dir() -> Path:
    root = repo_root()
    if root is None or not (root / "data" / "mocap" / "manifest.json").is_file():
        raise Unavailable("the shipped mocap data (data/mocap) is not next to this installation")
    return root / "data" / "mocap"


def takes() -> list[dict]:
    """The manifest's takes, each with a dance style, an origin and a readable title."""
    out = []
    for t in json.loads((mocap_dir() / "manifest.json").read_text()):
        subject = t.get("cmu_subject", "")
        style = subject.split("(", 1)[1].rstrip(")").strip() if "(" in subject else "dance"
        out.append(
            {**t, "style": style, "origin": f"cmu:{t['cmu_id']}:{RENDER_VERSION}", "title": title(t, style)}
        )
    return out


def title(take: dict, style: str) -> str:
    """'Salsa, take 10 (first partner)', 'Modern dance, take 11: sideways steps, pirouette', ...

    Subjects 60 and 61 are the two partners of one salsa couple (same trial number, same take).
    """
    subject, trial = take["cmu_id"].split("_")
    described = take.get("cmu_trial_description", "")
    if style == "salsa":
        partner = {"60": "first partner", "61": "second partner"}.get(subject, f"dancer {subject}")
        return f"Salsa, take {int(trial)} ({partner})"
    if described.startswith("dance - "):
        return f"{style.capitalize()}, take {int(trial)}: {described.removeprefix('dance - ')}"
    return f"{style.capitalize()}, take {int(trial)}"


def plan(selected: list[dict] | None = None) -> list[dict]:
    """Every take with its movement tempo and soundtrack, in build order.

    The soundtracks are assigned over all shipped takes at once (so a partial seed draws the
    same videos as a full one); `selected` only filters the result.
    """
    from ..mocap.music import assign_soundtracks, estimate_movement_tempo, load_clips, retiming
    from ..mocap.skeleton import load_body_track

    everything = takes()
    for t in everything:
        capture = load_body_track(mocap_dir() / t["file"])
        t["bpm"] = float(estimate_movement_tempo(capture.points, capture.fps).bpm)
        t["duration_s"] = capture.duration_s
    clips = load_clips(mocap_dir().parent / "beats")
    chosen = assign_soundtracks({t["file"]: t["bpm"] for t in everything}, clips)
    for t in everything:
        clip = chosen[t["file"]]
        t["soundtrack"] = {
            "file": clip["file"],
            "title": clip.get("title", ""),
            "author": clip.get("author", "").split(" (")[0],
            "license": clip.get("license", "").split(" (")[0],
            "clip_bpm": float(clip["bpm"]),
            "bpm": round(t["bpm"], 2),
            "retimed": round(retiming(t["bpm"], float(clip["bpm"])), 4),
        }
    keep = {t["origin"] for t in selected} if selected is not None else None
    return [t for t in build_order(everything) if keep is None or t["origin"] in keep]


def build_order(all_takes: list[dict]) -> list[dict]:
    """Takes ordered so the first ones spread over the tempo range: each next take is the one
    farthest (in log tempo) from those before it, weighted by the square root of its length
    (a longer take gives more moves); the first is the one nearest 120 BPM."""
    left = list(all_takes)
    log_bpm = {t["origin"]: np.log(t["bpm"]) for t in left}
    first = min(left, key=lambda t: (abs(log_bpm[t["origin"]] - np.log(120.0)), t["origin"]))
    order = [first]
    left.remove(first)
    while left:
        done = np.array([log_bpm[t["origin"]] for t in order])
        nxt = max(left, key=lambda t, done=done: _spread(t, done, log_bpm))
        order.append(nxt)
        left.remove(nxt)
    return order


def _spread(take: dict, done: np.ndarray, log_bpm: dict) -> tuple[float, str]:
    gap = float(np.min(np.abs(done - log_bpm[take["origin"]])))
    return gap * np.sqrt(take["duration_s"]), take["origin"]


def _video_path(cache: Path, take: dict, seconds: float | None, min_beats: int = MIN_BEATS) -> Path:
    suffix = (f"-{seconds:g}s" if seconds else "") + (f"-{min_beats}b" if min_beats != MIN_BEATS else "")
    music = Path(take["soundtrack"]["file"]).stem
    return cache / f"{Path(take['file']).stem}-{music}-{RENDER_VERSION}{suffix}.mp4"


def _drawing_worker() -> None:
    """Drawing runs beside ingest at a lower priority (ingest comes first, so the first moves
    arrive sooner), and dies with the process that started it."""
    try:
        os.nice(5)
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def _render(job: tuple[str, str, float | None, str, int]) -> tuple[str, float, int]:
    import cv2

    from ..mocap.render_take import render_take

    cv2.setNumThreads(1)
    bvh, out, seconds, clip, min_beats = job
    take = render_take(bvh, out, seconds=seconds, music_clip=clip, encoder_threads=1, min_beats=min_beats)
    return out, take.render_seconds, take.frame_count


def _draw_job(take: dict, path: Path, seconds: float | None, min_beats: int = MIN_BEATS) -> tuple:
    return (str(mocap_dir() / take["file"]), str(path), seconds, take["soundtrack"]["file"], min_beats)


class BuildLog:
    """Times of the build's milestones (seconds since it started), said as they happen."""

    def __init__(self, say: Callable[[str], None]):
        self.started = time.perf_counter()
        self.say = say
        self.times: dict[str, float] = {}

    def elapsed(self) -> float:
        return round(time.perf_counter() - self.started, 1)

    def mark(self, name: str, message: str) -> None:
        if name not in self.times:
            self.times[name] = self.elapsed()
            self.say(f"{message} after {self.times[name]:.0f} s")


def _say(message: str) -> None:
    print(f"library build: {message}", file=sys.stderr, flush=True)


def seed(
    data_dir: Path,
    *,
    limit: int | None = None,
    seconds: float | None = None,
    jobs: int = 2,
    progress: Progress | None = None,
    say: Callable[[str], None] = _say,
) -> dict:
    """Render and ingest the shipped takes that are not in the library yet, and add the
    shipped songs that are not there yet. `limit`: only the first N takes of the build order."""
    progress = progress or (lambda f, m="": None)
    log = BuildLog(say)
    ordered = plan()
    selected = ordered[:limit] if limit else ordered
    wanted = {t["origin"] for t in selected}
    have = set()
    for r in records.scan("sources"):
        if r.get("status") == sources.READY:
            have.add(r.get("origin"))
        elif r.get("origin") in wanted:  # left half-added by a build that was stopped
            sources.remove(r["id"])
    missing = [t for t in selected if t["origin"] not in have]
    cache = data_dir / "seed"
    cache.mkdir(parents=True, exist_ok=True)
    total, done = len(selected), len(selected) - len(missing)
    added, rejected = [], []
    draw_s = 0.0

    def step(message: str) -> None:
        progress(done / max(total, 1), message)

    # spawn, not fork: the caller has threads (job workers, boto3), and a forked child can
    # inherit a lock some other thread held and hang.
    with ProcessPoolExecutor(
        max_workers=max(1, jobs), mp_context=multiprocessing.get_context("spawn"), initializer=_drawing_worker
    ) as pool:
        drawn: dict[str, Future] = {}
        for t in missing:
            path = _video_path(cache, t, seconds)
            if not path.exists():
                drawn[t["origin"]] = pool.submit(_render, _draw_job(t, path, seconds))
        songs_added = seed_songs(lambda i, n: step(f"adding the shipped songs: {i} of {n}"))
        log.mark("songs", f"all {len(songs_added)} new shipped songs added")
        for t in missing:
            step(f"building the dance library: {done} of {total} dancers")
            path = _video_path(cache, t, seconds)
            if t["origin"] in drawn:
                draw_s += drawn.pop(t["origin"]).result()[1]
            try:
                path, result = _add(t, path, seconds)
            except BadInput as exc:  # the others still count
                rejected.append({"take": t["cmu_id"], "error": exc.message})
            else:
                _keep_truth(result["source_id"], path)
                added.append(result["source_id"])
            done += 1
            pointer = catalog.current_pointer() or {}
            if pointer.get("moves", 0) >= FIRST_MOVES:
                log.mark("first_moves", f"first {FIRST_MOVES} usable moves ({pointer['moves']}) ready")
    progress(1.0, "the default library is ready")
    log.mark("done", f"{total} dancers in the library ({len(added)} added now)")
    build = {
        "build_s": log.times["done"],
        "first_moves_s": log.times.get("first_moves"),
        "songs_s": log.times["songs"],
        "draw_cpu_s": round(draw_s, 1),
        "takes_added": len(added),
        "finished_at": time.time(),
    }
    objects.put_bytes(BUILD_KEY, json.dumps(build).encode(), "application/json")
    memo.forget("library")
    return {
        "added": added,
        "songs_added": songs_added,
        "rejected": rejected,
        "skipped": len(selected) - len(missing),
        **build,
        **sources.stats(),
    }


def _add(take: dict, path: Path, seconds: float | None) -> tuple[Path, dict]:
    """Ingest a drawn take. The beat tracker may count a fast soundtrack at half speed, so a
    short phrase can still come out shorter than one 8-beat move: then it is drawn again with
    longer holds (twice the beats) and ingested once more."""
    try:
        return path, sources.ingest_local(
            path, style=take["style"], origin=take["origin"], title=take["title"], extra=_metadata(take)
        )
    except BadInput as exc:
        if "too short" not in exc.message:
            raise
    longer = _video_path(path.parent, take, seconds, 2 * MIN_BEATS)
    if not longer.exists():
        _render(_draw_job(take, longer, seconds, 2 * MIN_BEATS))
    return longer, sources.ingest_local(
        longer, style=take["style"], origin=take["origin"], title=take["title"], extra=_metadata(take)
    )


#: The pose model for the drawn mannequins: the lite model finds them as well as the full one
#: (on 9 takes, 5,777 frames: 100 % found by both, mean keypoint error 2.53 % of body height vs
#: 2.47 %) at 8.6 instead of 12.5 ms of CPU per frame. Uploads keep `config.pose_variant()`.
POSE_VARIANT = "lite"


def _metadata(take: dict) -> dict:
    """What the source record keeps about the take: where it comes from, its soundtrack, and
    the pose model its ingest uses."""
    return {
        "pose_variant": POSE_VARIANT,
        "mocap": {
            "cmu_id": take["cmu_id"],
            "file": take["file"],
            "description": take.get("cmu_trial_description", ""),
            "movement_bpm": round(take["bpm"], 2),
        },
        "soundtrack": take["soundtrack"],
    }


def build_info() -> dict | None:
    """The last seed's timings (build.json), if the default library was built here."""
    if not objects.exists(BUILD_KEY):
        return None
    return json.loads(objects.get_bytes(BUILD_KEY))


def shipped_songs() -> list[dict]:
    """The beat-annotated songs of data/beats and its batch folders, each with its `path`."""
    from ..mocap.music import load_clips

    return load_clips(mocap_dir().parent / "beats")


def seed_songs(progress: Callable[[int, int], None] = lambda i, n: None) -> list[str]:
    """The shipped beat-annotated songs, so the first page already offers songs."""
    from .. import songs

    clips = shipped_songs()
    have = songs.origins()
    added = []
    for i, clip in enumerate(clips):
        origin = f"shipped:{clip['file']}"
        if origin in have:
            continue
        progress(i, len(clips))
        author, licence = clip["author"].split(" (")[0], clip["license"].split(" (")[0]
        title = f"{clip['title']} — {author} ({licence})"
        added.append(songs.add_local(Path(clip["path"]), title=title, origin=origin)["id"])
    return added


def _keep_truth(source_id: str, video: Path) -> None:
    truth = video.with_name(video.stem + ".truth.npz")
    if truth.exists():
        objects.put_file(f"sources/{source_id}/truth.npz", truth)


@register("library.seed")
def seed_job(params: dict, report) -> dict:
    from ..config import data_dir

    return seed(
        data_dir(params.get("data_dir")),
        limit=params.get("limit"),
        seconds=params.get("seconds"),
        progress=report,
    )


def pose_accuracy() -> list[dict]:
    """Pose model vs the true 2D joints, per seeded take: detection share and keypoint error
    (mean and median, as a share of the dancer's height)."""
    rows = []
    for src in records.scan("sources"):
        if not objects.exists(f"sources/{src['id']}/truth.npz"):
            continue
        with (
            np.load(io.BytesIO(objects.get_bytes(f"sources/{src['id']}/truth.npz"))) as t,
            np.load(io.BytesIO(objects.get_bytes(f"sources/{src['id']}/poses.npz"))) as p,
        ):
            n = min(len(t["keypoints"]), len(p["keypoints"]))
            present = p["present"][:n].astype(bool)
            err = np.linalg.norm(p["keypoints"][:n] - t["keypoints"][:n], axis=-1)  # (n, 17) px
            share = err / t["body_height_px"][:n, None]
        rows.append(
            {
                "source_id": src["id"],
                "title": src.get("title"),
                "frames": int(n),
                "detected": float(present.mean()),
                "mean_error": float(share[present].mean()),
                "median_error": float(np.median(share[present])),
            }
        )
    return sorted(rows, key=lambda r: r["title"] or "")


def seed_job_id() -> str:
    """One seeding job per set of shipped takes: a release that ships more takes seeds again."""
    origins = "|".join(sorted(t["origin"] for t in takes()))
    return f"seed-default-{RENDER_VERSION}-{hashlib.sha1(origins.encode()).hexdigest()[:8]}"


def start_if_incomplete(data_dir: Path) -> dict | None:
    """Queue the seeding job when a shipped take is not in the library yet (first start of
    `serve`, or a release with more takes). Takes already there are skipped by the job."""
    from ..jobs import dispatch

    have = {r.get("origin") for r in records.scan("sources") if r.get("status") == sources.READY}
    if all(t["origin"] in have for t in takes()):
        return None
    return dispatch.submit("library.seed", {"data_dir": str(data_dir)}, job_id=seed_job_id()).public()


def seeding_status() -> dict | None:
    """The seeding job as a client sees it while it runs, with how many dancers are in."""
    from ..errors import NotFound
    from ..jobs import store

    try:
        job = store.get(seed_job_id()).public()
    except Unavailable:  # the shipped takes are not installed here (a Lambda container): no seeding runs here
        return None
    except NotFound:
        return None
    if job.get("status") in (store.QUEUED, store.RUNNING):
        origins = {t["origin"] for t in takes()}
        ready = [r for r in records.scan("sources") if r.get("status") == sources.READY]
        job["dancers"] = {"done": sum(r.get("origin") in origins for r in ready), "total": len(origins)}
    return job
