"""What other domains (payments, settlement, analytics) may use of billing: bill cycles and the
states of bills. ``models`` and ``repository`` are private (enforced by import-linter)."""

from __future__ import annotations

from openbss.billing.cycles import BillCycle, cycle_containing, cycle_of, due_date, issue_date
from openbss.billing.models import BillState, RunStatus

__all__ = [
    "BillCycle",
    "BillState",
    "RunStatus",
    "cycle_containing",
    "cycle_of",
    "due_date",
    "issue_date",
]
