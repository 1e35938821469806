"""Learned beat and downbeat activation: BeatNet's model 2 (CC BY 4.0) under onnxruntime.

`beat_activation(y)` gives, 50 times a second, the network's probability that a beat
(`beat`, any beat including the downbeat) and that a downbeat (`downbeat`) starts there.

Input features are the ones BeatNet was trained on (its `LOG_SPECT`, built on madmom),
computed here in numpy so that neither madmom nor PyTorch is needed: at 22050 Hz, frames of
1411 samples (64 ms) centred every 441 samples (20 ms, zero padded at the ends), a symmetric
Hann window, an FFT of the frame length keeping 705 bins, magnitudes through a 24-band-per-
octave triangular filterbank (30 Hz - 17 kHz, each filter of unit area, duplicate bins
removed), log10(1 + x), and the positive difference to the previous frame: 136 + 136 = 272
values per frame. The centred 64 ms frames see a note before it starts, so the activation
peaks a little early; `ACTIVATION_LAG` is measured on synthetic drums with known onsets.

The ONNX file is built at setup time from the pinned BeatNet wheel (layers/beat_model); no
weights are downloaded at run time. Set CHOLEOR_BEAT_MODEL_DIR to read it from elsewhere.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.fft

from choleor.errors import Unavailable

SR = 22050
FPS = 50.0
FRAME = 1411  # int(0.064 * SR)
HOP = 441  # int(0.020 * SR)
N_BINS = FRAME >> 1
MODEL_FILE = "beatnet_model2.onnx"
MODEL_DIR_ENV = "CHOLEOR_BEAT_MODEL_DIR"
DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[3] / "beat_model" / "cache"

#: Seconds from a note's start to the peak of the network's beat activation, measured on
#: synthetic kick/snare/hi-hat tracks with exactly known onsets at 92-150 BPM (medians -2 to
#: -11 ms; see the unit tests). Negative: the peak comes before the note.
ACTIVATION_LAG = -0.008


@dataclass
class Activation:
    """Frame t is centred on t / fps seconds."""

    beat: np.ndarray  # (T,) P(beat or downbeat)
    downbeat: np.ndarray  # (T,) P(downbeat)
    fps: float = FPS


@functools.cache
def log_filterbank(
    n_bins: int = N_BINS, sr: int = SR, bands_per_octave: int = 24, fmin: float = 30.0, fmax: float = 17000.0
) -> np.ndarray:
    """(n_bins, n_bands) triangular filters on a log-frequency axis, as madmom's
    LogarithmicFilterbank(norm_filters=True, unique_filters=True, fref=440)."""
    # madmom's bin frequencies: fftfreq(2 * n_bins) (for an odd FFT size, not exactly k*sr/N)
    bin_freqs = np.fft.fftfreq(2 * n_bins, 1.0 / sr)[:n_bins]
    left = np.floor(np.log2(fmin / 440.0) * bands_per_octave)
    right = np.ceil(np.log2(fmax / 440.0) * bands_per_octave)
    freqs = 440.0 * 2.0 ** (np.arange(left, right) / bands_per_octave)
    freqs = freqs[np.searchsorted(freqs, fmin) :]
    freqs = freqs[: np.searchsorted(freqs, fmax, "right")]
    idx = np.clip(bin_freqs.searchsorted(freqs), 1, n_bins - 1)
    idx -= freqs - bin_freqs[idx - 1] < bin_freqs[idx] - freqs
    bins = np.unique(idx)
    fb = np.zeros((n_bins, len(bins) - 2), np.float32)
    for band, (start, centre, stop) in enumerate(zip(bins[:-2], bins[1:-1], bins[2:])):
        if stop - start < 2:
            centre, stop = start, start + 1
        tri = np.zeros(stop - start)
        tri[: centre - start] = np.linspace(0, 1, centre - start, endpoint=False)
        tri[centre - start :] = np.linspace(1, 0, stop - centre, endpoint=False)
        tri /= tri.sum()
        fb[start:stop, band] = np.maximum(fb[start:stop, band], tri[: max(0, min(stop, n_bins) - start)])
    return fb


def beatnet_features(y: np.ndarray, block: int = 1024) -> np.ndarray:
    """(T, 272) float32 features of mono 22050 Hz samples, T = ceil(len(y) / 441)."""
    y = np.asarray(y, dtype=np.float32)
    n = int(np.ceil(len(y) / HOP))
    half = FRAME // 2
    window = np.hanning(FRAME).astype(np.float32)
    fb = log_filterbank()
    out = np.zeros((n, 2 * fb.shape[1]), np.float32)
    spec = out[:, : fb.shape[1]]
    for b0 in range(0, n, block):  # blocks keep the spectra small on long songs
        start = np.arange(b0, min(n, b0 + block)) * HOP - half  # frame i is centred on i * HOP
        ok = (start >= 0) & (start + FRAME <= len(y))
        frames = np.empty((len(start), FRAME), np.float32)
        frames[ok] = y[start[ok, None] + np.arange(FRAME)[None, :]]
        for k in np.flatnonzero(~ok):  # the few frames that pass an end of the song
            frames[k] = _padded_frame(y, start[k])
        frames *= window
        mag = np.abs(scipy.fft.rfft(frames, axis=1, workers=1)[:, :N_BINS])
        spec[b0 : b0 + len(start)] = mag.astype(np.float32) @ fb
    np.log10(spec + 1.0, out=spec)
    np.maximum(spec[1:] - spec[:-1], 0.0, out=out[1:, fb.shape[1] :])
    return out


def _padded_frame(y: np.ndarray, start: int) -> np.ndarray:
    """One frame that passes an end of `y`, zero padded."""
    frame = np.zeros(FRAME, np.float32)
    a, b = max(start, 0), min(start + FRAME, len(y))
    if b > a:
        frame[a - start : b - start] = y[a:b]
    return frame


def model_path() -> Path:
    return Path(os.environ.get(MODEL_DIR_ENV) or DEFAULT_MODEL_DIR) / MODEL_FILE


@functools.cache
def _session():
    import onnxruntime as ort

    path = model_path()
    if not path.is_file():
        raise Unavailable(
            f"beat model {path} is missing: run layers/beat_model/build.sh "
            f"(or point {MODEL_DIR_ENV} at a folder holding {MODEL_FILE})"
        )
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def run_model(features: np.ndarray, chunk: int = 3000) -> np.ndarray:
    """(T, 3) softmax outputs (beat, downbeat, no beat) for (T, 272) features. Runs in chunks
    of `chunk` frames (1 minute), carrying the LSTM state across: the same result as one
    run, with memory that does not grow with the song."""
    out = np.zeros((len(features), 3), np.float32)
    state = {"h0": np.zeros((2, 1, 150), np.float32), "c0": np.zeros((2, 1, 150), np.float32)}
    for a in range(0, len(features), chunk):
        x = np.ascontiguousarray(features[a : a + chunk], np.float32)
        out[a : a + len(x)], state["h0"], state["c0"] = _session().run(None, {"features": x, **state})
    return out


def beat_activation(y: np.ndarray, sr: int = SR) -> Activation:
    """Beat and downbeat probabilities of mono samples at 22050 Hz (the model's rate)."""
    if sr != SR:
        raise ValueError(f"the beat model needs {SR} Hz audio, got {sr}")
    out = run_model(beatnet_features(y))
    return Activation(beat=out[:, 0] + out[:, 1], downbeat=out[:, 1])
