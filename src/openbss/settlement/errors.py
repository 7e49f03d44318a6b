"""Errors of settlement: bad input is refused with what was wrong and changes nothing."""

from __future__ import annotations

from openbss.kit.errors import Conflict, Unprocessable


class SettlementInputError(Unprocessable, ValueError):
    """Data or an argument settlement cannot work with (a rule file, a period, a CSV)."""

    code = "INVALID_SETTLEMENT_INPUT"
    reason = "Invalid settlement input"


class SettlementConflict(Conflict):
    """The request does not fit the state of a run, a dispute or a statement."""

    code = "SETTLEMENT_CONFLICT"
