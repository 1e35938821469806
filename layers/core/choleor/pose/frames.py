"""Video frames as the tracker sees them: something to cut crops from.

Decoded video arrives as I420 (planar YUV 4:2:0), which is what the decoder
produces: asking ffmpeg for RGB and converting every full frame costs more
than the crops need. An I420 frame is warped plane by plane into a small
I420 crop and only that is converted to RGB; the full frame is converted
only when the detector needs it.
"""

from __future__ import annotations

import math
from typing import Protocol

import cv2
import numpy as np

from .roi import Roi, crop_to_image_matrix, cut

_WARP = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP


class Frame(Protocol):
    width: int
    height: int

    def rgb(self) -> np.ndarray:
        """The full frame, (H, W, 3) uint8 RGB."""

    def crop(self, roi: Roi, size: int, border: int) -> tuple[np.ndarray, np.ndarray]:
        """(size, size, 3) uint8 RGB crop of the ROI and its crop-to-image affine."""


class RgbFrame:
    def __init__(self, pixels: np.ndarray):
        self.pixels = pixels
        self.height, self.width = pixels.shape[:2]

    def rgb(self) -> np.ndarray:
        return self.pixels

    def crop(self, roi: Roi, size: int, border: int) -> tuple[np.ndarray, np.ndarray]:
        return cut(self.pixels, roi, size, border)


def i420_frame_bytes(width: int, height: int) -> int:
    return width * height * 3 // 2


class I420Frame:
    """One I420 frame (even width and height): a flat uint8 buffer, or three
    planes as the decoder left them (rows may be padded)."""

    def __init__(self, data: np.ndarray, width: int, height: int):
        if width % 2 or height % 2:
            raise ValueError("I420 frames need an even width and height")
        self.width, self.height = width, height
        self._data: np.ndarray | None = data.reshape(height * 3 // 2, width)
        self._planes: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._rgb: np.ndarray | None = None

    @classmethod
    def from_planes(cls, y: np.ndarray, u: np.ndarray, v: np.ndarray) -> I420Frame:
        """A frame over the decoder's planes, without copying them."""
        height, width = y.shape
        if width % 2 or height % 2 or u.shape != v.shape or u.shape != (height // 2, width // 2):
            raise ValueError(f"not I420 planes: {y.shape}, {u.shape}, {v.shape}")
        frame = cls.__new__(cls)
        frame.width, frame.height = width, height
        frame._data, frame._planes, frame._rgb = None, (y, u, v), None
        return frame

    @property
    def data(self) -> np.ndarray:
        """The frame as one (H * 3/2, W) array: Y rows, then U, then V."""
        if self._data is None:
            w, h = self.width, self.height
            data = np.empty((h * 3 // 2, w), np.uint8)
            chroma = data[h:].reshape(2, h // 2, w // 2)
            y, u, v = self._planes
            data[:h], chroma[0], chroma[1] = y, u, v
            self._data = data
        return self._data

    def planes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._planes is None:
            w, h = self.width, self.height
            chroma = self._data[h:].reshape(-1)
            half = (w // 2) * (h // 2)
            self._planes = (
                self._data[:h],
                chroma[:half].reshape(h // 2, w // 2),
                chroma[half:].reshape(h // 2, w // 2),
            )
        return self._planes

    def rgb(self) -> np.ndarray:
        if self._rgb is None:
            self._rgb = cv2.cvtColor(self.data, cv2.COLOR_YUV2RGB_I420)
        return self._rgb

    def crop(self, roi: Roi, size: int, border: int) -> tuple[np.ndarray, np.ndarray]:
        if border != cv2.BORDER_REPLICATE or size % 2:
            return cut(self.rgb(), roi, size, border)  # constant borders need RGB black
        matrix = crop_to_image_matrix(roi, size)
        y, u, v = self.planes()
        top, bottom = rows_under(roi, self.height)
        warm(y[top:bottom])
        warm(u[top // 2 : (bottom + 1) // 2])
        warm(v[top // 2 : (bottom + 1) // 2])
        out = np.empty((size * 3 // 2, size), np.uint8)
        cv2.warpAffine(y, matrix, (size, size), out[:size], _WARP, border)
        half = size // 2
        chroma = out[size:].reshape(2, half, half)
        chroma_matrix = chroma_warp(matrix)
        cv2.warpAffine(u, chroma_matrix, (half, half), chroma[0], _WARP, border)
        cv2.warpAffine(v, chroma_matrix, (half, half), chroma[1], _WARP, border)
        return cv2.cvtColor(out, cv2.COLOR_YUV2RGB_I420), matrix


def chroma_warp(matrix: np.ndarray) -> np.ndarray:
    """The crop-to-image affine of a luma crop, for the half-size chroma planes.

    Chroma pixel (x, y) sits at luma (2x + 0.5, 2y + 0.5), in the crop as in
    the frame: the product [[.5, 0, -.25], [0, .5, -.25]] @ matrix @
    [[2, 0, .5], [0, 2, .5], [0, 0, 1]], written out in the order numpy's
    matmul sums it (the same bits; the warp's fixed-point rounding sees any
    difference), as plain floats: a per-frame matmul costs more than this.
    """
    (a, b, c), (d, e, f) = matrix.tolist()
    return np.array(
        [[a, b, (0.25 * a + 0.25 * b) + (0.5 * c - 0.25)], [d, e, (0.25 * d + 0.25 * e) + (0.5 * f - 0.25)]]
    )


def rows_under(roi: Roi, height: int) -> tuple[int, int]:
    """The frame rows [top, bottom) a crop of the ROI can sample."""
    reach = roi.size / 2 * (abs(math.cos(roi.angle)) + abs(math.sin(roi.angle))) + 2
    top = min(max(int(roi.cy - reach), 0), height)
    return top, min(max(int(roi.cy + reach) + 1, top), height)


def warm(rows: np.ndarray) -> None:
    """Read the rows once in memory order before a warp samples them.

    Between two frames the landmark model streams its ~13 MB of weights
    through the caches, so the decoded frame comes back from memory; a
    sequential pass is prefetched by the hardware (~50 us for 600 rows of a
    720p luma plane) while the warp's scattered reads each wait for a miss
    (cold 256x256 warp ~420 us, warm ~140 us, measured on one core)."""
    if rows.size:
        rows.max()
