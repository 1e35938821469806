"""Song analysis: decode any media file, track beats and downbeats, cut 8-beat units,
describe each unit (timbre, harmony, rhythm, energy) and draw a waveform overview.

Modules: `decode` (ffprobe/ffmpeg I/O and validation), `beats` (features, tempo, beat and
downbeat tracking), `segments` (8-beat units), `descriptors` (per-unit vectors),
`peaks` (waveform overview), `analysis` (the whole pipeline for one file or array).
Nothing here touches storage or HTTP.
"""
