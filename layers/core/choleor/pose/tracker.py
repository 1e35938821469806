"""Per-frame pose tracking: detect once, then follow the dancer's crop.

A tracked frame cuts its crop from the previous frame's landmarks and skips
the detector; the detector runs again (on the same frame) only when the
landmark model says the pose is gone. Keypoints are One-Euro smoothed.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from . import landmarks as lm
from .detection import best_detection
from .frames import Frame, RgbFrame
from .model import PoseModels
from .roi import Roi, letterbox_roi, roi_from_alignment_points, to_image
from .smoothing import OneEuroFilter

DETECTOR_SIZE = 224


@dataclass(frozen=True)
class FramePose:
    """One frame's result in image pixels (zeros when no person)."""

    keypoints: np.ndarray  # (17, 2) COCO-17
    scores: np.ndarray  # (17,)
    present: bool
    box: np.ndarray  # (4,) x0, y0, x1, y1
    detected: bool  # the detector ran on this frame


ABSENT_KEYPOINTS = np.zeros((17, 2))
ABSENT_SCORES = np.zeros(17)
ABSENT_BOX = np.zeros(4)


def detector_tensor(frame: Frame) -> tuple[np.ndarray, np.ndarray]:
    """Letterboxed 224x224 input in [-1, 1], and its crop-to-image affine."""
    roi = letterbox_roi(frame.width, frame.height)
    crop, matrix = frame.crop(roi, DETECTOR_SIZE, cv2.BORDER_CONSTANT)
    tensor = crop.astype(np.float32)[None] * np.float32(2 / 255) - np.float32(1)
    return tensor, matrix


def landmark_tensor(frame: Frame, roi: Roi, out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """256x256 rotated crop in [0, 1] with replicated borders, and its affine.

    `out` (1, 256, 256, 3) float32 is filled and returned if given: a tracker
    reuses one, which stays in cache (a new 768 KiB array is written cold)."""
    crop, matrix = frame.crop(roi, lm.INPUT_SIZE, cv2.BORDER_REPLICATE)
    # One pass from uint8 to float32 (the same values as astype, then scale).
    return np.multiply(crop[None], np.float32(1 / 255), out=out, dtype=np.float32), matrix


def landmark_box(points: np.ndarray, width: int, height: int) -> np.ndarray:
    """Bounding box of the body landmarks, clipped to the frame."""
    body = points[: lm.NUM_BODY]
    box = np.concatenate((body.min(axis=0), body.max(axis=0)))
    # np.clip's own checks cost more than its work on four values.
    return np.minimum(np.maximum(box, 0, out=box), (width, height, width, height), out=box)


def body_scale(points: np.ndarray, width: int, height: int) -> float:
    """The dancer's size in pixels for the filter: the mean side of the clipped box."""
    x0, y0, x1, y1 = landmark_box(points, width, height).tolist()
    return max((x1 - x0 + y1 - y0) / 2, 1.0)


class PoseTracker:
    """Feed frames in order with `step`; one tracker per continuous clip."""

    def __init__(self, models: PoseModels, fps: float, smooth: bool = True):
        self.models = models
        self.dt = 1.0 / fps if fps > 0 else 1.0 / 30
        self.smooth = smooth
        self.roi: Roi | None = None
        self.filter = OneEuroFilter()
        self.frame_size = (0, 0)  # width, height of the last frame
        self._tensor = np.empty((1, lm.INPUT_SIZE, lm.INPUT_SIZE, 3), np.float32)  # model input, reused

    def find_roi(self, frame: Frame) -> Roi | None:
        """Run the detector; the body ROI of the strongest person, or None."""
        tensor, matrix = detector_tensor(frame)
        found = best_detection(*self.models.detect(tensor))
        if found is None:
            return None
        keypoints = to_image(found.keypoints * DETECTOR_SIZE, matrix)
        return roi_from_alignment_points(keypoints[0], keypoints[1])

    def landmarks_in(self, frame: Frame, roi: Roi) -> lm.Landmarks:
        tensor, matrix = landmark_tensor(frame, roi, self._tensor)
        out = self.models.landmarks(tensor)
        return lm.decode_landmarks(out.landmarks, out.presence, out.heatmap, matrix)

    def step(self, frame: Frame | np.ndarray) -> FramePose:
        """Process the next frame: a Frame or an RGB array (H, W, 3) uint8."""
        if isinstance(frame, np.ndarray):
            frame = RgbFrame(frame)
        self.frame_size = (frame.width, frame.height)
        found, detected = None, False
        if self.roi is not None:
            found = self.landmarks_in(frame, self.roi)
        if found is None or not found.found:
            detected = True
            roi = self.find_roi(frame)
            found = self.landmarks_in(frame, roi) if roi is not None else None
        if found is None or not found.found:
            self.roi = None
            self.filter.reset()  # do not smooth across a gap
            return FramePose(ABSENT_KEYPOINTS, ABSENT_SCORES, False, ABSENT_BOX, detected)
        self.roi = found.next_roi()
        width, height = self.frame_size
        points = found.points[: lm.NUM_BODY]
        if self.smooth:
            points = self.filter(points, self.dt, body_scale(points, width, height))
        return FramePose(
            lm.to_coco17(points),
            found.visibility[lm.COCO17_FROM_BLAZEPOSE],
            True,
            landmark_box(points, width, height),
            detected,
        )
