"""Short-lived copies of reads that many requests share and few writes change.

A public list (the songs, the library's counts, the library pointer) is read by every visitor, and
each read costs one or more DynamoDB or S3 round trips. Under load those round trips, not the
Python, bound the server: DynamoDB Local answers about 600 GetItem/s on two cores. A copy kept
for a second serves the crowd from memory.

Each copy names the tables it was read from. A write through `records` (or `forget(name)` after
an S3 write) drops the copies of that table in this process at once, so a process sees its own
writes; another process (a second Lambda container, a separate `choleor worker`) sees them within
the copy's lifetime. Records a user owns (a choreography, its picks and tokens) are never kept:
they are read fresh on every request.
"""

from __future__ import annotations

import copy
import functools
import threading
import time
from collections.abc import Callable
from typing import Any

_lock = threading.Lock()
_copies: dict[tuple, tuple[float, Any]] = {}  # (function name, args) -> (expires at, value)
_tables: dict[tuple, tuple[str, ...]] = {}  # the same key -> the tables it was read from
_refreshing: set[tuple] = set()  # keys a thread is reading anew


def remembered(tables: tuple[str, ...], seconds: float) -> Callable:
    """Decorate a reader of `tables` whose answer may be up to `seconds` old.

    Callers get a deep copy, so changing an answer never changes the kept one."""

    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def reader(*args):
            key = (fn.__module__, fn.__qualname__, *args)
            now = time.monotonic()
            with _lock:
                kept = _copies.get(key)
                # An expired copy still serves while another thread reads the new one: the crowd
                # waits for no round trip, and storage gets one read per lifetime, not one per thread.
                serve_kept = kept is not None and (kept[0] > now or key in _refreshing)
                if not serve_kept:
                    _refreshing.add(key)
            if serve_kept:
                return copy.deepcopy(kept[1])
            try:
                value = fn(*args)
            finally:
                with _lock:
                    _refreshing.discard(key)
            with _lock:
                _copies[key] = (time.monotonic() + seconds, value)
                _tables[key] = tables
            return copy.deepcopy(value)

        reader.uncached = fn
        return reader

    return wrap


def forget(table: str) -> None:
    """Drop every copy read from `table` (called on each write to it)."""
    with _lock:
        for key in [k for k, names in _tables.items() if table in names]:
            _copies.pop(key, None)
            _tables.pop(key, None)


def forget_all() -> None:
    with _lock:
        _copies.clear()
        _tables.clear()


def records_by_id(
    table: str, ids: list[str], load: Callable[[list[str]], dict[str, dict]], seconds: float
) -> dict[str, dict]:
    """{id: record} of `table`: kept copies where fresh, the others read with one `load(missing)`
    call (a batch read) and kept for `seconds`. Ids `load` does not find are not kept."""
    now = time.monotonic()
    out: dict[str, dict] = {}
    with _lock:
        for i in ids:
            kept = _copies.get(("record", table, i))
            if kept is not None and kept[0] > now:
                out[i] = kept[1]
    missing = [i for i in ids if i not in out]
    if missing:
        fresh = load(missing)
        with _lock:
            for i, rec in fresh.items():
                _copies[("record", table, i)] = (now + seconds, rec)
                _tables[("record", table, i)] = (table,)
        out.update(fresh)
    return copy.deepcopy(out)
