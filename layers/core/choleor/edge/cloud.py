"""boto3 clients for the cloud the device syncs to: the second boto3 user, on purpose.

`storage.aws` builds clients from the process environment, and on the device
that environment points at the device's own local stack (AWS_ENDPOINT_URL_*,
and s3rver's fixed keys in AWS_ACCESS_KEY_ID). The cloud needs other endpoints
and other credentials in the same process at the same time, so these clients
take everything explicitly and never read those variables: configured endpoint
URLs are ignored and the credential chain skips the environment provider (on
Greengrass it falls through to the token exchange service's container URI).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import botocore.session
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .. import config
from ..storage.records import decode_item, encode_item

# Multipart only above this size keeps ETags plain MD5s, so most objects compare exactly.
_TRANSFER = TransferConfig(multipart_threshold=64 * 2**20, multipart_chunksize=16 * 2**20)
_TRANSIENT_CODES = {
    "Throttling",
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "InternalError",
    "InternalServerError",
    "ServiceUnavailable",
    "SlowDown",
    "RequestTimeout",
    "RequestTimeoutException",
}


@dataclass(frozen=True)
class CloudTarget:
    """Where finished work goes. Endpoints None means AWS itself."""

    s3_endpoint: str | None = None
    dynamodb_endpoint: str | None = None
    bucket: str = config.BUCKET_ENV[1]
    tables: Mapping[str, str] = field(default_factory=dict)  # logical -> physical name
    region: str = "us-east-1"
    access_key: str | None = None
    secret_key: str | None = None
    connect_timeout: float = 3.0

    def table(self, logical: str) -> str:
        return self.tables.get(logical) or config.TABLES[logical][1]

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> CloudTarget | None:
        """CHOLEOR_CLOUD_* variables; None when no cloud is configured (the device works offline)."""
        keys = ("CHOLEOR_CLOUD_S3_ENDPOINT", "CHOLEOR_CLOUD_DYNAMODB_ENDPOINT", "CHOLEOR_CLOUD_BUCKET")
        if not any(env.get(k) for k in keys):
            return None
        tables = {
            logical: env[f"CHOLEOR_CLOUD_TABLE_{logical.upper()}"]
            for logical in config.TABLES
            if env.get(f"CHOLEOR_CLOUD_TABLE_{logical.upper()}")
        }
        return cls(
            s3_endpoint=env.get("CHOLEOR_CLOUD_S3_ENDPOINT") or None,
            dynamodb_endpoint=env.get("CHOLEOR_CLOUD_DYNAMODB_ENDPOINT") or None,
            bucket=env.get("CHOLEOR_CLOUD_BUCKET") or config.BUCKET_ENV[1],
            tables=tables,
            region=env.get("CHOLEOR_CLOUD_REGION") or env.get("AWS_REGION") or "us-east-1",
            access_key=env.get("CHOLEOR_CLOUD_ACCESS_KEY_ID") or None,
            secret_key=env.get("CHOLEOR_CLOUD_SECRET_ACCESS_KEY") or None,
        )


def is_transient(exc: BaseException) -> bool:
    """Worth retrying: the network, throttling, a 5xx. Not: access denied, a missing bucket."""
    if isinstance(exc, BotoCoreError):
        return True
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return err.get("Code") in _TRANSIENT_CODES or status >= 500
    return isinstance(exc, OSError)


def _session(t: CloudTarget) -> boto3.session.Session:
    core = botocore.session.Session()
    if not t.access_key:
        core.get_component("credential_provider").remove("env")  # those are the local stack's keys
    return boto3.session.Session(
        botocore_session=core,
        region_name=t.region,
        aws_access_key_id=t.access_key,
        aws_secret_access_key=t.secret_key,
    )


def _config(t: CloudTarget, service: str) -> Config:
    extra = {"s3": {"addressing_style": "path"}, "signature_version": "s3v4"} if service == "s3" else {}
    # One attempt per call: sync.retry owns the backoff, so an outage is seen promptly.
    return Config(
        retries={"total_max_attempts": 1},
        connect_timeout=t.connect_timeout,
        read_timeout=60,
        ignore_configured_endpoint_urls=True,
        **extra,
    )


class Cloud:
    """The few operations sync needs, against one explicit target."""

    def __init__(self, target: CloudTarget) -> None:
        self.target = target
        session = _session(target)
        self.s3 = session.client("s3", endpoint_url=target.s3_endpoint, config=_config(target, "s3"))
        self.ddb = session.client(
            "dynamodb", endpoint_url=target.dynamodb_endpoint, config=_config(target, "dynamodb")
        )

    def head(self, key: str) -> dict | None:
        try:
            out = self.s3.head_object(Bucket=self.target.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return {"size": out["ContentLength"], "etag": out.get("ETag", "").strip('"')}

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        self.s3.upload_file(
            str(path), self.target.bucket, key, ExtraArgs={"ContentType": content_type}, Config=_TRANSFER
        )

    def put_if_absent(self, logical: str, item: dict) -> bool:
        """Conditional put on `id`; False if the record was already there."""
        try:
            self.ddb.put_item(
                TableName=self.target.table(logical),
                Item=encode_item(item),
                ConditionExpression="attribute_not_exists(id)",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get(self, logical: str, record_id: str) -> dict | None:
        out = self.ddb.get_item(
            TableName=self.target.table(logical), Key={"id": {"S": record_id}}, ConsistentRead=True
        )
        item = out.get("Item")
        return decode_item(item) if item else None

    def keys(self, prefix: str) -> list[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.target.bucket, Prefix=prefix)
        return [o["Key"] for page in pages for o in page.get("Contents", [])]
