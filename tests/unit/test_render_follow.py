"""A tall frame follows the dancer: whole dancer in view, exact crops, never past the source's edges."""

import numpy as np
import pytest

from choleor.render.align import base_framing, follow_dancer, transform_box
from choleor.render.plan import SHAPES, Clip, Piece, build_plan, shape_settings
from choleor.render.warp import crop_of

W, H = 1280, 720  # source
OUT_W, OUT_H, FRAMING = SHAPES["9:16"]


def walking(frames=120, start=300.0, end=950.0, width=220.0):
    """A dancer crossing the floor from x = start to x = end (box sides per frame)."""
    centre = np.linspace(start, end, frames)
    return centre - width / 2, centre + width / 2


@pytest.mark.parametrize("mirrored", [False, True])
def test_the_window_keeps_a_dancer_crossing_the_floor_in_view(mirrored):
    left, right = walking()
    box = (left[0], 150.0, right[0], 600.0)
    base = base_framing(
        W, H, 450.0, box, (left[-1], 150.0, right[-1], 600.0), OUT_W, OUT_H, mirrored, FRAMING
    )
    fixed = np.repeat(base[None], len(left), axis=0)
    moved = follow_dancer(fixed, left, right, W, OUT_W, 30.0)
    for m, lo, hi in zip(moved, left, right):
        x0, _, x1, _ = transform_box(m, (lo, 150.0, hi, 600.0))
        assert 0 <= x0 and x1 <= OUT_W  # the whole dancer is in the frame
        crop = crop_of(m[:2], W, H, OUT_W, OUT_H)
        assert crop is not None and crop[0] % 2 == 0  # an exact, even crop inside the source
    # without following, the fixed window loses the dancer at one end of the walk
    x0, _, x1, _ = transform_box(base, (left[0], 150.0, right[0], 600.0))
    x0e, _, x1e, _ = transform_box(base, (left[-1], 150.0, right[-1], 600.0))
    assert min(x0, x0e) < 0 or max(x1, x1e) > OUT_W


def test_a_dancer_at_the_edge_of_the_source_stops_the_window_at_the_edge():
    left, right = np.full(30, 1200.0), np.full(30, 1279.0)
    base = base_framing(W, H, 450.0, (1200, 150, 1279, 600), (1200, 150, 1279, 600), OUT_W, OUT_H)
    moved = follow_dancer(np.repeat(base[None], 30, axis=0), left, right, W, OUT_W, 30.0)
    crop = crop_of(moved[0][:2], W, H, OUT_W, OUT_H)
    assert crop is not None and crop[0] + crop[2] == W  # flush with the right edge, not past it


def test_the_wide_shape_is_the_default_rendering_and_the_tall_one_is_1080_by_1920(tmp_path):
    assert shape_settings("16:9") == shape_settings("16:9", shape_settings("9:16"))
    tall = shape_settings("9:16")
    assert (tall.width, tall.height, tall.framing.follow) == (1080, 1920, True)
    with pytest.raises(Exception, match="9:16"):
        shape_settings("1:1")
    # a clip crossing the floor: the tall plan's frames show it whole, the wide plan does not pan
    beats = tuple(np.arange(9) * 0.5)
    times = tuple(np.arange(0, 4.5, 1 / 30))
    left, right = walking(len(times))
    clip = Clip(
        tmp_path / "x.mp4", beats, (left[0], 150, right[0], 600), (left[-1], 150, right[-1], 600), 450.0,
        W, H, 30.0, x_track=(times, tuple(left), tuple(right)),
    )  # fmt: skip
    song_beats = tuple(1.0 + np.arange(9) * 0.5)
    plan = build_plan([Piece(0, song_beats, clip)], tmp_path / "s.wav", 1.0, 5.0, tall)
    for i in range(0, plan.frame_count, 10):
        layer = plan.layers[i][0]
        lo, hi = np.interp(layer.source_time, times, left), np.interp(layer.source_time, times, right)
        m = np.vstack([layer.matrix, [0, 0, 1]])
        x0, _, x1, _ = transform_box(m, (lo, 150, hi, 600))
        assert 0 <= x0 and x1 <= OUT_W, i
    wide = build_plan([Piece(0, song_beats, clip)], tmp_path / "s.wav", 1.0, 5.0, shape_settings("16:9"))
    assert len({tuple(np.round(layer.matrix.ravel(), 6)) for (layer,) in wide.layers}) == 1
