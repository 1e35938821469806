"""`make sam`: the whole app under the real AWS SAM CLI, every function in its Lambda container.

Starts podman's API service if needed, builds the images (seconds when nothing changed), starts
DynamoDB Local and s3rver on the podman bridge's address, builds the default dance library in the
background when the library is empty (in this process, as `choleor library seed` would), then runs
`sam local start-lambda` and `sam local start-api`. Ctrl-C stops everything.

    .venv/bin/python scripts/sam_local.py [--port 3000] [--arch x86_64|arm64] [--data DIR] [--no-seed]
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import sys
import threading
from pathlib import Path

from choleor import config
from choleor.errors import ChoreError
from choleor.stack import sam, session


def admin_key(data: Path) -> str:
    """The local studio's library key (the same file `choleor serve` keeps)."""
    if os.environ.get("CHOLEOR_ADMIN_KEY"):
        return os.environ["CHOLEOR_ADMIN_KEY"]
    path = data / "admin_key"
    if not path.exists():
        data.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(12))
        path.chmod(0o600)
    return path.read_text().strip()


def seed_in_background(data: Path) -> None:
    from choleor.library import seed

    def run() -> None:
        try:
            if seed.start_if_empty(data):
                print("the default dance library is ready", flush=True)
        except ChoreError as exc:
            print(f"could not build the default library: {exc.message}", file=sys.stderr, flush=True)

    threading.Thread(target=run, name="seed", daemon=True).start()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=3000, help="port of the app (default 3000)")
    ap.add_argument("--arch", choices=["x86_64", "arm64"], default="x86_64")
    ap.add_argument("--data", help="data directory (default: .choleor in the checkout)")
    ap.add_argument("--no-seed", action="store_true", help="do not build the default library")
    ap.add_argument("--no-build", action="store_true", help="use the images as they are")
    ap.add_argument("--build-only", action="store_true", help="build the images and stop")
    args = ap.parse_args()

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    data = config.data_dir(args.data)
    try:
        docker_host = sam.podman_service()
        if not args.no_build:
            print("building the function images ...", flush=True)
            sam.build(docker_host, args.arch, sys.executable)
        if args.build_only:
            return 0
        host = sam.bridge_address()
        print(f"starting DynamoDB Local and s3rver on {host} ({data}) ...", flush=True)
        with session.owned_stack(data, {"url": f"http://127.0.0.1:{args.port}/"}, host=host) as stack:
            if not args.no_seed:
                seed_in_background(data)
            key = admin_key(data)
            print("starting sam local start-lambda and start-api ...", flush=True)
            with sam.running(stack, data / "logs", api_port=args.port, admin_key=key) as app:
                print(f"Choleor runs under SAM at {app.api_url}/  (Ctrl-C to stop)", flush=True)
                print(f"Library admin key: {key}", flush=True)
                print(f"SAM's logs: {data / 'logs'}/sam-api.log, sam-lambda.log", flush=True)
                stop.wait()
                print("stopping ...", file=sys.stderr, flush=True)
    except ChoreError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
