"""What a person uploads (songs, dance videos): checks shared by every kind of upload."""

from __future__ import annotations

from .errors import BadInput, TooLarge


def check_size(size, max_bytes: int, noun: str) -> None:
    """A file's size as declared or stored: whole bytes, not empty, within the limit (None: unknown)."""
    if size is None:
        return
    if isinstance(size, bool) or not isinstance(size, int):
        raise BadInput("size must be a whole number of bytes")
    if size <= 0:
        raise BadInput("the file is empty")
    if size > max_bytes:
        raise TooLarge(f"the file is {size / 2**20:.0f} MB; {noun} can be at most {max_bytes / 2**20:.0f} MB")
