"""Where the music repeats: segments whose music is (nearly) that of an earlier segment.

There the ranking also offers the earlier pick and its mirror, and auto-choreography may
reuse it for free (ChoreoMaster's idea: the dance repeats where the music does).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from choleor.recommend.features import SegmentFeatures
from choleor.recommend.index import LibraryIndex, project

#: Music closer than this share of the library's typical distance (`music_scale`) "repeats".
REPEAT_SHARE = 0.35


def music_repeats(
    index: LibraryIndex, segments: Sequence[SegmentFeatures], share: float = REPEAT_SHARE
) -> dict[int, int]:
    """Segment position -> the earliest earlier position whose music it repeats."""
    if len(segments) < 2:
        return {}
    proj = np.stack([project(index, s.music) for s in segments])
    d = np.linalg.norm(proj[:, None, :] - proj[None, :, :], axis=-1)
    limit = share * float(index.music_scale)
    out = {}
    for k in range(1, len(segments)):
        close = np.flatnonzero(d[k, :k] < limit)
        if close.size:
            out[k] = int(close[0])
    return out
