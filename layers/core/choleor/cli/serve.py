"""`choleor serve`: the whole app on one machine, on real local servers.

One process: the local stack (unless endpoints are given in the environment),
the job workers, and one HTTP server with the Chalice app under /api/ and the
front end at /. Ctrl-C (or SIGTERM) stops everything, servers included.
"""

from __future__ import annotations

import signal
import sys
import threading

from ..usecases import system
from .webserver import load_chalice_app, make_server


def say(line: str) -> None:
    print(line, flush=True)


def run(args) -> int:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with system.serving(args.data, args.host, args.port, args.workers, not args.no_seed, say) as app:
        if app.seeding:
            say("building the default dance library in the background (a few minutes, once)")
        server = make_server(
            load_chalice_app(app.root / "functions" / "api"),
            app.root / "frontend",
            args.host,
            args.port,
            storage_url=app.storage_url,
        )
        thread = threading.Thread(target=server.serve_forever, name="http", daemon=True)
        thread.start()
        say(f"Choleor is running at {app.url}  (Ctrl-C to stop)")
        if app.admin_key:
            say(f"Library admin key (to add dance videos on the Library page): {app.admin_key}")
        stop.wait()
        print("stopping ...", file=sys.stderr, flush=True)
        server.shutdown()
    return 0
