"""Frame reading through PyAV and the ffmpeg pipe (needs ffmpeg, not the pose model)."""

import subprocess

import numpy as np
import pytest

from choleor.errors import BadInput, Unavailable
from choleor.pose import video
from choleor.pose.video import VideoInfo, in_process, probe, read_frames, read_video_frames


def _numbered_video(path, count=40, fps=25, size=(96, 64), pix_fmt="yuv420p", extra=()):
    """Frame i is a flat grey of level 5*i: easy to recognise after decoding."""
    w, h = size
    data = b"".join(np.full((h, w, 3), 5 * i, np.uint8).tobytes() for i in range(count))
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-s",
            f"{w}x{h}",
            "-r",
            str(fps),
            "-i",
            "pipe:",
            "-c:v",
            "libx264",
            "-g",
            "12",
            "-crf",
            "10",
            "-pix_fmt",
            pix_fmt,
            *extra,
            str(path),
        ],
        input=data,
        check=True,
    )
    return path


def _pipe_i420(path, info, frame_range):
    """The same frames through the ffmpeg pipe, as (H * 3/2, W) arrays."""
    size = video.i420_frame_bytes(info.width, info.height)
    return [
        data.reshape(-1, info.width)
        for data in video._raw_frames(path, info, frame_range, 1, "yuv420p", size)
    ]


def _levels(frames):
    return [int(round(f.mean() / 5)) for f in frames]


def test_probe_and_read_all(tmp_path):
    path = _numbered_video(tmp_path / "n.mp4")
    info = probe(path)
    assert (info.fps, info.width, info.height, info.frame_count) == (25.0, 96, 64, 40)
    frames = list(read_frames(path))
    assert frames[0].shape == (64, 96, 3) and frames[0].dtype == np.uint8
    assert _levels(frames) == list(range(40))


@pytest.mark.parametrize("frame_range", [(0, 5), (13, 27), (30, None), (39, 40), (7, 7)])
def test_frame_ranges_are_exact(tmp_path, frame_range):
    path = _numbered_video(tmp_path / "n.mp4")
    start, end = frame_range
    assert _levels(read_frames(path, frame_range=frame_range)) == list(
        range(start, 40 if end is None else end)
    )


def test_i420_frames_match_rgb_frames(tmp_path):
    path = _numbered_video(tmp_path / "n.mp4")
    frames = list(read_video_frames(path, frame_range=(10, 12)))
    assert _levels(f.rgb() for f in frames) == [10, 11]


@pytest.mark.parametrize("frame_range", [None, (0, 5), (13, 27), (30, None), (39, 40), (7, 7), (35, 60)])
def test_in_process_frame_ranges_are_exact(tmp_path, frame_range):
    path = _numbered_video(tmp_path / "n.mp4")  # keyframes every 12 frames, B-frames between
    info = probe(path)
    assert in_process(info)
    frames = list(read_video_frames(path, info, frame_range))
    start, end = frame_range or (0, None)
    assert _levels(f.rgb() for f in frames) == list(range(start, min(40, 40 if end is None else end)))
    # The very same pixels as the ffmpeg pipe gives.
    pipe = _pipe_i420(path, info, frame_range)
    assert len(pipe) == len(frames) and all(np.array_equal(f.data, p) for f, p in zip(frames, pipe))


def test_in_process_planes_are_not_copied_until_needed(tmp_path):
    path = _numbered_video(tmp_path / "n.mp4", size=(100, 64))  # rows padded in the decoder
    frame = next(read_video_frames(path, frame_range=(3, 4)))
    y, u, v = frame.planes()
    assert (y.shape, u.shape, v.shape) == ((64, 100), (32, 50), (32, 50))
    assert frame.data.shape == (96, 100) and frame.data.flags.c_contiguous
    assert np.array_equal(frame.data[:64], y) and int(round(frame.rgb().mean() / 5)) == 3


@pytest.mark.parametrize("rotate", [90, 180, 270])
def test_rotated_video_is_read_upright_through_ffmpeg(tmp_path, rotate):
    plain = _numbered_video(tmp_path / "n.mp4")
    rotated = tmp_path / "r.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(plain),
            "-c",
            "copy",
            "-metadata:s:v",
            f"rotate={rotate}",
            str(rotated),
        ],
        check=True,
    )
    info = probe(rotated)
    w, h = (96, 64) if rotate == 180 else (64, 96)
    assert (info.width, info.height) == (w, h) and info.transformed and not in_process(info)
    frames = list(read_video_frames(rotated, info, (20, 25)))
    assert [(f.width, f.height, f.data.shape) for f in frames] == [(w, h, (h * 3 // 2, w))] * 5
    assert _levels(f.rgb() for f in frames) == list(range(20, 25))


def test_other_pixel_formats_are_converted_by_ffmpeg(tmp_path):
    path = _numbered_video(tmp_path / "n.mp4", pix_fmt="yuv444p")
    info = probe(path)
    assert info.pix_fmt == "yuv444p" and not in_process(info)
    frames = list(read_video_frames(path, info, (5, 9)))
    assert [f.data.shape for f in frames] == [(96, 96)] * 4
    assert _levels(f.rgb() for f in frames) == [5, 6, 7, 8]


def test_undecodable_file_is_bad_input(tmp_path):
    junk = tmp_path / "x.mp4"
    junk.write_bytes(b"not a video" * 100)
    info = VideoInfo(25.0, 96, 64, 40, 1.6, pix_fmt="yuv420p")  # as if the probe had passed
    with pytest.raises(BadInput, match="cannot decode .*x.mp4"):
        list(read_video_frames(junk, info))


def test_file_without_video_is_refused(tmp_path):
    audio = tmp_path / "a.m4a"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "anullsrc=r=8000", "-t", "0.5", str(audio)],
        check=True,
    )
    with pytest.raises(BadInput, match="no video stream"):
        probe(audio)
    cover = tmp_path / "c.mp3"  # cover art is a video stream, but not a video
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "anullsrc=r=8000",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=64x64:rate=1:d=1",
            "-map",
            "0",
            "-map",
            "1",
            "-t",
            "0.5",
            "-frames:v",
            "1",
            "-c:v",
            "mjpeg",
            "-disposition:v",
            "attached_pic",
            str(cover),
        ],
        check=True,
    )
    with pytest.raises(BadInput, match="no video stream"):
        probe(cover)
    with pytest.raises(BadInput, match="cannot read"):
        probe(tmp_path / "missing.mp4")
    junk = tmp_path / "x.mp4"
    junk.write_bytes(b"not a video")
    with pytest.raises(BadInput, match="cannot read"):
        probe(junk)


def test_missing_model_says_how_to_build_it(tmp_path, monkeypatch):
    from choleor.pose import model

    monkeypatch.setenv(model.MODEL_DIR_ENV, str(tmp_path))
    with pytest.raises(Unavailable, match="build.sh"):
        model.PoseModels("full")
    with pytest.raises(ValueError, match="variant"):
        model.PoseModels("heavy")
