"""`choleor worker`: job workers only, against the shared storage (more hands for a busy `serve`)."""

from __future__ import annotations

import signal
import threading

from ..usecases import system


def run(args) -> int:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with system.storage(args.data), system.job_workers(args.workers, sweep=args.sweep, lease=args.lease):
        print(f"{args.workers} workers running (Ctrl-C to stop)", flush=True)
        stop.wait()
    return 0
