"""Manual adjustments with maker-checker: a debit or credit on an account's next bill.

An adjustment of at most :data:`APPROVAL_THRESHOLD_FEN` (either sign) is approved when it is
asked for; a larger one waits (``pending``) for a second person: whoever asked cannot
approve it. An approved adjustment goes on the account's next finalised bill and is then
``billed``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from openbss.billing import repository as repo
from openbss.billing.models import AdjustmentStatus, ManualAdjustment
from openbss.kit.clock import now
from openbss.kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from openbss.kit.ids import new_id

APPROVAL_THRESHOLD_FEN = 10_000  # 100 yuan


def request_adjustment(
    session: Session, account_id: str, amount_fen: int, reason: str, requested_by: str
) -> ManualAdjustment:
    found = repo.account(session, account_id)
    if found is None or found[0] is None:
        raise NotFound(f"billing account {account_id!r} not found")
    if amount_fen == 0:
        raise Unprocessable("an adjustment of 0 fen changes nothing", code="INVALID_ADJUSTMENT")
    if not reason.strip() or not requested_by.strip():
        raise Unprocessable("an adjustment needs a reason and who asks", code="INVALID_ADJUSTMENT")
    at_once = abs(amount_fen) <= APPROVAL_THRESHOLD_FEN
    adjustment = ManualAdjustment(
        id=new_id(),
        province=found[0],
        billing_account_id=account_id,
        amount_fen=amount_fen,
        reason=reason,
        status=AdjustmentStatus.APPROVED if at_once else AdjustmentStatus.PENDING,
        requested_by=requested_by,
        approved_by=requested_by if at_once else None,
        decided_at=now() if at_once else None,
    )
    session.add(adjustment)
    session.flush()
    return adjustment


def approve_adjustment(session: Session, adjustment_id: str, approver: str) -> ManualAdjustment:
    adjustment = session.get(ManualAdjustment, adjustment_id)
    if adjustment is None:
        raise NotFound(f"adjustment {adjustment_id!r} not found")
    if adjustment.status != AdjustmentStatus.PENDING:
        raise Conflict(
            f"adjustment {adjustment_id} is {adjustment.status}, not pending",
            code="ADJUSTMENT_NOT_PENDING",
        )
    if approver.strip() == adjustment.requested_by:
        raise Forbidden(
            f"{approver} asked for adjustment {adjustment_id}; another person must approve it",
            code="SAME_MAKER_AND_CHECKER",
        )
    adjustment.status, adjustment.approved_by, adjustment.decided_at = (
        AdjustmentStatus.APPROVED,
        approver,
        now(),
    )
    session.flush()
    return adjustment
