"""Lambda handler: render a choreography piece or join the final video (a job; idempotent)."""

from choleor.jobs.runner import run_job


def handler(event, context):
    job = run_job(event["job_id"])
    return {"job_id": job.id, "status": job.status}
