"""The default library: the shipped CMU dance takes, rendered and ingested like any video.

Each take is drawn as a solid mannequin dancing to music at its movement tempo
(`choleor.mocap`), then goes through the normal ingest — pose model, beats,
moves; no shortcut writes moves directly. Renders are cached under the data
directory; a take already in the library (same origin) is skipped, so seeding
twice adds nothing. The true 2D joints kept beside each render measure the
pose pipeline (`pose_accuracy`).
"""

from __future__ import annotations

import io
import json
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from ..config import repo_root
from ..errors import BadInput, Unavailable
from ..jobs.registry import register
from ..storage import objects, records
from . import sources

RENDER_VERSION = "v1"  # bump when the renderer's look changes, to re-render cached takes
SEED_JOB_ID = f"seed-default-{RENDER_VERSION}"
Progress = Callable[[float, str], None]


def mocap_dir() -> Path:
    root = repo_root()
    if root is None or not (root / "data" / "mocap" / "manifest.json").is_file():
        raise Unavailable("the shipped mocap data (data/mocap) is not next to this installation")
    return root / "data" / "mocap"


def takes() -> list[dict]:
    """The manifest's takes, each with a dance style label."""
    out = []
    for t in json.loads((mocap_dir() / "manifest.json").read_text()):
        subject = t.get("cmu_subject", "")
        style = subject.split("(", 1)[1].rstrip(")").strip() if "(" in subject else "dance"
        out.append({**t, "style": style, "origin": f"cmu:{t['cmu_id']}:{RENDER_VERSION}"})
    return out


def _render(job: tuple[str, str, float | None]) -> str:
    import cv2

    from ..mocap.render_take import render_take

    cv2.setNumThreads(1)
    bvh, out, seconds = job
    render_take(bvh, out, seconds=seconds, encoder_threads=1)
    return out


def render_all(
    cache: Path, selected: list[dict], seconds: float | None, jobs: int, progress: Progress
) -> dict[str, Path]:
    """Render what is not cached yet, `jobs` takes at a time; returns origin -> video path."""
    cache.mkdir(parents=True, exist_ok=True)
    suffix = f"-{seconds:g}s" if seconds else ""
    paths = {t["origin"]: cache / f"{Path(t['file']).stem}-{RENDER_VERSION}{suffix}.mp4" for t in selected}
    todo = [
        (str(mocap_dir() / t["file"]), str(paths[t["origin"]]), seconds)
        for t in selected
        if not paths[t["origin"]].exists()
    ]
    if todo:
        # spawn, not fork: the caller has threads (job workers, boto3), and a forked child can
        # inherit a lock some other thread held and hang.
        with ProcessPoolExecutor(
            max_workers=max(1, jobs), mp_context=multiprocessing.get_context("spawn")
        ) as pool:
            for i, _ in enumerate(pool.map(_render, todo)):
                progress((i + 1) / len(todo), f"drawing dancer {i + 1} of {len(todo)}")
    return paths


def seed(
    data_dir: Path,
    *,
    limit: int | None = None,
    seconds: float | None = None,
    jobs: int = 2,
    progress: Progress | None = None,
) -> dict:
    """Render and ingest the shipped takes that are not in the library yet."""
    progress = progress or (lambda f, m="": None)
    selected = takes()[:limit] if limit else takes()
    have = {r.get("origin") for r in records.scan("sources") if r.get("status") == sources.READY}
    missing = [t for t in selected if t["origin"] not in have]
    started = time.perf_counter()
    paths = render_all(data_dir / "seed", missing, seconds, jobs, lambda f, m: progress(0.4 * f, m))
    rendered_at = time.perf_counter()
    added, rejected = [], []
    for i, t in enumerate(missing):
        progress(0.4 + 0.6 * i / max(len(missing), 1), f"adding {t['cmu_id']} ({t['style']}) to the library")
        try:
            result = sources.ingest_local(
                paths[t["origin"]],
                style=t["style"],
                origin=t["origin"],
                title=f"CMU {t['cmu_id']} — {t.get('cmu_trial_description', t['style'])}",
            )
        except BadInput as exc:  # e.g. a take shorter than one 8-beat move: the others still count
            rejected.append({"take": t["cmu_id"], "error": exc.message})
            continue
        _keep_truth(result["source_id"], paths[t["origin"]])
        added.append(result["source_id"])
    progress(0.97, "adding the shipped songs")
    songs_added = seed_songs()
    progress(1.0, "the default library is ready")
    return {
        "added": added,
        "songs_added": songs_added,
        "rejected": rejected,
        "skipped": len(selected) - len(missing),
        "render_s": round(rendered_at - started, 1),
        "ingest_s": round(time.perf_counter() - rendered_at, 1),
        **sources.stats(),
    }


def seed_songs() -> list[str]:
    """The shipped beat-annotated songs (data/beats), so the first page already offers songs."""
    from .. import songs

    beats = mocap_dir().parent / "beats"
    clips = json.loads((beats / "annotations.json").read_text())["clips"]
    have = songs.origins()
    added = []
    for clip in clips:
        origin = f"shipped:{clip['file']}"
        if origin in have:
            continue
        title = f"{clip['title']} — {clip['author']} ({clip['license'].split(' (')[0]})"
        added.append(songs.add_local(beats / clip["file"], title=title, origin=origin)["id"])
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


def start_if_empty(data_dir: Path) -> dict | None:
    """Queue the seeding job when the library has no source yet (first start of `serve`)."""
    from ..jobs import dispatch

    if any(r.get("status") == sources.READY for r in records.scan("sources")):
        return None
    return dispatch.submit("library.seed", {"data_dir": str(data_dir)}, job_id=SEED_JOB_ID).public()


def seeding_status() -> dict | None:
    """The seeding job as a client sees it, while there is one."""
    from ..errors import NotFound
    from ..jobs import store

    try:
        return store.get(SEED_JOB_ID).public()
    except NotFound:
        return None
