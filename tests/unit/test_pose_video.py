"""Frame reading through ffmpeg (needs ffmpeg, not the pose model)."""

import subprocess

import numpy as np
import pytest

from choleor.errors import BadInput, Unavailable
from choleor.pose.video import probe, read_frames, read_video_frames


def _numbered_video(path, count=40, fps=25, size=(96, 64)):
    """Frame i is a flat grey of level 5*i: easy to recognise after decoding."""
    w, h = size
    data = b"".join(np.full((h, w, 3), 5 * i, np.uint8).tobytes() for i in range(count))
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                    "-s", f"{w}x{h}", "-r", str(fps), "-i", "pipe:", "-c:v", "libx264", "-g", "12",
                    "-crf", "10", "-pix_fmt", "yuv420p", str(path)], input=data, check=True)
    return path


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
    assert _levels(read_frames(path, frame_range=frame_range)) == list(range(start, 40 if end is None else end))


def test_i420_frames_match_rgb_frames(tmp_path):
    path = _numbered_video(tmp_path / "n.mp4")
    frames = list(read_video_frames(path, frame_range=(10, 12)))
    assert _levels(f.rgb() for f in frames) == [10, 11]


def test_file_without_video_is_refused(tmp_path):
    audio = tmp_path / "a.m4a"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "anullsrc=r=8000",
                    "-t", "0.5", str(audio)], check=True)
    with pytest.raises(BadInput, match="no video stream"):
        probe(audio)
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
