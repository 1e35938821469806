"""`choleor pose VIDEO -o poses.npz`: the dancer's pose in every frame, to take elsewhere."""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import BadInput


def register(sub) -> None:
    p = sub.add_parser(
        "pose",
        help="per-frame poses of the dancer in a video, as .npz",
        description="Find the dancer's pose in every frame (BlazePose under onnxruntime) and "
        "write keypoints (frames x 17 x 2, COCO-17, pixels), scores (frames x 17) "
        "and fps to an .npz file.",
    )
    p.add_argument("video", help="video file")
    p.add_argument("-o", "--output", required=True, help="where to write the .npz")
    p.add_argument("--model", choices=["full", "lite"], default="full", help="pose model (default full)")
    p.add_argument("--frames", metavar="START:END", help="only this frame range, e.g. 0:300")
    p.set_defaults(func=run)


def _frame_range(text: str | None) -> tuple[int, int | None] | None:
    if not text:
        return None
    try:
        start, _, end = text.partition(":")
        return int(start or 0), (int(end) if end else None)
    except ValueError:
        raise BadInput(f"--frames takes START:END frame numbers, not {text!r}") from None


def run(args) -> int:
    from ..pose.estimate import estimate_video, save_npz

    video = Path(args.video)
    if not video.is_file():
        raise BadInput(f"no such file: {args.video}")
    out = Path(args.output)
    if out.suffix != ".npz":
        out = out.with_suffix(".npz")

    def progress(done: int, expected: int | None) -> None:
        if sys.stderr.isatty() and done % 30 == 0:
            total = f" of {expected}" if expected else ""
            print(f"\rframe {done}{total}", end="", file=sys.stderr, flush=True)

    track = estimate_video(
        video, variant=args.model, frame_range=_frame_range(args.frames), progress=progress
    )
    if sys.stderr.isatty():
        print(file=sys.stderr)
    save_npz(track, out)
    found = int(track.present.sum())
    print(f"{out}: {len(track.keypoints)} frames at {track.fps:g} fps, dancer found in {found}")
    return 0
