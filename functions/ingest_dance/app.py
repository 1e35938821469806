"""Lambda handler: ingest one dance video (a job; redelivery is harmless)."""

from choleor.usecases import jobs


def handler(event, context):
    return jobs.run_invocation(event)
