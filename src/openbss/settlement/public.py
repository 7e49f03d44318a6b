"""What the entry points (API, CLI) and other domains may use of settlement's runs,
statements, chargebacks, reconciliations and disputes. ``models`` and ``repository`` are
private (enforced by import-linter); partners have their own face,
:mod:`openbss.settlement.partners.public`.
"""

from __future__ import annotations

from openbss.settlement.models import (
    Chargeback,
    Difference,
    Dispute,
    DisputeState,
    Reconciliation,
    RunStatus,
    SettlementAdjustment,
    SettlementRun,
    SettlementStatement,
    StatementKind,
    StatementLine,
)
from openbss.settlement.reconcile.service import (
    MAX_FILE_BYTES,
    move_dispute,
    open_dispute,
    reconcile,
)
from openbss.settlement.repository import (
    adjustments,
    chargebacks,
    current_run,
    differences_of,
    disputes,
    lines_of,
    runs,
    statements_of,
)
from openbss.settlement.revenue_share.service import record_chargeback
from openbss.settlement.runs import check_period, run_settlement

__all__ = [
    "MAX_FILE_BYTES",
    "Chargeback",
    "Difference",
    "Dispute",
    "DisputeState",
    "Reconciliation",
    "RunStatus",
    "SettlementAdjustment",
    "SettlementRun",
    "SettlementStatement",
    "StatementKind",
    "StatementLine",
    "adjustments",
    "chargebacks",
    "check_period",
    "current_run",
    "differences_of",
    "disputes",
    "lines_of",
    "move_dispute",
    "open_dispute",
    "reconcile",
    "record_chargeback",
    "run_settlement",
    "runs",
    "statements_of",
]
