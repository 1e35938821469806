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
    if not isinstance(event, dict) or "job_id" in event or "Records" not in event:
        return jobs.run_invocation(event)
    started = []
    for rec in event["Records"] if isinstance(event["Records"], list) else [None]:
        try:
            key = urllib.parse.unquote_plus(rec["s3"]["object"]["key"])
        except (TypeError, KeyError):
            log.warning("not an S3 upload record: %.200s", rec)
            continue
        try:
            job = songs.uploaded(key)
        except ChoreError as exc:  # rejected or unknown: the record says so; nothing to retry
            log.warning("not analysing %s: %s", key, exc.message)
            continue
        if job:
            started.append(job["id"])
    return {"started": started}
