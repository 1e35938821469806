"""Headless Chromium as the tests drive it: Debian's /usr/bin/chromium through Playwright for
Python (no browser is ever downloaded), and what a test watches on a page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium() -> Iterator:
    """A headless Chromium (a Playwright Browser) for as long as the block runs."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is needed (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class Watch:
    """Console errors, page errors and job polls of one page."""

    def __init__(self, page):
        self.errors: list[str] = []
        self.allowed: list[re.Pattern] = []
        self.in_flight: dict[str, int] = {}
        self.max_in_flight: dict[str, int] = {}
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        page.on("request", self._request)
        page.on("requestfinished", self._done)
        page.on("requestfailed", self._done)

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def _console(self, msg):
        if msg.type == "error" and not any(p.search(msg.text) for p in self.allowed):
            self.errors.append(f"console: {msg.text} @ {msg.location.get('url', '')}")

    @staticmethod
    def _job(request) -> str | None:
        m = re.search(r"/api/jobs/([^/?#]+)", request.url)
        return m.group(1) if m else None

    def _request(self, request):
        job = self._job(request)
        if job:
            self.in_flight[job] = self.in_flight.get(job, 0) + 1
            self.max_in_flight[job] = max(self.max_in_flight.get(job, 0), self.in_flight[job])

    def _done(self, request):
        job = self._job(request)
        if job:
            self.in_flight[job] -= 1
