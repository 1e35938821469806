"""Run one job by id, so that running it twice has the effect of running it once.

A redelivered event for a finished job is a no-op; a job held by a live worker
is left alone; a job whose worker died is claimed again once its lease expired.
While the handler works, a heartbeat renews the lease.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
import time
import traceback

from ..errors import ChoreError, Conflict, Unavailable
from . import store
from .registry import handler_for

log = logging.getLogger(__name__)


class LeaseLost(Exception):
    """Another worker took the job over; this one must stop without writing."""


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


class _Heartbeat(threading.Thread):
    def __init__(self, job_id: str, owner: str, lease: float):
        super().__init__(daemon=True, name=f"lease-{job_id}")
        self.job_id, self.owner, self.lease = job_id, owner, lease
        self.stopped = threading.Event()
        self.lost = False

    def run(self) -> None:
        while not self.stopped.wait(self.lease / 3):
            try:
                store._owned(self.job_id, self.owner, {"lease_until": time.time() + self.lease})
            except Conflict:
                self.lost = True
                return
            except Exception:  # a transient storage error: try again on the next beat
                log.warning("lease renewal of %s failed", self.job_id, exc_info=True)


def run_job(job_id: str, owner: str | None = None, lease: float = store.LEASE_SECONDS) -> store.Job:
    """Claim, run and record one job; returns the job as it stands afterwards."""
    owner = owner or worker_name()
    job = store.get(job_id)
    if job.status in (store.DONE, store.FAILED):
        return job
    claimed = store.claim(job_id, owner, lease)
    if claimed is None:
        return store.get(job_id)
    handler = handler_for(claimed.kind)
    if handler is None:
        return store.fail(job_id, owner, f"unknown job kind {claimed.kind!r}")

    beat = _Heartbeat(job_id, owner, lease)
    last = [0.0]

    def report(fraction: float, message: str = "", urgent: bool = False) -> None:
        if beat.lost:
            raise LeaseLost(job_id)
        now = time.monotonic()
        # throttle writes to two a second; keep the final one and the urgent ones (a new phase)
        if urgent or now - last[0] >= 0.5 or fraction >= 1.0:
            last[0] = now
            try:
                store.progress(job_id, owner, fraction, message, lease)
            except Conflict as exc:
                raise LeaseLost(job_id) from exc
            except Unavailable:  # progress is for show: the work goes on while the database is away
                log.warning("progress of %s not recorded: the database is not answering", job_id)

    beat.start()
    try:
        result = _with_retries(lambda: handler(dict(claimed.params), report), job_id, beat)
    except LeaseLost:
        log.warning("job %s was taken over by another worker", job_id)
        return store.get(job_id)
    except ChoreError as exc:
        status = exc.status
        return _end(lambda j, o, m: store.fail(j, o, m, status), job_id, owner, exc.message)
    except Exception as exc:  # a bug or a transient failure: retry, then fail with a plain message
        log.error("job %s (%s) failed:\n%s", job_id, claimed.kind, traceback.format_exc())
        text = f"an internal error stopped this step ({type(exc).__name__}: {scrub(str(exc))}); try again"
        if claimed.attempts >= store.MAX_ATTEMPTS:
            return _end(store.fail, job_id, owner, text)
        return _end(store.requeue, job_id, owner, text)
    finally:
        beat.stopped.set()
    return _end(store.complete, job_id, owner, result)


_ADDRESS = re.compile(
    r"[a-z][a-z0-9+.-]*://\S+|\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b|\blocalhost(?::\d+)?", re.I
)


def scrub(text: str, limit: int = 300) -> str:
    """An exception's text fit to show a person: no URLs, addresses or ports, not too long."""
    return _ADDRESS.sub("(an internal address)", text)[:limit]


def retry_window() -> float:
    """How long a job keeps retrying storage that does not answer before it fails (seconds)."""
    return float(os.environ.get("CHOLEOR_STORAGE_RETRY_SECONDS", 60))


def _with_retries(call, job_id: str, beat: _Heartbeat | None = None):
    """`call()`, run again after a storage outage (Unavailable) with growing pauses (1, 2, 4 ... 15 s)
    until `retry_window()` has passed; then the last Unavailable goes up. Handlers are idempotent,
    so running one again from the start is safe."""
    deadline = time.monotonic() + retry_window()
    pause = 1.0
    while True:
        try:
            return call()
        except Unavailable as exc:
            left = deadline - time.monotonic()
            if left <= 0 or (beat is not None and beat.lost):
                raise
            log.warning("job %s: %s; trying again in %.0f s", job_id, exc.message, min(pause, left))
            time.sleep(min(pause, left))
            pause = min(2 * pause, 15.0)


def _end(op, job_id: str, owner: str, value) -> store.Job:
    try:
        # Recording the outcome outlives a short database outage too.
        return _with_retries(lambda: op(job_id, owner, value), job_id)
    except Conflict:  # lost the lease at the last moment: the new owner records the outcome
        return store.get(job_id)
