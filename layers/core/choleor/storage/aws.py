"""boto3 clients with endpoints and credentials from the environment.

The only module that imports boto3: everything else goes through `objects`,
`records` or `invoke_async` here.
"""

from __future__ import annotations

import json
import os
import threading

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer  # noqa: F401  (re-exported)
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError  # noqa: F401  (re-exported)

_local = threading.local()
_DEFAULT_REGION = "us-east-1"


def _endpoint(service: str) -> str | None:
    return os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}") or os.environ.get("AWS_ENDPOINT_URL")


def _config(service: str, probe: bool = False) -> Config:
    extra = {}
    if service == "s3":
        # Path-style works with s3rver and with every AWS region.
        extra["s3"] = {"addressing_style": "path"}
    if probe:  # health: an answer within a second, or "not answering"
        timeouts = {"connect_timeout": 0.5, "read_timeout": 1.0, "retries": {"total_max_attempts": 1}}
    else:
        # A stalled server is noticed within seconds (read_timeout is per read, not per transfer);
        # jobs retry storage errors with their own backoff (`jobs.runner`).
        timeouts = {
            "connect_timeout": 2,
            "read_timeout": 10 if service == "s3" else 5,
            "retries": {"max_attempts": 2, "mode": "standard"},
        }
    return Config(signature_version="s3v4" if service == "s3" else None, **timeouts, **extra)


def client(service: str, probe: bool = False):
    """A thread-local client (boto3 clients are not safe to share across threads for setup).

    Each thread makes its clients once and keeps them (and their connection pools) while the
    endpoints stay the same; `probe=True` gives one with sub-second timeouts and no retries.
    """
    key = (service, _endpoint(service), os.environ.get("AWS_ACCESS_KEY_ID"), probe)
    cache = getattr(_local, "clients", None)
    if cache is None:
        cache = _local.clients = {}
    if key not in cache:
        session = boto3.session.Session(
            region_name=os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION")
            or _DEFAULT_REGION
        )
        cache[key] = session.client(service, endpoint_url=_endpoint(service), config=_config(service, probe))
    return cache[key]


def reset_clients() -> None:
    """Forget cached clients (after the endpoints in the environment changed)."""
    _local.clients = {}


def error_code(exc: BaseException) -> str | None:
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code")
    return None


def is_server_error(exc: BaseException) -> bool:
    """A 5xx or throttling answer: the service is struggling, the request was fine."""
    if not isinstance(exc, ClientError):
        return False
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
    return status >= 500 or error_code(exc) in ("ThrottlingException", "SlowDown", "RequestLimitExceeded")


def invoke_async(function_name: str, payload: dict) -> None:
    """Fire-and-forget Lambda invocation (InvocationType=Event: Lambda retries on failure)."""
    client("lambda").invoke(
        FunctionName=function_name, InvocationType="Event", Payload=json.dumps(payload).encode()
    )
