"""Clips and songs for renderer tests and the render bench (mannequin takes, annotated songs)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np

from choleor.mocap.render_take import render_take
from choleor.render import Clip
from choleor.render.floor import floor_line

DATA = Path(__file__).resolve().parents[2] / "data"


def clip_from_take(video: Path, truth: Path, first_beat: int = 1, mirrored: bool = False) -> Clip:
    """8 beats of a rendered take, with dancer boxes from its true keypoints and the floor line
    found in the video, as the renderer's caller finds it."""
    z = np.load(truth)
    keypoints, fps = z["keypoints"], float(z["fps"])
    beats = tuple(float(t) for t in z["beat_times"][first_beat : first_beat + 9])
    if len(beats) != 9:
        raise ValueError(f"{video}: fewer than 9 beats from beat {first_beat}")

    def box(t: float) -> tuple[float, float, float, float]:
        p = keypoints[min(round(t * fps), len(keypoints) - 1)]
        return float(p[:, 0].min()), float(p[:, 1].min()), float(p[:, 0].max()), float(p[:, 1].max())

    heights = keypoints[:, :, 1].max(1) - keypoints[:, :, 1].min(1)
    times = tuple(np.arange(len(keypoints)) / fps)
    return Clip(
        video,
        beats,
        box(beats[0]),
        box(beats[-1]),
        float(np.median(heights)),
        int(z["width"]),
        int(z["height"]),
        fps,
        mirrored,
        duration=len(keypoints) / fps,
        name=video.stem,
        x_track=(times, tuple(keypoints[:, :, 0].min(1)), tuple(keypoints[:, :, 0].max(1))),
        floor_y=floor_line(video),
    )


def take(name: str, folder: Path, seconds: float = 6.0, tint: str | None = None) -> tuple[Path, Path]:
    """Render (once) a shipped mocap take; `tint`: an ffmpeg filter applied to the video."""
    video = folder / f"{name}.mp4"
    rendered = render_take(DATA / "mocap" / f"{name}.bvh", video, seconds=seconds)
    if tint is None:
        return rendered.video_path, rendered.truth_path
    tinted = folder / f"{name}.tinted.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-i",
            str(video),
            "-vf",
            tint,
            "-c:v",
            "libx264",
            "-crf",
            "18",
            "-preset",
            "veryfast",
            "-pix_fmt",
            "yuv420p",
            "-an",
            str(tinted),
        ],
        check=True,
    )
    return tinted, rendered.truth_path


def song_beats(file: str) -> list[float]:
    clips = json.loads((DATA / "beats" / "annotations.json").read_text())["clips"]
    return next(c for c in clips if c["file"] == file)["beats"]
