"""`choleor worker`: job workers only, against the shared storage (more hands for a busy `serve`)."""

from __future__ import annotations

import signal
import threading

from ..usecases import system


def register(sub) -> None:
    p = sub.add_parser(
        "worker",
        help="run job workers against the shared storage",
        description="Run job workers (and the sweeper that takes up jobs left by a dead "
        "process) until Ctrl-C.",
    )
    p.add_argument("--workers", type=int, default=2, help="worker threads (default 2)")
    p.add_argument(
        "--lease",
        type=float,
        default=60.0,
        help="seconds a job stays claimed without a heartbeat (default 60)",
    )
    p.add_argument("--sweep", type=float, default=10.0, help="seconds between sweeps (default 10)")
    p.set_defaults(func=run)


def run(args) -> int:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with system.storage(args.data), system.job_workers(args.workers, sweep=args.sweep, lease=args.lease):
        print(f"{args.workers} workers running (Ctrl-C to stop)", flush=True)
        stop.wait()
    return 0
