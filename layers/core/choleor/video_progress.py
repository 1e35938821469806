"""How far the making of a video has come, in words a person reads while waiting.

The final render's work is counted in frames: those of the pieces still to draw
(by this job or by another worker), then the join. The fraction is frames drawn
over frames to draw. The time left comes from the drawing speed measured in this
job since its first frame (once it has drawn for a second), else from the speed
the last render in this process measured; without either it says it is still
estimating, an honest "don't know yet" rather than a guess. A ticker repeats the
latest news with a fresh time left every second, so the report never stands still
while a decoder seeks or the machine is busy.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

DRAW_SHARE = (0.05, 0.92)  # the part of the bar the drawing fills; the join and saving get the rest
MIN_MEASURE_S = 1.0  # measure this long, and
MIN_MEASURE_FRAMES = 10  # this many frames, before trusting this job's own speed
JOIN_FRAMES_PER_S = 600.0  # stream copy and AAC: what the join costs, in frames of drawing, roughly
EVERY_S = 0.5  # at most this often a report ...
TICK_S = 1.0  # ... and at least this often

_last_speed: list[float] = []  # frames per second of the latest render in this process


def time_left(seconds: float | None) -> str:
    if seconds is None:
        return "estimating the time left"
    if seconds < 10:
        return "a few seconds left"
    if seconds < 90:
        return f"about {int(round(seconds / 5.0)) * 5} s left"
    return f"about {int(round(seconds / 60.0))} min left"


class RenderProgress:
    """Frames drawn per piece -> report(fraction, message, urgent); use as a context manager,
    which runs the ticker."""

    def __init__(
        self,
        report: Callable[..., None],
        frames: dict[int, int],
        n_pieces: int,
        clock: Callable[[], float] = time.monotonic,
        refresh: Callable[[], None] | None = None,
    ):
        """`refresh()`, called by the ticker, updates what is drawn elsewhere (other workers)."""
        self.report, self.frames, self.n, self.clock = report, dict(frames), n_pieces, clock
        self.refresh = refresh
        self.done = {k: 0.0 for k in frames}
        self.total = max(1, sum(frames.values()))
        self.first_frame: tuple[float, float] | None = None  # (time, frames done then)
        self.last_sent = -1.0
        self.what = ""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def __enter__(self) -> RenderProgress:
        self._ticker = threading.Thread(target=self._tick, name="render-progress", daemon=True)
        self._ticker.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if exc[0] is None:
            self._remember_speed()

    def drawn(self, k: int, frames_done: float) -> None:
        with self._lock:
            self.done[k] = min(float(frames_done), self.frames[k])
            if self.first_frame is None and frames_done > 0:
                self.first_frame = (self.clock(), sum(self.done.values()) - self.done[k])

    @property
    def fraction(self) -> float:
        low, high = DRAW_SHARE
        return low + (high - low) * sum(self.done.values()) / self.total

    def _speed(self) -> float | None:
        """Frames per second this job has drawn since its first frame, once measured enough."""
        if self.first_frame is None:
            return None
        since, before = self.first_frame
        elapsed, drawn = self.clock() - since, sum(self.done.values()) - before
        if elapsed >= MIN_MEASURE_S and drawn >= MIN_MEASURE_FRAMES:
            return drawn / elapsed
        return None

    def seconds_left(self) -> float | None:
        speed = self._speed() or (_last_speed[0] if _last_speed else None)
        if speed is None:
            return None
        return (self.total - sum(self.done.values())) / speed + self.total / JOIN_FRAMES_PER_S

    def say(self, what: str, force: bool = False) -> None:
        """Report `what` with the time left: at most every EVERY_S seconds unless forced."""
        with self._lock:
            now = self.clock()
            self.what = what
            if not force and now - self.last_sent < EVERY_S:
                return
            self.last_sent = now
        # throttled here, so the runner need not throttle again (urgent)
        self.report(self.fraction, f"{what} · {time_left(self.seconds_left())}", True)

    def _tick(self) -> None:
        refreshed = self.clock()
        while not self._stop.wait(TICK_S / 4):
            try:
                if self.refresh is not None and self.clock() - refreshed >= TICK_S:
                    refreshed = self.clock()
                    self.refresh()
                if self.what and self.clock() - self.last_sent >= TICK_S:
                    self.say(self.what, force=True)
            except Exception:  # the job lost its lease or storage hiccuped: the job itself will tell
                return

    def _remember_speed(self) -> None:
        speed = self._speed()
        if speed is not None:
            _last_speed[:] = [speed]
