"""Job records in DynamoDB, with leases so a dead worker's job is taken up again.

A worker claims a job with a conditional update (queued, or running with an
expired lease); while it runs, progress updates renew the lease. Completion
is conditional on still holding the lease, so a worker that lost its job
cannot overwrite the result of the one that took it over.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from ..errors import Conflict, NotFound
from ..storage import records

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
LEASE_SECONDS = 60.0
MAX_ATTEMPTS = 3


@dataclass
class Job:
    id: str
    kind: str
    status: str
    params: dict = field(default_factory=dict)
    progress: float = 0.0
    message: str = ""
    result: Any = None
    error: str | None = None
    error_status: int | None = None  # the HTTP status of a person's error (4xx), else 500
    attempts: int = 0
    created_at: float = 0.0
    updated_at: float = 0.0
    lease_until: float = 0.0
    owner: str | None = None

    @classmethod
    def from_record(cls, rec: dict) -> Job:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in rec.items() if k in names})

    def public(self) -> dict:
        """What a client may see (no lease internals)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "progress": self.progress,
            "message": self.message,
            "result": self.result,
            "error": self.error,
            "error_status": self.error_status,
            "attempts": self.attempts,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def new_id(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:16]}"


def create(kind: str, params: dict | None = None, job_id: str | None = None) -> Job:
    """Create a queued job; creating the same id again returns the existing job (idempotent)."""
    now = time.time()
    job = Job(
        id=job_id or new_id(kind),
        kind=kind,
        status=QUEUED,
        params=params or {},
        created_at=now,
        updated_at=now,
    )
    try:
        records.put("jobs", _record(job), if_absent="id")
    except Conflict:
        return get(job.id)
    return job


def _record(job: Job) -> dict:
    rec = dict(job.__dict__)
    return {k: v for k, v in rec.items() if v is not None}


def get(job_id: str) -> Job:
    rec = records.get("jobs", {"id": job_id})
    if rec is None:
        raise NotFound(f"no job {job_id}")
    return Job.from_record(rec)


def claim(job_id: str, owner: str, lease: float = LEASE_SECONDS) -> Job | None:
    """Take the job if it is queued or its lease expired; None if someone else holds it or it ended."""
    now = time.time()
    try:
        rec = records.update(
            "jobs",
            {"id": job_id},
            {"status": RUNNING, "owner": owner, "lease_until": now + lease, "updated_at": now},
            add={"attempts": 1},
            condition="attribute_exists(id) AND (#s = :queued OR (#s = :running AND lease_until < :now))",
            names={"#s": "status"},
            values={":queued": QUEUED, ":running": RUNNING, ":now": now},
        )
    except Conflict:
        return None
    return Job.from_record(rec)


def _owned(job_id: str, owner: str, changes: dict, remove: list[str] | None = None) -> Job:
    rec = records.update(
        "jobs",
        {"id": job_id},
        {**changes, "updated_at": time.time()},
        remove=remove,
        condition="#s = :running AND #o = :owner",
        names={"#s": "status", "#o": "owner"},
        values={":running": RUNNING, ":owner": owner},
    )
    return Job.from_record(rec)


def progress(
    job_id: str, owner: str, fraction: float, message: str = "", lease: float = LEASE_SECONDS
) -> Job:
    """Report progress and renew the lease; Conflict if the job was taken over."""
    return _owned(
        job_id,
        owner,
        {
            "progress": max(0.0, min(1.0, float(fraction))),
            "message": message,
            "lease_until": time.time() + lease,
        },
    )


def complete(job_id: str, owner: str, result: Any) -> Job:
    return _owned(
        job_id,
        owner,
        {"status": DONE, "progress": 1.0, "result": result, "message": "done"},
        remove=["lease_until"],
    )


def fail(job_id: str, owner: str, error: str, status: int = 500) -> Job:
    return _owned(
        job_id,
        owner,
        {"status": FAILED, "error": error, "error_status": status, "message": "failed"},
        remove=["lease_until"],
    )


def requeue(job_id: str, owner: str, error: str) -> Job:
    """Give a job back after an unexpected error, to be tried again."""
    return _owned(
        job_id,
        owner,
        {"status": QUEUED, "error": error, "message": "retrying"},
        remove=["lease_until", "owner"],
    )


def about(params: dict[str, set[str]]) -> list[Job]:
    """Every job whose params name one of the given values (e.g. {"song_id": {...}, "choreo_id": {...}});
    a scan of the table, for deletes that must leave nothing behind."""
    return [
        Job.from_record(r)
        for r in records.scan("jobs")
        if any((r.get("params") or {}).get(name) in wanted for name, wanted in params.items())
    ]


def forget(job_id: str) -> None:
    """Delete a job's record (its song or choreography is gone)."""
    records.delete("jobs", {"id": job_id})


def recoverable(now: float | None = None) -> list[Job]:
    """Queued jobs, and running jobs whose worker's lease expired."""
    now = now or time.time()
    queued = records.query("jobs", "status", QUEUED, index="by_status")
    stale = records.query(
        "jobs", "status", RUNNING, index="by_status", filter="lease_until < :now", values={":now": now}
    )
    return [Job.from_record(r) for r in queued + stale]
