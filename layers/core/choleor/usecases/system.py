"""Running Choleor: health, storage for a command, job workers, and what `serve` runs."""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from .. import config
from ..errors import ChoreError, Unavailable
from ..jobs import dispatch, store
from ..stack import session
from ..stack.servers import port_is_free
from ..storage import objects, records

#: Health answers within this, whatever storage does (each probe has sub-second timeouts too).
HEALTH_SECONDS = 1.5
# Probes run on long-lived threads, so their boto3 clients are made once per thread.
_probes = ThreadPoolExecutor(max_workers=8, thread_name_prefix="health-probe")


def _probe(ping) -> dict:
    try:
        ping()
        return {"ok": True}
    except ChoreError as exc:
        return {"ok": False, "error": exc.message}
    except Exception as exc:  # health must answer even when storage is broken
        return {"ok": False, "error": f"the probe failed ({type(exc).__name__})"}


#: A good probe round serves the health requests of this long after it started: a crowd of
#: monitors costs one round per half second, and a stopped server still shows within a second.
#: A failed round is never reused: the next request probes again.
PROBE_REUSE_SECONDS = 0.5
_round_lock = threading.Lock()
_round: dict = {}  # the latest probe round: its futures and when it started


def _current_probes() -> dict:
    with _round_lock:
        futures = _round.get("futures")
        done = futures is not None and all(f.done() for f in futures.values())
        stale = done and (
            time.monotonic() - _round["started"] > PROBE_REUSE_SECONDS
            or not all(f.result()["ok"] for f in futures.values())
        )
        if futures is None or stale:
            futures = {
                name: _probes.submit(_probe, ping)
                for name, ping in (("dynamodb", records.ping), ("s3", objects.ping))
            }
            _round.update(futures=futures, started=time.monotonic())
        return futures


def health() -> dict:
    """State of DynamoDB, S3 and the job workers, as a person would want to read it; within 2 s.

    Requests share a probe round while it is in flight, and a good one for `PROBE_REUSE_SECONDS`.
    """
    out: dict = {}
    pending = _current_probes()
    deadline = time.monotonic() + HEALTH_SECONDS
    for name, future in pending.items():
        try:
            out[name] = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            out[name] = {"ok": False, "error": "not answering (no answer within a second)"}
    stack = session.owned()
    if stack is not None:  # the local servers this process runs: say when one is being restarted
        for name, state in stack.state().items():
            if state != "running":
                out[name] = {"ok": False, "error": f"{stack.TITLES[name]} stopped; starting it again"}
    out["workers"] = dispatch.current().status()
    out["ok"] = all(v.get("ok") for v in out.values())
    return out


def data_dir(override: str | None = None) -> Path:
    """The one data directory shared by `serve` and every command."""
    return config.data_dir(override)


@contextmanager
def storage(data: str | None = None) -> Iterator[Path]:
    """Storage for a command: the environment's, else a running `serve`'s, else its own for the block.

    Yields the data directory.
    """
    path = config.data_dir(data)
    with session.storage(path):
        yield path


@contextmanager
def job_workers(workers: int = 2, sweep: float = 10.0, lease: float = store.LEASE_SECONDS) -> Iterator[dict]:
    """Job worker threads (and the sweeper that takes up a dead process's jobs) for the block."""
    from .jobs import sweep_uploads

    pool = dispatch.ThreadDispatcher(
        workers, sweep_interval=sweep, lease=lease, chores=[sweep_uploads]
    ).start()
    dispatch.set_dispatcher(pool)
    try:
        yield pool.status()
    finally:
        dispatch.set_dispatcher(None)
        pool.stop()


@dataclass(frozen=True)
class Serving:
    root: Path  # the checkout: functions/api and frontend/ are served from it
    url: str
    data: Path
    admin_key: str | None  # the library key kept in the data directory (None: set in the environment)
    seeding: bool  # the default library is being built in the background
    storage_url: str | None = None  # where presigned URLs point (the page's content policy allows it)


def _admin_key(data: Path) -> str | None:
    """A local studio's library key: kept in the data directory unless CHOLEOR_ADMIN_KEY is set."""
    if os.environ.get("CHOLEOR_ADMIN_KEY"):
        return None
    path = data / "admin_key"
    if not path.exists():
        data.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(12))
        path.chmod(0o600)
    os.environ["CHOLEOR_ADMIN_KEY"] = path.read_text().strip()
    return os.environ["CHOLEOR_ADMIN_KEY"]


@contextmanager
def serving(
    data: str | None,
    host: str,
    port: int,
    workers: int = 2,
    seed: bool = True,
    say: Callable[[str], None] = lambda line: None,
) -> Iterator[Serving]:
    """Everything `serve` runs besides its web server: the local stack, the workers, the default library."""
    root = config.repo_root()
    if root is None:
        raise Unavailable(
            "serve runs from a checkout of the repository (functions/ and frontend/ are needed)"
        )
    if not port_is_free(port, host):
        raise Unavailable(f"port {port} on {host} is already in use; choose another with --port")
    path = config.data_dir(data)
    url = f"http://{host}:{port}/"
    running = session.running_stack(path)
    if running and not session.endpoints_from_env():
        raise Unavailable(f"another choleor serve already runs on {path} (at {running.get('url', '?')})")
    key = _admin_key(path)
    with ExitStack() as stack:
        if not session.endpoints_from_env():
            say(f"starting DynamoDB Local and s3rver on {path} ...")
            stack.enter_context(session.owned_stack(path, {"url": url}))
        stack.enter_context(job_workers(workers))
        seeding = False
        if seed:
            from ..library import seed as default_library  # the numpy stack: only when serving

            seeding = default_library.start_if_incomplete(path) is not None
        yield Serving(
            root=root,
            url=url,
            data=path,
            admin_key=key,
            seeding=seeding,
            storage_url=objects.origin(),
        )
