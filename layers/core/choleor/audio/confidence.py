"""How surely a song has a steady beat that the grid follows, 0..1.

Music with a pulse repeats with its beat: its onset envelope, read along the tracked grid,
correlates with itself one beat, two beats and a bar later. Noise, speech, ambient washes
and free-time (rubato) playing give the tracker no such grid to follow. The envelope is
resampled to `STEPS` points per tracked beat (so a song whose tempo changes is measured in
its own beats), and the normalised autocorrelation at 1, 2 and 4 beats, averaged and
divided by `FULL`, is the confidence.

Measured on the 20 annotated clips (data/beats, both batches) before the division: 0.34-0.84
(a stitched 100-then-120 BPM drum track: 0.68); on test signals made for it (pink noise,
espeak-ng speech, a slow pad, free-time piano phrases): 0.06-0.16. `STEADY` x `FULL` = 0.2
sits between the two. The learned beat activation is no help here: on pink noise it stays
as high as on some music. Below `STEADY` the front end says "no steady beat here" instead of
drawing the grid.
"""

from __future__ import annotations

import numpy as np

from choleor.audio import spectral

#: Points per beat of the beat-warped envelope.
STEPS = 24
#: Autocorrelation that counts as a fully steady beat.
FULL = 0.4
#: Confidence under which an analysis is shown as having no steady beat.
STEADY = 0.5


def beat_confidence(onset: np.ndarray, frames: np.ndarray) -> float:
    """`onset`: the onset envelope; `frames`: the tracked beats (fractional frames)."""

    if len(frames) < 9 or not np.any(onset > 0):
        return 0.0
    u = np.arange(0, len(frames) - 1, 1.0 / STEPS)
    warped = np.interp(np.interp(u, np.arange(len(frames)), frames), np.arange(len(onset)), onset)
    ac = spectral.acf(warped)
    lags = np.array([1, 2, 4]) * STEPS
    return float(np.clip(np.mean(spectral.acf_at(ac, lags[lags < len(ac)], tol=1)) / FULL, 0.0, 1.0))
