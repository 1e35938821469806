"""Fixtures shared by the unit tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def memory_aws(monkeypatch):
    """moto's in-memory DynamoDB and S3, provisioned from template.yaml like the local stack."""
    moto = pytest.importorskip("moto")
    from choleor.stack.provision import provision
    from choleor.storage import aws

    for k in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE"):
        monkeypatch.delenv(k, raising=False)
    for k, v in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "CHOLEOR_USE_AWS": "1",
    }.items():
        monkeypatch.setenv(k, v)
    with moto.mock_aws():
        aws.reset_clients()
        provision()
        yield
    aws.reset_clients()
