"""Errors a person can act on.

Faces turn these into HTTP statuses or a one-line CLI message with a
non-zero exit; anything else is a bug and is reported as one.
"""


class ChoreError(Exception):
    """Base class: `message` is written for the person using Choleor."""

    status = 500

    def __init__(self, message: str, detail: dict | None = None):
        super().__init__(message)
        self.message = message
        self.detail = detail or {}  # extra fields for the answer, e.g. the current state on a 409


class BadInput(ChoreError):
    """The request or file cannot be used as given (HTTP 400)."""

    status = 400


class TooLarge(BadInput):
    """A file or duration over a configured limit (HTTP 413)."""

    status = 413


class Forbidden(ChoreError):
    """Missing or wrong token or key (HTTP 403)."""

    status = 403


class NotFound(ChoreError):
    """No such record (HTTP 404)."""

    status = 404


class Conflict(ChoreError):
    """The record is not in a state that allows this (HTTP 409)."""

    status = 409


class Unavailable(ChoreError):
    """A server the app needs is down or did not start (HTTP 503)."""

    status = 503
