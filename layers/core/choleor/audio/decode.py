"""Probe, validate and decode any ffmpeg-readable media file to mono float32 samples.

Decoding pipes ffmpeg's raw f32le output into numpy (no temporary WAV, no librosa.load), so
mp3, m4a/aac, ogg/opus, flac, wav, webm and the audio track of a video all go the same way.
`validate` rejects bad uploads from the probe alone, before any decoding.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass

import ffmpeg
import numpy as np

from choleor.errors import BadInput, TooLarge

#: Peak amplitude (full scale = 1) under which a decoded file counts as silent (-60 dBFS).
SILENCE_PEAK = 1e-3


@dataclass
class MediaInfo:
    """What ffprobe says about a file."""

    duration: float  # seconds (0.0 if unknown)
    has_audio: bool
    has_video: bool
    format: str  # ffmpeg format name(s), e.g. "mp3" or "mov,mp4,m4a,3gp,3g2,mj2"
    size: int  # bytes
    sample_rate: int = 0  # of the first audio stream
    channels: int = 0


def _mb(n: float) -> str:
    return f"{n / 2**20:.0f} MB"


def _mmss(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}:{s:02d}"


def probe(path: str | os.PathLike) -> MediaInfo:
    """ffprobe `path`. Raises BadInput if it is empty, missing or not a media file."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise BadInput("The file could not be found.")
    size = os.path.getsize(path)
    if size == 0:
        raise BadInput("The file is empty.")
    try:
        info = ffmpeg.probe(path)
    except ffmpeg.Error as e:
        raise BadInput(
            "This file is not a song or video we can read (it may be damaged or not a media "
            "file). Try an mp3, m4a, ogg, wav or flac file."
        ) from e
    streams = info.get("streams", [])
    fmt = info.get("format", {})
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    # Cover art in an mp3/m4a is a "video" stream with a single attached picture.
    video = [
        s
        for s in streams
        if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic")
    ]
    duration = float(fmt.get("duration") or 0.0)
    if not duration and audio:
        duration = float(audio[0].get("duration") or 0.0)
    return MediaInfo(
        duration=duration,
        has_audio=bool(audio),
        has_video=bool(video),
        format=str(fmt.get("format_name", "")),
        size=size,
        sample_rate=int(audio[0].get("sample_rate", 0)) if audio else 0,
        channels=int(audio[0].get("channels", 0)) if audio else 0,
    )


def validate(path: str | os.PathLike, max_bytes: int = 50 * 2**20, max_seconds: float = 600.0) -> MediaInfo:
    """Probe and check limits without decoding: size, readability, an audio stream, length."""
    path = os.fspath(path)
    if os.path.isfile(path) and os.path.getsize(path) > max_bytes:
        raise TooLarge(
            f"The file is {_mb(os.path.getsize(path))}; the limit is {_mb(max_bytes)}. "
            "Upload a shorter or more compressed version (an mp3 is fine)."
        )
    info = probe(path)
    if not info.has_audio:
        raise BadInput("This file has no sound track, so there is no music to dance to.")
    if info.duration <= 0:
        raise BadInput("The file's length could not be read; it may be damaged.")
    if info.duration > max_seconds:
        raise TooLarge(
            f"The song is {_mmss(info.duration)} long; the limit is {_mmss(max_seconds)}. "
            "Cut it to the part you want to dance to."
        )
    if info.duration < 2.0:
        raise BadInput("The song is too short: it needs at least a few seconds of music.")
    return info


#: Decoding stops this far past `max_seconds`: headers may be a little off, never by more.
DECODE_MARGIN = 5.0


def load_mono(
    path: str | os.PathLike,
    sr: int = 22050,
    start: float | None = None,
    duration: float | None = None,
    max_seconds: float | None = None,
    what: str = "song",
) -> np.ndarray:
    """Decode the first audio stream of `path` to mono float32 at `sr` Hz via an ffmpeg pipe.

    `start`/`duration` (seconds) select a part (input seeking, so a late start is cheap).
    With `max_seconds`, decoding stops `DECODE_MARGIN` past it and raises TooLarge, whatever the
    file's header claims (an mp3 without a length header is measured from its first frames, so
    a short loud start followed by hours at a low bit rate probes as a few minutes). The output
    buffer is sized from `duration`, else from ffprobe, so it is filled in place."""
    said = duration  # what the header says is there
    if said is None:
        try:
            said = max(0.0, probe(path).duration - float(start or 0.0))
        except BadInput:
            said = None  # ffmpeg will report the problem below
    samples = int(sr * ((said + 1.0) if said is not None else 60.0)) + sr
    cap = None  # samples past which the file is refused
    if max_seconds is not None:
        cap = int((max_seconds + DECODE_MARGIN) * sr)
        samples = min(samples, cap + 1)
    input_kw = {}
    if start:
        input_kw["ss"] = float(start)
    if duration is not None:
        input_kw["t"] = float(duration)
    args = (
        ffmpeg.input(os.fspath(path), **input_kw)
        .output("pipe:", format="f32le", acodec="pcm_f32le", ac=1, ar=sr, map="0:a:0", vn=None)
        .global_args("-nostdin", "-v", "error")
        .compile()
    )
    # Read the pipe straight into a numpy buffer: `communicate()` would hold the output
    # twice (chunks + joined bytes), ~100 MB extra for a 10-minute song.
    too_long = False
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err)
        try:
            buf = np.empty(samples, np.float32)
            n = 0  # bytes read
            while True:
                if n == buf.nbytes:
                    if cap is not None and len(buf) > cap:
                        too_long = True  # a sample past the cap was read: stop decoding
                        break
                    grown = 2 * len(buf) if cap is None else min(2 * len(buf), cap + 1)
                    buf = np.resize(buf, grown)  # rare: only when the header was wrong
                view = memoryview(buf).cast("B")
                got = proc.stdout.readinto(view[n:])
                del view
                if not got:
                    break
                n += got
        except BaseException:
            proc.kill()
            raise
        finally:
            if too_long:
                proc.kill()
            proc.stdout.close()
            code = proc.wait()
        err.seek(0)
        tail = err.read().decode(errors="replace").strip().splitlines()[-1:]
    if too_long or (cap is not None and n // 4 > cap):
        claim = (
            f" (the file says {_mmss(said)}, but the sound goes on)" if said and said < max_seconds else ""
        )
        raise TooLarge(
            f"The {what} is longer than {_mmss(max_seconds)}, the limit{claim}. "
            "Cut it to the part you want to dance to."
        )
    if code != 0:
        raise BadInput(
            "The sound in this file could not be decoded; it may be damaged."
            + (f" (ffmpeg: {tail[0]})" if tail else "")
        )
    y = buf[: n // 4]
    if len(y) < len(buf) // 2:  # give back a big over-allocation
        y = y.copy()
    if not np.all(np.isfinite(y)):
        y = np.nan_to_num(y)
    return y


def check_not_silent(y: np.ndarray, threshold: float = SILENCE_PEAK) -> None:
    """Raise BadInput if `y` is empty or never rises above `threshold` (-60 dBFS)."""
    if y.size == 0:
        raise BadInput("No sound could be decoded from the file.")
    if float(np.max(np.abs(y))) < threshold:
        raise BadInput("The file is silent: there is no music in it to dance to.")
