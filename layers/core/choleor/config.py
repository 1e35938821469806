"""Settings read from the environment, with local defaults.

The same names are set by `template.yaml` on AWS, by `choleor serve` for the
local stack, and by the edge component on the Pi, so one code path serves all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# Logical table name -> environment variable holding the physical name.
# The default physical name is the logical id in template.yaml, which is what
# the local stack creates.
TABLES = {
    "songs": ("CHOLEOR_TABLE_SONGS", "SongsTable"),
    "sources": ("CHOLEOR_TABLE_SOURCES", "SourcesTable"),
    "moves": ("CHOLEOR_TABLE_MOVES", "MovesTable"),
    "choreographies": ("CHOLEOR_TABLE_CHOREOGRAPHIES", "ChoreographiesTable"),
    "jobs": ("CHOLEOR_TABLE_JOBS", "JobsTable"),
}
BUCKET_ENV = ("CHOLEOR_BUCKET", "choleor-media")

# Every variable the core reads; template.yaml's tests check they are set there.
ENV_VARS = sorted(
    [v for v, _ in TABLES.values()]
    + [
        BUCKET_ENV[0],
        "CHOLEOR_JOB_DISPATCH",
        "CHOLEOR_JOB_FUNCTION_PREFIX",
        "CHOLEOR_ADMIN_KEY",
        "CHOLEOR_CACHE",
    ]
)


def repo_root() -> Path | None:
    """The checkout this package runs from, if it runs from one (editable install)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "template.yaml").is_file() and (parent / "layers").is_dir():
            return parent
    return None


def table_name(logical: str) -> str:
    env, default = TABLES[logical]
    return os.environ.get(env, default)


def bucket_name() -> str:
    return os.environ.get(BUCKET_ENV[0], BUCKET_ENV[1])


def data_dir(override: str | os.PathLike | None = None) -> Path:
    """The one data directory shared by `serve` and every CLI command."""
    if override:
        return Path(override).expanduser().resolve()
    if os.environ.get("CHOLEOR_DATA"):
        return Path(os.environ["CHOLEOR_DATA"]).expanduser().resolve()
    root = repo_root()
    return (root / ".choleor") if root else Path.home() / ".choleor"


@dataclass(frozen=True)
class Limits:
    """Upload limits; overridable so a studio can accept longer sets."""

    max_upload_bytes: int = int(os.environ.get("CHOLEOR_MAX_UPLOAD_BYTES", 50 * 2**20))
    max_song_seconds: float = float(os.environ.get("CHOLEOR_MAX_SONG_SECONDS", 600))
    max_video_bytes: int = int(os.environ.get("CHOLEOR_MAX_VIDEO_BYTES", 500 * 2**20))
    max_video_seconds: float = float(os.environ.get("CHOLEOR_MAX_VIDEO_SECONDS", 900))


def pose_variant() -> str:
    """BlazePose model for ingest: "full" (default) or "lite" (the Raspberry Pi's default)."""
    variant = os.environ.get("CHOLEOR_POSE_VARIANT", "full")
    return variant if variant in ("full", "lite") else "full"


def admin_key() -> str | None:
    """Key required to add dance sources; unset means the library is closed."""
    return os.environ.get("CHOLEOR_ADMIN_KEY") or None
