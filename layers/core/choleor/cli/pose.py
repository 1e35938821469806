"""`choleor pose VIDEO -o poses.npz`: the dancer's pose in every frame, to take elsewhere."""

from __future__ import annotations

import sys

from ..errors import BadInput
from ..usecases import library


def _frame_range(text: str | None) -> tuple[int, int | None] | None:
    if not text:
        return None
    try:
        start, _, end = text.partition(":")
        return int(start or 0), (int(end) if end else None)
    except ValueError:
        raise BadInput(f"--frames takes START:END frame numbers, not {text!r}") from None


def run(args) -> int:
    def frames_done(done: int, expected: int | None) -> None:
        if sys.stderr.isatty() and done % 30 == 0:
            total = f" of {expected}" if expected else ""
            print(f"\rframe {done}{total}", end="", file=sys.stderr, flush=True)

    out = library.poses(args.video, args.output, args.model, _frame_range(args.frames), frames_done)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(f"{out['output']}: {out['frames']} frames at {out['fps']:g} fps, dancer found in {out['found']}")
    return 0
