"""Draw the plan's frames and encode them: the whole choreography with its music.

Frames are drawn as I420 (the decoder's and the encoder's format): each
visible piece drawn through its affine (warp.py), a weighted sum at crossfades.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..pose.video import VideoInfo
from .encode import audio_input, encoder
from .frames import ClipReader, frame_span, open_source
from .plan import RenderPlan
from .warp import Canvas

Progress = Callable[[int, int], None]  # (frames done, frames in all)


@dataclass(frozen=True)
class RenderResult:
    output: Path
    duration: float  # s of video
    frames: int
    cuts: tuple[float, ...]  # output s of the video cuts inside this file
    seconds: float  # wall time of the render


def check_sources(plan: RenderPlan, pieces: set[int]) -> dict[int, VideoInfo]:
    """Probe every needed clip before anything is written (NotFound names the clip)."""
    infos: dict[str, VideoInfo] = {}
    out = {}
    for k in sorted(pieces):
        clip = plan.pieces[k].clip
        key = str(clip.path)
        if key not in infos:
            infos[key] = open_source(clip.path, f"{clip.label} (piece {k})", clip.width, clip.height)
        out[k] = infos[key]
    return out


def pieces_in(plan: RenderPlan, frames: range) -> set[int]:
    return {layer.piece for i in frames for layer in plan.layers[i]}


def draw_frames(plan: RenderPlan, frames: range, infos: dict[int, VideoInfo]) -> Iterator[np.ndarray]:
    """Output frames as flat I420 buffers, in order; each piece's decoder lives only while it is visible.

    The yielded buffer is reused: consume it before asking for the next frame.
    """
    s = plan.settings
    times: dict[int, list[float]] = {}  # per piece, the source times it shows within `frames`
    last_use: dict[int, int] = {}
    for i in frames:
        for layer in plan.layers[i]:
            times.setdefault(layer.piece, []).append(layer.source_time)
            last_use[layer.piece] = i
    canvases = Canvas(s.width, s.height), Canvas(s.width, s.height)
    readers: dict[int, ClipReader] = {}
    try:
        for i in frames:
            layers = plan.layers[i]
            for layer, canvas in zip(layers, canvases):
                reader = readers.get(layer.piece)
                if reader is None:
                    clip = plan.pieces[layer.piece].clip
                    span = frame_span(np.array(times[layer.piece]), infos[layer.piece])
                    reader = readers[layer.piece] = ClipReader(
                        clip.path, infos[layer.piece], span, clip.label
                    )
                canvas.draw(reader.at(layer.source_time), layer.matrix)
                if last_use[layer.piece] == i:
                    readers.pop(layer.piece).close()
            if len(layers) == 2:  # a crossfade: the two weights sum to 1
                a, b = canvases
                cv2.addWeighted(a.data, layers[0].weight, b.data, layers[1].weight, 0.0, dst=a.data)
            yield canvases[0].data
    finally:
        for reader in readers.values():
            reader.close()


def encode_frames(
    plan: RenderPlan, frames: range, out_path: str | Path, audio, progress: Progress | None
) -> RenderResult:
    """Draw `frames` of the plan into out_path (atomically), with `audio` muxed in if given."""
    started = time.perf_counter()
    infos = check_sources(plan, pieces_in(plan, frames))
    fps = plan.settings.fps
    with encoder(out_path, plan.settings, audio) as enc:
        for done, frame in enumerate(draw_frames(plan, frames, infos), 1):
            enc.write(frame)
            if progress is not None:
                progress(done, len(frames))
    first, end = frames.start / fps, frames.stop / fps
    cuts = tuple(float(c) for c in plan.cuts[1:-1] if first <= c < end)
    return RenderResult(Path(out_path), len(frames) / fps, len(frames), cuts, time.perf_counter() - started)


def render_video(plan: RenderPlan, out_path: str | Path, progress: Progress | None = None) -> RenderResult:
    """The whole choreography: H.264 + the song's interval as AAC, written atomically to out_path."""
    audio = audio_input(plan.song_audio_path, *plan.interval)
    return encode_frames(plan, range(plan.frame_count), out_path, audio, progress)
