"""DynamoDB records: plain dicts in, plain dicts out.

Floats are stored as DynamoDB numbers (Decimal on the wire) and come back as
int or float; callers never see Decimal. Conditional writes turn into
`Conflict` so a use case can say what went wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from ..config import table_name
from ..errors import Conflict, Unavailable
from . import aws, memo

log = logging.getLogger(__name__)
_ser = aws.TypeSerializer()
_de = aws.TypeDeserializer()


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_to_dynamo(v) for v in value]
    if isinstance(value, set):
        return {_to_dynamo(v) for v in value}
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value.as_tuple().exponent >= 0 else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    if isinstance(value, set):
        return {_from_dynamo(v) for v in value}
    return value


def encode_item(item: dict) -> dict:
    """A plain dict as a DynamoDB wire item (also used by the edge's cloud sync)."""
    return {k: _ser.serialize(v) for k, v in _to_dynamo(item).items()}


def decode_item(item: dict) -> dict:
    """A DynamoDB wire item as a plain dict (numbers as int or float)."""
    return _from_dynamo({k: _de.deserialize(v) for k, v in item.items()})


_encode, _decode = encode_item, decode_item


def _values(values: dict | None) -> dict | None:
    return _encode(values) if values else None


NOT_ANSWERING = "the database is not answering right now; try again in a minute"


def _call(method: str, probe: bool = False, **kwargs) -> dict:
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    try:
        return getattr(aws.client("dynamodb", probe=probe), method)(**kwargs)
    except aws.ClientError as exc:
        if aws.error_code(exc) == "ConditionalCheckFailedException":
            raise Conflict("the record changed or already exists") from exc
        if aws.error_code(exc) == "ResourceNotFoundException":
            raise Unavailable(
                f"table {kwargs.get('TableName')} does not exist; is the local stack provisioned?"
            ) from exc
        if aws.is_server_error(exc):
            log.warning("DynamoDB %s failed: %s", method, exc)
            raise Unavailable(NOT_ANSWERING) from exc
        raise
    except aws.BotoCoreError as exc:
        # The detail (with the endpoint's address) goes to the log, not to the person.
        log.warning("DynamoDB %s failed: %s", method, exc)
        raise Unavailable(NOT_ANSWERING) from exc


def put(
    table: str,
    item: dict,
    *,
    if_absent: str | None = None,
    condition: str | None = None,
    names: dict | None = None,
    values: dict | None = None,
) -> None:
    """Write a whole record. `if_absent="id"` makes it a create that fails with Conflict if it exists."""
    if if_absent:
        condition = f"attribute_not_exists({if_absent})"
    try:
        _call(
            "put_item",
            TableName=table_name(table),
            Item=_encode(item),
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=_values(values),
        )
    finally:  # after the write (a timed-out one may have landed): this process reads it next
        memo.forget(table)


def get(table: str, key: dict, *, consistent: bool = True) -> dict | None:
    out = _call("get_item", TableName=table_name(table), Key=_encode(key), ConsistentRead=consistent)
    return _decode(out["Item"]) if "Item" in out else None


def get_many(table: str, ids: list[str], *, key_name: str = "id") -> dict[str, dict]:
    """Records by id, in as few round trips as DynamoDB allows (100 keys each): {id: record}."""
    wanted = list(dict.fromkeys(i for i in ids if i))
    out: dict[str, dict] = {}
    physical = table_name(table)
    for start in range(0, len(wanted), 100):
        keys = [_encode({key_name: i}) for i in wanted[start : start + 100]]
        request = {physical: {"Keys": keys, "ConsistentRead": True}}
        for _ in range(8):  # unprocessed keys come back when the table is busy
            answer = _call("batch_get_item", RequestItems=request)
            for item in answer.get("Responses", {}).get(physical, []):
                rec = _decode(item)
                out[rec[key_name]] = rec
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                break
    return out


def update(
    table: str,
    key: dict,
    changes: dict | None = None,
    *,
    remove: list[str] | None = None,
    add: dict | None = None,
    condition: str | None = None,
    names: dict | None = None,
    values: dict | None = None,
) -> dict:
    """Set, add to, or remove attributes; returns the record as it is after the update.

    `condition` may refer to `names` (#n) and `values` (:v); the changes use
    their own generated placeholders so they never collide.
    """
    names = dict(names or {})
    vals = dict(values or {})
    parts = []
    if changes:
        sets = []
        for i, (k, v) in enumerate(changes.items()):
            names[f"#c{i}"] = k
            vals[f":c{i}"] = v
            sets.append(f"#c{i} = :c{i}")
        parts.append("SET " + ", ".join(sets))
    if add:
        adds = []
        for i, (k, v) in enumerate(add.items()):
            names[f"#a{i}"] = k
            vals[f":a{i}"] = v
            adds.append(f"#a{i} :a{i}")
        parts.append("ADD " + ", ".join(adds))
    if remove:
        rems = []
        for i, k in enumerate(remove):
            names[f"#r{i}"] = k
            rems.append(f"#r{i}")
        parts.append("REMOVE " + ", ".join(rems))
    return update_expression(table, key, " ".join(parts), condition=condition, names=names, values=vals)


def update_expression(
    table: str,
    key: dict,
    expression: str,
    *,
    condition: str | None = None,
    names: dict | None = None,
    values: dict | None = None,
) -> dict:
    """Apply a DynamoDB UpdateExpression as written (nested paths such as `#s[3].#m` included);
    returns the record as it is after the update, or raises Conflict when `condition` fails."""
    try:
        out = _call(
            "update_item",
            TableName=table_name(table),
            Key=_encode(key),
            UpdateExpression=expression,
            ConditionExpression=condition,
            ExpressionAttributeNames=names or None,
            ExpressionAttributeValues=_values(values),
            ReturnValues="ALL_NEW",
        )
    finally:
        memo.forget(table)
    return _decode(out.get("Attributes", {}))


def delete(
    table: str,
    key: dict,
    *,
    condition: str | None = None,
    names: dict | None = None,
    values: dict | None = None,
) -> None:
    try:
        _call(
            "delete_item",
            TableName=table_name(table),
            Key=_encode(key),
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=_values(values),
        )
    finally:
        memo.forget(table)


def query(
    table: str,
    key_name: str,
    key_value: Any,
    *,
    index: str | None = None,
    ascending: bool = True,
    limit: int | None = None,
    filter: str | None = None,
    names: dict | None = None,
    values: dict | None = None,
) -> list[dict]:
    """Records whose partition key (of the table or of `index`) equals `key_value`."""
    names = {"#pk": key_name, **(names or {})}
    vals = {":pk": key_value, **(values or {})}
    items: list[dict] = []
    kwargs = dict(
        TableName=table_name(table),
        IndexName=index,
        KeyConditionExpression="#pk = :pk",
        FilterExpression=filter,
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=_values(vals),
        ScanIndexForward=ascending,
    )
    while True:
        out = _call("query", **kwargs)
        items.extend(_decode(i) for i in out.get("Items", []))
        if limit and len(items) >= limit:
            return items[:limit]
        if "LastEvaluatedKey" not in out:
            return items
        kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]


def scan(
    table: str, *, filter: str | None = None, names: dict | None = None, values: dict | None = None
) -> Iterator[dict]:
    """Every record (filtered); for small tables and maintenance sweeps."""
    kwargs = dict(
        TableName=table_name(table),
        FilterExpression=filter,
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=_values(values),
    )
    while True:
        out = _call("scan", **kwargs)
        yield from (_decode(i) for i in out.get("Items", []))
        if "LastEvaluatedKey" not in out:
            return
        kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]


def ping() -> None:
    """Raise Unavailable unless DynamoDB answers (within about a second) and the tables exist."""
    # (a GetItem: the cheapest call that proves the table exists; DescribeTable is slower locally)
    _call("get_item", probe=True, TableName=table_name("jobs"), Key=_encode({"id": "health-probe"}))
