"""Opaque identifiers."""

from __future__ import annotations

import secrets
import uuid


def new_id() -> str:
    """A new opaque resource id (UUID4 text, as the TMF reference implementations use)."""
    return str(uuid.uuid4())


def new_token(nbytes: int = 32) -> str:
    """A URL-safe random secret."""
    return secrets.token_urlsafe(nbytes)
