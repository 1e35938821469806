"""Render real video: 3 pieces from 2 mannequin takes onto a beat-annotated song.

The second take is tinted blue (ffmpeg), so where the output switches between
takes shows in every frame's mean red level: that locates the cuts.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile

from choleor.errors import NotFound
from choleor.pose.video import read_frames
from choleor.render import Clip, Piece, RenderSettings, build_plan, join_pieces, render_piece, render_video
from tests.integration.render_clips import DATA, clip_from_take, song_beats, take

SONG = "fof_muldjord_chaos_god.flac"  # 170 BPM: close to the takes' own tempo
BLUE = "colorchannelmixer=rr=0.15:gg=0.5"


@pytest.fixture(scope="module")
def takes(tmp_path_factory) -> tuple[Clip, Clip]:
    folder = tmp_path_factory.mktemp("takes")
    a = clip_from_take(*take("cmu60_01_salsa_daz", folder))
    b = clip_from_take(*take("cmu05_11_modern-dance_daz", folder, tint=BLUE))
    return a, b


@pytest.fixture(scope="module")
def plan(takes):
    beats = song_beats(SONG)[4 : 4 + 25]
    a, b = takes
    pieces = [Piece(k, tuple(beats[8 * k : 8 * k + 9]), c) for k, c in enumerate([a, b, a])]
    return build_plan(pieces, DATA / "beats" / SONG, beats[0], beats[-1], RenderSettings())


@pytest.fixture(scope="module")
def rendered(plan, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("render") / "choreo.mp4"
    seen = []
    result = render_video(plan, out, progress=lambda done, total: seen.append((done, total)))
    assert result.output == out and result.frames == plan.frame_count
    assert result.cuts == pytest.approx(tuple(plan.cuts[1:-1]))
    assert seen[-1] == (plan.frame_count, plan.frame_count)
    return out


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


def test_cuts_land_on_segment_boundaries(plan, rendered):
    red = np.array([frame[..., 0].mean() for frame in read_frames(str(rendered))])
    fps = plan.settings.fps
    for k in (1, 2):
        cut = plan.cuts[k]
        before = np.median(red[round((cut - 1.0) * fps) : round((cut - 0.3) * fps)])
        after = np.median(red[round((cut + 0.3) * fps) : round((cut + 1.0) * fps)])
        around = np.arange(round((cut - 0.5) * fps), round((cut + 0.5) * fps))
        progress = (red[around] - before) / (after - before)
        assert abs(after - before) > 30  # the tint really tells the takes apart
        # the frame where the mix passes halfway is the cut
        crossing = around[np.argmax(progress >= 0.5)]
        assert abs(crossing - cut * fps) <= 1
        # and the fade lasts about half a beat
        mixed = np.count_nonzero((progress > 0.1) & (progress < 0.9))
        assert 0.5 * plan.fade_lengths[k] * fps - 1 <= mixed <= plan.fade_lengths[k] * fps + 1


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


def test_missing_source_names_the_clip_and_leaves_no_file(plan, tmp_path):
    gone = Clip(**{**plan.pieces[1].clip.__dict__, "path": tmp_path / "gone.mp4", "name": "salsa-turn-7"})
    pieces = [plan.pieces[0], Piece(1, plan.pieces[1].beats, gone), plan.pieces[2]]
    broken = build_plan(pieces, plan.song_audio_path, *plan.interval, plan.settings)
    out = tmp_path / "out" / "choreo.mp4"
    with pytest.raises(NotFound, match="salsa-turn-7"):
        render_video(broken, out)
    with pytest.raises(NotFound, match="salsa-turn-7"):
        render_piece(broken, 2, tmp_path / "out" / "piece2.mp4")  # its fade-in shows piece 1
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
