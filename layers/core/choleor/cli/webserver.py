"""One local HTTP server: the Chalice app under /api/, the static front end elsewhere.

Built on Chalice's own local server (LocalDevServer), so routes behave as they
will behind API Gateway; only non-API GET/HEAD requests are answered from files.
"""

from __future__ import annotations

import importlib.util
import mimetypes
import sys
from pathlib import Path

from chalice.config import Config
from chalice.local import ChaliceRequestHandler, CustomLocalChalice, LocalChalice, LocalDevServer


def load_chalice_app(api_dir: Path):
    """Import functions/api/app.py by path (it is a face, not part of the core package)."""
    spec = importlib.util.spec_from_file_location("choleor_api_app", api_dir / "app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.app


class _Handler(ChaliceRequestHandler):
    static_root: Path

    def log_message(self, format: str, *args) -> None:  # keep the terminal readable
        pass

    def handle(self) -> None:
        # A browser that cancels a request (switching pages quickly) is not an error.
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _send_error_response(self, error) -> None:
        # Chalice's local gateway answers an unknown route like API Gateway's REST API
        # (403 "Missing Authentication Token"); a person is better served by a 404.
        if error.CODE == 403 and b"Missing Authentication Token" in (error.body or b""):
            body = b'{"error": "no such API route"}'
            self._send_http_response(404, {"Content-Type": "application/json"}, body)
            return
        super()._send_error_response(error)

    def _is_api(self) -> bool:
        return self.path == "/api" or self.path.startswith("/api/")

    def do_GET(self) -> None:
        if self._is_api():
            return self._generic_handle()
        self._serve_file(head=False)

    def do_HEAD(self) -> None:
        if self._is_api():
            return self._generic_handle()
        self._serve_file(head=True)

    def _serve_file(self, head: bool) -> None:
        rel = self.path.split("?", 1)[0].split("#", 1)[0].lstrip("/") or "index.html"
        root = self.static_root.resolve()
        path = (root / rel).resolve()
        if path.is_dir():
            path = path / "index.html"
        if root not in path.parents and path != root or not path.is_file():
            body = b"not found"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)
            return
        data = path.read_bytes()
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix == ".js":
            ctype = "text/javascript"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        if not head:
            self.wfile.write(data)


def make_server(app, static_root: Path, host: str, port: int) -> LocalDevServer:
    """A threaded server for `app` and the files under `static_root`."""
    handler = type("ChoreorHandler", (_Handler,), {"static_root": static_root})
    # As chalice.local.create_local_server does: make current_request per thread.
    if not isinstance(app, LocalChalice):
        CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
        app.__class__ = CustomLocalChalice
    return LocalDevServer(app, Config.create(chalice_app=app, stage="local"), host, port, handler_cls=handler)
