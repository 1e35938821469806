"""Jobs as the faces see them: read one, run one (a Lambda invocation), sweep up the ones a dead worker left."""

from __future__ import annotations

from ..jobs import dispatch, store
from ..jobs.runner import run_job


def job(job_id: str) -> dict:
    """A job's progress, then its result or error, as a client may see it."""
    return store.get(job_id).public()


def run(job_id: str) -> dict:
    """Run one job by id (a redelivered event for a finished job does nothing)."""
    done = run_job(job_id)
    return {"job_id": done.id, "status": done.status}


def sweep() -> dict:
    """Dispatch again every queued job and every running job whose worker's lease expired, and
    remove uploads that never came."""
    return {"redispatched": dispatch.sweep(dispatch.current().submit), "expired_uploads": sweep_uploads()}


def sweep_uploads() -> int:
    """Remove song and video records whose file never came (their TTL passed), with any part stored."""
    from ..library.sources import SOURCES
    from ..songs import SONGS

    return SONGS.sweep_expired() + SOURCES.sweep_expired()
