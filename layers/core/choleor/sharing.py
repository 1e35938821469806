"""Read-only links to a choreography: a share token of its own, separate from the edit token.

The owner (edit token) makes a share link and can turn it off. A share token opens what a
viewer needs (the choreography, its video, its exports) and nothing that changes it: every
change asks `choreography.load`, which answers 403 to a share token. Only the hash of the
current share token is stored; making a new link replaces the old one. A share token that is
not (or no longer) the choreography's link is a 404: that link does not exist any more.
"""

from __future__ import annotations

import hmac
import secrets
import time

from . import choreography
from .errors import NotFound
from .storage import records

PREFIX = choreography.SHARE_PREFIX

EDIT, READ = "edit", "read"


def create(choreo_id: str, token: str | None) -> dict:
    """A new read-only link (the previous one, if any, stops working)."""
    rec = choreography.load(choreo_id, token)
    share = PREFIX + secrets.token_urlsafe(18)
    records.update(
        "choreographies",
        {"id": rec["id"]},
        {"share_hash": choreography.token_hash(share), "updated_at": time.time()},
    )
    return {"share_token": share, "shared": True}


def revoke(choreo_id: str, token: str | None) -> dict:
    """Turn the read-only link off: it answers 404 from now on."""
    rec = choreography.load(choreo_id, token)
    if rec.get("share_hash"):
        records.update_expression(
            "choreographies",
            {"id": rec["id"]},
            "REMOVE #h SET #u = :now",
            names={"#h": "share_hash", "#u": "updated_at"},
            values={":now": time.time()},
        )
    return {"shared": False}


def load(choreo_id: str, token: str | None) -> tuple[dict, str]:
    """The record and how `token` may use it: EDIT (the edit token) or READ (its share token).

    A share token that is not the current link is a 404; any other wrong token a 403."""
    if token and str(token).startswith(PREFIX):
        rec = records.get("choreographies", {"id": choreo_id})
        stored = (rec or {}).get("share_hash")
        if not stored or not hmac.compare_digest(choreography.token_hash(str(token)), stored):
            raise NotFound("this shared link was turned off by its owner, or never existed")
        return rec, READ
    return choreography.load(choreo_id, token), EDIT


def view(choreo_id: str, token: str | None) -> dict:
    """The choreography as the token may see it; `access` says "edit" or "read"."""
    rec, access = load(choreo_id, token)
    out = choreography.view_record(rec)
    out["access"] = access
    if access == EDIT:
        out["shared"] = bool(rec.get("share_hash"))
    return out
