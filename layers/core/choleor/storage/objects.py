"""S3 objects: bytes and files in and out, streams, presigned URLs.

Big payloads never pass through the API: clients upload and download with
presigned URLs made here.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..config import bucket_name
from ..errors import NotFound, Unavailable
from . import aws

log = logging.getLogger(__name__)

_TYPES = {
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
    ".flac": "audio/flac",
    ".wav": "audio/wav",
    ".webm": "video/webm",
    ".mp4": "video/mp4",
    ".mov": "video/quicktime",
    ".mkv": "video/x-matroska",
    ".npz": "application/octet-stream",
    ".json": "application/json",
    ".jpg": "image/jpeg",
    ".png": "image/png",
}


def content_type_for(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return _TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def _s3():
    return aws.client("s3")


NOT_ANSWERING = "the file storage is not answering right now; try again in a minute"


def _wrap(exc: Exception, key: str) -> Exception:
    code = aws.error_code(exc)
    if code in ("NoSuchKey", "404", "NotFound"):
        return NotFound(f"no stored object {key}")
    if isinstance(exc, aws.BotoCoreError) or aws.is_server_error(exc) or _transfer_failed(exc):
        # The detail (with the endpoint's address) goes to the log, not to the person.
        log.warning("S3 failed on %s: %s", key, exc)
        return Unavailable(NOT_ANSWERING)
    return exc


def _transfer_failed(exc: Exception) -> bool:
    """s3transfer's own wrappers around a connection that broke mid-transfer."""
    return type(exc).__module__.startswith("s3transfer") or isinstance(exc, (ConnectionError, TimeoutError))


def put_bytes(key: str, data: bytes, content_type: str | None = None) -> None:
    try:
        _s3().put_object(
            Bucket=bucket_name(), Key=key, Body=data, ContentType=content_type or content_type_for(key)
        )
    except (aws.ClientError, aws.BotoCoreError) as exc:
        raise _wrap(exc, key) from exc


def put_file(key: str, path: str | Path, content_type: str | None = None) -> None:
    try:
        _s3().upload_file(
            str(path), bucket_name(), key, ExtraArgs={"ContentType": content_type or content_type_for(key)}
        )
    except Exception as exc:  # s3transfer wraps a broken connection in its own errors
        raise _wrap(exc, key) from exc


def get_bytes(key: str) -> bytes:
    try:
        return _s3().get_object(Bucket=bucket_name(), Key=key)["Body"].read()
    except (aws.ClientError, aws.BotoCoreError) as exc:
        raise _wrap(exc, key) from exc


def download(key: str, path: str | Path) -> Path:
    """Copy an object to a local file (written whole, then renamed, so no half file is left).

    Each download writes its own temporary file: two jobs fetching one key at once both succeed.
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=path.name + ".", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        _s3().download_file(bucket_name(), key, str(tmp))
    except Exception as exc:  # s3transfer wraps a broken connection in its own errors
        tmp.unlink(missing_ok=True)
        raise _wrap(exc, key) from exc
    tmp.replace(path)
    return path


def stream(key: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
    try:
        body = _s3().get_object(Bucket=bucket_name(), Key=key)["Body"]
    except (aws.ClientError, aws.BotoCoreError) as exc:
        raise _wrap(exc, key) from exc
    yield from body.iter_chunks(chunk_size)


def head(key: str) -> dict | None:
    """Size and content type of an object, or None if there is none."""
    try:
        out = _s3().head_object(Bucket=bucket_name(), Key=key)
    except aws.ClientError as exc:
        if aws.error_code(exc) in ("404", "NoSuchKey", "NotFound"):
            return None
        raise _wrap(exc, key) from exc
    except aws.BotoCoreError as exc:
        raise _wrap(exc, key) from exc
    return {"size": out["ContentLength"], "content_type": out.get("ContentType")}


def exists(key: str) -> bool:
    return head(key) is not None


def delete(key: str) -> None:
    try:
        _s3().delete_object(Bucket=bucket_name(), Key=key)
    except (aws.ClientError, aws.BotoCoreError) as exc:
        raise _wrap(exc, key) from exc


def list_keys(prefix: str) -> list[str]:
    keys: list[str] = []
    kwargs = {"Bucket": bucket_name(), "Prefix": prefix}
    while True:
        try:
            out = _s3().list_objects_v2(**kwargs)
        except (aws.ClientError, aws.BotoCoreError) as exc:
            raise _wrap(exc, prefix) from exc
        keys.extend(o["Key"] for o in out.get("Contents", []))
        if not out.get("IsTruncated"):
            return keys
        kwargs["ContinuationToken"] = out["NextContinuationToken"]


def delete_prefix(prefix: str) -> int:
    keys = list_keys(prefix)
    for key in keys:
        delete(key)
    return len(keys)


def presign_get(key: str, expires: int = 3600, filename: str | None = None) -> str:
    params = {"Bucket": bucket_name(), "Key": key}
    if filename:
        params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
    return _s3().generate_presigned_url("get_object", Params=params, ExpiresIn=expires)


def presign_put(key: str, content_type: str, expires: int = 3600, size: int | None = None) -> str:
    """URL a client PUTs the bytes to, sending the same Content-Type header.

    With `size`, Content-Length is signed too: S3 refuses a body of any other length (a browser
    sends the file's length itself). s3rver does not check signatures: the uploads module checks
    what was stored after the upload as well.
    """
    params = {"Bucket": bucket_name(), "Key": key, "ContentType": content_type}
    if size is not None:
        params["ContentLength"] = size
    return _s3().generate_presigned_url("put_object", Params=params, ExpiresIn=expires)


def origin() -> str:
    """scheme://host[:port] of the presigned URLs handed to browsers (a page must allow it)."""
    from urllib.parse import urlsplit

    parts = urlsplit(presign_get("origin"))
    return f"{parts.scheme}://{parts.netloc}"


def ping() -> None:
    """Raise Unavailable unless S3 answers (within about a second) and the bucket exists."""
    try:
        # (a one-key listing proves the bucket exists; s3rver answers HeadBucket ten times slower)
        aws.client("s3", probe=True).list_objects_v2(Bucket=bucket_name(), Prefix="health/", MaxKeys=1)
    except aws.ClientError as exc:
        if aws.is_server_error(exc):
            raise Unavailable(NOT_ANSWERING) from exc
        raise Unavailable(f"bucket {bucket_name()} is missing: {aws.error_code(exc)}") from exc
    except aws.BotoCoreError as exc:
        log.warning("S3 health probe failed: %s", exc)
        raise Unavailable(NOT_ANSWERING) from exc
