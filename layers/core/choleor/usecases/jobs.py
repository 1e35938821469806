"""Jobs as the faces see them: read one, run one (a Lambda invocation), sweep up the ones a dead worker left."""

from __future__ import annotations

from ..errors import BadInput, ChoreError
from ..jobs import dispatch, store
from ..jobs.runner import run_job


def job(job_id: str) -> dict:
    """A job's progress, then its result or error, as a client may see it."""
    return store.get(job_id).public()


def run(job_id: str) -> dict:
    """Run one job by id (a redelivered event for a finished job does nothing)."""
    done = run_job(job_id)
    return {"job_id": done.id, "status": done.status}


def run_invocation(event: object) -> dict:
    """A job function's Lambda event, `{"job_id": "..."}`: run that job. An event without a job id,
    or naming no job, is answered with `{"error": ...}` (never retried: it would fail the same way)."""
    job_id = event.get("job_id") if isinstance(event, dict) else None
    try:
        if not isinstance(job_id, str) or not job_id:
            raise BadInput(f'a job invocation carries {{"job_id": "<id>"}}, not {str(event)[:200]}')
        return run(job_id)
    except ChoreError as exc:
        return {"error": exc.message}


def sweep() -> dict:
    """Dispatch again every queued job and every running job whose worker's lease expired, and
    remove uploads that never came."""
    return {"redispatched": dispatch.sweep(dispatch.current().submit), "expired_uploads": sweep_uploads()}


def sweep_uploads() -> int:
    """Remove song and video records whose file never came (their TTL passed), with any part stored."""
    from ..library.sources import SOURCES
    from ..songs import SONGS

    return SONGS.sweep_expired() + SOURCES.sweep_expired()
