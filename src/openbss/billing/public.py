"""What other domains (payments, settlement, analytics) may use of billing: bill cycles, the
states of bills, and the final bills receivables posts (with the settlement it reports back).

``models`` and ``repository`` are private (enforced by import-linter).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from openbss.billing.cycles import BillCycle, cycle_containing, cycle_of, due_date, issue_date
from openbss.billing.hot import hot_bill
from openbss.billing.models import BillState, RunStatus
from openbss.billing.receivable import (
    BillRevenue,
    FinalBill,
    billed_by_product,
    final_bills,
    finalised_periods,
    record_settlements,
    record_settlements_in_bulk,
    settlement_state,
)


def unbilled_fen(session: Session, data_dir: Path, account_id: str, at: datetime) -> int:
    """What the account's open cycle has cost so far (hot billing, tax-inclusive fen): the
    unbilled part of a credit-controlled account's exposure."""
    return hot_bill(session, data_dir, account_id, at).total_fen


__all__ = [
    "BillCycle",
    "BillRevenue",
    "BillState",
    "FinalBill",
    "RunStatus",
    "billed_by_product",
    "cycle_containing",
    "cycle_of",
    "due_date",
    "final_bills",
    "finalised_periods",
    "issue_date",
    "record_settlements",
    "record_settlements_in_bulk",
    "settlement_state",
    "unbilled_fen",
]
