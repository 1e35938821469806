"""Source frames for retimed lookups: one forward-only ffmpeg decode per piece.

A piece asks for non-decreasing source times, so a reader seeks once to the
first frame it needs, decodes forward only as far as the last one, and keeps
just the current frame and the one before it (bounded memory). Frames stay in
the decoder's I420 (planar YUV 4:2:0): warping three planes costs a third of
warping RGB, and the encoder takes I420 without converting. A thread per reader
keeps a few frames decoded ahead, so drawing never waits on a decoder that a
64 KiB pipe had stalled.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..errors import BadInput, NotFound
from ..pose.frames import Frame
from ..pose.video import VideoInfo, probe, read_video_frames


def open_source(path: str | Path, label: str, width: int, height: int) -> VideoInfo:
    """Probe a clip's video; a clear error if it is missing or not the size the clip states."""
    if not Path(path).is_file():
        raise NotFound(f"source video of clip {label} not found: {path}")
    info = probe(str(path))
    if (info.width, info.height) != (width, height):
        raise BadInput(
            f"clip {label}: the video is {info.width}x{info.height}, the clip says {width}x{height}"
        )
    return info


def frame_span(times: np.ndarray, info: VideoInfo) -> tuple[int, int]:
    """First and last source frame index needed to show `times` (s)."""
    positions = np.asarray(times, float) * info.fps
    first, last = int(np.rint(positions.min())), int(np.rint(positions.max()))
    if info.frame_count:
        last = min(last, info.frame_count - 1)
        first = min(first, last)
    return max(first, 0), max(last, 0)


class ClipReader:
    """Frames of one source for non-decreasing times; holds the last frame past the end."""

    def __init__(self, path: str | Path, info: VideoInfo, span: tuple[int, int], label: str):
        self._fps, self._label = info.fps, label
        self._first, self._last = span
        self._frames = Prefetch(read_video_frames(str(path), info, (self._first, self._last + 1)))
        self._index = self._first - 1  # index of self._current
        self._current: Frame | None = None

    def _advance(self, index: int) -> None:
        while self._index < min(index, self._last):
            frame = next(self._frames, None)
            if frame is None:  # the video ended early: keep showing its last frame
                self._last = self._index
                break
            self._current = frame
            self._index += 1
        if self._current is None:
            raise BadInput(f"clip {self._label}: no video frame at or after frame {self._first}")

    def at(self, time: float) -> Frame:
        """The frame shown at source `time` (s): the nearest one."""
        self._advance(int(round(max(time * self._fps, 0.0))))
        return self._current

    def close(self) -> None:
        self._frames.close()


class Prefetch:
    """Iterate `items` in a background thread, at most `depth` items ahead (bounded memory).

    The iterator is only touched by its thread, which also closes it; errors are
    re-raised in the consumer."""

    _END = object()

    def __init__(self, items: Iterator, depth: int = 3):
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(items,), daemon=True)
        self._thread.start()
        self._done = False

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, items: Iterator) -> None:
        try:
            for item in items:
                if not self._put(item):
                    break
            self._put(self._END)
        except BaseException as error:  # handed to the consumer
            self._put(error)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    def __iter__(self):
        return self

    def __next__(self):
        if self._done:
            raise StopIteration
        item = self._queue.get()
        if item is self._END:
            self._done = True
            raise StopIteration
        if isinstance(item, BaseException):
            self._done = True
            raise item
        return item

    def close(self) -> None:
        self._stop.set()
        while self._thread.is_alive():
            try:
                self._queue.get(timeout=0.1)
            except queue.Empty:
                pass
        self._done = True
