"""What to draw in every output frame: the render plan.

`build_plan` is pure arithmetic (no file is opened): per output frame it lists
the visible pieces with their blend weight, the source time to show and the
source->output affine. Output time 0 is the interval start (= first segment start).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..errors import BadInput
from .align import (
    Box,
    CutCorrection,
    Framing,
    base_framing,
    cut_correction,
    ease_out_amount,
    follow_dancer,
    matrix_scale,
    transform_box,
)
from .timing import crossfade_length, incoming_weights, retime

MAX_CROSSFADE_BEATS = 4.0  # half a segment: fades of neighbouring cuts can never overlap
# How one move gives way to the next: a hard cut on the beat (a stage mix's cross-edit), or a
# soft half-beat crossfade centred on the beat. The value is the crossfade length in beats.
CUT_STYLES = {"hard": 0.0, "soft": 0.5}


@dataclass(frozen=True)
class Clip:
    """An 8-beat move in a source video."""

    path: str | Path
    beats: tuple[float, ...]  # 9 source times (s): the move's 8 beats and its end
    box_start: Box  # dancer box (x0, y0, x1, y1) in source px at beats[0]
    box_end: Box  # ... at beats[8]
    body_height: float  # median dancer box height, source px
    width: int
    height: int
    fps: float
    mirrored: bool = False
    duration: float | None = None  # source length (s), to clamp retimed times; None: decode clamps
    name: str = ""  # for messages; the file name when empty
    # the dancer's box sides over source time: (times, lefts, rights) in source px; a following
    # frame (tall shapes) pans with them
    x_track: tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]] | None = field(
        default=None, repr=False
    )
    floor_y: float | None = None  # source y of the floor line (floor meets wall), if the video shows one

    @property
    def label(self) -> str:
        return self.name or Path(self.path).name


@dataclass(frozen=True)
class Piece:
    """One 8-beat segment of the song and the move picked for it."""

    index: int
    beats: tuple[float, ...]  # 9 song times (s)
    clip: Clip


@dataclass(frozen=True)
class RenderSettings:
    width: int = 1280
    height: int = 720
    fps: int = 30
    crossfade_beats: float = CUT_STYLES["hard"]  # crossfade length, centred on each cut (0: hard cut)
    crf: int = 20
    preset: str = "veryfast"
    audio_bitrate: str = "160k"
    threads: int = 0  # x264 threads (0 = auto)
    framing: Framing = Framing()


#: The frame shapes a video is rendered in: output size and where the dancer stands in it. Tall
#: frames cut a narrow window out of a wide source, so the dancer is sized by covering the frame.
SHAPES = {
    "16:9": (1280, 720, Framing()),
    "9:16": (1080, 1920, Framing(dancer_height=0.5, feet_y=0.9, follow=True)),
}


def shape_settings(shape: str, settings: RenderSettings = RenderSettings()) -> RenderSettings:
    """`settings` with the output size and framing of a frame shape ("16:9" or "9:16")."""
    if shape not in SHAPES:
        raise BadInput(f"the video's shape must be one of {', '.join(SHAPES)}, not {shape!r}")
    width, height, framing = SHAPES[shape]
    return replace(settings, width=width, height=height, framing=framing)


def settings_for(cut: str, settings: RenderSettings = RenderSettings()) -> RenderSettings:
    """`settings` with the crossfade of a cut style ("hard" or "soft"); BadInput names the styles."""
    if cut not in CUT_STYLES:
        raise BadInput(f"the cut must be one of {', '.join(CUT_STYLES)}, not {cut!r}")
    return replace(settings, crossfade_beats=CUT_STYLES[cut])


@dataclass(frozen=True)
class Layer:
    """One piece as drawn in one output frame."""

    piece: int  # index into plan.pieces
    weight: float
    source_time: float  # s in the clip's video
    matrix: np.ndarray  # 2x3 source px -> output px


@dataclass
class RenderPlan:
    pieces: list[Piece]
    settings: RenderSettings
    song_audio_path: Path
    interval: tuple[float, float]  # song seconds
    cuts: np.ndarray  # output s of the n+1 segment boundaries (0 ... duration); video cuts at cuts[1:-1]
    fade_lengths: np.ndarray  # s, per cut: fade_lengths[k] is at cuts[k] (0 at both ends)
    layers: list[tuple[Layer, ...]]  # per output frame
    piece_starts: np.ndarray = field(repr=False)  # n+1 frame indices tiling the frames, see piece_frames

    @property
    def frame_count(self) -> int:
        return len(self.layers)

    @property
    def duration(self) -> float:
        return self.frame_count / self.settings.fps

    def piece_frames(self, k: int) -> range:
        """Output frames of piece k's progressive file: from the first frame piece k shows
        in (its incoming crossfade starts) up to the next piece's first frame."""
        return range(int(self.piece_starts[k]), int(self.piece_starts[k + 1]))


def _check(pieces: list[Piece], interval_start: float, interval_end: float, s: RenderSettings) -> None:
    if not pieces:
        raise BadInput("nothing to render: no pieces")
    if s.width <= 0 or s.height <= 0 or s.width % 2 or s.height % 2:
        raise BadInput(f"output size must be even and positive, not {s.width}x{s.height}")
    if s.fps <= 0 or not 0.0 <= s.crossfade_beats <= MAX_CROSSFADE_BEATS:
        raise BadInput(f"fps must be > 0 and crossfade 0..{MAX_CROSSFADE_BEATS:g} beats")
    if [p.index for p in pieces] != list(range(len(pieces))):
        raise BadInput("pieces must be numbered 0, 1, 2, ... in order")
    slack = 1.0 / s.fps
    for p in pieces:
        c = p.clip
        for what, beats in (("song", p.beats), ("source", c.beats)):
            if len(beats) != 9 or np.any(np.diff(beats) <= 0):
                raise BadInput(f"piece {p.index}: need 9 increasing {what} beat times")
        if c.width <= 0 or c.height <= 0 or c.fps <= 0 or c.body_height <= 0:
            raise BadInput(f"piece {p.index}: clip {c.label} has no usable size, fps or body height")
    for a, b in zip(pieces, pieces[1:]):
        if abs(a.beats[-1] - b.beats[0]) > slack:
            raise BadInput(f"pieces {a.index} and {b.index} are not contiguous in the song")
    if abs(interval_start - pieces[0].beats[0]) > slack or abs(interval_end - pieces[-1].beats[-1]) > slack:
        raise BadInput("the interval must run from the first segment's start to the last one's end")


def build_plan(
    pieces: list[Piece],
    song_audio_path: str | Path,
    interval_start: float,
    interval_end: float,
    settings: RenderSettings = RenderSettings(),
) -> RenderPlan:
    """Per output frame (settings.fps over the interval): visible pieces, weights, source times, affines."""
    pieces = sorted(pieces, key=lambda p: p.index)
    _check(pieces, interval_start, interval_end, settings)
    fps, n = settings.fps, len(pieces)
    frames = max(1, round((interval_end - interval_start) * fps))
    out_t = np.arange(frames) / fps
    song_t = interval_start + out_t
    cuts = np.array(
        [0.0] + [p.beats[0] - interval_start for p in pieces[1:]] + [interval_end - interval_start]
    )
    fades = np.zeros(n + 1)
    for k in range(1, n):
        fades[k] = crossfade_length(
            np.asarray(pieces[k - 1].beats), np.asarray(pieces[k].beats), settings.crossfade_beats
        )
        if cuts[k] - fades[k] / 2 < cuts[k - 1] + fades[k - 1] / 2:
            raise BadInput(f"crossfades before piece {k} overlap: segments too short for the fade")
    # incoming[k]: how far piece k has faded in; monotone in k, so the products below sum to 1
    incoming = np.ones((n + 1, frames))
    incoming[n] = 0.0
    for k in range(1, n):
        incoming[k] = incoming_weights(out_t, cuts[k], fades[k], fps)
    weights = incoming[:n] * (1.0 - incoming[1:])

    matrices = _placements(pieces, settings, song_t)
    sources = np.stack([retime(p.beats, p.clip.beats, song_t, p.clip.duration) for p in pieces])
    if settings.framing.follow:
        matrices = np.stack([_followed(p, matrices[k], sources[k], settings) for k, p in enumerate(pieces)])
    layers = [
        tuple(
            Layer(k, float(weights[k, i]), float(sources[k, i]), matrices[k, i, :2].copy())
            for k in range(n)
            if weights[k, i] > 0.0
        )
        for i in range(frames)
    ]
    visible = weights > 0.0
    starts = [0] + [int(np.argmax(visible[k])) for k in range(1, n)] + [frames]
    return RenderPlan(
        pieces,
        settings,
        Path(song_audio_path),
        (float(interval_start), float(interval_end)),
        cuts,
        fades,
        layers,
        np.array(starts),
    )


def _followed(piece: Piece, matrices: np.ndarray, source_t: np.ndarray, settings: RenderSettings):
    """A piece's per-frame maps panned with its dancer (the clip's box track, or its two boxes)."""
    clip = piece.clip
    if clip.x_track is not None and len(clip.x_track[0]) > 1:
        times, lefts, rights = (np.asarray(v, float) for v in clip.x_track)
        left, right = np.interp(source_t, times, lefts), np.interp(source_t, times, rights)
    else:  # only the boxes at the move's first and last beat: glide from one to the other
        ends = (clip.beats[0], clip.beats[-1])
        left = np.interp(source_t, ends, (clip.box_start[0], clip.box_end[0]))
        right = np.interp(source_t, ends, (clip.box_start[2], clip.box_end[2]))
    # (the track is in the source's own pixels; a mirrored clip's maps flip them, so it holds)
    return follow_dancer(matrices, left, right, clip.width, settings.width, settings.fps)


def _placements(pieces: list[Piece], settings: RenderSettings, song_t: np.ndarray) -> np.ndarray:
    """(pieces, frames, 3, 3) source->output maps: each clip's own framing, preceded by the
    cut correction that lines its dancer up with the previous piece's, eased out by mid-segment."""
    out = np.empty((len(pieces), len(song_t), 3, 3))
    previous: tuple[np.ndarray, CutCorrection, np.ndarray] | None = None
    for k, piece in enumerate(pieces):
        clip, beats = piece.clip, np.asarray(piece.beats, float)
        base = base_framing(
            clip.width,
            clip.height,
            clip.body_height,
            clip.box_start,
            clip.box_end,
            settings.width,
            settings.height,
            clip.mirrored,
            settings.framing,
        )
        correction = CutCorrection()
        if previous is not None:
            # the outgoing dancer where it really is at the cut (its own correction included)
            prev_base, prev_correction, prev_beats = previous
            prev_clip = pieces[k - 1].clip
            at_cut = ease_out_amount(beats[0], prev_beats[0], prev_beats[4])
            outgoing = prev_correction.matrix(at_cut) @ prev_base
            correction = cut_correction(
                transform_box(outgoing, prev_clip.box_end),
                transform_box(base, clip.box_start),
                matrix_scale(outgoing) * prev_clip.body_height,
                matrix_scale(base) * clip.body_height,
                _floor(outgoing, prev_clip.floor_y),
                _floor(base, clip.floor_y),
            )
        out[k] = correction.matrices(ease_out_amount(song_t, beats[0], beats[4])) @ base
        previous = (base, correction, beats)
    return out


def _floor(matrix: np.ndarray, floor_y: float | None) -> float | None:
    """Output y of a source floor line (scale/translate maps keep horizontal lines horizontal)."""
    return None if floor_y is None else float(matrix[1, 1] * floor_y + matrix[1, 2])
