"""Read video frames through an ffmpeg pipe (raw RGB, one frame in memory).

`frame_range` lets several workers split one long video: each decodes only
from (near) its start, using ffmpeg's accurate input seeking.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

import ffmpeg
import numpy as np

from ..errors import BadInput
from .frames import Frame, I420Frame, RgbFrame, i420_frame_bytes


@dataclass(frozen=True)
class VideoInfo:
    fps: float
    width: int
    height: int
    frame_count: int | None  # as the container states it; may be missing or approximate
    duration: float | None


def _rate(text: str | None) -> float:
    try:
        value = Fraction(text)
    except (TypeError, ValueError, ZeroDivisionError):
        return 0.0
    return float(value)


def _rotation(stream: dict) -> int:
    """Display rotation in degrees; ffmpeg applies it when decoding."""
    for side in stream.get("side_data_list", []):
        if "rotation" in side:
            return int(side["rotation"])
    return int(stream.get("tags", {}).get("rotate", 0))


def probe(path: str) -> VideoInfo:
    """Frame rate and (displayed) size of the first video stream."""
    try:
        info = ffmpeg.probe(str(path))
    except ffmpeg.Error as error:
        detail = error.stderr.decode(errors="replace").strip().splitlines()[-1:] if error.stderr else []
        raise BadInput(f"cannot read {path} as a video: {' '.join(detail) or 'ffprobe failed'}") from None
    stream = next((s for s in info.get("streams", []) if s.get("codec_type") == "video"
                   and not s.get("disposition", {}).get("attached_pic")), None)
    if stream is None:
        raise BadInput(f"{path} has no video stream")
    width, height = int(stream["width"]), int(stream["height"])
    if abs(_rotation(stream)) % 180 == 90:
        width, height = height, width
    fps = _rate(stream.get("avg_frame_rate")) or _rate(stream.get("r_frame_rate"))
    if fps <= 0:
        raise BadInput(f"{path}: cannot tell the video's frame rate")
    frames = stream.get("nb_frames")
    duration = stream.get("duration") or info.get("format", {}).get("duration")
    return VideoInfo(fps, width, height, int(frames) if frames else None,
                     float(duration) if duration else None)


def _raw_frames(path: str, info: VideoInfo, frame_range: tuple[int, int | None] | None,
                threads: int, pix_fmt: str, frame_bytes: int) -> Iterator[np.ndarray]:
    """Flat uint8 buffers of frames [start, end) from an ffmpeg pipe."""
    start, end = frame_range if frame_range else (0, None)
    if start < 0 or (end is not None and end < start):
        raise ValueError(f"bad frame range {frame_range}")
    if end == start:
        return
    input_args = {"threads": threads}
    if start > 0:
        # Accurate seek; half a frame early so rounding cannot drop the first wanted frame.
        input_args["ss"] = f"{(start - 0.5) / info.fps:.6f}"
    output_args = {"format": "rawvideo", "pix_fmt": pix_fmt, "vsync": "passthrough"}
    if end is not None:
        output_args["frames:v"] = end - start
    stream = ffmpeg.input(str(path), **input_args).output("pipe:", **output_args)
    process = subprocess.Popen(
        stream.global_args("-loglevel", "error", "-nostdin").compile(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        while True:
            data = process.stdout.read(frame_bytes)
            if len(data) < frame_bytes:
                break
            yield np.frombuffer(data, np.uint8)
    finally:
        process.stdout.close()
        if process.poll() is None:
            process.kill()
        stderr = process.stderr.read().decode(errors="replace").strip()
        process.stderr.close()
        code = process.wait()
    if code != 0 and stderr:
        raise BadInput(f"cannot decode {path}: {stderr.splitlines()[-1]}")


def read_frames(path: str, info: VideoInfo | None = None,
                frame_range: tuple[int, int | None] | None = None,
                threads: int = 1) -> Iterator[np.ndarray]:
    """Yield RGB frames (H, W, 3) uint8 in order, for frames [start, end).

    The range counts frames from the start at the stream's frame rate;
    `end` None means to the end. `threads` bounds ffmpeg's decoder threads.
    """
    info = info or probe(path)
    shape = (info.height, info.width, 3)
    for data in _raw_frames(path, info, frame_range, threads, "rgb24", int(np.prod(shape))):
        yield data.reshape(shape)


def read_video_frames(path: str, info: VideoInfo | None = None,
                      frame_range: tuple[int, int | None] | None = None,
                      threads: int = 1) -> Iterator[Frame]:
    """Like read_frames, but yields tracker frames, I420 when the size allows
    (cheaper to decode and to crop from)."""
    info = info or probe(path)
    if info.width % 2 or info.height % 2:
        for pixels in read_frames(path, info, frame_range, threads):
            yield RgbFrame(pixels)
        return
    size = i420_frame_bytes(info.width, info.height)
    for data in _raw_frames(path, info, frame_range, threads, "yuv420p", size):
        yield I420Frame(data, info.width, info.height)
