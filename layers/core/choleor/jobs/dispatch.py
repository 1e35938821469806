"""The dispatch port: how a job id reaches a runner.

Adapters: `ThreadDispatcher` (worker threads in the `serve` process, plus a
sweeper that takes up jobs left behind by a dead process), `LambdaDispatcher`
(asynchronous Lambda invocation on AWS), `InlineDispatcher` (run now, in this
thread: CLI commands and tests). The edge adds a Greengrass pub/sub adapter.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from typing import Protocol

from ..storage import aws
from . import store
from .runner import run_job

log = logging.getLogger(__name__)


class Dispatcher(Protocol):
    def submit(self, job_id: str, kind: str | None = None) -> None: ...

    def status(self) -> dict: ...


class InlineDispatcher:
    def submit(self, job_id: str, kind: str | None = None) -> None:
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

# Work nobody is waiting for yet: a worker takes it only when no one's request is queued (the
# pieces of a video drawn as picks arrive; the default library). A person's render or upload
# never waits behind more than the jobs already running.
BACKGROUND_KINDS = frozenset({"render.piece", "library.seed"})


def function_for(kind: str) -> str:
    return LAMBDA_FUNCTIONS.get(kind, DEFAULT_FUNCTION)


class LambdaDispatcher:
    """Invokes the job's function asynchronously (Lambda retries, the runner dedupes)."""

    def __init__(self, prefix: str):
        self.prefix = prefix

    def submit(self, job_id: str, kind: str | None = None) -> None:
        kind = kind or store.get(job_id).kind
        aws.invoke_async(self.prefix + function_for(kind), {"job_id": job_id})

    def status(self) -> dict:
        return {"kind": "lambda", "prefix": self.prefix, "ok": True}


class ThreadDispatcher:
    """Worker threads fed by two queues, and a sweeper for jobs a dead process left.

    A person's jobs (any kind not in BACKGROUND_KINDS) come first, first come first served;
    `foreground` more threads take only those, so a render or an upload starts at once even
    while the pool is busy drawing pieces or building the library."""

    def __init__(
        self,
        workers: int = 2,
        sweep_interval: float = 10.0,
        lease: float = store.LEASE_SECONDS,
        chores=(),
        foreground: int = 1,
        background_kinds: frozenset[str] = BACKGROUND_KINDS,
    ):
        self.workers = workers
        self.chores = tuple(chores)  # more housekeeping the sweeper runs (expired uploads)
        self.foreground = foreground
        self.background_kinds = background_kinds
        self.sweep_interval = sweep_interval
        self.lease = lease
        self._waiting: tuple[deque[str], deque[str]] = (deque(), deque())  # a person's, background
        self._ready = threading.Condition()
        self._pending: set[str] = set()
        self._running: dict[str, str] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> ThreadDispatcher:
        names = [f"choleor-worker-{i}" for i in range(self.workers)]
        names += [f"choleor-worker-fg{i}" for i in range(self.foreground)]
        for name in names:
            t = threading.Thread(target=self._work, args=("fg" in name,), name=name, daemon=True)
            t.start()
            self._threads.append(t)
        sweeper = threading.Thread(target=self._sweep_loop, name="choleor-sweeper", daemon=True)
        sweeper.start()
        self._threads.append(sweeper)
        return self

    def submit(self, job_id: str, kind: str | None = None) -> None:
        with self._lock:
            if job_id in self._pending or job_id in self._running:
                return
            self._pending.add(job_id)
        try:
            kind = kind or store.get(job_id).kind
        except Exception:  # unknown here: the runner will say so
            kind = None
        with self._ready:
            self._waiting[kind in self.background_kinds].append(job_id)
            self._ready.notify_all()

    def _next(self, foreground_only: bool) -> str | None:
        """The next job for a worker (a person's first); None when stopping."""
        person, background = self._waiting
        with self._ready:
            while not self._stop.is_set():
                if person:
                    return person.popleft()
                if background and not foreground_only:
                    return background.popleft()
                self._ready.wait()
        return None

    def _work(self, foreground_only: bool = False) -> None:
        while (job_id := self._next(foreground_only)) is not None:
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
                self.submit(job_id, job.kind)

    def sweep(self) -> int:
        return sweep(self.submit)

    def _sweep_loop(self) -> None:
        sweep_loop(self.submit, self._stop, self.sweep_interval, self.chores)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        with self._ready:
            self._ready.notify_all()
        for t in self._threads:
            t.join(timeout)

    def status(self) -> dict:
        alive = sum(t.is_alive() for t in self._threads if t.name.startswith("choleor-worker"))
        with self._lock:
            return {
                "kind": "threads",
                "ok": alive == self.workers + self.foreground and not self._stop.is_set(),
                "workers": self.workers,
                "foreground": self.foreground,
                "alive": alive,
                "queued": len(self._pending),
                "running": sorted(self._running),
            }


def sweep(submit) -> int:
    """Submit every queued job and every running job whose lease expired (a dead worker's)."""
    jobs = store.recoverable()
    for job in jobs:
        submit(job.id, job.kind)
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
        current().submit(job.id, job.kind)
    return job
