"""Lambda handler on a schedule: re-dispatch jobs whose worker died (lease expired)."""

from choleor.jobs import dispatch, store


def handler(event, context):
    jobs = store.recoverable()
    for job in jobs:
        dispatch.current().submit(job.id)
    return {"redispatched": len(jobs)}
