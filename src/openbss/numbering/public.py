"""What other domains may use of number resources: offering a network, choosing, holding,
assigning and releasing numbers. ``models`` and ``repository`` are private (import-linter)."""

from __future__ import annotations

from openbss.numbering.calculations import normalise_number
from openbss.numbering.service import (
    NumberKind,
    assign,
    offers_network,
    release,
    reserve,
    retire,
    seed_number_pools,
)

__all__ = [
    "NumberKind",
    "assign",
    "normalise_number",
    "offers_network",
    "release",
    "reserve",
    "retire",
    "seed_number_pools",
]
