"""Give a command the storage it needs, on the one shared data directory.

Order: endpoints already in the environment (AWS, LocalStack, a test's
servers) win; else the stack of a running `serve` on the same data directory;
else this process starts the stack for its own duration. A lock file makes
sure only one process runs servers on a data directory at a time.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..storage import aws
from .servers import LOOPBACK, LocalStack, StackError, answers, endpoint_env, write_state

log = logging.getLogger(__name__)


def endpoints_from_env() -> bool:
    return bool(
        os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
        or os.environ.get("AWS_ENDPOINT_URL")
        or os.environ.get("CHOLEOR_USE_AWS")
    )


def use_env(env: dict[str, str]) -> None:
    os.environ.update(env)
    aws.reset_clients()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_stack(data_dir: Path) -> dict | None:
    """Endpoints of a live stack on `data_dir`, if a process runs one."""
    try:
        state = json.loads((data_dir / "stack.json").read_text())
    except (OSError, ValueError):
        return None
    if _pid_alive(int(state.get("pid", 0))) and answers(state["dynamodb"]) and answers(state["s3"]):
        return state
    return None


@contextmanager
def _lock(data_dir: Path, timeout: float = 120.0) -> Iterator[None]:
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "stack.lock", "w") as f:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StackError(f"another process holds the local stack of {data_dir}") from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


_owned: list[LocalStack] = []  # the stack this process runs, if any (health reads its state)


def owned() -> LocalStack | None:
    return _owned[-1] if _owned else None


def _supervise(stack: LocalStack, stop: threading.Event, interval: float) -> None:
    """Start again any server that died (a crash, the OOM killer, someone's kill)."""
    while not stop.wait(interval):
        try:
            for name in stack.restart_dead():
                log.warning("%s had stopped; started it again", stack.TITLES[name])
        except Exception:  # keep watching whatever happens
            log.exception("could not restart a local server")


@contextmanager
def owned_stack(
    data_dir: Path,
    extra_state: dict | None = None,
    supervise: float = 1.0,
    host: str = LOOPBACK,
) -> Iterator[LocalStack]:
    """Start the servers on `data_dir`, listening on `host`, provision them, watch them (a dead
    one is started again every `supervise` seconds), and stop them on exit."""
    with _lock(data_dir):
        stack = LocalStack(data_dir, host=host).start()
        stop = threading.Event()
        # (children of this thread get SIGTERM if it ends: it ends only when the stack stops)
        watcher = threading.Thread(
            target=_supervise, args=(stack, stop, supervise), name="stack-supervisor", daemon=True
        )
        _owned.append(stack)
        try:
            use_env(stack.env())
            # Imported here: it reads template.yaml with PyYAML, which the light Lambda image
            # (the API function's) does not have and never needs.
            from .provision import provision

            provision()
            write_state(stack, os.getpid(), extra_state)
            watcher.start()
            yield stack
        finally:
            stop.set()
            if watcher.is_alive():
                watcher.join(70)
            _owned.remove(stack)
            (data_dir / "stack.json").unlink(missing_ok=True)
            stack.stop()


@contextmanager
def storage(data_dir: Path) -> Iterator[str]:
    """Make storage reachable for the duration; yields where it came from."""
    if endpoints_from_env():
        yield "environment"
        return
    state = running_stack(data_dir)
    if state:
        use_env(endpoint_env(state["dynamodb"], state["s3"]))
        yield "serve"
        return
    with owned_stack(data_dir):
        yield "own"
