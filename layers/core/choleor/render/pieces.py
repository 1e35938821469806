"""Progressive rendering: one video-only file per piece, joined by stream copy.

Piece k's file holds output frames plan.piece_frames(k): from the first frame
of its incoming crossfade up to the first frame of the next one, so the files
tile the timeline exactly. Its frames depend on piece k-1 (the fade in) and on
piece k; the alignment correction at a cut depends on the previous piece too,
but it has eased out long before the next fade. So a changed pick at k
re-renders only pieces k and k+1 (`affected_pieces`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import ffmpeg

from ..errors import NotFound
from .draw import Progress, RenderResult, encode_frames
from .encode import atomic_output, audio_args, audio_input, run
from .plan import RenderPlan, RenderSettings


def affected_pieces(plan: RenderPlan, k: int) -> list[int]:
    """The piece files to re-render when the pick for piece k changes."""
    return [j for j in (k, k + 1) if j < len(plan.pieces)]


def render_piece(
    plan: RenderPlan, k: int, out_path: str | Path, progress: Progress | None = None
) -> RenderResult:
    """Piece k's frames (with its incoming crossfade), video only, same encoder settings as render_video()."""
    if not 0 <= k < len(plan.pieces):
        raise IndexError(f"no piece {k} in a plan of {len(plan.pieces)}")
    return encode_frames(plan, plan.piece_frames(k), out_path, None, progress)


def _concat_list(paths: Sequence[str | Path], folder: Path) -> Path:
    listing = folder / "pieces.txt"
    lines = []
    for path in paths:
        path = Path(path).resolve()
        if not path.is_file():
            raise NotFound(f"rendered piece not found: {path}")
        lines.append("file '" + str(path).replace("'", "'\\''") + "'")
    listing.write_text("\n".join(lines) + "\n")
    return listing


def join_pieces(
    paths: Sequence[str | Path],
    audio: str | Path,
    interval: tuple[float, float],
    out_path: str | Path,
    settings: RenderSettings = RenderSettings(),
) -> Path:
    """Concatenate piece files without re-encoding video (-c:v copy) and mux the song's interval as AAC."""
    with tempfile.TemporaryDirectory() as scratch, atomic_output(out_path) as partial:
        listing = _concat_list(paths, Path(scratch))
        video = ffmpeg.input(str(listing), format="concat", safe=0)
        sound = audio_input(audio, *interval)
        stream = ffmpeg.output(
            video["v"],
            sound["a"],
            str(partial),
            format="mp4",
            vcodec="copy",
            movflags="+faststart",
            **audio_args(settings),
        )
        run(stream, f"joining {len(paths)} pieces")
    return Path(out_path)
