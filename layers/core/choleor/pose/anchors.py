"""SSD anchors of the BlazePose detector.

Same generation as MediaPipe's SsdAnchorsCalculator with the options in
pose_detection_cpu.pbtxt; with `fixed_anchor_size` only the centres matter
(width and height are 1), so anchors are an (N, 2) array of x, y centres in
[0, 1] of the 224x224 input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AnchorOptions:
    input_size: int = 224
    num_layers: int = 5
    strides: tuple[int, ...] = (8, 16, 32, 32, 32)
    aspect_ratios: tuple[float, ...] = (1.0,)
    interpolated_scale_aspect_ratio: float = 1.0
    anchor_offset: float = 0.5


POSE_DETECTOR_ANCHORS = AnchorOptions()


def _anchors_per_cell(opts: AnchorOptions) -> int:
    # Each layer adds its aspect ratios plus one interpolated-scale anchor.
    return len(opts.aspect_ratios) + (1 if opts.interpolated_scale_aspect_ratio > 0 else 0)


def generate_anchors(opts: AnchorOptions = POSE_DETECTOR_ANCHORS) -> np.ndarray:
    """Anchor centres, shape (N, 2), in the detector's output order."""
    centres = []
    layer = 0
    while layer < opts.num_layers:
        # Consecutive layers with the same stride share one feature map.
        count = 0
        last = layer
        while last < opts.num_layers and opts.strides[last] == opts.strides[layer]:
            count += _anchors_per_cell(opts)
            last += 1
        size = int(np.ceil(opts.input_size / opts.strides[layer]))
        ys, xs = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
        grid = np.stack([(xs + opts.anchor_offset) / size, (ys + opts.anchor_offset) / size], axis=-1)
        centres.append(np.repeat(grid.reshape(-1, 2), count, axis=0))
        layer = last
    return np.concatenate(centres).astype(np.float32)
