"""Render real video: 3 pieces from 2 mannequin takes onto a beat-annotated song.

The second take is tinted blue (ffmpeg), so where the output switches between
takes shows in every frame's mean red level: that locates the cuts. The takes
were filmed by different virtual cameras, so their floor lines (floor meets wall)
sit at different heights: a cut that lines the dancers up must keep that line still.
Both cut styles are rendered: hard (the default) and soft (a half-beat crossfade).
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
import soundfile

from choleor.errors import NotFound
from choleor.pose.video import read_frames
from choleor.render import (
    Clip,
    Piece,
    RenderSettings,
    build_plan,
    join_pieces,
    render_piece,
    render_video,
    settings_for,
)
from choleor.render.align import matrix_scale, transform_box
from choleor.render.draw import encode_frames
from tests.integration.render_clips import DATA, clip_from_take, song_beats, take

SONG = "fof_muldjord_chaos_god.flac"  # 170 BPM: close to the takes' own tempo
BLUE = "colorchannelmixer=rr=0.15:gg=0.5"


@pytest.fixture(scope="module")
def takes(tmp_path_factory) -> tuple[Clip, Clip]:
    folder = tmp_path_factory.mktemp("takes")
    a = clip_from_take(*take("cmu60_01_salsa_daz", folder))
    b = clip_from_take(*take("cmu05_11_modern-dance_daz", folder, tint=BLUE))
    return a, b


def plan_of(takes, settings: RenderSettings):
    beats = song_beats(SONG)[4 : 4 + 25]
    a, b = takes
    pieces = [Piece(k, tuple(beats[8 * k : 8 * k + 9]), c) for k, c in enumerate([a, b, a])]
    return build_plan(pieces, DATA / "beats" / SONG, beats[0], beats[-1], settings)


@pytest.fixture(scope="module")
def plan(takes):
    return plan_of(takes, RenderSettings())  # hard cuts


@pytest.fixture(scope="module")
def soft_plan(takes):
    return plan_of(takes, settings_for("soft"))


def render(plan, folder: Path) -> Path:
    out = folder / "choreo.mp4"
    seen = []
    result = render_video(plan, out, progress=lambda done, total: seen.append((done, total)))
    assert result.output == out and result.frames == plan.frame_count
    assert result.cuts == pytest.approx(tuple(plan.cuts[1:-1]))
    assert seen[-1] == (plan.frame_count, plan.frame_count)
    return out


@pytest.fixture(scope="module")
def rendered(plan, tmp_path_factory) -> Path:
    return render(plan, tmp_path_factory.mktemp("render"))


@pytest.fixture(scope="module")
def soft_rendered(soft_plan, tmp_path_factory) -> Path:
    return render(soft_plan, tmp_path_factory.mktemp("render-soft"))


def probe(path: Path) -> dict:
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-count_packets",
            "-show_streams",
            "-show_format",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        check=True,
        text=True,
    )
    return json.loads(out.stdout)


def packet_hashes(path: Path) -> list[str]:
    """MD5 of every video packet's coded bytes (stream copy, no decoding).

    SPS/PPS units are left out: the concat demuxer hands each file's parameter sets
    to the muxer, which repeats them in-band in the first packet of every piece."""
    out = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(path),
            "-map",
            "0:v",
            "-c",
            "copy",
            "-bsf:v",
            "filter_units=remove_types=7|8",
            "-f",
            "framemd5",
            "-",
        ],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    return [line.rsplit(",", 1)[1].strip() for line in out.splitlines() if line and not line.startswith("#")]


def test_output_is_h264_aac_the_length_of_the_interval(plan, rendered):
    info = probe(rendered)
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    audio = next(s for s in info["streams"] if s["codec_type"] == "audio")
    assert (video["codec_name"], video["pix_fmt"], video["width"], video["height"]) == (
        "h264",
        "yuv420p",
        1280,
        720,
    )
    assert audio["codec_name"] == "aac"
    interval = plan.interval[1] - plan.interval[0]
    frame = 1 / plan.settings.fps
    assert int(video["nb_read_packets"]) == plan.frame_count
    for duration in (video["duration"], audio["duration"], info["format"]["duration"]):
        assert abs(float(duration) - interval) <= frame
    assert float(audio["start_time"]) == 0.0 and float(video["start_time"]) == 0.0


def test_audio_starts_at_the_intervals_first_sample(plan, rendered, tmp_path):
    song, rate = soundfile.read(DATA / "beats" / SONG, dtype="float32")
    wav = tmp_path / "out.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(rendered), "-ac", "1", "-ar", str(rate), str(wav)], check=True
    )
    heard, _ = soundfile.read(wav, dtype="float32")
    start = round(plan.interval[0] * rate)
    window = heard[rate : 3 * rate]
    lags = range(-200, 201)
    scores = [float(np.dot(window, song[start + rate + lag : start + 3 * rate + lag])) for lag in lags]
    assert abs(lags[int(np.argmax(scores))]) <= 2  # samples (22050 Hz): exact, up to AAC


def mix_progress(plan, video: Path, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Frames within half a second of cut k, and how far each has switched to the blue take (0..1)."""
    red = np.array([frame[..., 0].mean() for frame in read_frames(str(video))])
    fps, cut = plan.settings.fps, plan.cuts[k]
    before = np.median(red[round((cut - 1.0) * fps) : round((cut - 0.3) * fps)])
    after = np.median(red[round((cut + 0.3) * fps) : round((cut + 1.0) * fps)])
    assert abs(after - before) > 30  # the tint really tells the takes apart
    around = np.arange(round((cut - 0.5) * fps), round((cut + 0.5) * fps))
    return around, (red[around] - before) / (after - before)


@pytest.mark.parametrize("style", ["hard", "soft"])
def test_cuts_land_on_segment_boundaries(style, plan, rendered, soft_plan, soft_rendered):
    plan, video = (plan, rendered) if style == "hard" else (soft_plan, soft_rendered)
    fps = plan.settings.fps
    for k in (1, 2):
        around, progress = mix_progress(plan, video, k)
        # the frame where the mix passes halfway is the cut
        crossing = around[np.argmax(progress >= 0.5)]
        assert abs(crossing - plan.cuts[k] * fps) <= 1
        mixed = np.count_nonzero((progress > 0.1) & (progress < 0.9))
        if style == "hard":  # no double exposure: every frame shows one take only
            assert mixed == 0 and plan.fade_lengths[k] == 0.0
        else:  # the fade lasts about half a beat
            assert 0.5 * plan.fade_lengths[k] * fps - 1 <= mixed <= plan.fade_lengths[k] * fps + 1


def floor_rows(frame: np.ndarray) -> np.ndarray:
    """Per column, the row of the strongest vertical edge: the floor line, where no dancer is."""
    luma = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return np.abs(luma[2:] - luma[:-2]).argmax(axis=0) + 1.0


def full(matrix: np.ndarray) -> np.ndarray:
    return np.vstack([matrix, [0.0, 0.0, 1.0]])


def background_shift(plan, frames: dict[int, np.ndarray], k: int, before: int, after: int) -> float:
    """Mean absolute shift (px) of the floor line between two frames around cut k, over the
    columns where neither dancer (nor their shadow) is."""
    width = plan.settings.width
    free = np.ones(width, bool)
    for i, box in ((before, "box_end"), (after, "box_start")):
        for layer in plan.layers[i]:
            clip = plan.pieces[layer.piece].clip
            m = full(layer.matrix)
            x0, _, x1, _ = transform_box(m, getattr(clip, box))
            margin = 0.3 * matrix_scale(m) * clip.body_height
            free[max(0, int(x0 - margin)) : min(width, int(x1 + margin) + 1)] = False
    assert free.sum() > width / 4
    return float(np.abs(floor_rows(frames[after]) - floor_rows(frames[before]))[free].mean())


def frames_around_cuts(plan, video: Path) -> dict[int, np.ndarray]:
    wanted = {round(plan.cuts[k] * plan.settings.fps) + d for k in (1, 2) for d in range(-12, 13)}
    return {i: f for i, f in enumerate(read_frames(str(video))) if i in wanted}


def test_a_hard_cut_keeps_the_background_still(plan, rendered, soft_plan, soft_rendered, tmp_path):
    """At a hard cut the floor line moves at most 4 px on average. A crossfade (soft) is
    compared on the frames just outside its fade; lining the dancers up by size alone, as
    before floor lines were found, is measured on the same frames for comparison."""
    fps = plan.settings.fps
    hard, soft = frames_around_cuts(plan, rendered), frames_around_cuts(soft_plan, soft_rendered)
    a, b = plan.pieces[0].clip, plan.pieces[1].clip
    assert a.floor_y is not None and b.floor_y is not None and abs(a.floor_y - b.floor_y) > 20
    no_floor = [dataclasses.replace(p.clip, floor_y=None) for p in plan.pieces]
    sized = build_plan(
        [Piece(p.index, p.beats, c) for p, c in zip(plan.pieces, no_floor)],
        plan.song_audio_path,
        *plan.interval,
        plan.settings,
    )
    figures = {}
    for k in (1, 2):
        cut = round(plan.cuts[k] * fps)
        figures[f"hard {k}"] = background_shift(plan, hard, k, cut - 1, cut)
        half = int(np.ceil(soft_plan.fade_lengths[k] * fps / 2)) + 1
        figures[f"soft {k}"] = background_shift(soft_plan, soft, k, cut - half, cut + half)
        out = encode_frames(sized, range(cut - 1, cut + 1), tmp_path / f"sized{k}.mp4", None, None).output
        pair = dict(zip((cut - 1, cut), read_frames(str(out))))
        figures[f"sized {k}"] = background_shift(sized, pair, k, cut - 1, cut)
    print("floor line shift at the cuts (px):", {n: round(v, 2) for n, v in figures.items()})
    for k in (1, 2):
        assert figures[f"hard {k}"] <= 4.0
        assert figures[f"soft {k}"] <= 4.0
    # the measure sees a jump where there is one (the takes' floor lines differ by > 20 px)
    assert max(figures["sized 1"], figures["sized 2"]) > 10.0


def one_take(soft_plan, k: int, piece: int, folder: Path) -> dict[int, np.ndarray]:
    """The frames of cut k's crossfade window showing piece `piece` alone (as the soft plan places
    and times it, which is how the hard plan does too), drawn, encoded and decoded like the output."""
    fade = [i for i, layers in enumerate(soft_plan.layers) if {la.piece for la in layers} == {k - 1, k}]
    alone = dataclasses.replace(
        soft_plan,
        layers=[
            tuple(dataclasses.replace(la, weight=1.0) for la in layers if la.piece == piece)
            if i in fade
            else layers
            for i, layers in enumerate(soft_plan.layers)
        ],
    )
    frames = range(fade[0], fade[-1] + 1)
    out = encode_frames(alone, frames, folder / f"cut{k}-piece{piece}.mp4", None, None).output
    return dict(zip(frames, read_frames(str(out))))


@pytest.mark.parametrize("style", ["hard", "soft"])
def test_no_frame_at_a_hard_cut_is_a_double_exposure(
    style, plan, rendered, soft_plan, soft_rendered, tmp_path
):
    """Around each cut, every decoded output frame is compared with the two takes drawn alone at
    that frame and with their 50/50 blend. Hard: each frame is nearer one take (the right one)
    than the blend. Soft: the crossfade's middle is nearest the blend, so the measure sees one."""
    out_plan, video = (plan, rendered) if style == "hard" else (soft_plan, soft_rendered)
    frames = frames_around_cuts(out_plan, video)
    blends, figures = 0, []
    for k in (1, 2):
        outgoing, incoming = one_take(soft_plan, k, k - 1, tmp_path), one_take(soft_plan, k, k, tmp_path)
        for i in outgoing:
            for la in plan.layers[i]:  # the hard plan draws the same placement and source time
                (same,) = [s for s in soft_plan.layers[i] if s.piece == la.piece]
                assert same.source_time == la.source_time and np.allclose(same.matrix, la.matrix)
            o, a, b = (f.astype(np.float32) for f in (frames[i], outgoing[i], incoming[i]))
            to_a, to_b = np.abs(o - a).mean(), np.abs(o - b).mean()
            to_blend = np.abs(o - (a + b) / 2).mean()
            figures.append((k, i, *(round(float(d), 1) for d in (to_a, to_b, to_blend))))
            blends += to_blend < min(to_a, to_b)
            if style == "hard":
                assert min(to_a, to_b) < to_blend, f"frame {i} at cut {k} is a double exposure"
                shown = max(out_plan.layers[i], key=lambda la: la.weight).piece
                assert (to_a < to_b) == (shown == k - 1), f"frame {i} shows the wrong take"
    print(f"{style}: (cut, frame, mean |out - outgoing|, |out - incoming|, |out - blend|):", figures)
    if style == "soft":
        assert blends >= 1


def test_the_incoming_dancer_meets_the_outgoing_one_at_a_hard_cut(plan):
    fps = plan.settings.fps
    for k in (1, 2):
        cut = round(plan.cuts[k] * fps)
        (before,), (after,) = plan.layers[cut - 1], plan.layers[cut]
        out_clip, in_clip = plan.pieces[k - 1].clip, plan.pieces[k].clip
        ox0, _, ox1, out_feet = transform_box(full(before.matrix), out_clip.box_end)
        ix0, _, ix1, in_feet = transform_box(full(after.matrix), in_clip.box_start)
        assert abs((ox0 + ox1) / 2 - (ix0 + ix1) / 2) < 1.0 and abs(out_feet - in_feet) < 1.0
        size = matrix_scale(full(after.matrix)) * in_clip.body_height
        size /= matrix_scale(full(before.matrix)) * out_clip.body_height
        print(f"cut {k}: incoming / outgoing dancer height {size:.2f}")
        assert 0.7 < size < 1.4  # set by the floor line's perspective, not forced equal


def test_pieces_joined_without_reencoding_match_the_full_render(plan, rendered, tmp_path):
    parts = [render_piece(plan, k, tmp_path / f"piece{k}.mp4") for k in range(len(plan.pieces))]
    assert sum(p.frames for p in parts) == plan.frame_count
    for k, part in enumerate(parts):
        info = probe(part.output)
        assert [s["codec_type"] for s in info["streams"]] == ["video"]
        assert int(info["streams"][0]["nb_read_packets"]) == len(plan.piece_frames(k))
    joined = join_pieces(
        [p.output for p in parts], plan.song_audio_path, plan.interval, tmp_path / "joined.mp4"
    )
    info, full = probe(joined), probe(rendered)
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    assert int(video["nb_read_packets"]) == int(full["streams"][0]["nb_read_packets"]) == plan.frame_count
    assert (
        abs(float(info["format"]["duration"]) - (plan.interval[1] - plan.interval[0]))
        <= 1 / plan.settings.fps
    )
    # stream copy: the joined file holds exactly the pieces' coded packets
    assert packet_hashes(joined) == [h for p in parts for h in packet_hashes(p.output)]
    # and shows the same pictures as the full render (the same frames, encoded in other GOPs)
    a = np.array([f.mean() for f in read_frames(str(joined))])
    b = np.array([f.mean() for f in read_frames(str(rendered))])
    assert len(a) == len(b) and np.abs(a - b).max() < 1.5


def test_missing_source_names_the_clip_and_leaves_no_file(soft_plan, tmp_path):
    plan = soft_plan
    gone = Clip(**{**plan.pieces[1].clip.__dict__, "path": tmp_path / "gone.mp4", "name": "salsa-turn-7"})
    pieces = [plan.pieces[0], Piece(1, plan.pieces[1].beats, gone), plan.pieces[2]]
    broken = build_plan(pieces, plan.song_audio_path, *plan.interval, plan.settings)
    out = tmp_path / "out" / "choreo.mp4"
    with pytest.raises(NotFound, match="salsa-turn-7"):
        render_video(broken, out)
    with pytest.raises(NotFound, match="salsa-turn-7"):
        render_piece(broken, 2, tmp_path / "out" / "piece2.mp4")  # its crossfade in shows piece 1
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


def test_a_failed_render_keeps_the_previous_output(plan, tmp_path):
    out = tmp_path / "choreo.mp4"
    out.write_bytes(b"previous")
    gone = Clip(**{**plan.pieces[0].clip.__dict__, "path": tmp_path / "gone.mp4"})
    broken = build_plan(
        [Piece(0, plan.pieces[0].beats, gone), *plan.pieces[1:]],
        plan.song_audio_path,
        *plan.interval,
        plan.settings,
    )
    with pytest.raises(NotFound):
        render_video(broken, out)
    assert out.read_bytes() == b"previous" and [p.name for p in tmp_path.iterdir()] == ["choreo.mp4"]
