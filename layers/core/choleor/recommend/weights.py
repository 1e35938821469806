"""Every tuned number of the ranking and of auto-fill, in one place.

`recommend.scores` turns each part of a fit into a score in 0..1 (1 = perfect); `COMPONENTS`
says how much each counts. The six candidates (`rank`) and auto-fill (`auto`) share them, so the
two agree on what "good" means; auto-fill adds the costs only a whole sequence has (cuts, runs
of one video, footage shown again, the music's repeats), on the same scale (weight x (1 - score)).

The component weights were chosen on the default library (docs/LIBRARY.md) with
`tests/bench/bench_quality.py` by random search, keeping about 10 % of automatic picks stretched
past 20 % (past that a move visibly runs slow or fast), and kept because small changes to them
keep the results (docs/ARCHITECTURE.md).
"""

from __future__ import annotations

from collections.abc import Mapping

#: Weight of each component score in the weighted mean (`scores.combine`).
COMPONENTS: Mapping[str, float] = {
    "music": 3.0,  # timbre, harmony and rhythm of the move's own music vs the segment's
    "energy": 6.0,  # motion energy vs the music's loudness, beat by beat
    "tempo": 6.0,  # how far the move must be sped up or slowed down
    "beat": 9.0,  # the move's own accents on its beats (its Beat Align Score)
    "transition": 2.0,  # pose and velocity jump from the previous pick
}

#: Share of the energy score that is the per-beat shape (Pearson r); the rest is the level.
ENERGY_SHAPE = 0.6

# Auto-fill only.
#: Cost of two consecutive moves from one source. Consecutive clips of one video join
#: perfectly, so without it the search replays the library's dances clip after clip: a copy,
#: not new choreography. A run continues only where no other move joins nearly as well...
SAME_SOURCE_COST = 1.2
#: ...and never for more than this many segments (24 beats): then it cuts.
MAX_RUN = 3
#: Cost per torso length of jump at a cut, on top of the transition score. That score saturates
#: (every jump past ~0.3 torso scores near 0), so alone it lets the search buy a little music
#: fit with one glaring cut; this term keeps a 0.7 jump dearer than a 0.3 one.
JUMP_COST = 16.0
#: Cost saved by dancing a segment's earlier pick again where its music repeats (ChoreoMaster's
#: structure term): the dance takes the song's form, and the second time costs no new material.
ECHO_BONUS = 2.5
#: Cost of showing footage again where the music does not repeat. It only steers the search:
#: what still repeats afterwards is repaired (`auto.late_repeats`).
REPEAT_COST = 2.0
