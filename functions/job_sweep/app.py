"""Lambda handler on a schedule: re-dispatch jobs whose worker died (lease expired)."""

from choleor.usecases import jobs


def handler(event, context):
    return jobs.sweep()
