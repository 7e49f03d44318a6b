"""A clock that tests can control.

Production code calls :func:`now`; tests wrap code in :func:`frozen_at` to pin time. The
override lives in a context variable so concurrent requests and threads stay independent.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_frozen: ContextVar[datetime | None] = ContextVar("openbss_frozen_now", default=None)


def now() -> datetime:
    """The current instant, timezone-aware in UTC."""
    pinned = _frozen.get()
    return pinned if pinned is not None else datetime.now(UTC)


def ensure_utc(value: datetime) -> datetime:
    """Interpret naive datetimes as UTC and convert aware ones to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@contextmanager
def frozen_at(instant: datetime) -> Iterator[None]:
    """Pin :func:`now` to ``instant`` inside the block."""
    token = _frozen.set(ensure_utc(instant))
    try:
        yield
    finally:
        _frozen.reset(token)
