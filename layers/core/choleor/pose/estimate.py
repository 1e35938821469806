"""Pose track of a whole video (or a frame range of it): the public entry point."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import BadInput
from .frames import Frame
from .model import load_models
from .tracker import PoseTracker
from .video import probe, read_video_frames

Progress = Callable[[int, int | None], None]  # (frames done, frames expected or None)


@dataclass
class PoseTrack:
    """Per-frame COCO-17 pose of the dancer, in image pixels."""

    keypoints: np.ndarray  # (F, 17, 2) float32 x, y; zeros where not present
    scores: np.ndarray  # (F, 17) float32 per-keypoint visibility in [0, 1]
    present: np.ndarray  # (F,) bool: a person was found on the frame
    boxes: np.ndarray  # (F, 4) float32 x0, y0, x1, y1
    fps: float
    width: int
    height: int
    start_frame: int = 0  # index of keypoints[0] in the source video

    def __len__(self) -> int:
        return len(self.present)


def estimate_frames(
    frames: Iterable[np.ndarray | Frame],
    *,
    fps: float = 30.0,
    variant: str = "full",
    threads: int = 1,
    smooth: bool = True,
    progress: Progress | None = None,
    expected: int | None = None,
) -> PoseTrack:
    """Pose of every frame of one continuous clip: RGB arrays (H, W, 3) uint8
    (or decoded Frame objects from video.read_video_frames)."""
    tracker = PoseTracker(load_models(variant, threads), fps, smooth=smooth)
    keypoints, scores, present, boxes = [], [], [], []
    width = height = 0
    for frame in frames:
        pose = tracker.step(frame)
        width, height = tracker.frame_size
        keypoints.append(pose.keypoints)
        scores.append(pose.scores)
        present.append(pose.present)
        boxes.append(pose.box)
        if progress is not None:
            progress(len(present), expected)
    return PoseTrack(
        keypoints=np.asarray(keypoints, np.float32).reshape(-1, 17, 2),
        scores=np.asarray(scores, np.float32).reshape(-1, 17),
        present=np.asarray(present, bool),
        boxes=np.asarray(boxes, np.float32).reshape(-1, 4),
        fps=float(fps),
        width=width,
        height=height,
    )


def estimate_video(
    path: str | Path,
    *,
    variant: str = "full",
    frame_range: tuple[int, int | None] | None = None,
    progress: Progress | None = None,
    threads: int = 1,
) -> PoseTrack:
    """Pose track of a video file, or of its frames [start, end).

    Raises BadInput when the file has no video stream, no frames in the
    range, or no person on any frame.
    """
    info = probe(str(path))
    start = frame_range[0] if frame_range else 0
    end = frame_range[1] if frame_range else None
    expected = None
    if info.frame_count is not None:
        expected = (min(end, info.frame_count) if end is not None else info.frame_count) - start
    frames = read_video_frames(str(path), info, frame_range, threads=threads)
    track = estimate_frames(
        frames, fps=info.fps, variant=variant, threads=threads, progress=progress, expected=expected
    )
    track.width, track.height, track.start_frame = info.width, info.height, start
    if len(track) == 0:
        raise BadInput(
            f"{Path(path).name}: no frames to read" + (f" in {frame_range}" if frame_range else "")
        )
    if not track.present.any():
        raise BadInput(f"{Path(path).name}: no person found in the video")
    return track


def save_npz(track: PoseTrack, path: str | Path) -> None:
    """Write the track as arrays keypoints, scores, fps, present, boxes, width, height, start_frame."""
    np.savez_compressed(
        path,
        keypoints=track.keypoints,
        scores=track.scores,
        fps=np.float64(track.fps),
        present=track.present,
        boxes=track.boxes,
        width=np.int64(track.width),
        height=np.int64(track.height),
        start_frame=np.int64(track.start_frame),
    )


def load_npz(path: str | Path) -> PoseTrack:
    with np.load(path) as data:
        return PoseTrack(
            keypoints=data["keypoints"],
            scores=data["scores"],
            present=data["present"],
            boxes=data["boxes"],
            fps=float(data["fps"]),
            width=int(data["width"]),
            height=int(data["height"]),
            start_frame=int(data["start_frame"]),
        )
