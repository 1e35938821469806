"""What a request may carry: one schema per route body, query and path, checked before any work.

Every bad value is a 400 naming the field and saying what it must be; a body too big is a 413.
Plain Python (no numpy, no pydantic): the API function imports this on every cold start.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from ..errors import BadInput, TooLarge

#: Bodies are small JSON objects; files go to storage through presigned URLs.
MAX_BODY_BYTES = 16 * 1024

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# Ids as the core makes them; anything else cannot name a record.
ID_FORMATS = {
    "song_id": (re.compile(r"[0-9a-f]{16}"), "a song id (16 hex digits)"),
    "source_id": (re.compile(r"src[0-9a-f]{13}"), "a dance source id (src and 13 hex digits)"),
    "choreo_id": (re.compile(r"ch[0-9a-f]{14}"), "a choreography id (ch and 14 hex digits)"),
    "move_id": (re.compile(r"[A-Za-z0-9][A-Za-z0-9_.~-]{0,99}"), "a move id"),
    "job_id": (re.compile(r"[A-Za-z0-9][A-Za-z0-9_.~:-]{0,199}"), "a job id"),
}


@dataclass(frozen=True)
class Field:
    """One field: its kind ("text", "name", "int", "number", "bool" or an id kind) and bounds."""

    kind: str
    required: bool = False
    low: float | None = None
    high: float | None = None
    max_len: int = 200
    what: str = ""  # how to say what is expected, when the kind alone is not enough
    too_low: str = ""  # what to say under `low`, when a person would put it otherwise


def _fail(name: str, must: str) -> BadInput:
    return BadInput(f"{name} must be {must}")


def check(name: str, field: Field, value: Any) -> Any:
    """`value` checked against `field`; returns it in its canonical type."""
    kind = field.kind
    if kind in ID_FORMATS:
        pattern, what = ID_FORMATS[kind]
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise _fail(name, what)
        return value
    if kind in ("text", "name"):
        if not isinstance(value, str):
            raise _fail(name, "text")
        value = value.strip()
        if _CONTROL.search(value):
            raise _fail(name, "text without control characters")
        if len(value) > field.max_len:
            raise _fail(name, f"at most {field.max_len} characters long")
        if kind == "name":
            if not value or value in (".", ".."):
                raise _fail(name, field.what or "a file name")
            if "/" in value or "\\" in value:
                raise _fail(name, "a file name without folders (no / or \\)")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise _fail(name, "true or false")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(name, field.what or "a whole number")
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _fail(name, field.what or "a number")
        try:
            value = float(value)
        except OverflowError:
            raise _fail(name, "a finite number") from None
        if not math.isfinite(value):
            raise _fail(name, "a finite number")
    else:  # pragma: no cover - a schema mistake
        raise ValueError(f"unknown field kind {kind!r}")
    if field.low is not None and value < field.low:
        raise BadInput(field.too_low) if field.too_low else _fail(name, f"at least {field.low:g}")
    if field.high is not None and value > field.high:
        raise _fail(name, f"at most {field.high:g}")
    return value


def parse(schema: dict[str, Field], data: dict) -> dict:
    """The fields of `schema` found in `data`, checked (fields not in the schema are ignored)."""
    out = {}
    for name, field in schema.items():
        value = data.get(name)
        if value is None:
            if field.required:
                raise BadInput(f"{name} is missing")
            continue
        out[name] = check(name, field, value)
    return out


def _reject_constant(token: str):
    raise BadInput(f"the request body has {token}, which is not a number JSON allows")


def json_object(raw: bytes | str | None) -> dict:
    """The JSON object of a request body (an empty body is an empty object)."""
    if not raw:
        return {}
    if len(raw) > MAX_BODY_BYTES:
        raise TooLarge(f"the request body is larger than {MAX_BODY_BYTES // 1024} KB")
    try:
        data = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadInput("the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadInput("the request body must be a JSON object")
    return data


def query_number(name: str, raw: str | None, low: float = 0.0, high: float = 86400.0) -> float | None:
    """A number from the query string (None when absent)."""
    if raw in (None, ""):
        return None
    try:
        value = float(raw)
    except ValueError:
        raise _fail(name, "a number of seconds") from None
    return check(name, Field("number", low=low, high=high), value)


SECONDS = dict(low=0.0, high=86400.0, what="a number of seconds")
FILE_SIZE = Field(
    "int", required=True, low=1, what="the file's size in bytes (a whole number)", too_low="the file is empty"
)

# --- one schema per route ----------------------------------------------------------

SONG = {
    "filename": Field("name", required=True, what="the file's name (for example song.mp3)"),
    "size": FILE_SIZE,
    "title": Field("text", max_len=200),
}
SOURCE = {
    "filename": Field("name", required=True, what="the file's name (for example salsa.mp4)"),
    "size": FILE_SIZE,
    "style": Field("text", max_len=40),
    "title": Field("text", max_len=200),
}
CHOREOGRAPHY = {
    "song_id": Field("song_id", required=True),
    "start": Field("number", required=True, **SECONDS),
    "end": Field("number", required=True, **SECONDS),
}
PICK = {"move_id": Field("move_id", required=True)}
AUTO = {"keep_picks": Field("bool")}
CUT = {"cut": Field("text", required=True, max_len=10)}  # which cuts exist: the choreography says
RENDER = {
    "shape": Field("text", max_len=10)
}  # which shapes exist is the renderer's to say (a 400 naming them)

#: Path parameters, by name, for every route.
PATH = {
    "song_id": Field("song_id"),
    "source_id": Field("source_id"),
    "choreo_id": Field("choreo_id"),
    "move_id": Field("move_id"),
    "job_id": Field("job_id"),
    "k": Field("int", low=0, high=9999, what="a segment number (0, 1, 2, ...)"),
    "kind": Field("text", max_len=20),
}


def path_params(params: dict[str, str]) -> dict:
    """Path parameters checked by name (`k` becomes an int)."""
    out = {}
    for name, value in params.items():
        field = PATH.get(name)
        if field is None:
            out[name] = value
        elif field.kind == "int":
            if not re.fullmatch(r"\d{1,4}", value or ""):
                raise _fail(name, field.what)
            out[name] = check(name, field, int(value))
        else:
            out[name] = check(name, field, value)
    return out
