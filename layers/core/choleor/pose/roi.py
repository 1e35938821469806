"""Rotated square regions of interest and the affine warps that cut them.

A region is MediaPipe's rotated rect in pixels: centre, side and angle
(radians, clockwise in image coordinates). Crops use the same corner-aligned
warp as MediaPipe's OpenCV image-to-tensor converter: the region's corners
land on the corners (0 and size) of the output tensor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

ROI_SCALE = 1.25  # RectTransformationCalculator scale_x / scale_y in the pose graphs
TARGET_ANGLE = math.pi / 2  # hip-centre -> scale-point vector points up


@dataclass(frozen=True)
class Roi:
    cx: float
    cy: float
    size: float
    angle: float = 0.0


def normalize_radians(angle: float) -> float:
    return angle - 2 * math.pi * math.floor((angle + math.pi) / (2 * math.pi))


def roi_from_alignment_points(centre: np.ndarray, scale_point: np.ndarray, scale: float = ROI_SCALE) -> Roi:
    """Square ROI around the body from two keypoints (both in pixels).

    `centre` is the hip centre, `scale_point` a point whose distance from it
    is the radius of a circle holding the whole body (MediaPipe's
    AlignmentPointsRectsCalculator followed by RectTransformationCalculator).
    """
    dx, dy = float(scale_point[0] - centre[0]), float(scale_point[1] - centre[1])
    side = 2.0 * math.hypot(dx, dy) * scale
    angle = normalize_radians(TARGET_ANGLE - math.atan2(-dy, dx))
    return Roi(float(centre[0]), float(centre[1]), side, angle)


def crop_to_image_matrix(roi: Roi, out_size: int) -> np.ndarray:
    """2x3 affine taking output-tensor pixel coordinates to image pixels."""
    c, s = math.cos(roi.angle), math.sin(roi.angle)
    k = roi.size / out_size
    # Crop x axis runs along (cos, sin), y axis along (-sin, cos).
    tx = roi.cx - roi.size / 2 * (c - s)
    ty = roi.cy - roi.size / 2 * (s + c)
    return np.array([[c * k, -s * k, tx], [s * k, c * k, ty]], dtype=np.float64)


def cut(image: np.ndarray, roi: Roi, out_size: int, border: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut the ROI out of `image` as an out_size square (uint8, like the input).

    Returns the crop and the crop-to-image affine to map results back.
    """
    matrix = crop_to_image_matrix(roi, out_size)
    crop = cv2.warpAffine(
        image,
        matrix,
        (out_size, out_size),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=border,
        borderValue=(0, 0, 0),
    )
    return crop, matrix


def letterbox_roi(width: int, height: int) -> Roi:
    """The whole frame, padded to a square (the detector keeps aspect ratio)."""
    return Roi(width / 2.0, height / 2.0, float(max(width, height)), 0.0)


def to_image(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Map (..., 2) crop-pixel points through a crop-to-image affine."""
    return points @ matrix[:, :2].T + matrix[:, 2]
