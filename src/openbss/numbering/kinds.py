"""The kinds and stored states of a number: plain enumerations in a module of their own, so
that the command line can offer them as choices without loading the numbering plan."""

from __future__ import annotations

from enum import StrEnum


class NumberKind(StrEnum):
    FIXED = "fixed"
    PHS = "phs"  # 小灵通: ordinary fixed numbers inside the local area code
    MOBILE = "mobile"


class NumberStatus(StrEnum):
    """Stored states. Whether a number is *free* also depends on the clock: a reservation
    whose hold has passed and a quarantine that has ended are free without any sweeper."""

    AVAILABLE = "available"
    RESERVED = "reserved"
    ASSIGNED = "assigned"
    QUARANTINED = "quarantined"
