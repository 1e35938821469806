"""Files a dancer or a tool takes away: the cue sheet as a PDF, the choreography as JSON.

Each is made by an `export` job (`choleor.export_job`: it needs numpy and a PDF library, which
the light API never loads) into a key named after the picks, so a file always shows the
choreography as it was when it was made, and asking again for the same picks finds it made.
The owner's token and a read-only link may both export: exporting changes nothing.
"""

from __future__ import annotations

import uuid

from . import choreography, sharing
from .errors import BadInput, Conflict, NotFound
from .jobs import dispatch, store
from .storage import objects

#: kind -> (content type, file extension)
KINDS = {
    "cues.pdf": ("application/pdf", "pdf"),
    "choreography.json": ("application/json", "json"),
}


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise BadInput(f"an export is one of {', '.join(KINDS)}, not {kind!r}")
    return kind


def key(rec: dict, kind: str) -> str:
    return f"exports/{rec['id']}/{choreography.picks_signature(rec)}-{kind}"


def _complete(rec: dict) -> None:
    for s in rec["segments"]:
        if not s.get("move_id"):
            raise Conflict(
                f"part {s['index'] + 1} (of {len(rec['segments'])}) has no move yet: "
                "there is nothing to export until every part has one"
            )


def start(choreo_id: str, token: str | None, kind: str) -> dict:
    """Queue the export of the current picks (done at once if it exists); returns the job."""
    rec, _ = sharing.load(choreo_id, token)
    check_kind(kind)
    _complete(rec)
    sig = choreography.picks_signature(rec)
    job_id = f"export-{rec['id']}-{sig}-{kind}"
    try:
        job = store.get(job_id)
        if job.status != store.FAILED:
            return job.public()
        job_id += "-" + uuid.uuid4().hex[:8]  # after a failure, a new attempt
    except NotFound:
        pass
    return dispatch.submit(
        "export", {"choreo_id": rec["id"], "kind": kind, "picks": sig}, job_id=job_id
    ).public()


def download(choreo_id: str, token: str | None, kind: str) -> dict:
    """{"url", "download_url"} of the export of the current picks (409 until it is made)."""
    rec, _ = sharing.load(choreo_id, token)
    check_kind(kind)
    where = key(rec, kind)
    if not objects.exists(where):
        raise Conflict(f"the {kind} of these picks is not made yet: ask for it first")
    title = (rec.get("song_title") or "choreography").replace(" ", "_")
    base, ext = kind.split(".")
    return {
        "url": objects.presign_get(where),
        "download_url": objects.presign_get(where, filename=f"choleor-{title}-{base}.{ext}"),
    }
