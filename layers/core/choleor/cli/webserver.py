"""One local HTTP server: the Chalice app under /api/, the static front end elsewhere.

waitress serves it: one I/O thread keeps every connection (keep-alive, TCP_NODELAY, a normal
listen backlog) and a fixed pool of worker threads runs requests, so each worker's boto3 clients
(thread-local in `storage.aws`) are made once and reused. API requests go through Chalice's
`LocalGateway`, the same event conversion `chalice local` uses, so routes behave as they will
behind API Gateway; other GET/HEAD requests are answered from files.
"""

from __future__ import annotations

import importlib.util
import mimetypes
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

from chalice.config import Config
from chalice.local import CustomLocalChalice, LocalChalice, LocalGateway, LocalGatewayException

#: Worker threads running requests (I/O is on waitress's own thread, so this bounds work, not connections).
THREADS = 8
#: Open connections kept at most; more wait in the listen backlog.
CONNECTIONS = 256
BACKLOG = 1024

_STATUS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    304: "Not Modified",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def load_chalice_app(api_dir: Path):
    """Import functions/api/app.py by path (it is a face, not part of the core package)."""
    spec = importlib.util.spec_from_file_location("choleor_api_app", api_dir / "app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.app


def security_headers(storage_origin: str | None = None) -> dict[str, str]:
    """Headers every page and answer carries: no inline script, no framing, no sniffing.

    `storage_origin` is where presigned URLs point (uploads, audio, video, thumbnails).
    """
    extra = f" {storage_origin}" if storage_origin else ""
    csp = (
        "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; "
        f"img-src 'self' data: blob:{extra}; media-src 'self' blob:{extra}; connect-src 'self'{extra}; "
        "form-action 'self'; frame-ancestors 'none'"
    )
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
    }


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


class WebApp:
    """The WSGI application: the API through Chalice's local gateway, files for everything else."""

    def __init__(self, chalice_app, static_root: Path, storage_url: str | None = None):
        # As chalice.local.create_local_server does: current_request per thread.
        if not isinstance(chalice_app, LocalChalice):
            CustomLocalChalice.__bases__ = (LocalChalice, chalice_app.__class__)
            chalice_app.__class__ = CustomLocalChalice
        self.gateway = LocalGateway(chalice_app, Config.create(chalice_app=chalice_app, stage="local"))
        self.static_root = static_root.resolve()
        self.headers = security_headers(_origin(storage_url))

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO") or "/"
        method = environ["REQUEST_METHOD"]
        if path == "/api" or path.startswith("/api/"):
            status, headers, body = self._api(environ, method)
        elif method in ("GET", "HEAD"):
            status, headers, body = self._file(path)
        else:
            status, headers, body = 405, {"Content-Type": "text/plain", "Allow": "GET, HEAD"}, b"not allowed"
        for name, value in self.headers.items():
            headers.setdefault(name, value)
        headers["Content-Length"] = str(len(body))
        start_response(f"{status} {_STATUS.get(status, 'Unknown')}", _header_list(headers))
        return [b""] if method == "HEAD" else [body]

    def _api(self, environ, method: str):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else None
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        # The raw request target, as Chalice's own local server passes it on.
        target = environ.get("REQUEST_URI") or environ["PATH_INFO"]
        try:
            response = self.gateway.handle_request(method=method, path=target, headers=headers, body=body)
        except LocalGatewayException as error:
            if error.CODE == 403 and b"Missing Authentication Token" in (error.body or b""):
                # API Gateway's REST API says 403 for an unknown route; a person is better served by 404.
                return 404, {"Content-Type": "application/json"}, b'{"error": "no such API route"}'
            return error.CODE, dict(error.headers), error.body or b""
        out = dict(response["headers"])
        out.update(response.get("multiValueHeaders") or {})
        out.setdefault("Content-Type", "application/json")
        body = response.get("body") or b""
        if response.get("isBase64Encoded"):
            import base64

            body = base64.b64decode(body)
        return response["statusCode"], out, body if isinstance(body, bytes) else body.encode()

    def _file(self, path: str):
        rel = path.lstrip("/") or "index.html"
        target = (self.static_root / rel).resolve()
        if target.is_dir():
            target = target / "index.html"
        inside = target == self.static_root or self.static_root in target.parents
        if not inside or not target.is_file():
            return 404, {"Content-Type": "text/plain"}, b"not found"
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if target.suffix == ".js":
            ctype = "text/javascript"
        return 200, {"Content-Type": ctype, "Cache-Control": "no-cache"}, target.read_bytes()


def _header_list(headers: dict) -> list[tuple[str, str]]:
    out = []
    for name, value in headers.items():
        for v in value if isinstance(value, list) else [value]:
            out.append((str(name), str(v)))
    return out


class WebServer:
    """waitress running `WebApp`; `serve_forever` in a thread, `shutdown` from another."""

    def __init__(self, app: WebApp, host: str, port: int, threads: int = THREADS):
        from waitress import create_server

        self.app = app
        self.server = create_server(
            app,
            host=host,
            port=port,
            threads=threads,
            backlog=BACKLOG,
            connection_limit=CONNECTIONS,
            ident="",  # no Server header: what runs here is nobody's business
            channel_timeout=120,
            clear_untrusted_proxy_headers=True,
        )
        self.port = self.server.effective_port
        self._stopped = threading.Event()

    def serve_forever(self) -> None:
        try:
            self.server.run()
        except OSError:
            if not self._stopped.is_set():
                raise

    def shutdown(self) -> None:
        """Stop accepting, close every connection, stop the workers."""
        self._stopped.set()
        for channel in list(self.server._map.values()):
            try:
                channel.close()
            except OSError:
                pass
        self.server.task_dispatcher.shutdown(timeout=5)


def make_server(
    app, static_root: Path, host: str, port: int, storage_url: str | None = None, threads: int = THREADS
) -> WebServer:
    """The web server for the Chalice `app` and the files under `static_root`."""
    return WebServer(WebApp(app, static_root, storage_url), host, port, threads)
