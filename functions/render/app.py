"""Lambda handler: render a choreography piece or join the final video (a job; idempotent)."""

from choleor.usecases import jobs


def handler(event, context):
    return jobs.run_invocation(event)
