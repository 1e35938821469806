"""Lambda handler: run one job by id (asynchronous invocation; redelivery is harmless)."""

from choleor.usecases import jobs


def handler(event, context):
    return jobs.run_invocation(event)
