"""Numbering error codes: stable machine codes on the shared error hierarchy (kit/errors.py).

Callers (ordering, the API) may catch the kit classes (``Conflict``, ``Unprocessable``) and
look at ``code``; these subclasses only fix the codes in one place.
"""

from __future__ import annotations

from openbss.kit.errors import Conflict, Unprocessable


class InvalidNumberRequest(Unprocessable):
    """Bad kind, area code, prefix, range, pattern, hold time or holder."""

    code = "INVALID_NUMBER_REQUEST"


class UnknownNumber(Unprocessable):
    """The number is not in a pool of the requested kind / network the caller can see."""

    code = "UNKNOWN_NUMBER"


class GoldenNotAllowed(Unprocessable):
    """A golden number was asked for where the caller does not allow golden numbers."""

    code = "GOLDEN_NUMBER_NOT_ALLOWED"


class NumberUnavailable(Conflict):
    """The number exists but is reserved by someone else, in use, or in quarantine."""

    code = "NUMBER_UNAVAILABLE"


class NoFreeNumber(Conflict):
    """Automatic selection found no free ordinary number in scope."""

    code = "NO_FREE_NUMBER"


class NumberNotHeld(Conflict):
    """Assignment or hand-over of a number the holder does not (or no longer) hold."""

    code = "NUMBER_NOT_HELD"


class NumberNotAssigned(Conflict):
    """Retiring a number that is not in use (by that product)."""

    code = "NUMBER_NOT_ASSIGNED"


class PoolOverlap(Conflict):
    """A new pool's range contains numbers that already exist."""

    code = "POOL_OVERLAP"


class DuplicatePool(Conflict):
    code = "DUPLICATE_POOL"
