"""Where a source video's floor meets the wall: the line a cut keeps still.

A stage, a studio or a room shows a long horizontal edge behind the dancer. Seen
in a few keyframes spread over the video, the median picture is mostly background
(a dancer who moves is gone from it), and the floor line is the row whose vertical
edge runs across most of the width: the median over columns of the edge strength
ignores the columns a dancer, a lamp or a door covers. A video without such a
line (a moving camera, a busy background) has none, and cuts fall back to lining
up the dancers alone.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import BadInput
from ..pose.video import VideoInfo, key_pictures

SAMPLES = 5  # keyframes looked at, spread over the video
MIN_EDGE = 6.0  # grey levels between the rows above and below the line, over most of the width
MIN_CONTRAST = 3.0  # the line's edge against the next strongest row away from it


def background(path: str | Path, info: VideoInfo | None = None, samples: int = SAMPLES) -> np.ndarray:
    """(H, W) float32: the median luma of up to `samples` keyframes spread over the video."""
    pictures = key_pictures(str(path), samples, info)
    if not pictures:
        raise BadInput(f"no picture could be decoded from {path}")
    return np.median(np.stack(pictures).astype(np.float32), axis=0)


def line_in(picture: np.ndarray) -> float | None:
    """Row (px) of the long horizontal edge in a background picture, or None if there is none."""
    edge = np.abs(picture[2:] - picture[:-2])  # row y+1's vertical edge strength, per column
    profile = np.median(edge, axis=1)
    best = int(np.argmax(profile))
    if profile[best] < MIN_EDGE:
        return None
    rest = np.concatenate([profile[: max(best - 4, 0)], profile[best + 5 :]])
    if rest.size and profile[best] < MIN_CONTRAST * max(float(rest.max()), 1.0):
        return None
    return float(best + 1)


def floor_line(path: str | Path, info: VideoInfo | None = None) -> float | None:
    """Source y (px) of the video's floor line, or None when the video shows none."""
    return line_in(background(path, info))
