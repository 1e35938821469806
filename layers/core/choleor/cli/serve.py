"""`choleor serve`: the whole app on one machine, on real local servers.

One process: the local stack (unless endpoints are given in the environment),
the job workers, and one HTTP server with the Chalice app under /api/ and the
front end at /. Ctrl-C (or SIGTERM) stops everything, servers included.
"""

from __future__ import annotations

import os
import secrets
import signal
import sys
import threading
from contextlib import ExitStack
from pathlib import Path

from .. import config
from ..errors import Unavailable
from ..jobs import dispatch
from ..stack import session
from ..stack.servers import port_is_free
from .webserver import load_chalice_app, make_server


def register(sub) -> None:
    p = sub.add_parser(
        "serve",
        help="run the whole app on this machine (local servers, API, front end)",
        description="Start the local stack, the job workers and the web app; Ctrl-C stops all.",
    )
    p.add_argument("--port", type=int, default=8000, help="port of the web app (default 8000)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--workers", type=int, default=2, help="job worker threads (default 2)")
    p.add_argument(
        "--no-seed",
        action="store_true",
        help="do not build the default dance library when the library is empty",
    )
    p.set_defaults(func=run)


def _ensure_admin_key(data: Path) -> str | None:
    """A local studio's library key: kept in the data directory unless CHOLEOR_ADMIN_KEY is set."""
    if os.environ.get("CHOLEOR_ADMIN_KEY"):
        return None
    path = data / "admin_key"
    if not path.exists():
        data.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(12))
        path.chmod(0o600)
    os.environ["CHOLEOR_ADMIN_KEY"] = path.read_text().strip()
    return f"Library admin key (to add dance videos on the Library page): {os.environ['CHOLEOR_ADMIN_KEY']}"


def run(args) -> int:
    root = config.repo_root()
    if root is None:
        raise Unavailable(
            "serve runs from a checkout of the repository (functions/ and frontend/ are needed)"
        )
    if not port_is_free(args.port, args.host):
        raise Unavailable(f"port {args.port} on {args.host} is already in use; choose another with --port")
    data = config.data_dir(args.data)
    url = f"http://{args.host}:{args.port}/"
    running = session.running_stack(data)
    if running and not session.endpoints_from_env():
        raise Unavailable(f"another choleor serve already runs on {data} (at {running.get('url', '?')})")

    key_note = _ensure_admin_key(data)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())

    with ExitStack() as stack:
        if not session.endpoints_from_env():
            print(f"starting DynamoDB Local and s3rver on {data} ...", flush=True)
            stack.enter_context(session.owned_stack(data, {"url": url}))
        workers = dispatch.ThreadDispatcher(workers=args.workers).start()
        dispatch.set_dispatcher(workers)
        stack.callback(dispatch.set_dispatcher, None)
        stack.callback(workers.stop)
        if not args.no_seed:
            from ..library import seed

            if seed.start_if_empty(data):
                print(
                    "building the default dance library in the background (a few minutes, once)", flush=True
                )
        server = make_server(
            load_chalice_app(root / "functions" / "api"), root / "frontend", args.host, args.port
        )
        thread = threading.Thread(target=server.server.serve_forever, name="http", daemon=True)
        thread.start()
        stack.callback(server.server.server_close)
        stack.callback(server.shutdown)
        print(f"Choleor is running at {url}  (Ctrl-C to stop)", flush=True)
        if key_note:
            print(key_note, flush=True)
        stop.wait()
        print("stopping ...", file=sys.stderr, flush=True)
    return 0
