"""Opaque identifiers."""

from __future__ import annotations

import uuid


def new_id() -> str:
    """A new opaque resource id (UUID4 text, as the TMF reference implementations use)."""
    return str(uuid.uuid4())
