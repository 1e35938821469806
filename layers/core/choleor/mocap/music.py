"""Give a mocap take music whose beat fits the movement.

1. Movement tempo: the dancer's mean joint speed is detrended and autocorrelated. Its shortest
   strong peak between 0.25 s and 2 s is the movement's period: a step per beat repeats every
   beat, a bounce twice a beat (speed is high going down and up), and real dance mostly repeats
   per two or four beats (a salsa basic, a bar). The period is folded by octaves into dance
   tempi (80-180 BPM); when two readings fall in range (e.g. 82 and 164) a log-normal prior
   around 125 BPM picks the nearer. The beat phase is where the speed is lowest on that grid
   (kinematic beats: moves land, stop and turn on the beat).
2. Soundtrack: a shipped beat-annotated clip (data/beats and its batches) is retimed with
   ffmpeg's atempo (time-stretch without pitch change, gentle on drums) to the movement tempo,
   looped on whole bars from a downbeat, and shifted so a downbeat lands on the movement's beat
   phase. For one take the clip needing the least retiming is used (`choose_clip`); for a set of
   takes `assign_soundtracks` spreads them over the clips (a library of takes all danced to one
   song would give every move the same music features).
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from pathlib import Path

import ffmpeg
import numpy as np
import soundfile
from scipy.ndimage import gaussian_filter1d, uniform_filter1d
from scipy.optimize import linear_sum_assignment

from choleor.errors import BadInput

MIN_BPM, MAX_BPM = 80.0, 180.0
PRIOR_BPM, PRIOR_OCTAVES = 125.0, 1.0
SAMPLE_RATE = 22050
_SEAM_S = 0.008  # crossfade at loop seams, avoids clicks
_MOVING_POINTS = slice(5, None)  # body points without the face (which only repeats the head)
_DETREND_S = 1.0
_FUNDAMENTAL_SHARE = 0.6
_MIN_PERIOD_S, _MAX_PERIOD_S = 0.25, 2.0  # movement periodicities looked at (240-30 per minute)


@dataclass
class MovementTempo:
    bpm: float
    first_beat_s: float  # phase of the beat grid: the first beat at or after t = 0
    strength: float  # autocorrelation at the beat period, 0..1 (how periodic the motion is)


@dataclass
class Soundtrack:
    samples: np.ndarray  # (N,) float32 mono
    sample_rate: int
    bpm: float
    beat_times: np.ndarray  # seconds
    downbeat_times: np.ndarray
    clip_file: str
    clip_title: str
    clip_author: str
    clip_license: str
    clip_bpm: float
    stretch_rate: float  # > 1 means the clip was sped up

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate

    def credit(self) -> str:
        licence = self.clip_license.split(" (")[0]
        return f'"{self.clip_title}" by {self.clip_author} ({licence}), retimed to {self.bpm:.1f} BPM'


def movement_speed(points: np.ndarray, fps: float) -> np.ndarray:
    """(F-1,) mean speed of the body points in body heights per second, lightly smoothed."""
    velocity = np.diff(points, axis=0) * fps
    speed = np.linalg.norm(velocity, axis=-1).mean(axis=1)
    return gaussian_filter1d(speed, sigma=0.03 * fps)


def _autocorrelation(x: np.ndarray) -> np.ndarray:
    """Unbiased, normalised autocorrelation for lags 0..len(x)//2."""
    n = len(x)
    spectrum = np.fft.rfft(x, 2 * n)
    r = np.fft.irfft(spectrum * np.conj(spectrum))[: n // 2 + 1]
    r = r / (n - np.arange(len(r)))
    return r / max(r[0], 1e-12)


def _tempo_prior(bpm: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * (np.log2(bpm / PRIOR_BPM) / PRIOR_OCTAVES) ** 2)


def estimate_movement_tempo(points: np.ndarray, fps: float) -> MovementTempo:
    """Beat tempo and phase of a movement from its body points (F, P, 3) at `fps`."""
    if points.shape[0] < fps * 2:
        raise BadInput("need at least 2 s of movement to estimate a tempo")
    speed = movement_speed(points[:, _MOVING_POINTS], fps)
    detrended = speed - uniform_filter1d(speed, size=int(round(_DETREND_S * fps)), mode="nearest")
    r = _autocorrelation(detrended)
    lag = _fundamental_lag(r, int(_MIN_PERIOD_S * fps), int(_MAX_PERIOD_S * fps))
    if lag is None:  # no periodicity at all: a neutral tempo
        best = (0.0, 120.0, 0.0)
    else:
        period_s = (lag + _parabolic_offset(r, lag)) / fps
        best = max((_tempo_prior(bpm), bpm, float(r[lag])) for bpm in _octaves_in_range(60.0 / period_s))
    _, bpm, strength = best
    return MovementTempo(bpm, _beat_phase(detrended, fps, 60.0 * fps / bpm), strength)


def _fundamental_lag(r: np.ndarray, lo: int, hi: int) -> int | None:
    """The shortest autocorrelation peak in [lo, hi] nearly as strong as the strongest.

    A motion that repeats every period also repeats at every multiple of it; folding a multiple
    of 3 or 5 periods by octaves would give a wrong tempo, so only the fundamental is folded.
    """
    hi = min(hi, len(r) - 2)
    peaks = [
        lag
        for lag in range(max(lo, 1), hi + 1)
        if r[lag] > 0 and r[lag] > r[lag - 1] and r[lag] >= r[lag + 1]
    ]
    if not peaks:
        return None
    strongest = max(r[lag] for lag in peaks)
    return next(lag for lag in peaks if r[lag] >= _FUNDAMENTAL_SHARE * strongest)


def _octaves_in_range(bpm: float) -> list[float]:
    """`bpm` times powers of two that fall within the dance range."""
    out = []
    for k in range(-4, 5):
        candidate = bpm * 2.0**k
        if MIN_BPM <= candidate <= MAX_BPM:
            out.append(candidate)
    return out


def _parabolic_offset(r: np.ndarray, lag: int) -> float:
    """Sub-sample position of the autocorrelation peak near `lag` (0 if not a local peak)."""
    if lag <= 0 or lag + 1 >= len(r):
        return 0.0
    a, b, c = r[lag - 1], r[lag], r[lag + 1]
    denominator = a - 2 * b + c
    if denominator >= 0:
        return 0.0
    return float(np.clip(0.5 * (a - c) / denominator, -0.5, 0.5))


def _beat_phase(detrended_speed: np.ndarray, fps: float, period_frames: float) -> float:
    """Time of the first beat: the grid offset where the speed is lowest on average."""
    offsets = np.arange(int(np.ceil(period_frames)))
    beats = offsets[:, None] + np.arange(0, len(detrended_speed) - period_frames, period_frames)[None, :]
    mean_speed = np.interp(beats, np.arange(len(detrended_speed)), detrended_speed).mean(axis=1)
    return float(offsets[int(np.argmin(mean_speed))] / fps)


def default_beats_dir() -> Path:
    return Path(__file__).resolve().parents[4] / "data" / "beats"


def load_clips(beats_dir: str | Path | None = None) -> list[dict]:
    """The beat-annotated clips (annotations.json of the directory and of each batch folder in
    it), each with its `path` added."""
    directory = Path(beats_dir) if beats_dir else default_beats_dir()
    clips = []
    for listing in [directory / "annotations.json", *sorted(directory.glob("*/annotations.json"))]:
        for clip in json.loads(listing.read_text())["clips"]:
            clip["path"] = str(listing.parent / clip["file"])
            clips.append(clip)
    return clips


def retiming(bpm: float, clip_bpm: float) -> float:
    """How much a clip is sped up or slowed down to play at `bpm`: 0.05 = 5 %."""
    ratio = bpm / clip_bpm
    return max(ratio, 1.0 / ratio) - 1.0


def assign_soundtracks(
    tempi: dict[str, float], clips: list[dict], per_clip: int = 3, fit: float = 0.08
) -> dict[str, dict]:
    """Take name -> clip: every take gets a clip, to be retimed to its movement tempo.

    Minimises the total retiming (log tempo ratio, five times as dear past `fit`, where
    time-stretching starts to be heard) plus a penalty for each take a clip gets past its first
    `per_clip`: p for the next, 2p for the one after, and so on, with p a quarter above
    log(1 + fit). So a clip gets more than `per_clip` takes only when no other clip within `fit`
    retiming of that take has room: moving the take there would cost less than log(1 + fit) < p,
    and the optimum cannot be improved. One assignment problem, solved exactly, so the result
    does not depend on the order of the takes.
    """
    names = sorted(tempi)
    clip_bpm = np.array([float(c["bpm"]) for c in clips])
    log_dist = np.abs(np.log([tempi[n] for n in names])[:, None] - np.log(clip_bpm)[None, :])
    log_dist += 4.0 * np.maximum(0.0, log_dist - np.log1p(fit))
    slots = len(names)  # per clip: room for every take
    penalty = 1.25 * np.log1p(fit) * np.maximum(0, np.arange(slots) - per_clip + 1)
    cost = (log_dist[:, :, None] + penalty[None, None, :]).reshape(len(names), -1)
    rows, cols = linear_sum_assignment(cost)
    return {names[r]: clips[c // slots] for r, c in zip(rows, cols)}


def choose_clip(bpm: float, clips: list[dict], tie_key: str = "") -> dict:
    """The clip with the smallest retiming; ties (several clips at one tempo) vary by `tie_key`."""
    distance = np.array([abs(np.log(bpm / float(c["bpm"]))) for c in clips])
    tied = [c for c, d in zip(clips, distance) if d <= distance.min() + 1e-9]
    return tied[zlib.crc32(tie_key.encode()) % len(tied)]


def _time_stretch(path: str, rate: float, sample_rate: int) -> np.ndarray:
    """Decode and retime with ffmpeg atempo (rate > 1 is faster), mono float32."""
    stream = ffmpeg.input(path)
    if abs(rate - 1.0) > 1e-6:
        stream = stream.filter("atempo", f"{rate:.6f}")
    out, _ = stream.output("pipe:", format="f32le", ac=1, ar=sample_rate).run(
        capture_stdout=True, capture_stderr=True
    )
    return np.frombuffer(out, np.float32).copy()


def build_soundtrack(
    bpm: float,
    duration_s: float,
    *,
    first_beat_s: float = 0.0,
    clip: str | None = None,
    beats_dir: str | Path | None = None,
    tie_key: str = "",
) -> Soundtrack:
    """Music at `bpm` lasting `duration_s`, looped on whole bars, a downbeat at `first_beat_s`."""
    clips = load_clips(beats_dir)
    if clip is None:
        chosen = choose_clip(bpm, clips, tie_key)
    else:
        matches = [c for c in clips if c["file"] == clip or Path(c["file"]).stem == clip]
        if not matches:
            raise BadInput(f"no music clip named {clip!r}")
        chosen = matches[0]
    rate = bpm / float(chosen["bpm"])
    audio = _time_stretch(chosen["path"], rate, SAMPLE_RATE)

    downbeats = np.array(chosen["downbeats"]) / rate
    beats = np.array(chosen["beats"]) / rate
    loop_start, loop_end = downbeats[0], downbeats[-1]
    start, end = int(round(loop_start * SAMPLE_RATE)), int(round(loop_end * SAMPLE_RATE))
    loop = _seamless_loop(audio, start, end)
    loop_s = len(loop) / SAMPLE_RATE

    # tile, then start `first_beat_s` before a loop start so a downbeat lands there
    lead = first_beat_s % (60.0 / bpm)
    repeats = int(np.ceil((duration_s + lead) / loop_s)) + 1
    tiled = np.tile(loop, repeats)
    offset = len(loop) - int(round(lead * SAMPLE_RATE))
    samples = tiled[offset : offset + int(round(duration_s * SAMPLE_RATE))].copy()
    _fade(samples, SAMPLE_RATE)

    def grid(times: np.ndarray) -> np.ndarray:
        in_loop = times[(times >= loop_start - 1e-6) & (times < loop_end - 1e-6)] - loop_start
        shifted = (in_loop[None, :] + loop_s * np.arange(repeats)[:, None]).ravel() - loop_s + lead
        return np.sort(shifted[(shifted >= 0) & (shifted < duration_s)])

    return Soundtrack(
        samples, SAMPLE_RATE, float(bpm), grid(beats), grid(downbeats), chosen["file"],
        chosen.get("title", ""), chosen.get("author", ""), chosen.get("license", ""),
        float(chosen["bpm"]), float(rate),
    )  # fmt: skip


def _seamless_loop(audio: np.ndarray, start: int, end: int) -> np.ndarray:
    """audio[start:end] whose head fades in from what followed its end, so repeats join smoothly."""
    loop = audio[start:end].copy()
    seam = min(int(_SEAM_S * SAMPLE_RATE), len(audio) - end, len(loop))
    if seam > 0:
        ramp = np.linspace(0.0, 1.0, seam, dtype=np.float32)
        loop[:seam] = loop[:seam] * ramp + audio[end : end + seam] * (1 - ramp)
    return loop


def _fade(samples: np.ndarray, sample_rate: int, fade_in_s: float = 0.01, fade_out_s: float = 0.3) -> None:
    n_in, n_out = (
        min(int(fade_in_s * sample_rate), len(samples)),
        min(int(fade_out_s * sample_rate), len(samples)),
    )
    samples[:n_in] *= np.linspace(0, 1, n_in, dtype=np.float32)
    samples[len(samples) - n_out :] *= np.linspace(1, 0, n_out, dtype=np.float32)


def write_wav(soundtrack: Soundtrack, path: str | Path) -> None:
    soundfile.write(str(path), soundtrack.samples, soundtrack.sample_rate, subtype="PCM_16")
