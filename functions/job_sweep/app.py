"""Lambda handler on a schedule: re-dispatch jobs whose worker died (lease expired)."""

from choleor.jobs import dispatch


def handler(event, context):
    return {"redispatched": dispatch.sweep(dispatch.current().submit)}
