"""Run one job by id, so that running it twice has the effect of running it once.

A redelivered event for a finished job is a no-op; a job held by a live worker
is left alone; a job whose worker died is claimed again once its lease expired.
While the handler works, a heartbeat renews the lease.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback

from ..errors import ChoreError, Conflict
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

    def report(fraction: float, message: str = "") -> None:
        if beat.lost:
            raise LeaseLost(job_id)
        now = time.monotonic()
        if now - last[0] >= 0.5 or fraction >= 1.0:  # throttle writes, keep the final one
            last[0] = now
            try:
                store.progress(job_id, owner, fraction, message, lease)
            except Conflict as exc:
                raise LeaseLost(job_id) from exc

    beat.start()
    try:
        result = handler(dict(claimed.params), report)
    except LeaseLost:
        log.warning("job %s was taken over by another worker", job_id)
        return store.get(job_id)
    except ChoreError as exc:
        status = exc.status
        return _end(lambda j, o, m: store.fail(j, o, m, status), job_id, owner, exc.message)
    except Exception as exc:  # a bug or a transient failure: retry, then fail with a plain message
        log.error("job %s (%s) failed:\n%s", job_id, claimed.kind, traceback.format_exc())
        text = f"internal error while running {claimed.kind}: {type(exc).__name__}: {exc}"
        if claimed.attempts >= store.MAX_ATTEMPTS:
            return _end(store.fail, job_id, owner, text)
        return _end(store.requeue, job_id, owner, text)
    finally:
        beat.stopped.set()
    return _end(store.complete, job_id, owner, result)


def _end(op, job_id: str, owner: str, value) -> store.Job:
    try:
        return op(job_id, owner, value)
    except Conflict:  # lost the lease at the last moment: the new owner records the outcome
        return store.get(job_id)
