"""What a person uploads (songs, dance videos): one lifecycle for every kind.

A record is created with a presigned URL to PUT the file to (`awaiting_upload`);
once the file is there, one conditional update claims the record for its job
(`awaiting_upload` -> the kind's working status) and the job is submitted, so
the API call and the storage event that both start it get the same job. A
rejected file takes its record and every byte made from it with it. Files on
this machine (the command line, seeding, the edge) take the same path with
the job run here.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .config import Limits
from .errors import BadInput, ChoreError, Conflict, NotFound, TooLarge
from .jobs import dispatch, store
from .jobs.runner import run_job
from .storage import objects, records

AWAITING, READY = "awaiting_upload", "ready"
#: How long a record waits for its file (and its presigned URL stays valid) before it is swept.
UPLOAD_SECONDS = 3600
FAILED = "failed"  # shown, never stored: the job failed without rejecting the file (it can run again)


@dataclass(frozen=True)
class Kind:
    """One kind of upload: where its records and bytes live, and the job that processes it."""

    table: str  # records table ("songs"); what a job makes for record X lives under f"{table}/{X}/"
    job: str  # job kind ("song.analyze"); its job ids are f"analyze-{X}"
    working: str  # status while the job runs ("analyzing")
    thing: str  # "song", "dance video": for messages
    example: str  # an example file name, for the message when none is given
    max_bytes: Callable[[Limits], int]
    public_keys: tuple[str, ...]
    id_prefix: str = ""  # before the random part of an id ("src" for sources)
    on_remove: Callable[[str], None] | None = None  # more to delete (a source's moves)

    @property
    def upload_prefix(self) -> str:
        return f"uploads/{self.table}/"

    def upload_key(self, item_id: str, filename: str) -> str:
        return f"{self.upload_prefix}{item_id}/original{Path(filename).suffix.lower()[:8] or '.bin'}"

    def new_id(self) -> str:
        return self.id_prefix + uuid.uuid4().hex[: 16 - len(self.id_prefix)]

    def job_id(self, item_id: str) -> str:
        return f"{self.job.partition('.')[2]}-{item_id}"

    @property
    def param(self) -> str:
        """The job's parameter naming the record ("song_id", "source_id")."""
        return f"{self.table.removesuffix('s')}_id"

    def new_record(self, item_id: str, filename: str, title: str | None, **fields) -> dict:
        return {
            "id": item_id,
            "title": (title or Path(filename).stem)[:200],
            "filename": filename[:200],
            "upload_key": self.upload_key(item_id, filename),
            "content_type": objects.content_type_for(filename),
            "status": AWAITING,
            "created_at": time.time(),
            **fields,
        }

    def create(self, filename: str, size, title: str | None = None, **fields) -> tuple[dict, dict]:
        """A new record and where to PUT its file: (record, {"method", "url", "headers"}).

        The URL is signed for exactly the declared size and content type (S3 refuses any other
        upload to it); the record expires after `UPLOAD_SECONDS` unless the job is started.
        """
        filename = (filename or "").strip()
        if not filename:
            raise BadInput(f"a {self.thing} needs a file name (for example {self.example})")
        check_size(size, self.max_bytes(Limits()), f"{self.thing}s")
        now = time.time()
        rec = self.new_record(self.new_id(), filename, title, **fields)
        if size is not None:
            rec["size"] = size
        rec["expires_at"] = int(now + UPLOAD_SECONDS)  # DynamoDB TTL, and `sweep_expired`
        records.put(self.table, rec, if_absent="id")
        upload = {
            "method": "PUT",
            "url": objects.presign_put(
                rec["upload_key"], rec["content_type"], size=size, expires=UPLOAD_SECONDS
            ),
            "headers": {"Content-Type": rec["content_type"]},
        }
        return rec, upload

    def check_upload(self, rec: dict, head: dict) -> None:
        """What was stored is what was declared (AWS enforces it with the signature; other S3
        servers may not): else the upload and its record are removed (413 / 400)."""
        declared = rec.get("size")
        try:
            check_size(head["size"], self.max_bytes(Limits()), f"{self.thing}s")
            if declared is not None and head["size"] > declared:
                raise TooLarge(
                    f"the uploaded file is {head['size']:,} bytes, larger than the {declared:,} declared; "
                    "upload it again"
                )
            if declared is not None and head["size"] < declared:
                raise BadInput(
                    f"the upload stopped after {head['size']:,} of {declared:,} bytes; upload it again"
                )
            stored_type = (head.get("content_type") or "").split(";")[0].strip()
            if stored_type and rec.get("content_type") and stored_type != rec["content_type"]:
                raise BadInput(
                    f"the file was uploaded as {stored_type}, not {rec['content_type']}; upload it again"
                )
        except ChoreError:
            self.remove(rec["id"])
            raise

    def sweep_expired(self, now: float | None = None) -> int:
        """Remove records whose file never came (and whatever part of it was stored); returns how many."""
        now = time.time() if now is None else now
        stale = records.scan(
            self.table,
            filter="#s = :awaiting AND #e < :now",
            names={"#s": "status", "#e": "expires_at"},
            values={":awaiting": AWAITING, ":now": int(now)},
        )
        removed = 0
        for rec in stale:
            try:  # only if still awaiting: an upload that just started its job is kept
                records.delete(
                    self.table,
                    {"id": rec["id"]},
                    condition="#s = :awaiting",
                    names={"#s": "status"},
                    values={":awaiting": AWAITING},
                )
            except Conflict:
                continue
            objects.delete_prefix(f"{self.upload_prefix}{rec['id']}/")
            removed += 1
        return removed

    def get(self, item_id: str) -> dict:
        rec = records.get(self.table, {"id": item_id})
        if rec is None:
            raise NotFound(f"no {self.thing} {item_id}")
        return rec

    def public(self, rec: dict) -> dict:
        return {k: rec[k] for k in self.public_keys if k in rec}

    def view(self, item_id: str) -> dict:
        """The record as a client sees it, with its job's progress while the job runs.

        A job that failed without rejecting the file (storage away, a crash) shows as status
        "failed" with its error: `start` runs it again.
        """
        rec = self.get(item_id)
        out = self.public(rec)
        if rec["status"] == self.working and rec.get("job_id"):
            try:
                job = store.get(rec["job_id"])
            except NotFound:  # the pointer was written, the job never created (a crash in between)
                job = None
            if job is None or job.status == store.FAILED:
                out["status"] = FAILED
                out["error"] = job.error if job else "the work did not start; try again"
            if job is not None:
                out["job"] = job.public()
        return out

    def failed_job(self, rec: dict) -> str | None:
        """The id of the record's job if it failed and left the record (so it may run again), else None."""
        if rec.get("status") != self.working or not rec.get("job_id"):
            return None
        try:
            job = store.get(rec["job_id"])
        except NotFound:
            return rec["job_id"]
        return job.id if job.status == store.FAILED else None

    def remove(self, item_id: str) -> None:
        """Delete the record, its upload and everything made from it."""
        if self.on_remove:
            self.on_remove(item_id)
        objects.delete_prefix(f"{self.table}/{item_id}/")
        objects.delete_prefix(f"{self.upload_prefix}{item_id}/")
        records.delete(self.table, {"id": item_id})

    def start(self, item_id: str) -> store.Job:
        """Check the uploaded file's size, claim the record and submit its job; a second call gets the
        job the first one started."""
        rec = self.get(item_id)
        previous = self.failed_job(rec)
        if rec["status"] in (self.working, READY) and rec.get("job_id") and previous is None:
            return store.get(rec["job_id"])
        head = objects.head(rec["upload_key"])
        if head is None:
            raise Conflict(f"the {self.thing}'s file has not been uploaded yet")
        self.check_upload(rec, head)
        job_id = self.job_id(item_id)
        condition, names, values = "#s = :awaiting", {"#s": "status"}, {":awaiting": AWAITING}
        if previous is not None:  # again after a failed job: a new job, claimed from the failed one
            job_id = f"{job_id}-{uuid.uuid4().hex[:6]}"
            condition += " OR (#s = :working AND #j = :failed)"
            names["#j"] = "job_id"
            values.update({":working": self.working, ":failed": previous})
        try:
            records.update(
                self.table,
                {"id": item_id},
                {"status": self.working, "job_id": job_id},
                remove=["expires_at"],  # claimed: it no longer expires
                condition=condition,
                names=names,
                values=values,
            )
        except Conflict:
            return store.get(self.get(item_id)["job_id"])
        return dispatch.submit(self.job, {self.param: item_id}, job_id=job_id)

    def add_local(self, path: str | Path, title: str | None = None, **fields) -> tuple[str, store.Job]:
        """A file on this machine: store it, create its record and run its job here; (id, the done job).

        A file the job rejects leaves nothing behind (BadInput with the job's message).
        """
        path = Path(path)
        if not path.is_file():
            raise BadInput(f"no such file: {path}")
        if path.stat().st_size == 0:
            raise BadInput("the file is empty")
        item_id = self.new_id()
        rec = self.new_record(item_id, path.name, title, **fields)
        objects.put_file(rec["upload_key"], path)
        records.put(
            self.table, {**rec, "status": self.working, "job_id": self.job_id(item_id)}, if_absent="id"
        )
        job = run_job(store.create(self.job, {self.param: item_id}, job_id=self.job_id(item_id)).id)
        if job.status != store.DONE:
            if records.get(self.table, {"id": item_id}):
                self.remove(item_id)
            raise BadInput(job.error or f"the {self.thing} could not be added")
        return item_id, job


def check_size(size, max_bytes: int, noun: str) -> None:
    """A file's size as declared or stored: whole bytes, not empty, within the limit (None: unknown)."""
    if size is None:
        return
    if isinstance(size, bool) or not isinstance(size, int):
        raise BadInput("size must be a whole number of bytes")
    if size <= 0:
        raise BadInput("the file is empty")
    if size > max_bytes:
        raise TooLarge(f"the file is {size // 2**20:,} MB; {noun} can be at most {max_bytes // 2**20:,} MB")
