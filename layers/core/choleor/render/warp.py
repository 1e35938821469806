"""Drawing a source frame into the output through an affine: planes of I420.

Most frames show a clip through its own framing, a zoom of a whole-pixel crop
(align.base_framing), which cv2.resize draws exactly at about a quarter of
cv2.warpAffine's cost. Anything else (eased cut corrections, which fall between
pixels or show a border) goes through warpAffine, with sub-pixel precision.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..pose.frames import Frame, I420Frame

_LUMA_TO_CHROMA = np.array([[0.5, 0.0, -0.25], [0.0, 0.5, -0.25], [0.0, 0.0, 1.0]])  # centre-sited
_CHROMA_TO_LUMA = np.linalg.inv(_LUMA_TO_CHROMA)
_EXACT = 1e-6  # px: how close to a whole-pixel crop a map must be to count as one


def chroma_matrix(matrix: np.ndarray) -> np.ndarray:
    """The luma plane's source->output map, for the half-size chroma planes."""
    return (_LUMA_TO_CHROMA @ np.vstack([matrix, [0.0, 0.0, 1.0]]) @ _CHROMA_TO_LUMA)[:2]


def _axis_crop(scale: float, shift: float, out: int, size: int) -> tuple[int, int] | None:
    """(start, length) of the source span that cv2.resize maps exactly as u = scale*x + shift."""
    length, start = out / scale, 0.5 - (0.5 + shift) / scale
    if abs(length - round(length)) > _EXACT or abs(start - round(start)) > _EXACT:
        return None
    start, length = round(start), round(length)
    return (start, length) if 0 <= start and start + length <= size and length > 0 else None


def crop_of(matrix: np.ndarray, src_w: int, src_h: int, out_w: int, out_h: int):
    """(x0, y0, w, h, mirrored) if `matrix` is a zoom (maybe mirrored) of a whole-pixel crop
    inside the frame, else None."""
    (a, b, tx), (c, d, ty) = matrix
    if b != 0.0 or c != 0.0 or d <= 0.0 or a == 0.0:
        return None
    mirrored = a < 0.0
    if mirrored:  # u = |a| * (src_w - 1 - x) + tx': a crop of the flipped frame
        a, tx = -a, tx + a * (src_w - 1)
    xs, ys = _axis_crop(a, tx, out_w, src_w), _axis_crop(d, ty, out_h, src_h)
    if xs is None or ys is None:
        return None
    x0, w = xs
    if mirrored:
        x0 = src_w - x0 - w
    return x0, ys[0], w, ys[1], mirrored


def draw_plane(source: np.ndarray, matrix: np.ndarray, target: np.ndarray) -> None:
    """target = source seen through matrix (source px -> target px), edges replicated."""
    h, w = target.shape[:2]
    crop = crop_of(matrix, source.shape[1], source.shape[0], w, h)
    if crop is None:
        cv2.warpAffine(
            source, matrix, (w, h), dst=target, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        return
    x0, y0, cw, ch, mirrored = crop
    zoomed = cv2.resize(source[y0 : y0 + ch, x0 : x0 + cw], (w, h), interpolation=cv2.INTER_LINEAR)
    if mirrored:
        cv2.flip(zoomed, 1, dst=target)
    else:
        target[:] = zoomed


class Canvas:
    """An output-sized I420 buffer and its three plane views."""

    def __init__(self, width: int, height: int):
        self.data = np.empty((height * 3 // 2, width), np.uint8)
        quarter = (width // 2) * (height // 2)
        chroma = self.data[height:].reshape(-1)
        self.planes = (
            self.data[:height],
            chroma[:quarter].reshape(height // 2, width // 2),
            chroma[quarter:].reshape(height // 2, width // 2),
        )
        self.size = (width, height)

    def draw(self, frame: Frame, matrix: np.ndarray) -> None:
        """Draw `frame` through the source->output `matrix` (2x3)."""
        if not isinstance(frame, I420Frame):  # odd-sized source: draw RGB, then convert
            rgb = np.empty((self.size[1], self.size[0], 3), np.uint8)
            draw_plane(frame.rgb(), matrix, rgb)
            self.data[:] = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)
            return
        chroma = chroma_matrix(matrix)
        for source, target, m in zip(frame.planes(), self.planes, (matrix, chroma, chroma)):
            draw_plane(source, m, target)
