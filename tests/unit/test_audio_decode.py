"""Decoding and validation of uploads, as a person uploading a song would see them."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from choleor.audio import decode
from choleor.errors import BadInput, TooLarge

CLIP = Path(__file__).resolve().parents[2] / "data" / "beats" / "spi_loop_mika_x4.flac"


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-v", "error", "-y", *map(str, args)], check=True)


def test_probe_flac():
    info = decode.probe(CLIP)
    assert info.has_audio and not info.has_video
    assert info.duration == pytest.approx(32.0, abs=0.05)
    assert info.size == CLIP.stat().st_size


@pytest.mark.parametrize(
    "ext,codec",
    [("mp3", "libmp3lame"), ("ogg", "libvorbis"), ("m4a", "aac"), ("opus", "libopus"), ("wav", "pcm_s16le")],
)
def test_compressed_formats_decode_to_same_length(tmp_path, ext, codec):
    ref = decode.load_mono(CLIP)
    out = tmp_path / f"song.{ext}"
    ffmpeg("-i", CLIP, "-t", "10", "-ac", "2", "-c:a", codec, out)
    y = decode.load_mono(out)
    assert y.dtype == np.float32 and y.ndim == 1
    # Encoder padding differs by format; within 50 ms of the 10 s cut.
    assert abs(len(y) - 10 * 22050) < 0.05 * 22050
    # Same music: the loudness envelope (50 ms frames) follows the original.
    n = 10 * 22050 // 1102 * 1102
    env = lambda x: np.sqrt((x[:n].reshape(-1, 1102) ** 2).mean(axis=1))  # noqa: E731
    assert np.corrcoef(env(np.pad(y, (0, n))), env(ref))[0, 1] > 0.95


def test_video_sound_track_decodes(tmp_path):
    out = tmp_path / "dance.webm"
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "color=c=blue:s=64x64:d=5",
        "-i",
        CLIP,
        "-t",
        "5",
        "-c:v",
        "libvpx",
        "-c:a",
        "libopus",
        "-shortest",
        out,
    )
    info = decode.validate(out)
    assert info.has_video and info.has_audio
    y = decode.load_mono(out, sr=16000)
    assert abs(len(y) - 5 * 16000) < 0.1 * 16000


def test_start_and_duration(tmp_path):
    y = decode.load_mono(CLIP, start=10.0, duration=4.0)
    full = decode.load_mono(CLIP)
    assert len(y) == pytest.approx(4 * 22050, abs=50)
    assert np.allclose(y[1000:2000], full[10 * 22050 + 1000 : 10 * 22050 + 2000], atol=1e-4)


def test_text_renamed_mp3_rejected(tmp_path):
    p = tmp_path / "song.mp3"
    p.write_text("this is not music\n" * 100)
    with pytest.raises(BadInput, match="not a song or video"):
        decode.validate(p)


def test_empty_file_rejected(tmp_path):
    p = tmp_path / "empty.mp3"
    p.write_bytes(b"")
    with pytest.raises(BadInput, match="empty"):
        decode.validate(p)


def test_video_without_sound_rejected(tmp_path):
    p = tmp_path / "silent.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=c=red:s=64x64:d=3", "-c:v", "mpeg4", p)
    with pytest.raises(BadInput, match="no sound track"):
        decode.validate(p)


def test_too_big_rejected(tmp_path):
    with pytest.raises(TooLarge, match="limit"):
        decode.validate(CLIP, max_bytes=1000)


def test_two_hour_file_rejected_from_probe(tmp_path):
    # 2 h of 8 kHz mono mp3 silence is small; rejection must come from the probe (fast).
    p = tmp_path / "long.mp3"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "7200", "-b:a", "8k", p)
    with pytest.raises(TooLarge, match="2:00:00|120:00"):
        decode.validate(p, max_seconds=600)


def test_silence_rejected(tmp_path):
    p = tmp_path / "quiet.wav"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=22050:cl=mono", "-t", "5", p)
    decode.validate(p)  # a valid file ...
    with pytest.raises(BadInput, match="silent"):
        decode.check_not_silent(decode.load_mono(p))  # ... with nothing in it


def test_a_header_that_understates_the_length_is_caught_while_decoding(tmp_path):

    from tests.media import lying_mp3

    path = lying_mp3(tmp_path / "lying.mp3")
    info = decode.validate(path, max_seconds=600)  # the probe believes the header
    assert 300 < info.duration < 600
    with pytest.raises(TooLarge, match="longer than 10:00"):
        decode.load_mono(path, max_seconds=600)
    # The whole analysis, as the song job runs it, in its own process: refused, and small. The child
    # reads its own peak (VmHWM): ru_maxrss carries over fork+exec, so a child of a large test run
    # would report the runner's size.
    script = (
        "import sys; from choleor.audio.analysis import analyze_file\n"
        "from choleor.errors import TooLarge\n"
        "try: analyze_file(sys.argv[1], max_seconds=600)\n"
        "except TooLarge:\n"
        "    print(next(ln.split()[1] for ln in open('/proc/self/status') if ln.startswith('VmHWM:')))\n"
        "    sys.exit(13)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True)
    assert proc.returncode == 13, proc.stderr
    peak_kb = int(proc.stdout.split()[-1])
    assert peak_kb < 500 * 1024, f"peak {peak_kb / 1024:.0f} MB"


def test_decoding_within_the_limit_is_whole(tmp_path):
    out = tmp_path / "song.mp3"
    ffmpeg("-i", CLIP, "-t", "12", "-ac", "1", out)
    y = decode.load_mono(out, max_seconds=10)  # 12 s is within the 5 s margin
    assert abs(len(y) - 12 * 22050) < 0.05 * 22050
    with pytest.raises(TooLarge):
        decode.load_mono(out, max_seconds=6)
