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


# The instants the product accepts from outside. Far enough from datetime's own limits that
# adding a bill period or a time zone to any accepted instant can never overflow.
EARLIEST_INSTANT = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_INSTANT = datetime(9000, 1, 1, tzinfo=UTC)


def bounded_utc(value: datetime) -> datetime:
    """``value`` in UTC, or ValueError when it lies outside the accepted range (including
    instants that cannot even be converted, such as 9999-12-31T23:59:59-14:00)."""
    try:
        utc = ensure_utc(value)
    except OverflowError:
        raise ValueError("date-time out of range") from None
    if not EARLIEST_INSTANT <= utc < LATEST_INSTANT:
        raise ValueError(
            f"date-time out of range (from {EARLIEST_INSTANT:%Y-%m-%d} to before "
            f"{LATEST_INSTANT:%Y-%m-%d})"
        )
    return utc


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
