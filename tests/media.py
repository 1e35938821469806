"""Test media made on the fly (never committed): mannequin dance videos and oddities."""

from __future__ import annotations

import subprocess
from functools import cache
from pathlib import Path

from tests.paths import DATA

TAKES = {
    "salsa": "cmu60_10_salsa_daz.bvh",
    "indian": "cmu94_07_indian-dance_daz.bvh",
    "modern": "cmu05_20_modern-dance_mb.bvh",
}


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


@cache
def _render(take: str, seconds: float, out_dir: str) -> Path:
    from choleor.mocap.render_take import render_take

    out = Path(out_dir) / f"{take}-{seconds:g}s.mp4"
    if not out.exists():
        render_take(DATA / "mocap" / TAKES[take], out, seconds=seconds)
    return out


def dance_video(out_dir: Path, take: str = "salsa", seconds: float = 12.0) -> Path:
    """A rendered mannequin dancing a real mocap take, with music at its tempo."""
    return _render(take, seconds, str(out_dir))


def without_audio(video: Path, out: Path) -> Path:
    ffmpeg("-i", str(video), "-an", "-c:v", "copy", str(out))
    return out


def nobody_dancing(out: Path, seconds: float = 12.0) -> Path:
    """An empty room with music."""
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"color=c=0x8899aa:s=640x360:r=30:d={seconds}",
        "-i",
        str(DATA / "beats" / "h2_tr808kit_demo_x2.flac"),
        "-t",
        str(seconds),
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
        str(out),
    )
    return out


def lying_mp3(out: Path, loud_seconds: float = 20, quiet_seconds: float = 7200) -> Path:
    """An mp3 whose header understates its length: 20 s at 160 kb/s, then 2 hours at 8 kb/s.

    Without a Xing header ffprobe estimates the length from the first frames' bit rate, so the
    7.6 MB file probes as about 6 minutes and decodes to 2 hours.
    """
    loud, quiet = out.with_suffix(".a.mp3"), out.with_suffix(".b.mp3")
    common = ["-ac", "1", "-write_xing", "0", "-id3v2_version", "0"]
    ffmpeg(
        "-f", "lavfi", "-i", f"sine=frequency=440:duration={loud_seconds}", "-b:a", "160k", *common, str(loud)
    )
    ffmpeg(
        "-f", "lavfi", "-i", f"sine=frequency=220:duration={quiet_seconds}",
        "-ar", "8000", "-b:a", "8k", *common, str(quiet),
    )  # fmt: skip
    out.write_bytes(loud.read_bytes() + quiet.read_bytes())
    loud.unlink()
    quiet.unlink()
    return out
