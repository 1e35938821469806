"""Job kinds: a name and the core function that does the work.

A handler takes the job's params and a `report(fraction, message, urgent=False)`
callback (reports are written at most twice a second, except urgent ones: a new
phase a person should see at once), and returns a JSON-able result. It must be idempotent: writing to keys derived
from its inputs, so running it twice has the effect of running it once.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any

Report = Callable[..., None]  # (fraction, message, urgent=False)
Handler = Callable[[dict, Report], Any]

_HANDLERS: dict[str, Handler] = {}
_DEFAULT_MODULES = (
    "choleor.songs",
    "choleor.library.ingest_job",
    "choleor.library.seed",
    "choleor.videos",
    "choleor.export_job",
)


def register(kind: str) -> Callable[[Handler], Handler]:
    def wrap(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        return fn

    return wrap


def load_modules() -> None:
    """Import the modules that register kinds (plus any named in CHOLEOR_JOB_MODULES)."""
    extra = [m for m in os.environ.get("CHOLEOR_JOB_MODULES", "").split(",") if m.strip()]
    for name in (*_DEFAULT_MODULES, *extra):
        importlib.import_module(name.strip())


def handler_for(kind: str) -> Handler | None:
    if kind not in _HANDLERS:
        load_modules()
    return _HANDLERS.get(kind)


def kinds() -> list[str]:
    load_modules()
    return sorted(_HANDLERS)
