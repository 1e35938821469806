"""The device process: jobs arrive on the bus, run with the core's runner, events go back.

A job message on `choleor/<device>/jobs/<kind>` is {"job_id", "params"}. The job is
created with the sender's id (so a redelivered message finds the same record),
run by `run_job` on a worker thread, and its progress, then its result or
error, are published on `choleor/<device>/events`. A message for a job that has
already ended only republishes its final event: the same job sent twice runs once.

Storage is the device's own local stack (the caller sets it up, as `serve` does).
"""

from __future__ import annotations

import hashlib
import logging
import queue
import re
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from ..errors import BadInput, ChoreError, Conflict, NotFound
from ..jobs import dispatch, store
from ..jobs.runner import run_job
from ..library.sources import SOURCES
from ..storage import objects, records
from . import events_topic, files_topic, jobs_topic
from .bus import Bus
from .files import FileReceiver

log = logging.getLogger(__name__)

_JOB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
ENDED = (store.DONE, store.FAILED)


def event_of(job: store.Job) -> dict:
    """What clients see of a job (the final event carries result or error)."""
    out = {
        "job_id": job.id,
        "kind": job.kind,
        "status": job.status,
        "progress": job.progress,
        "message": job.message,
    }
    if job.status == store.DONE:
        out["result"] = job.result
    elif job.status == store.FAILED:
        out["error"] = job.error
        out["error_status"] = job.error_status
    return out


class Device:
    def __init__(
        self,
        bus: Bus,
        name: str,
        data_dir: Path,
        workers: int = 1,
        poll: float = 0.5,
        sweep_interval: float = 60.0,
        lease: float = store.LEASE_SECONDS,
    ):
        self.bus, self.name, self.data_dir = bus, name, Path(data_dir)
        self.poll, self.sweep_interval, self.lease = poll, sweep_interval, lease
        self.files = FileReceiver(self.data_dir / "edge" / "files", self._publish_file_event)
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._inflight: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._work, name=f"edge-worker-{i}", daemon=True) for i in range(workers)
        ]

    # --- wiring -------------------------------------------------------------------------------

    def start(self) -> Device:
        self.bus.subscribe(jobs_topic(self.name), self.on_job_message)
        self.bus.subscribe(files_topic(self.name), self.files.on_message)
        for t in self._threads:
            t.start()
        if self.sweep_interval > 0:
            threading.Thread(target=self._sweep_loop, name="edge-sweeper", daemon=True).start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        for _ in self._threads:
            self._queue.put(None)
        for t in self._threads:
            t.join(timeout)

    def publish(self, event: dict) -> None:
        try:
            self.bus.publish(events_topic(self.name), event)
        except Exception:  # the link is down: the job record keeps the truth, a resend republishes it
            log.warning("could not publish event for %s", event.get("job_id"), exc_info=True)

    def _publish_file_event(self, event: dict) -> None:
        self.publish(event)

    # --- jobs -----------------------------------------------------------------------------------

    def on_job_message(self, topic: str, payload: dict) -> None:
        self.accept(topic.rsplit("/", 1)[-1], payload)

    def accept(self, kind: str, payload: dict, wait: bool = False) -> store.Job | None:
        """Create the job (idempotently) and queue it, or run it here when `wait`."""
        job_id = payload.get("job_id")
        if not isinstance(job_id, str) or not _JOB_ID.match(job_id):
            self.publish(
                {
                    "job_id": job_id,
                    "kind": kind,
                    "status": store.FAILED,
                    "progress": 0,
                    "message": "failed",
                    "error": "a job needs a job_id of letters, digits and ._:-",
                    "error_status": 400,
                }
            )
            return None
        try:
            job = self._existing(job_id)
            if job is None:
                params = self.prepare(kind, job_id, dict(payload.get("params") or {}))
                job = store.create(kind, params, job_id)
        except ChoreError as exc:  # bad params (e.g. a file that never arrived): nothing was created
            self.publish(
                {
                    "job_id": job_id,
                    "kind": kind,
                    "status": store.FAILED,
                    "progress": 0,
                    "message": "failed",
                    "error": exc.message,
                    "error_status": exc.status,
                }
            )
            return None
        if job.status in ENDED:
            self.publish(event_of(job))
            return job
        if wait:
            return self.run(job_id)
        self.submit(job_id)
        return job

    @staticmethod
    def _existing(job_id: str) -> store.Job | None:
        try:
            return store.get(job_id)
        except NotFound:
            return None

    def submit(self, job_id: str, kind: str | None = None) -> None:
        with self._lock:
            if job_id in self._inflight:
                return
            self._inflight.add(job_id)
        self._queue.put(job_id)

    def _work(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None:
                return
            try:
                self.run(job_id)
            except Exception:
                log.exception("edge worker could not run %s", job_id)
            finally:
                with self._lock:
                    self._inflight.discard(job_id)

    def run(self, job_id: str) -> store.Job:
        """Run one job to its end with the core's runner, publishing progress as it goes."""
        while True:
            job = self._run_once(job_id)
            if job.status == store.QUEUED and job.attempts < store.MAX_ATTEMPTS:
                time.sleep(min(30.0, 2.0**job.attempts))  # an unexpected error: back off, retry
                continue
            self.publish(event_of(job))
            return job

    def _run_once(self, job_id: str) -> store.Job:
        out: dict = {}
        runner = threading.Thread(
            target=lambda: out.update(job=run_job(job_id, lease=self.lease)),
            name=f"edge-run-{job_id}",
            daemon=True,
        )
        runner.start()
        last = None
        while runner.is_alive():
            runner.join(self.poll)
            try:
                job = store.get(job_id)
            except Exception:  # storage hiccup: the next poll will tell
                continue
            seen = (job.status, round(job.progress, 3), job.message)
            if job.status == store.RUNNING and seen != last:
                last = seen
                self.publish(event_of(job))
        return out.get("job") or store.get(job_id)

    def sweep(self) -> int:
        """Take up jobs a power cut left behind (queued, or running with an expired lease)."""
        return dispatch.sweep(self.submit)

    def _sweep_loop(self) -> None:
        dispatch.sweep_loop(self.submit, self._stop, self.sweep_interval)

    # --- params -----------------------------------------------------------------------------------

    def prepare(self, kind: str, job_id: str, params: dict) -> dict:
        """Turn edge params into the core's: an ingest's video becomes a source record."""
        if kind == "source.ingest" and "source_id" not in params:
            return prepare_ingest(job_id, params, self._video_path)
        return params

    def _video_path(self, params: dict, tmp: Path) -> Path:
        if params.get("file_id"):
            path = self.files.path(str(params["file_id"]))
            if path is None:
                raise BadInput(f"file {params['file_id']} has not arrived on device {self.name}")
            return path
        if params.get("path"):
            path = Path(params["path"]).expanduser()
            if not path.is_file():
                raise BadInput(f"no such file on device {self.name}: {path}")
            return path
        if params.get("url"):
            target = tmp / (Path(str(params["url"]).split("?")[0]).name or "video.bin")
            try:
                with urllib.request.urlopen(params["url"], timeout=60) as r, open(target, "wb") as f:
                    while block := r.read(1 << 20):
                        f.write(block)
            except OSError as exc:
                raise BadInput(f"could not fetch {params['url']}: {exc}") from exc
            return target
        raise BadInput("an ingest needs params with file_id, path, s3_key or url")


def source_id_for(job_id: str) -> str:
    # Derived from the job id: a redelivered or re-prepared job names the same source.
    return "src" + hashlib.sha1(job_id.encode()).hexdigest()[:13]


def prepare_ingest(job_id: str, params: dict, locate) -> dict:
    """Store the video and its source record as a local ingest does; idempotent per job id."""
    source_id = source_id_for(job_id)
    style = str(params.get("style") or "unknown")[:40]
    out = {"source_id": source_id, "style": style}
    if records.get("sources", {"id": source_id}) is not None:
        return out
    title = str(params["title"]) if params.get("title") else None
    fields = {"style": style, "status": SOURCES.working, "job_id": job_id, "origin": "edge"}
    with tempfile.TemporaryDirectory(prefix="choleor-edge-") as tmp:
        if params.get("s3_key"):  # already in the device's own bucket
            upload_key = str(params["s3_key"])
            if not objects.exists(upload_key):
                raise BadInput(f"no object {upload_key} in the device's storage")
            rec = SOURCES.new_record(source_id, Path(upload_key).name, title, **fields)
            rec["upload_key"] = upload_key
        else:
            path = locate(params, Path(tmp))
            if path.stat().st_size == 0:
                raise BadInput("the file is empty")
            filename = str(params.get("filename") or path.name)
            rec = SOURCES.new_record(source_id, filename, title, **fields)
            objects.put_file(rec["upload_key"], path)
    try:
        records.put("sources", rec, if_absent="id")
    except Conflict:
        pass
    return out
