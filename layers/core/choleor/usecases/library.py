"""The dance library: add videos (admin key), read sources and moves, build the default library."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import BadInput
from ..library import sources
from ..storage import memo


def check_admin(key: str | None) -> None:
    """403 unless `key` is the library's admin key (before anything else is said to the caller)."""
    sources.check_admin(key)


def create_source(filename: str, key: str | None, **details) -> dict:
    """A dance-source record and where to upload its video (needs the admin key).

    `details`: the file's `size` in bytes, the dance `style`, a `title` (all optional).
    """
    return sources.create(filename, key, **details)


def ingest_source(source_id: str, key: str | None) -> dict:
    """Check the uploaded video and start its ingest; returns the job."""
    return sources.start_ingest(source_id, key).public()


def source(source_id: str) -> dict:
    return sources.view(source_id)


def list_sources() -> list[dict]:
    return sources.list_sources()


def list_moves(source_id: str | None = None) -> list[dict]:
    return sources.list_moves(source_id)


def move(move_id: str) -> dict:
    return sources.get_move(move_id)


@memo.remembered(("sources", "jobs", "library"), seconds=1.0)
def stats() -> dict:
    """Counts of the library, its moves per 10 BPM, the default library's seeding job while
    there is one, and how long the default library took to build."""
    from ..library import catalog, seed  # the numpy stack

    return {
        **sources.stats(),
        "tempo_histogram": catalog.tempo_histogram(),
        "seeding": seed.seeding_status(),
        "build": seed.build_info(),
    }


def ingest_file(path: str | Path, style: str = "unknown", title: str | None = None) -> dict:
    """Add a video from this machine: upload it, then run its ingest here."""
    return sources.ingest_local(path, style=style, title=title)


def seed(
    data: Path,
    limit: int | None = None,
    seconds: float | None = None,
    jobs: int = 2,
    progress: Callable[[float, str], None] | None = None,
) -> dict:
    """Render the shipped dance takes and ingest those not in the library yet."""
    from ..library import seed as default_library  # the numpy stack

    return default_library.seed(data, limit=limit, seconds=seconds, jobs=jobs, progress=progress)


def pose_accuracy() -> list[dict]:
    """The pose model's error on the seeded takes, against their true joints."""
    from ..library import seed as default_library  # the numpy stack

    return default_library.pose_accuracy()


def poses(
    video: str | Path,
    out: str | Path,
    variant: str = "full",
    frame_range: tuple[int, int | None] | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> dict:
    """The dancer's pose in every frame of a video file, written to an .npz file; no storage."""
    from ..pose.estimate import estimate_video, save_npz  # the numpy stack

    video, out = Path(video), Path(out)
    if not video.is_file():
        raise BadInput(f"no such file: {video}")
    if out.suffix != ".npz":
        out = out.with_suffix(".npz")
    track = estimate_video(video, variant=variant, frame_range=frame_range, progress=progress)
    save_npz(track, out)
    return {
        "output": str(out),
        "frames": len(track.keypoints),
        "fps": track.fps,
        "found": int(track.present.sum()),
    }
