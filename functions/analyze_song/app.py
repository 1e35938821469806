"""Lambda handler: analyse a song.

Two events reach it: an asynchronous invocation `{"job_id": ...}` from the job
dispatcher, and S3's ObjectCreated for `uploads/songs/<id>/original.*`, which
starts the analysis as the API's `POST /api/songs/{id}/analyze` would (the
second of the two gets the job the first started).
"""

import logging
import urllib.parse

from choleor import usecases
from choleor.errors import ChoreError
from choleor.jobs.runner import run_job

log = logging.getLogger(__name__)


def handler(event, context):
    if "job_id" in event:
        job = run_job(event["job_id"])
        return {"job_id": job.id, "status": job.status}
    started = []
    for rec in event.get("Records", []):
        key = urllib.parse.unquote_plus(rec["s3"]["object"]["key"])
        parts = key.split("/")
        if len(parts) != 4 or not parts[3].startswith("original"):
            continue
        try:
            started.append(usecases.analyze_song(parts[2])["id"])
        except ChoreError as exc:  # rejected or unknown: the record says so; nothing to retry
            log.warning("not analysing %s: %s", key, exc.message)
    return {"started": started}
