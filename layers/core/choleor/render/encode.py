"""ffmpeg encoding: raw I420 frames in, H.264 (+ AAC) MP4 out, never half-written.

Frames arrive as flat I420 buffers (yuv420p, what x264 encodes), so ffmpeg
converts nothing. Full renders and progressive pieces use the same x264 arguments, and every
encode starts on an IDR frame with closed GOPs (x264's default, made explicit),
so pieces can be joined by stream copy.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import ffmpeg
import numpy as np

from ..errors import BadInput, NotFound
from .plan import RenderSettings


def video_args(settings: RenderSettings) -> dict:
    return {
        "vcodec": "libx264",
        "pix_fmt": "yuv420p",
        "preset": settings.preset,
        "crf": settings.crf,
        "x264-params": "open-gop=0",
        "threads": settings.threads,
    }


def audio_input(path: str | Path, start: float, end: float):
    """The song's [start, end] with an exact input seek (ffmpeg decodes up to the sample)."""
    if not Path(path).is_file():
        raise NotFound(f"song audio not found: {path}")
    return ffmpeg.input(str(path), ss=f"{start:.6f}", t=f"{end - start:.6f}", accurate_seek=None)


def audio_args(settings: RenderSettings) -> dict:
    return {"acodec": "aac", "audio_bitrate": settings.audio_bitrate}


@contextmanager
def atomic_output(out_path: str | Path) -> Iterator[Path]:
    """A temporary name beside `out_path`, renamed onto it only if the block succeeds."""
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    try:
        yield partial
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


def run(stream, what: str) -> None:
    """Run an ffmpeg-python graph to completion; BadInput with ffmpeg's last words on failure."""
    args = stream.global_args("-loglevel", "error", "-nostdin").overwrite_output().compile()
    done = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if done.returncode != 0:
        raise BadInput(f"ffmpeg failed {what}: {_last_line(done.stderr)}")


def _last_line(stderr: bytes) -> str:
    lines = stderr.decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else "no message"


class FrameEncoder:
    """Feed I420 frames ((H * 3/2, W) uint8) with write(); close() finishes the file.
    Use through `encoder()`."""

    def __init__(self, path: Path, settings: RenderSettings, audio=None):
        video = ffmpeg.input(
            "pipe:",
            format="rawvideo",
            pix_fmt="yuv420p",
            s=f"{settings.width}x{settings.height}",
            r=settings.fps,
        )
        streams = [video] if audio is None else [video, audio]
        extra = {} if audio is None else audio_args(settings)
        stream = ffmpeg.output(
            *streams, str(path), format="mp4", movflags="+faststart", **video_args(settings), **extra
        )
        args = stream.global_args("-loglevel", "error", "-nostdin").overwrite_output().compile()
        self._stderr = tempfile.TemporaryFile()  # a file, not a pipe: ffmpeg can never block on it
        self._process = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._stderr
        )
        _widen_pipe(self._process.stdin)
        self._shape = (settings.height * 3 // 2, settings.width)
        self.frames = 0

    def write(self, frame: np.ndarray) -> None:
        assert frame.shape == self._shape and frame.dtype == np.uint8, frame.shape
        try:
            self._process.stdin.write(np.ascontiguousarray(frame).data)
        except BrokenPipeError:
            self.close()  # raises with ffmpeg's message
            raise
        self.frames += 1

    def close(self) -> None:
        if not self._process.stdin.closed:
            self._process.stdin.close()
        code = self._process.wait()
        self._stderr.seek(0)
        message = self._stderr.read()
        self._stderr.close()
        if code != 0:
            raise BadInput(f"ffmpeg failed encoding: {_last_line(message)}")

    def abort(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        self._stderr.close()


def _widen_pipe(pipe) -> None:
    """Let a whole frame or so sit in the pipe (Linux; 64 KiB by default), so the
    renderer and ffmpeg wait on each other less and switch less often."""
    try:
        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except OSError:
        pass  # a smaller limit (fs.pipe-max-size) only costs speed


@contextmanager
def encoder(out_path: str | Path, settings: RenderSettings, audio=None) -> Iterator[FrameEncoder]:
    """An encoder writing to a temporary name; the result replaces `out_path` only when complete."""
    with atomic_output(out_path) as partial:
        enc = FrameEncoder(partial, settings, audio)
        try:
            yield enc
        except BaseException:
            enc.abort()
            raise
        enc.close()
