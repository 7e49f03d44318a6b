"""Offset/limit pagination as the TMF guidelines define it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from openbss.kit.errors import BadRequest

T = TypeVar("T")

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
# Beyond any list a client can page through; also keeps OFFSET inside a 64-bit integer.
MAX_OFFSET = 10_000_000


@dataclass(frozen=True, slots=True)
class PageRequest:
    offset: int = 0
    limit: int = DEFAULT_LIMIT

    @classmethod
    def parse(cls, offset: str | None, limit: str | None) -> PageRequest:
        """Validate raw query values; bad values are a 400, not a silent default."""
        return cls(offset=_offset(offset), limit=_limit(limit))


def _non_negative(name: str, raw: str | None, default: int) -> int:
    if raw is None or raw == "":
        return default
    if len(raw) > 20:
        raise BadRequest(f"'{name}' must be a non-negative integer, got {raw[:20]!r}...")
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"'{name}' must be a non-negative integer, got {raw!r}") from None
    if value < 0:
        raise BadRequest(f"'{name}' must be a non-negative integer, got {raw!r}")
    return value


def _offset(raw: str | None) -> int:
    value = _non_negative("offset", raw, 0)
    if value > MAX_OFFSET:
        raise BadRequest(f"'offset' must be at most {MAX_OFFSET}, got {raw!r}")
    return value


def _limit(raw: str | None) -> int:
    value = _non_negative("limit", raw, DEFAULT_LIMIT)
    if value == 0 or value > MAX_LIMIT:
        raise BadRequest(f"'limit' must be between 1 and {MAX_LIMIT}, got {raw!r}")
    return value


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    offset: int

    @property
    def truncated(self) -> bool:
        """True when more items exist than this page carries (HTTP 206)."""
        return self.offset + len(self.items) < self.total or self.offset > 0
