"""The app under `make sam` (scripts/sam_local.py) in a child process, for the SAM tests.

The child owns the whole setup (images, local stack on the podman bridge, start-lambda,
start-api); the tests only speak HTTP to it, as a browser would, and read SAM's logs.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.conftest import ROOT

ADMIN_KEY = "sam-test-admin-key"


@dataclass
class SamApp:
    url: str
    data: Path
    proc: subprocess.Popen

    @property
    def logs(self) -> Path:
        return self.data / "logs"

    def invocations(self, image: str) -> int:
        """How many containers start-lambda started from a function's image (one per invocation)."""
        text = (self.logs / "sam-lambda.log").read_text(errors="replace")
        return len(re.findall(rf"Invoking Container created from {image}:", text))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(data: Path, timeout: float = 900.0) -> SamApp:
    port = _free_port()
    log = open(data.parent / f"{data.name}-sam-local.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "sam_local.py"), "--port", str(port)]
        + ["--data", str(data), "--no-seed"],
        env={**os.environ, "CHOLEOR_ADMIN_KEY": ADMIN_KEY},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    app = SamApp(f"http://127.0.0.1:{port}", data, proc)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"sam_local.py exited: {Path(log.name).read_text()[-3000:]}")
        try:
            if requests.get(app.url + "/api/health", timeout=30).status_code == 200:
                return app
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            app.stop()
            raise AssertionError(f"the app under SAM did not answer: {Path(log.name).read_text()[-3000:]}")
        time.sleep(1)
