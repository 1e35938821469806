"""Lambda handler: ingest one dance video (a job; redelivery is harmless)."""

from choleor.jobs.runner import run_job


def handler(event, context):
    job = run_job(event["job_id"])
    return {"job_id": job.id, "status": job.status}
