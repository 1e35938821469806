"""Probe and read video frames: in-process with PyAV (I420 for the tracker),
or through an ffmpeg pipe (raw RGB, and the streams PyAV would get wrong).

Decoding 720p H.264 in-process costs under half of what the ffmpeg pipe did
on the same core (no second process, no copy through a 64 KiB pipe, the
decoder's planes used as they are), which matters next to a ~9 ms pose model;
probing in-process takes a few ms instead of ffprobe's ~60. PyAV does not
apply a stream's display matrix (rotation, flips) as the ffmpeg CLI does,
nor convert other pixel formats as the CLI's scaler would, so those streams
keep the pipe and come out as before. Either way one frame is held at a time.

`frame_range` lets several workers split one long video: each decodes only
from (near) its start, seeking as ffmpeg's accurate input seeking does.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

import av
import ffmpeg
import numpy as np
from av.sidedata.sidedata import Type

from ..errors import BadInput
from .frames import Frame, I420Frame, RgbFrame, i420_frame_bytes

IDENTITY_MATRIX = (65536, 0, 0, 0, 65536, 0, 0, 0, 1 << 30)  # a display matrix that changes nothing
# ffmpeg's CLI seeks this much earlier when frames are reordered (B-frames), so
# the keyframe it lands on is at or before the first wanted frame.
SEEK_MARGIN = 3 / 23


@dataclass(frozen=True)
class VideoInfo:
    fps: float
    width: int
    height: int
    frame_count: int | None  # as the container states it; may be missing or approximate
    duration: float | None
    pix_fmt: str | None = None  # the decoder's pixel format
    transformed: bool = False  # a display matrix (rotation, flip) ffmpeg applies when decoding


def _rate(value: Fraction | str | None) -> float:
    try:
        return float(Fraction(value))
    except (TypeError, ValueError, ZeroDivisionError):
        return 0.0


def _video_stream(container: av.container.InputContainer) -> av.VideoStream | None:
    """The first video stream that is not cover art."""
    return next(
        (s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic), None
    )


def _decoded(container: av.container.InputContainer, stream: av.VideoStream) -> Iterator[av.VideoFrame]:
    """Frames in presentation order; a packet the decoder rejects is skipped, as the ffmpeg CLI does."""
    for packet in container.demux(stream):
        try:
            frames = stream.decode(packet)
        except av.InvalidDataError:
            continue
        yield from frames


def _display_transform(container: av.container.InputContainer, stream: av.VideoStream) -> tuple[int, bool]:
    """(rotation in degrees, whether ffmpeg would turn or flip the picture).

    PyAV shows the stream's display matrix only on decoded frames, so this
    decodes the first one (a few ms, against ~60 ms for running ffprobe)."""
    stream.codec_context.thread_count = 1  # one frame: threads would only cost start-up
    try:
        frame = next(_decoded(container, stream), None)
    except av.FFmpegError:
        frame = None
    side = frame.side_data.get(Type.DISPLAYMATRIX) if frame is not None else None
    if side is None:
        return 0, False
    matrix = tuple(int(v) for v in np.frombuffer(bytes(side), np.int32))
    return int(round(frame.rotation)), matrix != IDENTITY_MATRIX


def _duration(container: av.container.InputContainer, stream: av.VideoStream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    return container.duration / av.time_base if container.duration is not None else None


def probe(path: str) -> VideoInfo:
    """Frame rate and (displayed) size of the first video stream that is not cover art."""
    try:
        container = av.open(str(path))
    except av.FFmpegError as error:
        raise BadInput(f"cannot read {path} as a video: {error.strerror or error}") from None
    with container:
        stream = _video_stream(container)
        if stream is None:
            raise BadInput(f"{path} has no video stream")
        fps = _rate(stream.average_rate) or _rate(stream.base_rate)
        if fps <= 0:
            raise BadInput(f"{path}: cannot tell the video's frame rate")
        codec = stream.codec_context
        width, height = codec.width, codec.height
        pix_fmt = codec.format.name if codec.format is not None else None
        frames, duration = stream.frames or None, _duration(container, stream)
        rotation, transformed = _display_transform(container, stream)
    if abs(rotation) % 180 == 90:
        width, height = height, width
    return VideoInfo(fps, width, height, frames, duration, pix_fmt=pix_fmt, transformed=transformed)


def _check_range(frame_range: tuple[int, int | None] | None) -> tuple[int, int | None]:
    start, end = frame_range if frame_range else (0, None)
    if start < 0 or (end is not None and end < start):
        raise ValueError(f"bad frame range {frame_range}")
    return start, end


def _raw_frames(
    path: str,
    info: VideoInfo,
    frame_range: tuple[int, int | None] | None,
    threads: int,
    pix_fmt: str,
    frame_bytes: int,
) -> Iterator[np.ndarray]:
    """Flat uint8 buffers of frames [start, end) from an ffmpeg pipe."""
    start, end = _check_range(frame_range)
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
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
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


def _open_video(path: str, threads: int) -> tuple[av.container.InputContainer, av.VideoStream]:
    """The container and its first video stream that is not cover art, set up to decode."""
    container = av.open(str(path))
    stream = _video_stream(container)
    if stream is None:
        container.close()
        raise BadInput(f"{path} has no video stream")
    stream.codec_context.thread_count = threads
    stream.codec_context.thread_type = "AUTO" if threads > 1 else "SLICE"  # as the ffmpeg CLI
    return container, stream


def _i420(frame: av.VideoFrame) -> I420Frame:
    """The decoded picture as an I420Frame over PyAV's planes (no copy)."""
    if frame.format.name != "yuv420p":  # the stream changed format midway: convert
        return I420Frame(frame.to_ndarray(format="yuv420p"), frame.width, frame.height)
    planes = (np.frombuffer(p, np.uint8).reshape(p.height, p.line_size)[:, : p.width] for p in frame.planes)
    return I420Frame.from_planes(*planes)


def _av_frames(
    path: str, info: VideoInfo, frame_range: tuple[int, int | None] | None, threads: int
) -> Iterator[I420Frame]:
    """I420 frames [start, end), decoded in this process.

    Frames before start's time (less half a frame, as the pipe) are decoded and
    dropped, as ffmpeg's accurate seek does; the range's end is a frame count."""
    start, end = _check_range(frame_range)
    if end == start:
        return
    try:
        container, stream = _open_video(path, threads)
    except av.FFmpegError as error:
        raise BadInput(f"cannot decode {path}: {error}") from None
    try:
        origin = (container.start_time or 0) / av.time_base
        first = origin + (start - 0.5) / info.fps if start > 0 else None
        if first is not None and first - SEEK_MARGIN > origin:
            container.seek(int((first - SEEK_MARGIN) * av.time_base))
        left = None if end is None else end - start
        for frame in _decoded(container, stream):
            if first is not None and frame.time is not None and frame.time < first:
                continue
            yield _i420(frame)
            if left is not None:
                left -= 1
                if left == 0:
                    return
    except av.FFmpegError as error:
        raise BadInput(f"cannot decode {path}: {error}") from None
    finally:
        container.close()


def key_pictures(path: str, limit: int = 5, info: VideoInfo | None = None) -> list[np.ndarray]:
    """Luma (H, W) of up to `limit` keyframes spread over the video: only intra frames are
    decoded, so a look at the whole video costs a few pictures. (A stream with a display
    matrix is read through the ffmpeg pipe, one frame per sample.)"""
    info = info or probe(path)
    if info.transformed or info.pix_fmt is None:
        count = info.frame_count or max(1, int((info.duration or 1.0) * info.fps))
        picks = sorted({int(i) for i in np.linspace(0, count - 1, limit + 2)[1:-1].round()})
        out = []
        for i in picks:
            for rgb in read_frames(path, info, (i, i + 1)):
                out.append((rgb @ np.array([0.299, 0.587, 0.114], np.float32)).astype(np.uint8))
        return out
    try:
        container, stream = _open_video(path, 1)
    except av.FFmpegError as error:
        raise BadInput(f"cannot decode {path}: {error}") from None
    try:
        stream.codec_context.skip_frame = "NONKEY"
        keys = [frame.to_ndarray(format="gray") for frame in _decoded(container, stream)]
    except av.FFmpegError as error:
        raise BadInput(f"cannot decode {path}: {error}") from None
    finally:
        container.close()
    if len(keys) <= limit:
        return keys
    return [keys[int(i)] for i in np.linspace(0, len(keys) - 1, limit).round()]


def read_frames(
    path: str,
    info: VideoInfo | None = None,
    frame_range: tuple[int, int | None] | None = None,
    threads: int = 1,
) -> Iterator[np.ndarray]:
    """Yield RGB frames (H, W, 3) uint8 in order, for frames [start, end), via ffmpeg.

    The range counts frames from the start at the stream's frame rate;
    `end` None means to the end. `threads` bounds ffmpeg's decoder threads.
    """
    info = info or probe(path)
    shape = (info.height, info.width, 3)
    for data in _raw_frames(path, info, frame_range, threads, "rgb24", int(np.prod(shape))):
        yield data.reshape(shape)


def in_process(info: VideoInfo) -> bool:
    """Whether PyAV decodes the stream to the same I420 frames as the ffmpeg CLI would."""
    return info.pix_fmt == "yuv420p" and not info.transformed


def read_video_frames(
    path: str,
    info: VideoInfo | None = None,
    frame_range: tuple[int, int | None] | None = None,
    threads: int = 1,
) -> Iterator[Frame]:
    """Like read_frames, but yields tracker frames, I420 when the size allows
    (cheaper to decode and to crop from), decoded in-process when PyAV can."""
    info = info or probe(path)
    if info.width % 2 or info.height % 2:
        for pixels in read_frames(path, info, frame_range, threads):
            yield RgbFrame(pixels)
        return
    if in_process(info):
        yield from _av_frames(path, info, frame_range, threads)
        return
    size = i420_frame_bytes(info.width, info.height)
    for data in _raw_frames(path, info, frame_range, threads, "yuv420p", size):
        yield I420Frame(data, info.width, info.height)
