"""What other parts of the product may use of ordering (TMF622) beyond its API: finding orders
by their external id, the open fallout queue, and counts for reports.

``models`` and ``repository`` are private (enforced by import-linter).
"""

from __future__ import annotations

from openbss.ordering.repository import (
    by_external_id,
    completed_between,
    count_completed_with_external_prefix,
    open_fallout,
)

__all__ = [
    "by_external_id",
    "completed_between",
    "count_completed_with_external_prefix",
    "open_fallout",
]
