"""Decode the BlazePose landmark model's output.

The model sees a 256x256 crop and returns 39 landmarks (33 body points plus
auxiliary ones, of which 33 and 34 re-derive next frame's crop) as
x, y, z, visibility, presence in crop pixels, a pose-presence flag and a
64x64 heatmap used to refine x, y (RefineLandmarksFromHeatmapCalculator).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .roi import Roi, roi_from_alignment_points, to_image

INPUT_SIZE = 256
NUM_LANDMARKS = 39
NUM_BODY = 33
AUX_CENTRE, AUX_SCALE = 33, 34
HEATMAP_KERNEL = 7
HEATMAP_MIN_CONFIDENCE = 0.5
POSE_PRESENCE_THRESHOLD = 0.5

# BlazePose index of each COCO-17 keypoint: nose, eyes, ears, shoulders,
# elbows, wrists, hips, knees, ankles.
COCO17_FROM_BLAZEPOSE = np.array([0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28])


@dataclass(frozen=True)
class Landmarks:
    """One frame's landmarks in image pixels."""

    points: np.ndarray  # (39, 2) x, y
    visibility: np.ndarray  # (39,) in [0, 1]
    presence: float  # pose presence in [0, 1]

    @property
    def found(self) -> bool:
        return self.presence >= POSE_PRESENCE_THRESHOLD

    def next_roi(self) -> Roi:
        """The crop for the next frame, from the auxiliary alignment points."""
        return roi_from_alignment_points(self.points[AUX_CENTRE], self.points[AUX_SCALE])


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def refine_with_heatmap(
    points: np.ndarray,
    heatmap: np.ndarray,
    kernel: int = HEATMAP_KERNEL,
    min_confidence: float = HEATMAP_MIN_CONFIDENCE,
    channels: np.ndarray | None = None,
) -> np.ndarray:
    """Replace each point (normalised crop coords, (L, 2)) by the
    confidence-weighted centroid of a kernel window of its heatmap channel
    when the window is confident enough. heatmap: (H, W, C) logits; point i
    uses channel `channels[i]` (default i), so no channel is copied out.

    As MediaPipe's RefineLandmarksFromHeatmapCalculator; windows are cut
    short at the heatmap's edges.
    """
    height, width = heatmap.shape[:2]
    offset = (kernel - 1) // 2
    size = np.array([[width], [height]])
    # Columns and rows together, (L, 2, k), and no clipping when every window
    # is whole: this runs on every frame, where each numpy call costs more
    # than its work on these few values.
    cells = (points * size[:, 0].astype(points.dtype)).astype(np.int64)  # truncation, as the C++ int cast
    windows = cells[:, :, None] + np.arange(-offset, offset + 1)
    valid = (windows >= 0) & (windows < size)
    whole = bool(valid.all())
    index = windows if whole else np.minimum(np.maximum(windows, 0), size - 1)
    channel = (np.arange(len(points)) if channels is None else channels)[:, None, None]
    conf = sigmoid(heatmap[index[:, 1, :, None], index[:, 0, None, :], channel])  # (L, k, k)
    if not whole:
        conf = np.where(valid[:, 1, :, None] & valid[:, 0, None, :], conf, 0.0)
    total = conf.sum(axis=(1, 2))
    refine = (conf.max(axis=(1, 2)) >= min_confidence) & (total > 0)
    if not whole:
        refine &= valid[:, :, offset].all(axis=1)  # the point itself is on the heatmap
    safe = np.where(total > 0, total, 1.0)
    centroid = np.stack(
        [
            (conf * windows[:, 0, None, :]).sum(axis=(1, 2)) / width / safe,
            (conf * windows[:, 1, :, None]).sum(axis=(1, 2)) / height / safe,
        ],
        axis=1,
    )
    return np.where(refine[:, None], centroid, points)


# Landmarks whose heatmap refinement matters downstream: COCO-17 plus the
# auxiliary points that steer the next crop.
_REFINED = np.concatenate([COCO17_FROM_BLAZEPOSE, [AUX_CENTRE, AUX_SCALE]])


def decode_landmarks(
    raw: np.ndarray, presence_flag: np.ndarray, heatmap: np.ndarray | None, crop_to_image: np.ndarray
) -> Landmarks:
    """Model outputs for one crop -> landmarks in image pixels."""
    values = raw.reshape(NUM_LANDMARKS, 5)
    norm = values[:, :2] / INPUT_SIZE
    if heatmap is not None:
        norm[_REFINED] = refine_with_heatmap(norm[_REFINED], heatmap, channels=_REFINED)
    return Landmarks(
        points=to_image(norm * INPUT_SIZE, crop_to_image),
        visibility=sigmoid(values[:, 3]),
        presence=float(np.asarray(presence_flag).reshape(-1)[0]),
    )


def to_coco17(points: np.ndarray) -> np.ndarray:
    """(..., 33+, C) BlazePose landmarks -> (..., 17, C) COCO-17 keypoints."""
    return points[..., COCO17_FROM_BLAZEPOSE, :]
