"""Shared fixtures: the real local servers, started once per test session."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
ARTIFACTS = ROOT / "test-artifacts"

# Tests import helper modules as tests.<...>; subprocesses get the same path.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory):
    """DynamoDB Local and s3rver on free ports, provisioned from template.yaml."""
    from choleor.stack.session import owned_stack

    saved = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3",
                                            "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION")}
    data = tmp_path_factory.mktemp("stack")
    with owned_stack(data) as stack:
        yield stack
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
