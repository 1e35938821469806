"""Beat and downbeat tracking for dance music.

Pipeline (`track_beats`):

1. Two views of the song. `compute_features`: one blocked STFT pass (memory stays flat for
   long songs) giving a log-mel spectrogram, chroma, frame RMS and spectral-flux onset
   envelopes (full band and kick < 200 Hz, mid, high > 2 kHz). `audio.activation`: BeatNet's
   learned beat and downbeat probabilities (50 frames/s), moved onto the same frames.
2. `beat_envelope`: what the tracker follows, 3 parts flux to 1 part learned activation
   (`ACT_WEIGHT`, the one number chosen on the annotated clips; the bench reports it
   leave-one-out). The flux is exact in time and reacts to every genre's drums; the
   activation knows which onsets are beats.
3. `tempo_salience` / `estimate_tempo`: the autocorrelation of the envelope scored
   *metrically*: a beat period L is credible when the signal also repeats at L/2 (eighths),
   2L and 4L (half bar, bar) and not at L/3, 2L/3 (triplets), which separates the beat from
   the 2/3 and 3/2 impostors; a log-Gaussian prior centred on 120 BPM chooses the octave (the
   counting level: a 186 BPM metal song is counted at 93). `local_period` follows a tempo
   change that lasts (a 100 BPM part followed by a 120 BPM one).
4. `beat_dp.track`: dynamic-programming beat placement (Ellis; librosa's method, in numpy)
   with a fractional, time-varying period and a tightness of 800 (dance music is produced
   to a click); both ends padded with copies of the first/last bars.
5. Which half of the grid. A song counted at 105 BPM or less is tracked twice as fast (a fast
   song's every beat, a slower song's eighths) and the half holding the kicks is kept
   (`downbeats.kick_half`): a fast rock or drum and bass song is counted on its kicks (1 and
   3), not on the snare's backbeat, with one choice for the whole song. Otherwise the grid is compared with
   the grid shifted by half a beat (`offbeat_contrast`, on kick-, mid- and high-band onsets):
   house hi-hats and off-beat chords make the full band prefer the off-beat.
6. Detector lag, compensated in the method: our log-mel flux (centred 93 ms window) peaks
   *before* a note starts. `DETECTOR_LAG` was measured on synthetic drum tracks with exactly
   known onsets (see `tests/unit/test_audio_beats.py`), never on the annotated clips, and is
   subtracted from every beat (the activation's own lag is compensated when it is moved onto
   the flux frames).
7. `downbeats.bar_phase`: the bar phase whose beats carry the most of four equally weighted
   cues (learned downbeat activation, kick, harmonic change, timbre change).
8. `confidence.beat_confidence`: how steady a beat the grid follows, 0..1 (low for noise,
   speech, ambient and free-time music).

Nothing here imports librosa or numba at run time (`audio.spectral` has the few blocks we
need): their import and JIT compile cost more than the analysis of a whole song.
`tests/bench/bench_beats.py` scores it on every annotated clip against librosa and BeatNet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from choleor.audio import beat_dp, spectral
from choleor.audio.activation import ACTIVATION_LAG, Activation, beat_activation
from choleor.audio.confidence import beat_confidence
from choleor.audio.downbeats import bar_phase, downbeat_cues, kick_half

#: Seconds from a note's start to where our tracker puts the beat (peak of the spectral-flux
#: envelope), measured on synthetic kick/snare/hi-hat tracks with exactly known onsets at
#: 90-170 BPM (n_fft=2048, hop=256, 22050 Hz): -16 to -21 ms, i.e. the centred 93 ms window
#: sees a note before it starts. Subtracted from every beat.
DETECTOR_LAG = -0.018


@dataclass
class Features:
    """Frame-level features at `hop_length`; frame t is centred on t * hop_length / sr."""

    sr: int
    hop_length: int
    mel_db: np.ndarray  # (n_mels, T) log-power mel, dB re the song's maximum
    chroma: np.ndarray  # (12, T) energy-normalised chroma
    rms_db: np.ndarray  # (T,) frame RMS in dB (full scale = 0 dB)
    onset: np.ndarray  # (T,) full-band spectral flux
    onset_bands: np.ndarray  # (3, T) spectral flux in kick (< low_hz), mid, high (> high_hz) bands

    @property
    def onset_low(self) -> np.ndarray:
        return self.onset_bands[0]

    @property
    def n_frames(self) -> int:
        return self.onset.shape[0]

    def times(self, frames: np.ndarray | None = None) -> np.ndarray:
        f = np.arange(self.n_frames) if frames is None else np.asarray(frames)
        return f * (self.hop_length / self.sr)


@dataclass
class BeatGrid:
    """Beats of a song. Times in seconds from the start of the audio."""

    beats: np.ndarray  # (n,) beat times
    downbeats: np.ndarray  # (m,) subset of `beats`: first beat of each 4/4 bar
    tempo: float  # bpm of the tracked level
    beat_strength: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (n,) 0..1
    first_downbeat: int = 0  # index into `beats` of the first downbeat
    beats_per_bar: int = 4
    tempo_candidates: dict = field(default_factory=dict)  # bpm -> prior-weighted salience
    offbeat_contrast: float = 0.0  # >0: beats stronger than half-beat-shifted grid
    confidence: float = 0.0  # 0..1: how surely this is a steady beat (see audio.confidence)


def compute_features(
    y: np.ndarray,
    sr: int,
    *,
    n_fft: int = 2048,
    hop_length: int = 256,
    n_mels: int = 96,
    low_hz: float = 200.0,
    high_hz: float = 2000.0,
    flux_range_db: float = 50.0,
    block_frames: int = 2048,
) -> Features:
    """Log-mel, chroma, RMS and onset envelopes from one STFT, computed in blocks of
    `block_frames` frames so a 10-minute song never holds its full complex STFT (~400 MB).
    Identical to a centred full-signal STFT."""
    y = np.asarray(y, dtype=np.float32)
    n_frames = 1 + len(y) // hop_length
    half = n_fft // 2
    melfb = spectral.mel_filterbank(sr, n_fft, n_mels)
    chromafb = spectral.chroma_filterbank(sr, n_fft)
    window = spectral.hann(n_fft)
    window_power = float(np.sum(window.astype(float) ** 2))
    mel = np.empty((n_mels, n_frames), np.float32)
    chroma = np.empty((12, n_frames), np.float32)
    power = np.empty(n_frames, np.float32)
    # Zero padding at both ends, as a centred STFT with constant padding.
    padded = np.pad(y, (half, half + hop_length))
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop_length][:n_frames]
    for b0 in range(0, n_frames, block_frames):
        S = spectral.power_frames(frames[b0 : b0 + block_frames], window)
        nb = S.shape[1]
        mel[:, b0 : b0 + nb] = melfb @ S
        chroma[:, b0 : b0 + nb] = chromafb @ S
        # Parseval: mean-square of the windowed frame; ×2 for the one-sided spectrum.
        power[b0 : b0 + nb] = (2 * S.sum(axis=0) - S[0]) / (n_fft * window_power)
    mel_db = _power_to_db_inplace(mel, top_db=80.0)  # = librosa.power_to_db(ref=np.max), no copy
    chroma /= chroma.max(axis=0, keepdims=True) + 1e-10
    rms_db = 10 * np.log10(np.maximum(power, 1e-10)).astype(np.float32)
    # Flux over a 50 dB range, not 80: after silence, a log spectrum sees the hann window's
    # leading edge reach a note ~28 ms early; a smaller range keeps onset timing tighter.
    flux = np.diff(np.maximum(mel_db, -flux_range_db), axis=1)
    np.maximum(flux, 0.0, out=flux)
    flux = np.pad(flux, ((0, 0), (1, 0)))  # frame 0 has no predecessor
    freqs = spectral.mel_frequencies(n_mels, 0.0, sr / 2)
    bands = [freqs < low_hz, (freqs >= low_hz) & (freqs < high_hz), freqs >= high_hz]
    return Features(
        sr=sr,
        hop_length=hop_length,
        mel_db=mel_db,
        chroma=chroma,
        rms_db=rms_db,
        onset=flux.mean(axis=0),
        onset_bands=np.stack([flux[b].mean(axis=0) for b in bands]),
    )


def _power_to_db_inplace(S: np.ndarray, top_db: float = 80.0, amin: float = 1e-10) -> np.ndarray:
    """librosa.power_to_db(S, ref=np.max, top_db=top_db), overwriting S (saves a copy)."""
    ref = max(float(S.max()), amin)
    np.maximum(S, amin, out=S)
    np.log10(S, out=S)
    S *= 10.0
    S -= 10.0 * np.log10(ref)
    np.maximum(S, S.max() - top_db, out=S)
    return S


def tempo_prior(bpm: np.ndarray, centre: float = 120.0, sigma_oct: float = 0.5) -> np.ndarray:
    """Log-Gaussian over tempo: centred on 120 BPM (the geometric middle of the 80-180 BPM
    range dance music is counted in), half an octave wide, so of two tempi an octave apart
    the one nearer the middle wins unless the other is much more salient."""
    return np.exp(-0.5 * (np.log2(np.asarray(bpm, dtype=float) / centre) / sigma_oct) ** 2)


def tempo_salience(
    env: np.ndarray,
    sr: int,
    hop_length: int,
    *,
    min_bpm: float = 40.0,
    max_bpm: float = 320.0,
    weights: tuple = ((0.5, 1.0), (1, 1.0), (2, 1.0), (4, 1.0), (1 / 3, -1.0), (2 / 3, -1.0)),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Metrical salience of every integer beat period L (frames) in [min_bpm, max_bpm].

    salience(L) = sum_k w_k * acf(k * L): rewarded at k = 1/2, 1, 2, 4 (eighths, beat, half
    bar, bar), penalised at k = 1/3, 2/3 (triplet subdivision). A 2/3-tempo impostor
    (L' = 1.5 beats) has its thirds on the real eighths and beat, so it loses clearly.
    Returns (bpm, salience, acf)."""
    ac = spectral.acf(env)
    fps = sr / hop_length
    lags = np.arange(max(2, int(fps * 60 / max_bpm)), int(np.ceil(fps * 60 / min_bpm)) + 1)
    sal = sum(w * spectral.acf_at(ac, lags * k) for k, w in weights)
    return fps * 60 / lags, sal, ac


def estimate_tempo(
    env: np.ndarray, sr: int, hop_length: int, *, prior_centre: float = 120.0, prior_sigma_oct: float = 0.5
) -> tuple[float, dict]:
    """Tempo (bpm) maximising prior × metrical salience, refined on the bar-level
    autocorrelation peak (4 beats apart, so 4× finer than one lag step).

    Also returns the explicit comparison of the related levels (×1/2, ×2/3, ×1, ×3/2, ×2)."""
    bpm, sal, ac = tempo_salience(env, sr, hop_length)
    score = sal * tempo_prior(bpm, prior_centre, prior_sigma_oct)
    best = int(np.argmax(score))
    fps = sr / hop_length
    lag = fps * 60 / bpm[best]
    for mult in (4, 1):  # prefer the bar-level peak when the song is long enough
        centre = int(round(mult * lag))
        if centre + 3 < len(ac):
            seg = ac[centre - 3 : centre + 4]
            k = int(np.argmax(seg))
            if 0 < k < 6:
                a, b, c = seg[k - 1 : k + 2]
                k = k + 0.5 * (a - c) / (a - 2 * b + c + 1e-12)
            lag = (centre - 3 + k) / mult
            break
    tempo = float(fps * 60 / lag)
    cands = {}
    for r in (0.5, 2 / 3, 1.0, 1.5, 2.0):
        t = tempo * r
        if bpm[-1] <= t <= bpm[0]:
            cands[round(t, 2)] = float(np.interp(t, bpm[::-1], score[::-1]))
    return tempo, cands


def bar_slot_profile(bands: np.ndarray, beat_frames: np.ndarray, slots_per_bar: int = 8) -> np.ndarray:
    """Onset strength folded onto one bar of eighth-note slots, following the tracked beats
    (so tempo drift does not smear it). Slot 2i is beat i of the grid, slot 2i+1 the point
    half-way to the next beat. Each band is z-scored, then bands are summed, so kick, snare
    and hi-hat vote equally. Returns (slots_per_bar,) starting at the grid's first beat."""
    slots = np.empty(2 * len(beat_frames) - 1)
    slots[::2] = beat_frames
    slots[1::2] = 0.5 * (beat_frames[:-1] + beat_frames[1:])
    z = (bands - bands.mean(axis=1, keepdims=True)) / (bands.std(axis=1, keepdims=True) + 1e-12)
    vals = sum(spectral.value_at(zb, slots) for zb in z)
    pos = np.arange(len(slots)) % slots_per_bar
    return np.array([vals[pos == j].mean() if np.any(pos == j) else 0.0 for j in range(slots_per_bar)])


def offbeat_contrast(profile: np.ndarray) -> float:
    """> 0 when the grid is on the beat. Two votes from the bar profile: the strongest
    position in the bar is a beat (max on-beat slot - max off-beat slot), and beats are
    stronger on average (mean on - mean off). Either alone fails on some music: house
    hi-hats make off-beats loud on average, breakbeat kicks are syncopated."""
    on, off = profile[0::2], profile[1::2]
    return float((on.max() - off.max()) + (on.mean() - off.mean()))


def activation_on_grid(act: Activation, feats: Features, lag: float) -> tuple[np.ndarray, np.ndarray]:
    """The learned beat and downbeat activations resampled onto the feature frames, moved so
    that their peaks line up with the onset envelope's (each detector's lag compensated)."""
    t = (feats.times() + (ACTIVATION_LAG - lag)) * act.fps
    src = np.arange(len(act.beat))
    return np.interp(t, src, act.beat), np.interp(t, src, act.downbeat)


ACT_WEIGHT = 0.25
FAST_SPLIT_BPM = 210.0


def beat_envelope(feats: Features, act_beat: np.ndarray, weight: float | None = None) -> np.ndarray:
    """What the tracker follows: the spectral-flux onset envelope (scaled to mean 1/4) plus
    the learned beat activation (0..1), equal parts. The flux is exact in time and knows
    every genre's drums; the activation knows which onsets are beats."""
    w = ACT_WEIGHT if weight is None else weight
    flux = feats.onset / (4.0 * feats.onset.mean() + 1e-12)
    return (1 - w) * flux + w * act_beat


def local_period(
    env: np.ndarray,
    fps: float,
    bpm: float,
    *,
    window_s: float = 8.0,
    hop_s: float = 1.0,
    min_change: float = 0.06,
    min_run_s: float = 8.0,
) -> np.ndarray:
    """Frames per beat at every frame, following tempo changes of more than `min_change`.

    In `window_s` windows the metrical salience picks the best period within 0.8-1.25x the
    song's (a 2/3 or 3/4 impostor stays out of reach); a 7-window median removes outliers. Where the local tempo is within `min_change`
    of the song's, or differs for less than `min_run_s`, the song's period is kept (a
    constant-tempo song stays exactly constant)."""
    n = len(env)
    period = fps * 60.0 / bpm
    win, hop = int(window_s * fps), int(hop_s * fps)
    if n < 2 * win:
        return np.full(n, period)
    centres, local = [], []
    lags = np.arange(int(0.8 * period), int(np.ceil(1.25 * period)) + 1)
    weights = ((0.5, 1.0), (1, 1.0), (2, 1.0), (1 / 3, -1.0), (2 / 3, -1.0))
    for a in range(0, n - win + 1, hop):
        ac = spectral.acf(env[a : a + win])
        sal = sum(w * spectral.acf_at(ac, lags * k) for k, w in weights)
        k = int(np.argmax(sal))
        best = float(lags[k])
        if 0 < k < len(sal) - 1:
            p, q, r = sal[k - 1 : k + 2]
            d = p - 2 * q + r
            best += 0.5 * (p - r) / d if d < 0 else 0.0
        centres.append(a + win / 2)
        local.append(best)
    local = np.asarray(local)
    smooth = np.array([np.median(local[max(0, i - 3) : i + 4]) for i in range(len(local))])
    # Keep a change only where it lasts `min_run_s` (a new section's tempo, not a fill).
    changed = np.abs(np.log(smooth / period)) >= np.log1p(min_change)
    edges = np.flatnonzero(np.diff(np.r_[0, changed.astype(int), 0]))
    keep = np.zeros_like(changed)
    for a, b in zip(edges[0::2], edges[1::2]):
        if (b - a) * hop_s >= min_run_s:
            keep[a:b] = True
    return np.interp(np.arange(n), centres, np.where(keep, smooth, period))


def _track_padded(env: np.ndarray, period: np.ndarray, tightness: float) -> np.ndarray:
    """Beat frames from the DP. It has no look-ahead at the ends and picks stray beats
    there, so both ends are padded with copies of the first / last two bars (a whole number
    of beats, so in phase) and the beats that fall in the padding are dropped."""
    head, tail = int(round(8 * period[0])), int(round(8 * period[-1]))
    if len(env) < 2 * max(head, tail):
        return beat_dp.track(env, period, tightness).astype(float)
    padded = np.r_[env[:head], env, env[-tail:]]
    beats = beat_dp.track(padded, np.r_[period[:head], period, period[-tail:]], tightness) - head
    return beats[(beats >= 0) & (beats < len(env))].astype(float)


def _shift_half(frames: np.ndarray, n_frames: int) -> np.ndarray:
    """The grid moved by half a beat (both ends extrapolated by one beat)."""
    mids = 0.5 * (frames[:-1] + frames[1:])
    first = mids[0] - (frames[1] - frames[0])
    last = mids[-1] + (frames[-1] - frames[-2])
    return np.r_[[first] if first >= 0 else [], mids, [last] if last < n_frames else []]


def track_beats(
    y: np.ndarray | None = None,
    sr: int = 22050,
    *,
    feats: Features | None = None,
    act: Activation | None = None,
    tightness: float = 800.0,
    prior_centre: float = 120.0,
    prior_sigma_oct: float = 0.5,
    beats_per_bar: int = 4,
    lag: float = DETECTOR_LAG,
) -> BeatGrid:
    """Beats, downbeats, tempo and beat confidence of `y` (mono float, 22050 Hz).

    Pass `feats` and `act` to reuse features (both are computed from `y` otherwise)."""
    if feats is None:
        feats = compute_features(y, sr)
    if act is None:
        act = beat_activation(y, sr)
    hop, fps = feats.hop_length, feats.sr / feats.hop_length
    empty = BeatGrid(np.zeros(0), np.zeros(0), 0.0)
    if not np.any(feats.onset > 0):
        return empty
    act_beat, act_down = activation_on_grid(act, feats, lag)
    env = beat_envelope(feats, act_beat)
    tempo, cands = estimate_tempo(
        env, feats.sr, hop, prior_centre=prior_centre, prior_sigma_oct=prior_sigma_oct
    )
    period = local_period(env, fps, tempo)
    split = 2 * tempo <= FAST_SPLIT_BPM
    frames = _track_padded(env, period / 2 if split else period, tightness)
    if len(frames) < 4:
        return empty
    if split:
        # Tracked twice as fast (a fast song's every beat, a slower song's eighths): count
        # the half that holds the kicks (1 and 3, not the snare's backbeat; the beat, not
        # the "and"). One choice for the whole song, where a grid tracked at half speed
        # could slip from one half to the other.
        frames = frames[kick_half(feats.onset_low, frames, beats_per_bar) :: 2]
        contrast = offbeat_contrast(bar_slot_profile(feats.onset_bands, frames))
    else:
        contrast = offbeat_contrast(bar_slot_profile(feats.onset_bands, frames))
        if contrast < 0:  # locked on the off-beat: move half a beat
            frames = _shift_half(frames, feats.n_frames)
    frames = frames[_sounding(feats, frames)]
    if len(frames) < 2:
        return empty
    cues = downbeat_cues(act_down, feats.onset_low, feats.chroma, feats.mel_db, frames)
    phase, _ = bar_phase(cues, beats_per_bar)
    times = np.maximum(frames / fps - lag, 0.0)
    # The tempo the grid follows (refined on the bar-level autocorrelation), not the beats'
    # spacing, which moves in 6 ms steps.
    counted = np.interp(frames, np.arange(len(period)), period)
    strength = spectral.value_at(env, frames)
    return BeatGrid(
        beats=times,
        downbeats=times[phase::beats_per_bar],
        tempo=float(60.0 * fps / np.median(counted)),
        beat_strength=strength / (strength.max() + 1e-12),
        first_downbeat=phase,
        beats_per_bar=beats_per_bar,
        tempo_candidates=cands,
        offbeat_contrast=contrast,
        confidence=beat_confidence(feats.onset, frames),
    )


def _sounding(feats: Features, frames: np.ndarray, floor_db: float = -60.0) -> np.ndarray:
    """Mask of beats where the song is not silent (within 0.2 s): the tracker's grid runs
    through a quiet intro but not through digital silence before or after the music."""
    loud = feats.rms_db > max(floor_db, float(feats.rms_db.max()) - 70.0)
    reach = int(0.2 * feats.sr / feats.hop_length)
    near = np.convolve(loud.astype(float), np.ones(2 * reach + 1), mode="same") > 0
    return near[np.clip(np.rint(frames).astype(int), 0, len(near) - 1)]
