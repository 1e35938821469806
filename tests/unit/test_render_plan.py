"""The render plan's arithmetic: retiming, crossfade weights, framing and cut alignment."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from choleor.errors import BadInput
from choleor.render import Clip, Piece, RenderSettings, affected_pieces, build_plan, settings_for
from choleor.render.align import anchor, base_framing, matrix_scale, transform_box
from choleor.render.timing import retime

FPS = 30


def song_beats(start: float, periods: list[float]) -> tuple[float, ...]:
    return tuple(float(t) for t in start + np.concatenate([[0.0], np.cumsum(periods)]))


def clip(
    name: str = "a",
    *,
    beats=None,
    box_start=(560, 200, 720, 620),
    box_end=(600, 210, 760, 620),
    body_height=400.0,
    width=1280,
    height=720,
    mirrored=False,
) -> Clip:
    beats = beats or song_beats(1.0, [0.4] * 8)
    return Clip(
        f"/nowhere/{name}.mp4",
        beats,
        box_start,
        box_end,
        body_height,
        width,
        height,
        30.0,
        mirrored,
        duration=20.0,
        name=name,
    )


def plan_of(clips: list[Clip], period: float = 0.5, start: float = 2.0, **settings):
    """Contiguous 8-beat pieces at a steady tempo, one per clip."""
    beats = song_beats(start, [period] * (8 * len(clips)))
    pieces = [Piece(k, beats[8 * k : 8 * k + 9], c) for k, c in enumerate(clips)]
    return build_plan(pieces, "/nowhere/song.flac", beats[0], beats[-1], RenderSettings(**settings))


def layer_of(plan, frame: int, piece: int):
    return next((layer for layer in plan.layers[frame] if layer.piece == piece), None)


def full(matrix: np.ndarray) -> np.ndarray:
    return np.vstack([matrix, [0.0, 0.0, 1.0]])


def test_retime_maps_every_song_beat_onto_the_move_beat_piecewise():
    song = np.array(song_beats(3.0, [0.5, 0.4, 0.6, 0.5, 0.45, 0.55, 0.5, 0.5]))
    source = np.array(song_beats(1.0, [0.3, 0.35, 0.3, 0.4, 0.3, 0.33, 0.37, 0.3]))
    assert np.allclose(retime(song, source, song), source, atol=1e-12)
    middles = retime(song, source, 0.5 * (song[1:] + song[:-1]))
    assert np.allclose(middles, 0.5 * (source[1:] + source[:-1]))
    # each beat keeps its own rate: the slopes differ from beat to beat
    quarter = retime(song, source, song[:-1] + 0.25 * np.diff(song))
    assert np.allclose(quarter, source[:-1] + 0.25 * np.diff(source))


def test_retime_outside_the_segment_extrapolates_at_the_edge_rate_and_clamps():
    song = np.array(song_beats(3.0, [0.5] * 7 + [0.25]))
    source = np.array(song_beats(1.0, [0.4] * 7 + [0.5]))
    assert retime(song, source, np.array([2.5]))[0] == pytest.approx(1.0 - 0.5 * 0.8)
    assert retime(song, source, np.array([song[-1] + 0.1]))[0] == pytest.approx(source[-1] + 0.1 * 2.0)
    assert retime(song, source, np.array([0.0]))[0] == 0.0  # not before the video's start
    assert retime(song, source, np.array([20.0]), source_end=4.0)[0] == 4.0


def test_plan_shows_each_move_beat_on_its_song_beat():
    # song beats on frame times, so frames sample the beats exactly
    # (a crossfade, so that both pieces show at the cut)
    plan = plan_of(
        [clip("a"), clip("b", beats=song_beats(0.5, [0.3, 0.5, 0.4, 0.3, 0.5, 0.4, 0.3, 0.4]))],
        crossfade_beats=0.5,
    )
    for k, piece in enumerate(plan.pieces):
        for song_t, source_t in zip(piece.beats, piece.clip.beats):
            frame = round((song_t - plan.interval[0]) * FPS)
            if frame < plan.frame_count:
                assert layer_of(plan, frame, k).source_time == pytest.approx(source_t)


def test_a_move_counted_in_half_time_plays_at_its_own_speed():
    # 16 source beats at 160 bpm counted as 8 (every other beat) on a song at 80 bpm
    source = np.arange(17) * 0.375 + 1.0
    plan = plan_of([clip("h", beats=tuple(source[::2]))], period=0.75)
    frames = [round((t - plan.interval[0]) * FPS) for t in (2.0, 2.75, 5.0)]
    times = [layer_of(plan, f, 0).source_time for f in frames]
    # one song second shows one second of the dance, and every song beat two of its beats
    assert np.allclose(np.diff(times), [0.75, 2.25], atol=1 / FPS)
    assert times[0] == pytest.approx(1.0, abs=1 / FPS)


def test_weights_sum_to_one_and_the_crossfade_is_centred_on_the_cut():
    plan = plan_of([clip("a"), clip("b"), clip("c")], period=0.5, crossfade_beats=1.0)
    assert plan.frame_count == 24 * 0.5 * FPS
    for layers in plan.layers:
        assert sum(layer.weight for layer in layers) == pytest.approx(1.0)
        assert 1 <= len(layers) <= 2
    # no fade to black at the ends
    assert [(layer.piece, layer.weight) for layer in plan.layers[0]] == [(0, 1.0)]
    assert [(layer.piece, layer.weight) for layer in plan.layers[-1]] == [(2, 1.0)]
    assert np.allclose(plan.fade_lengths, [0.0, 0.5, 0.5, 0.0])  # one beat at 120 BPM
    for k in (1, 2):
        cut = plan.cuts[k]
        mixed = [i for i, layers in enumerate(plan.layers) if len(layers) == 2 and layers[1].piece == k]
        times = np.array(mixed) / FPS
        assert len(mixed) == pytest.approx(0.5 * FPS, abs=1)
        assert times.min() > cut - 0.25 and times.max() < cut + 0.25
        assert times.mean() == pytest.approx(cut, abs=0.5 / FPS)
        cut_frame = round(cut * FPS)
        assert layer_of(plan, cut_frame, k).weight == pytest.approx(0.5)
        for d in range(1, 7):  # symmetric about the cut
            assert layer_of(plan, cut_frame + d, k).weight + layer_of(
                plan, cut_frame - d, k
            ).weight == pytest.approx(1.0)


def test_no_crossfade_is_a_hard_cut_on_the_nearest_frame():
    plan = plan_of([clip("a"), clip("b")], period=0.47, crossfade_beats=0.0)
    shown = [layers[0].piece for layers in plan.layers]
    assert all(len(layers) == 1 and layers[0].weight == 1.0 for layers in plan.layers)
    assert shown.index(1) == round(plan.cuts[1] * FPS)


def test_cut_alignment_matches_the_outgoing_dancer_then_eases_out_by_mid_segment():
    a = clip("a", box_start=(300, 150, 420, 600), box_end=(380, 160, 500, 610), body_height=440.0)
    b = clip(
        "b",
        box_start=(700, 300, 760, 520),
        box_end=(720, 300, 780, 520),
        body_height=210.0,
        width=1920,
        height=1080,
    )
    plan = plan_of([a, b], period=0.5, start=2.0, crossfade_beats=0.5)
    cut_frame = round(plan.cuts[1] * FPS)
    assert cut_frame / FPS == pytest.approx(plan.cuts[1])
    outgoing, incoming = layer_of(plan, cut_frame, 0), layer_of(plan, cut_frame, 1)
    out_x, out_feet, _ = anchor(transform_box(full(outgoing.matrix), a.box_end))
    in_x, in_feet, _ = anchor(transform_box(full(incoming.matrix), b.box_start))
    assert (in_x, in_feet) == pytest.approx((out_x, out_feet), abs=1e-6)
    assert matrix_scale(full(incoming.matrix)) * b.body_height == pytest.approx(
        matrix_scale(full(outgoing.matrix)) * a.body_height
    )
    # the correction was real, and it is gone at mid-segment (and stays gone)
    own = base_framing(b.width, b.height, b.body_height, b.box_start, b.box_end, 1280, 720)
    assert not np.allclose(full(incoming.matrix), own)
    mid = round((plan.pieces[1].beats[4] - plan.interval[0]) * FPS)
    deviations = [np.abs(full(layer_of(plan, i, 1).matrix) - own).max() for i in range(cut_frame, mid + 1)]
    assert deviations[-1] == pytest.approx(0.0, abs=1e-9)
    assert all(x >= y - 1e-9 for x, y in zip(deviations, deviations[1:]))
    for i in range(mid, plan.frame_count):
        assert np.allclose(full(layer_of(plan, i, 1).matrix), own)


def test_the_default_is_a_hard_cut_on_the_beat():
    assert RenderSettings().crossfade_beats == 0.0
    assert settings_for("soft").crossfade_beats == 0.5 and settings_for("hard") == RenderSettings()
    with pytest.raises(BadInput, match="hard, soft"):
        settings_for("dissolve")
    plan = plan_of([clip("a"), clip("b"), clip("c")], period=0.5)
    assert all(len(layers) == 1 for layers in plan.layers)  # never two clips in one frame
    for k in (1, 2):
        first = [layers[0].piece for layers in plan.layers].index(k)
        assert first == round(plan.cuts[k] * FPS)


def test_a_cut_keeps_the_floor_line_still_and_lines_up_the_feet():
    """Two takes with floor lines at different heights: the incoming frame is scaled about its
    floor line, so the line holds still, the feet meet, and the size follows perspective."""
    # a: the dancer near the camera (feet 300 px below the floor line); b: further back, smaller
    a = clip("a", box_start=(300, 150, 420, 600), box_end=(380, 160, 500, 610), body_height=440.0)
    a = dataclasses.replace(a, floor_y=310.0)
    b = clip("b", box_start=(700, 260, 760, 470), box_end=(720, 262, 780, 470), body_height=200.0)
    b = dataclasses.replace(b, floor_y=330.0)
    plan = plan_of([a, b], period=0.5)
    cut = round(plan.cuts[1] * FPS)
    before, after = full(layer_of(plan, cut - 1, 0).matrix), full(layer_of(plan, cut, 1).matrix)

    def line(m, y):
        return m[1, 1] * y + m[1, 2]

    assert line(after, b.floor_y) == pytest.approx(line(before, a.floor_y), abs=1e-6)
    out_x, out_feet, _ = anchor(transform_box(before, a.box_end))
    in_x, in_feet, _ = anchor(transform_box(after, b.box_start))
    assert (in_x, in_feet) == pytest.approx((out_x, out_feet), abs=1e-6)
    # the size ratio is the ratio of feet-to-floor distances (perspective), here close to the heights'
    ratio = matrix_scale(after) * b.body_height / (matrix_scale(before) * a.body_height)
    assert 0.8 < ratio < 1.25
    # without floor lines the dancers are made the same size instead
    plain = plan_of([dataclasses.replace(a, floor_y=None), dataclasses.replace(b, floor_y=None)], period=0.5)
    after_plain = full(layer_of(plain, cut, 1).matrix)
    assert matrix_scale(after_plain) * b.body_height == pytest.approx(matrix_scale(before) * a.body_height)


def test_a_floor_line_below_the_feet_is_not_used():
    a = dataclasses.replace(clip("a"), floor_y=700.0)  # e.g. the front edge of a stage
    b = dataclasses.replace(clip("b", body_height=300.0), floor_y=330.0)
    plan = plan_of([a, b], period=0.5)
    cut = round(plan.cuts[1] * FPS)
    before, after = full(layer_of(plan, cut - 1, 0).matrix), full(layer_of(plan, cut, 1).matrix)
    assert matrix_scale(after) * b.body_height == pytest.approx(matrix_scale(before) * a.body_height)


def test_corrections_do_not_accumulate_over_cuts():
    clips = [
        clip(
            n,
            box_start=(200 + 90 * i, 100, 330 + 90 * i, 600),
            box_end=(260 + 90 * i, 100, 390 + 90 * i, 600),
        )
        for i, n in enumerate("abcd")
    ]
    plan = plan_of(clips)
    for k in (1, 2, 3):
        c = clips[k]
        own = base_framing(c.width, c.height, c.body_height, c.box_start, c.box_end, 1280, 720)
        mid = round((plan.pieces[k].beats[4] - plan.interval[0]) * FPS)
        assert np.allclose(full(layer_of(plan, mid, k).matrix), own)


def test_mirrored_clip_is_flipped_and_framed_the_same():
    plain = clip("a", box_start=(560, 150, 680, 600), box_end=(600, 150, 720, 600))
    flipped = dataclasses.replace(plain, mirrored=True)
    m = full(plan_of([plain]).layers[10][0].matrix)
    f = full(plan_of([flipped]).layers[10][0].matrix)
    assert m[0, 0] > 0 and f[0, 0] < 0 and f[1, 1] == pytest.approx(m[1, 1])
    # the flipped dancer stands where the plain one does: each source point lands mirrored about it
    for x, y in [(500.0, 50.0), (640.0, 300.0), (800.0, 700.0)]:
        mx, my = (m @ [x, y, 1.0])[:2]
        fx, fy = (f @ [x, y, 1.0])[:2]
        assert (fx - 640, fy) == pytest.approx((-(mx - 640), my), abs=1.0)


def covers_output(matrix: np.ndarray, src_w: int, src_h: int, out_w: int = 1280, out_h: int = 720) -> bool:
    inverse = np.linalg.inv(matrix)
    corners = np.array([[0, 0, 1], [out_w - 1, 0, 1], [0, out_h - 1, 1], [out_w - 1, out_h - 1, 1]], float)
    src = (inverse @ corners.T)[:2]
    return bool(np.all(src >= -0.5) and np.all(src[0] <= src_w - 0.5) and np.all(src[1] <= src_h - 0.5))


@pytest.mark.parametrize(
    "size,box,height",
    [
        ((640, 360), (290, 60, 350, 340), 280.0),  # small source, big dancer: zoom to cover
        ((720, 1280), (300, 200, 420, 1200), 1000.0),  # portrait: crop top and bottom, never pillarbox
        ((1920, 1080), (20, 700, 80, 900), 200.0),  # small dancer at the edge: zoom, clamp the pan
    ],
)
def test_framing_zooms_and_crops_rather_than_showing_borders(size, box, height):
    w, h = size
    matrix = base_framing(w, h, height, box, box, 1280, 720)
    assert matrix_scale(matrix) >= max(1280 / w, 720 / h) - 1e-9
    assert covers_output(matrix, w, h)


def test_framing_puts_dancers_at_one_size_and_place():
    a = base_framing(1920, 1080, 300.0, (900, 300, 1000, 600), (900, 300, 1000, 600), 1280, 720)
    b = base_framing(1280, 720, 360.0, (600, 200, 700, 560), (640, 200, 740, 560), 1280, 720)
    # the crop snaps to whole pixels: sizes agree within a pixel of the crop, places within ~2 px
    assert matrix_scale(a) * 300 == pytest.approx(matrix_scale(b) * 360, rel=3e-3)
    for m, box in ((a, (900, 300, 1000, 600)), (b, (620, 200, 720, 560))):
        x, feet, _ = anchor(transform_box(m, box))
        assert (x, feet) == pytest.approx((640, 0.9 * 720), abs=2.5)


def test_progressive_files_tile_the_timeline_and_a_new_pick_touches_two_of_them():
    clips = [
        clip(
            n,
            box_start=(200 + 90 * i, 100, 330 + 90 * i, 600),
            box_end=(260 + 90 * i, 120, 390 + 90 * i, 610),
            body_height=400 + 30 * i,
        )
        for i, n in enumerate("abcde")
    ]
    plan = plan_of(clips, crossfade_beats=0.5)
    frames = [i for k in range(len(clips)) for i in plan.piece_frames(k)]
    assert frames == list(range(plan.frame_count))
    for k in range(1, len(clips)):
        assert abs(plan.piece_frames(k).start - plan.cuts[k] * FPS) <= 0.25 * 0.5 * FPS + 1
    changed = 2
    other = list(clips)
    other[changed] = clip("z", box_start=(900, 50, 1000, 500), box_end=(800, 60, 900, 520), body_height=300.0)
    replanned = plan_of(other, crossfade_beats=0.5)
    differs = set()
    for k in range(len(clips)):
        for i in plan.piece_frames(k):
            for x, y in zip(plan.layers[i], replanned.layers[i], strict=True):
                if (
                    x.piece != y.piece
                    or x.weight != y.weight
                    or x.source_time != y.source_time
                    or not np.allclose(x.matrix, y.matrix)
                    or plan.pieces[x.piece].clip != other[x.piece]
                ):
                    differs.add(k)
    assert differs == set(affected_pieces(plan, changed)) == {2, 3}


@pytest.mark.parametrize("change", ["gap", "interval", "crossfade", "beats", "order"])
def test_bad_plans_are_refused(change):
    beats = song_beats(2.0, [0.5] * 16)
    pieces = [Piece(0, beats[:9], clip("a")), Piece(1, beats[8:], clip("b"))]
    start, end, settings = beats[0], beats[-1], RenderSettings()
    if change == "gap":
        pieces[1] = Piece(1, tuple(t + 0.2 for t in beats[8:]), clip("b"))
        end += 0.2
    elif change == "interval":
        start -= 0.5
    elif change == "crossfade":
        settings = RenderSettings(crossfade_beats=5.0)
    elif change == "beats":
        pieces[0] = Piece(0, beats[:9], clip("a", beats=(1.0,) * 9))
    else:
        pieces = [dataclasses.replace(pieces[0], index=1), dataclasses.replace(pieces[1], index=2)]
    with pytest.raises(BadInput):
        build_plan(pieces, "/nowhere/song.flac", start, end, settings)


@pytest.mark.parametrize("mirrored", [False, True])
def test_own_framing_is_drawn_as_an_exact_crop_and_zoom(mirrored):
    import cv2

    from choleor.render.warp import chroma_matrix, crop_of, draw_plane

    m = base_framing(1920, 1080, 300.0, (700, 300, 800, 600), (760, 300, 860, 600), 1280, 720, mirrored)
    assert crop_of(m[:2], 1920, 1080, 1280, 720) is not None
    assert crop_of(chroma_matrix(m[:2]), 960, 540, 640, 360) is not None
    rng = np.random.default_rng(1)
    source = cv2.GaussianBlur(rng.integers(0, 255, (1080, 1920), dtype=np.uint8), (9, 9), 3)
    fast = np.empty((720, 1280), np.uint8)
    draw_plane(source, m[:2], fast)
    exact = cv2.warpAffine(
        source, m[:2], (1280, 720), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    assert np.abs(fast.astype(int) - exact).max() <= 2  # the two differ only in rounding
