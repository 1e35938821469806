"""Lambda handler: analyse a song.

Two events reach it: an asynchronous invocation `{"job_id": ...}` from the job
dispatcher, and S3's ObjectCreated for a song's upload, which starts the
analysis as the API's `POST /api/songs/{id}/analyze` would (the second of the
two gets the job the first started).
"""

import logging
import urllib.parse

from choleor.errors import ChoreError
from choleor.usecases import jobs, songs

log = logging.getLogger(__name__)


def handler(event, context):
    if "job_id" in event:
        return jobs.run(event["job_id"])
    started = []
    for rec in event.get("Records", []):
        key = urllib.parse.unquote_plus(rec["s3"]["object"]["key"])
        try:
            job = songs.uploaded(key)
        except ChoreError as exc:  # rejected or unknown: the record says so; nothing to retry
            log.warning("not analysing %s: %s", key, exc.message)
            continue
        if job:
            started.append(job["id"])
    return {"started": started}
