"""Decode the BlazePose detector's raw output into one person detection.

Follows TensorsToDetectionsCalculator + NonMaxSuppressionCalculator
(weighted) with the options of MediaPipe's pose_detection_cpu.pbtxt. Boxes
and keypoints come out normalised to the 224x224 letterboxed input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .anchors import generate_anchors

INPUT_SIZE = 224.0  # x/y/w/h_scale
SCORE_CLIP = 100.0
MIN_SCORE = 0.5
NMS_IOU = 0.3
NUM_KEYPOINTS = 4  # hip centre, full-body scale point, shoulder centre, upper-body scale point

_ANCHORS = generate_anchors()


@dataclass(frozen=True)
class Detection:
    score: float
    box: np.ndarray  # x0, y0, x1, y1 (normalised)
    keypoints: np.ndarray  # (4, 2) x, y (normalised)


def decode_boxes(raw: np.ndarray, anchors: np.ndarray = _ANCHORS) -> tuple[np.ndarray, np.ndarray]:
    """Raw (N, 12) regressors -> boxes (N, 4) x0,y0,x1,y1 and keypoints (N, 4, 2)."""
    centre = raw[:, 0:2] / INPUT_SIZE + anchors
    half = raw[:, 2:4] / INPUT_SIZE / 2
    boxes = np.concatenate([centre - half, centre + half], axis=1)
    keypoints = raw[:, 4 : 4 + 2 * NUM_KEYPOINTS].reshape(-1, NUM_KEYPOINTS, 2) / INPUT_SIZE
    return boxes, keypoints + anchors[:, None, :]


def scores_from_logits(logits: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(logits.astype(np.float64), -SCORE_CLIP, SCORE_CLIP)))


def iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one box (4,) with many (M, 4)."""
    lo = np.maximum(box[:2], boxes[:, :2])
    hi = np.minimum(box[2:], boxes[:, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=1)
    area = np.prod(box[2:] - box[:2])
    areas = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)
    union = area + areas - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def best_detection(
    raw_boxes: np.ndarray, raw_scores: np.ndarray, min_score: float = MIN_SCORE
) -> Detection | None:
    """The strongest person, its box and keypoints blended (weighted NMS)
    with the candidates that overlap it. None when nothing clears min_score."""
    scores = scores_from_logits(raw_scores.reshape(-1))
    keep = scores >= min_score
    if not keep.any():
        return None
    boxes, keypoints = decode_boxes(raw_boxes.reshape(-1, 12)[keep], _ANCHORS[keep])
    scores = scores[keep]
    top = int(np.argmax(scores))
    overlap = iou(boxes[top], boxes) > NMS_IOU
    weights = scores[overlap] / scores[overlap].sum()
    return Detection(
        score=float(scores[top]),
        box=(boxes[overlap] * weights[:, None]).sum(axis=0),
        keypoints=(keypoints[overlap] * weights[:, None, None]).sum(axis=0),
    )
