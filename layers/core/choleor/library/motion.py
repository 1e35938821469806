"""Pose-track geometry for cutting moves: normalisation, gap filling, beat-clock resampling.

Per-beat motion energy, start/end terms and mirroring live with the move schema
in `choleor.recommend.features`.

Poses are COCO-17 keypoints in pixels. They are normalised by centring on the
hips and scaling by the torso (shoulder centre to hip centre), so moves from
different videos, framings and dancers compare; the renderer's alignment at a
cut (scale by body size, translate the centre) makes the same assumption.
"""

from __future__ import annotations

import numpy as np

from ..keypoints import INDEX

L_SHOULDER, R_SHOULDER, L_HIP, R_HIP = (
    INDEX[n] for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip")
)
SAMPLES_PER_BEAT = 8


def hip_centre(kp: np.ndarray) -> np.ndarray:
    """(..., 17, 2) -> (..., 2)"""
    return 0.5 * (kp[..., L_HIP, :] + kp[..., R_HIP, :])


def torso_length(kp: np.ndarray) -> np.ndarray:
    """Shoulder-centre to hip-centre distance, (..., 17, 2) -> (...)."""
    shoulders = 0.5 * (kp[..., L_SHOULDER, :] + kp[..., R_SHOULDER, :])
    return np.linalg.norm(shoulders - hip_centre(kp), axis=-1)


def normalise(kp: np.ndarray, scale: float | None = None) -> np.ndarray:
    """Hip-centred, torso-scaled keypoints.

    One scale per move (the median torso over its frames) rather than per frame,
    so that bending forward does not look like growing arms.
    """
    if scale is None:
        scale = float(np.median(torso_length(kp)))
    scale = max(scale, 1e-6)
    return (kp - hip_centre(kp)[..., None, :]) / scale


def fill_gaps(kp: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Linearly interpolate keypoints over frames where no person was found."""
    if present.all() or not present.any():
        return kp.copy()
    idx = np.arange(len(kp))
    good = np.flatnonzero(present)
    out = kp.copy()
    flat = kp.reshape(len(kp), -1)
    for j in range(flat.shape[1]):
        out.reshape(len(kp), -1)[:, j] = np.interp(idx, good, flat[good, j])
    return out


def resample_on_beats(
    kp: np.ndarray, fps: float, beats: np.ndarray, per_beat: int = SAMPLES_PER_BEAT, t0: float = 0.0
) -> np.ndarray:
    """Sample a pose track at `per_beat` points per beat between consecutive beat times.

    Returns ((len(beats)-1)*per_beat + 1, 17, 2): the move on a beat-relative
    clock, which is what lets a move be retimed onto any song's beats.
    `t0` is the time of kp[0].
    """
    beats = np.asarray(beats, dtype=float)
    frac = np.arange(per_beat) / per_beat
    times = np.concatenate([beats[:-1, None] + np.diff(beats)[:, None] * frac[None, :]]).ravel()
    times = np.append(times, beats[-1])
    frame_pos = np.clip((times - t0) * fps, 0, len(kp) - 1)
    lo = np.floor(frame_pos).astype(int)
    hi = np.minimum(lo + 1, len(kp) - 1)
    w = (frame_pos - lo)[:, None, None]
    return (1 - w) * kp[lo] + w * kp[hi]
