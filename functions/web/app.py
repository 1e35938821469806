"""Lambda handler: the static front end, behind the same HTTP API as the routes under /api/.

One origin for the page and the API, as `choleor serve` gives locally: the front end's
relative URLs work unchanged. A path under /api/ that no route matched is a JSON 404.
"""

import base64
import json
import mimetypes
from pathlib import Path

ROOT = (Path(__file__).resolve().parent / "frontend").resolve()
TEXT = ("text/", "application/javascript", "application/json", "image/svg+xml")


def _answer(status: int, body: bytes, ctype: str) -> dict:
    text = ctype.startswith(TEXT)
    return {
        "statusCode": status,
        "headers": {"Content-Type": ctype, "Cache-Control": "no-cache"},
        "body": body.decode() if text else base64.b64encode(body).decode(),
        "isBase64Encoded": not text,
    }


def handler(event, context):
    path = str((event if isinstance(event, dict) else {}).get("rawPath") or "/")
    if path == "/api" or path.startswith("/api/"):
        return _answer(404, json.dumps({"error": "no such API route"}).encode(), "application/json")
    target = (ROOT / (path.lstrip("/") or "index.html")).resolve()
    if target.is_dir():
        target = target / "index.html"
    if ROOT not in target.parents or not target.is_file():
        return _answer(404, b"not found", "text/plain")
    ctype = "text/javascript" if target.suffix == ".js" else mimetypes.guess_type(target.name)[0]
    return _answer(200, target.read_bytes(), ctype or "application/octet-stream")
