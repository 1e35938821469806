"""The dispatch port: how a job id reaches a runner.

Adapters: `ThreadDispatcher` (worker threads in the `serve` process, plus a
sweeper that takes up jobs left behind by a dead process), `LambdaDispatcher`
(asynchronous Lambda invocation on AWS), `InlineDispatcher` (run now, in this
thread: CLI commands and tests). The edge adds a Greengrass pub/sub adapter.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from typing import Protocol

from ..storage import aws
from . import store
from .runner import run_job

log = logging.getLogger(__name__)


class Dispatcher(Protocol):
    def submit(self, job_id: str) -> None: ...

    def status(self) -> dict: ...


class InlineDispatcher:
    def submit(self, job_id: str) -> None:
        run_job(job_id)

    def status(self) -> dict:
        return {"kind": "inline", "ok": True}


# Job kinds with a Lambda of their own (heavier memory, longer timeout); the rest run in "jobs".
# Names are suffixes of the stack's prefix; template.yaml's tests check each exists.
LAMBDA_FUNCTIONS = {
    "song.analyze": "analyze-song",
    "source.ingest": "ingest-dance",
    "render": "render",
    "render.piece": "render",
}
DEFAULT_FUNCTION = "jobs"


def function_for(kind: str) -> str:
    return LAMBDA_FUNCTIONS.get(kind, DEFAULT_FUNCTION)


class LambdaDispatcher:
    """Invokes the job's function asynchronously (Lambda retries, the runner dedupes)."""

    def __init__(self, prefix: str):
        self.prefix = prefix

    def submit(self, job_id: str) -> None:
        kind = store.get(job_id).kind
        aws.invoke_async(self.prefix + function_for(kind), {"job_id": job_id})

    def status(self) -> dict:
        return {"kind": "lambda", "prefix": self.prefix, "ok": True}


class ThreadDispatcher:
    """A pool of worker threads fed by a queue, and a sweeper for jobs a dead process left."""

    def __init__(
        self,
        workers: int = 2,
        sweep_interval: float = 10.0,
        lease: float = store.LEASE_SECONDS,
        chores=(),
    ):
        self.workers = workers
        self.chores = tuple(chores)  # more housekeeping the sweeper runs (expired uploads)
        self.sweep_interval = sweep_interval
        self.lease = lease
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._pending: set[str] = set()
        self._running: dict[str, str] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> ThreadDispatcher:
        for i in range(self.workers):
            t = threading.Thread(target=self._work, name=f"choleor-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        sweeper = threading.Thread(target=self._sweep_loop, name="choleor-sweeper", daemon=True)
        sweeper.start()
        self._threads.append(sweeper)
        return self

    def submit(self, job_id: str) -> None:
        with self._lock:
            if job_id in self._pending or job_id in self._running:
                return
            self._pending.add(job_id)
        self._queue.put(job_id)

    def _work(self) -> None:
        while not self._stop.is_set():
            job_id = self._queue.get()
            if job_id is None:
                return
            with self._lock:
                self._pending.discard(job_id)
                self._running[job_id] = threading.current_thread().name
            job = None
            try:
                job = run_job(job_id, lease=self.lease)
            except Exception:
                log.exception("worker could not run job %s", job_id)
            finally:
                with self._lock:
                    self._running.pop(job_id, None)
            if job is not None and job.status == store.QUEUED:  # an unexpected error: try again
                self.submit(job_id)

    def sweep(self) -> int:
        return sweep(self.submit)

    def _sweep_loop(self) -> None:
        sweep_loop(self.submit, self._stop, self.sweep_interval, self.chores)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        for _ in range(self.workers):
            self._queue.put(None)
        for t in self._threads:
            t.join(timeout)

    def status(self) -> dict:
        alive = sum(t.is_alive() for t in self._threads if t.name.startswith("choleor-worker"))
        with self._lock:
            return {
                "kind": "threads",
                "ok": alive == self.workers and not self._stop.is_set(),
                "workers": self.workers,
                "alive": alive,
                "queued": len(self._pending),
                "running": sorted(self._running),
            }


def sweep(submit) -> int:
    """Submit every queued job and every running job whose lease expired (a dead worker's)."""
    jobs = store.recoverable()
    for job in jobs:
        submit(job.id)
    return len(jobs)


def sweep_loop(submit, stop: threading.Event, interval: float, chores=()) -> None:
    """Sweep every `interval` seconds until `stop` is set (storage briefly down: keep sweeping),
    and run each of `chores` (other housekeeping) as often."""
    while not stop.is_set():
        for task in (lambda: sweep(submit), *chores):
            try:
                task()
            except Exception as exc:
                log.warning("sweep failed: %s", exc)
        stop.wait(interval)


_current: Dispatcher | None = None


def set_dispatcher(d: Dispatcher | None) -> None:
    global _current
    _current = d


def current() -> Dispatcher:
    """The process's dispatcher: set by `serve`, else chosen by CHOLEOR_JOB_DISPATCH."""
    global _current
    if _current is None:
        mode = os.environ.get("CHOLEOR_JOB_DISPATCH", "inline")
        if mode == "lambda":
            _current = LambdaDispatcher(os.environ["CHOLEOR_JOB_FUNCTION_PREFIX"])
        elif mode == "threads":
            _current = ThreadDispatcher().start()
        else:
            _current = InlineDispatcher()
    return _current


def submit(kind: str, params: dict | None = None, job_id: str | None = None) -> store.Job:
    """Create (idempotently) and dispatch a job; returns it as created."""
    job = store.create(kind, params, job_id)
    if job.status == store.QUEUED:
        current().submit(job.id)
    return job
