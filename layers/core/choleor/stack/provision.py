"""Create the tables and buckets declared in template.yaml on the local servers.

One source of truth: key schemas, indexes and CORS rules are read from the
template, so the local stack and the cloud cannot drift apart. Idempotent.
"""

from __future__ import annotations

from ..config import bucket_name
from ..storage import aws
from . import template as tpl


def _table_params(logical_id: str, props: dict) -> dict:
    params = {
        "TableName": logical_id,  # locally the physical name is the logical id (config defaults)
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if props.get("GlobalSecondaryIndexes"):
        params["GlobalSecondaryIndexes"] = [
            {k: v for k, v in gsi.items() if k in ("IndexName", "KeySchema", "Projection")}
            for gsi in props["GlobalSecondaryIndexes"]
        ]
    return params


def _cors(props: dict) -> dict | None:
    rules = props.get("CorsConfiguration", {}).get("CorsRules")
    if not rules:
        return None
    # CloudFormation and the S3 API spell two of the fields differently.
    rename = {
        "AllowedMethods": "AllowedMethods",
        "AllowedOrigins": "AllowedOrigins",
        "AllowedHeaders": "AllowedHeaders",
        "ExposedHeaders": "ExposeHeaders",
        "MaxAge": "MaxAgeSeconds",
    }
    return {"CORSRules": [{rename[k]: v for k, v in r.items() if k in rename} for r in rules]}


def _bucket_name(logical_id: str) -> str:
    # The template names the media bucket per account and region; locally it is the configured name.
    return bucket_name() if logical_id == "MediaBucket" else logical_id.lower()


def provision(template: dict | None = None) -> dict[str, list[str]]:
    """Create what is missing; returns what was created."""
    template = template or tpl.load()
    ddb = aws.client("dynamodb")
    s3 = aws.client("s3")
    created: dict[str, list[str]] = {"tables": [], "buckets": []}
    existing = set(ddb.list_tables().get("TableNames", []))
    for logical_id, res in tpl.resources_of_type(template, "AWS::DynamoDB::Table").items():
        if logical_id not in existing:
            ddb.create_table(**_table_params(logical_id, res["Properties"]))
            created["tables"].append(logical_id)
            ttl = res["Properties"].get("TimeToLiveSpecification")
            if ttl and ttl.get("Enabled"):
                ddb.update_time_to_live(
                    TableName=logical_id,
                    TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
                )
    buckets = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for logical_id, res in tpl.resources_of_type(template, "AWS::S3::Bucket").items():
        name = _bucket_name(logical_id)
        if name not in buckets:
            s3.create_bucket(Bucket=name)
            created["buckets"].append(name)
        cors = _cors(res.get("Properties", {}))
        if cors:
            s3.put_bucket_cors(Bucket=name, CORSConfiguration=cors)
    return created
