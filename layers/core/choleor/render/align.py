"""Framing of each clip in the output, and the alignment correction at cuts.

All matrices are 3x3 homogeneous maps from source pixels to output pixels
(cv2.warpAffine's pixel-centre convention); the plan keeps their top 2 rows.
Boxes are (x0, y0, x1, y1) with y down, so the feet are at y1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .timing import smoothstep

Box = tuple[float, float, float, float]

# A cut may rescale the incoming clip by at most this factor either way (a bad body
# height must not zoom a clip into a blur).
MAX_CUT_SCALE = 2.0


def mirror(width: int) -> np.ndarray:
    """Horizontal flip of a `width`-pixel frame (pixel i <-> width-1-i)."""
    return np.array([[-1.0, 0.0, width - 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])


def zoom(sx: float, sy: float, tx: float, ty: float) -> np.ndarray:
    return np.array([[sx, 0.0, tx], [0.0, sy, ty], [0.0, 0.0, 1.0]])


def transform_box(matrix: np.ndarray, box: Box) -> Box:
    """The box's image under a scale/translate/flip map (corners re-sorted)."""
    x0, y0, x1, y1 = box
    corners = matrix @ np.array([[x0, x1], [y0, y1], [1.0, 1.0]])
    xs, ys = corners[0], corners[1]
    return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())


def anchor(box: Box) -> tuple[float, float, float]:
    """What alignment matches: centre x, feet y (box bottom), height."""
    x0, y0, x1, y1 = box
    return 0.5 * (x0 + x1), y1, y1 - y0


@dataclass(frozen=True)
class Framing:
    """Where the dancer sits in the output, in fractions of the output height."""

    dancer_height: float = 0.6  # median body height
    feet_y: float = 0.9  # feet line, from the top
    max_upscale: float = 3.0  # never magnify source pixels more than this (unless needed to cover)
    # pan with the dancer (tall frames show a narrow window of a wide source, which a dancer
    # crossing the floor would leave): the window follows the dancer's smoothed centre
    follow: bool = False


def base_framing(
    src_w: int,
    src_h: int,
    body_height: float,
    box_start: Box,
    box_end: Box,
    out_w: int,
    out_h: int,
    mirrored: bool = False,
    framing: Framing = Framing(),
) -> np.ndarray:
    """A fixed virtual camera for one clip: the dancer at a standard size, centred, feet on a line.

    The scale never goes below the one that covers the whole output (zoom and crop
    rather than letterbox), and the crop is kept inside the frame so no border shows.
    """
    flip = mirror(src_w) if mirrored else np.eye(3)
    start, end = transform_box(flip, box_start), transform_box(flip, box_end)
    cx = 0.5 * (anchor(start)[0] + anchor(end)[0])  # the clip's average position
    feet = 0.5 * (anchor(start)[1] + anchor(end)[1])
    cover = max(out_w / src_w, out_h / src_h)
    wanted = framing.dancer_height * out_h / max(body_height, 1.0)
    scale = max(cover, min(wanted, framing.max_upscale))
    # the source crop the output shows, snapped to whole (even) pixels so drawing is an
    # exact crop-and-resize, and kept inside the frame so no border shows
    x0, width = _snap_crop(cx - 0.5 * out_w / scale, out_w / scale, src_w)
    y0, height = _snap_crop(feet - framing.feet_y * out_h / scale, out_h / scale, src_h)
    sx, sy = out_w / width, out_h / height  # equal to within a pixel of the crop
    return zoom(sx, sy, sx * (0.5 - x0) - 0.5, sy * (0.5 - y0) - 0.5) @ flip


def _snap_crop(start: float, length: float, size: int) -> tuple[int, int]:
    """An even start and length near (start, length), inside [0, size]."""
    length = min(2 * max(1, round(length / 2)), size - size % 2)
    start = 2 * round(start / 2)
    return int(min(max(start, 0), size - length)), int(length)


@dataclass(frozen=True)
class CutCorrection:
    """x -> scale * (x - pivot) + pivot + shift, in output pixels; identity when eased out."""

    scale: float = 1.0
    pivot: tuple[float, float] = (0.0, 0.0)
    shift: tuple[float, float] = (0.0, 0.0)

    def matrices(self, amounts: np.ndarray) -> np.ndarray:
        """(N, 3, 3): the correction scaled down to each amount (1 = full, 0 = identity)."""
        amounts = np.asarray(amounts, float)
        s = 1.0 + (self.scale - 1.0) * amounts
        out = np.zeros(amounts.shape + (3, 3))
        out[..., 0, 0] = out[..., 1, 1] = s
        out[..., 0, 2] = (1.0 - s) * self.pivot[0] + self.shift[0] * amounts
        out[..., 1, 2] = (1.0 - s) * self.pivot[1] + self.shift[1] * amounts
        out[..., 2, 2] = 1.0
        return out

    def matrix(self, amount: float = 1.0) -> np.ndarray:
        return self.matrices(np.array(amount))


def matrix_scale(matrix: np.ndarray) -> float:
    """The zoom of a scale/translate/flip map."""
    return float(np.sqrt(abs(np.linalg.det(matrix[:2, :2]))))


def cut_correction(
    outgoing_box: Box,
    incoming_box: Box,
    outgoing_height: float,
    incoming_height: float,
    outgoing_floor: float | None = None,
    incoming_floor: float | None = None,
) -> CutCorrection:
    """Map the incoming dancer (output px, first frame) onto the outgoing one (last frame).

    With both floor lines known (output y of the line where floor meets wall), the incoming
    frame is scaled about a point on its floor line and moved so that this line lands on the
    outgoing one: the background's floor line holds still across the cut, centre x and feet
    line up, and the size follows from perspective (a dancer further back stands higher up and
    is smaller by the same factor). Without floor lines, or when a floor line is not behind the
    feet, the dancers' body heights (output px) are made equal instead, pivoting on the feet.

    Heights are the clips' median body heights, not the boxes at the cut: a raised arm
    makes a box taller without making the dancer bigger.
    """
    out_x, out_feet, _ = anchor(outgoing_box)
    in_x, in_feet, _ = anchor(incoming_box)
    if outgoing_floor is not None and incoming_floor is not None:
        # both feet must stand clearly below their floor line for the perspective ratio to mean anything
        out_depth, in_depth = out_feet - outgoing_floor, in_feet - incoming_floor
        least = 0.15 * max(outgoing_height, 1.0)
        if out_depth > least and in_depth > least:
            scale = float(np.clip(out_depth / in_depth, 1.0 / MAX_CUT_SCALE, MAX_CUT_SCALE))
            return CutCorrection(
                scale, (in_x, incoming_floor), (out_x - in_x, outgoing_floor - incoming_floor)
            )
    scale = float(np.clip(outgoing_height / max(incoming_height, 1e-6), 1.0 / MAX_CUT_SCALE, MAX_CUT_SCALE))
    return CutCorrection(scale, (in_x, in_feet), (out_x - in_x, out_feet - in_feet))


def ease_out_amount(song_times: np.ndarray, start: float, half: float) -> np.ndarray:
    """How much of a cut correction remains: 1 up to the segment start, smoothly 0 at `half`."""
    u = (np.asarray(song_times, float) - start) / max(half - start, 1e-9)
    return 1.0 - smoothstep(u)


# How quickly a following window reacts: the dancer's centre is smoothed over about this long
# (s, Gaussian sigma), so the camera glides rather than shakes with every arm swing; where the
# smoothed window would cut off a hand or a foot, it moves just enough to keep the whole dancer.
FOLLOW_SMOOTHING = 0.3
FOLLOW_MARGIN = 0.04  # of the output width, kept free on either side of the dancer when it fits


def _smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    if len(x) < 2 or sigma <= 0:
        return x
    radius = int(3 * sigma)
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    return np.convolve(np.pad(x, radius, mode="edge"), kernel / kernel.sum(), mode="valid")


def follow_dancer(
    matrices: np.ndarray, left: np.ndarray, right: np.ndarray, src_w: int, out_w: int, fps: float
) -> np.ndarray:
    """Shift each frame's map sideways so the dancer (its box from `left` to `right`, source px per
    frame) stays in the output: centred on its smoothed middle, moved further only where that would
    cut the dancer off, and never past the source's edges.

    Shifts are whole even numbers of source pixels, so a plain zoom stays an exact crop (warp.py).
    `matrices` is (F, 3, 3) of scale/translate/flip maps; returns a new array."""
    a, tx = matrices[:, 0, 0], matrices[:, 0, 2]
    left, right = np.asarray(left, float), np.asarray(right, float)
    # q: the shift in source px (u = a * (x - q) + tx): the visible source span moves by +q
    edges = np.sort(np.stack([(-0.5 - tx) / a, (out_w - 0.5 - tx) / a]), axis=0)  # its source x
    centre = _smooth(0.5 * (left + right), FOLLOW_SMOOTHING * fps)
    q = centre - 0.5 * (edges[0] + edges[1])
    margin = FOLLOW_MARGIN * out_w / np.abs(a)
    need_lo, need_hi = right + margin - edges[1], left - margin - edges[0]  # the whole dancer in view
    fits = need_lo <= need_hi
    q = np.where(fits, np.clip(q, need_lo, need_hi), 0.5 * (need_lo + need_hi))
    lo, hi = -0.5 - edges[0], src_w - 0.5 - edges[1]  # the span inside the source
    q = 2.0 * np.round(np.clip(q, lo, hi) / 2.0)
    q = np.where(q < lo, q + 2.0, np.where(q > hi, q - 2.0, q))  # rounding may not leave the source
    out = matrices.copy()
    out[:, 0, 2] = tx - a * q
    return out
