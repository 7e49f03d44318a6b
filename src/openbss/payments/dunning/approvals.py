"""Decisions people make in collections: late-fee waivers and write-offs (maker-checker: the
one who asks cannot approve), and promises to pay."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from openbss.account import public as accounts
from openbss.kit.clock import now
from openbss.kit.errors import BadRequest, Conflict, Forbidden, NotFound, Unprocessable
from openbss.kit.ids import new_id
from openbss.kit.security import Principal, Role
from openbss.payments import chart, ledger
from openbss.payments import repository as ar
from openbss.payments.allocation import allocate
from openbss.payments.chart import GlAccount
from openbss.payments.dunning import policy
from openbss.payments.dunning import repository as repo
from openbss.payments.dunning.models import (
    ApprovalStatus,
    LateFeeWaiver,
    PromiseStatus,
    PromiseToPay,
    WriteOffProposal,
)
from openbss.payments.errors import UnknownAccount
from openbss.payments.models import ItemKind, LedgerItem, Side

APPROVERS = (Role.FINANCE, Role.ADMIN)
PROMISE_TAKERS = (Role.CSR, Role.BILLING_OPERATOR, Role.FINANCE, Role.ADMIN)
MAX_REASON = 500


def _account(session: Session, principal: Principal, account_id: str) -> str:
    province = principal.acting_province("a billing account")
    account = accounts.get_billing_account(session, account_id)
    if account is None or account.province != province:
        raise UnknownAccount(f"billing account {account_id!r} does not exist")
    return province


def _reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise BadRequest("a reason is required")
    return reason.strip()[:MAX_REASON]


def _checker(principal: Principal, maker: str) -> None:
    principal.require(*APPROVERS)
    if principal.key_id == maker:
        raise Forbidden("the one who asked for this cannot approve it (maker-checker)")


# ----- waivers -----------------------------------------------------------------------------------


def request_waiver(
    session: Session, principal: Principal, late_fee_item_id: str, amount_fen: int, reason: str
) -> LateFeeWaiver:
    principal.require(*PROMISE_TAKERS)
    province = principal.acting_province("a late fee")
    text = _reason(reason)
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise BadRequest(f"a waiver is a positive whole number of fen, got {amount_fen!r}")
    fee = ar.items(session, [late_fee_item_id]).get(late_fee_item_id)
    if fee is None or fee.kind != ItemKind.LATE_FEE or fee.province != province:
        raise NotFound(f"late fee {late_fee_item_id!r} does not exist", code="UNKNOWN_LATE_FEE")
    waivable = fee.amount_fen - ar.matched_fen(session, fee)
    waivable -= repo.waivers_requested_for(session, fee.id) - _approved_fen(session, fee.id)
    if amount_fen > waivable:
        raise Unprocessable(
            f"late fee {fee.id} has {max(waivable, 0)} fen open and not already asked to be "
            f"waived; {amount_fen} fen cannot be waived",
            code="WAIVER_TOO_LARGE",
        )
    row = LateFeeWaiver(
        id=new_id(),
        province=province,
        billing_account_id=fee.billing_account_id,
        late_fee_item_id=fee.id,
        amount_fen=amount_fen,
        reason=text,
        status=ApprovalStatus.REQUESTED,
        requested_by=principal.key_id,
    )
    session.add(row)
    session.flush()
    return row


def _approved_fen(session: Session, fee_id: str) -> int:
    """Approved waivers are already matched to the fee, so not to be counted twice."""
    return sum(
        w.amount_fen
        for w in session.query(LateFeeWaiver).filter(
            LateFeeWaiver.late_fee_item_id == fee_id,
            LateFeeWaiver.status == ApprovalStatus.APPROVED,
        )
    )


def _waiver(session: Session, principal: Principal, waiver_id: str) -> LateFeeWaiver:
    province = principal.acting_province("a waiver")
    row = session.get(LateFeeWaiver, waiver_id)
    if row is None or row.province != province:
        raise NotFound(f"waiver {waiver_id!r} does not exist", code="UNKNOWN_WAIVER")
    return row


def decide_waiver(
    session: Session, principal: Principal, waiver_id: str, *, approve: bool
) -> LateFeeWaiver:
    """Approve (a waiver credit matched to the fee) or reject; deciding twice is refused
    unless it is the same decision."""
    row = _waiver(session, principal, waiver_id)
    _checker(principal, row.requested_by)
    ar.lock_account(session, row.billing_account_id, row.province)
    session.refresh(row)
    wanted = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    if row.status != ApprovalStatus.REQUESTED:
        if row.status == wanted:
            return row
        raise Conflict(f"waiver {row.id} is already {row.status}", code="ALREADY_DECIDED")
    row.decided_by = principal.key_id
    row.decided_at = now()
    if not approve:
        row.status = ApprovalStatus.REJECTED
        session.flush()
        return row
    fee = ar.items(session, [row.late_fee_item_id])[row.late_fee_item_id]
    open_fen = fee.amount_fen - ar.matched_fen(session, fee)
    amount = min(row.amount_fen, open_fen)
    if amount <= 0:
        raise Conflict(f"late fee {fee.id} is already paid; nothing to waive", code="FEE_PAID")
    credit = ledger.post_item(
        session,
        province=row.province,
        billing_account_id=row.billing_account_id,
        kind=ItemKind.WAIVER,
        amount_fen=amount,
        source_id=row.id,
        lines=chart.waiver_lines(amount),
        note=row.reason,
        created_by=principal.key_id,
    )
    ledger.match(session, fee, credit, amount)
    row.amount_fen = amount
    row.credit_item_id = credit.id
    row.status = ApprovalStatus.APPROVED
    session.flush()
    return row


# ----- write-offs ------------------------------------------------------------------------------


def decide_write_off(
    session: Session, principal: Principal, proposal_id: str, *, approve: bool
) -> WriteOffProposal:
    """Finance approves a proposal: a write-off credit (bad debt) settles what is still open
    (which may be less than proposed, if the customer paid since), or rejects it."""
    province = principal.acting_province("a write-off")
    row = session.get(WriteOffProposal, proposal_id)
    if row is None or row.province != province:
        raise NotFound(f"write-off {proposal_id!r} does not exist", code="UNKNOWN_WRITE_OFF")
    _checker(principal, row.proposed_by)
    ar.lock_account(session, row.billing_account_id, row.province)
    session.refresh(row)
    wanted = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    if row.status != ApprovalStatus.REQUESTED:
        if row.status == wanted:
            return row
        raise Conflict(f"write-off {row.id} is already {row.status}", code="ALREADY_DECIDED")
    row.decided_by = principal.key_id
    row.decided_at = now()
    row.status = wanted
    if approve:
        row.written_off_fen, row.credit_item_id = _write_off(session, row, principal.key_id)
    session.flush()
    return row


def _write_off(session: Session, row: WriteOffProposal, by: str) -> tuple[int, str | None]:
    debits: dict[str, LedgerItem] = {
        item.id: item
        for item, _ in ar.open_items(session, row.billing_account_id, Side.DEBIT)
        if item.control == GlAccount.RECEIVABLE
    }
    candidates = [o for o in ar.open_debits(session, row.billing_account_id) if o.id in debits]
    owed = sum(o.open_fen for o in candidates)
    if owed <= 0:
        return 0, None
    credit = ledger.post_item(
        session,
        province=row.province,
        billing_account_id=row.billing_account_id,
        kind=ItemKind.WRITE_OFF,
        amount_fen=owed,
        source_id=row.id,
        lines=chart.write_off_lines(owed),
        note="坏账核销 / bad debt written off",
        created_by=by,
    )
    allocations = allocate(owed, candidates)
    for allocation in allocations:
        ledger.match(session, debits[allocation.item_id], credit, allocation.amount_fen)
    ledger.sync_bills(session, [debits[a.item_id] for a in allocations])
    return owed, credit.id


# ----- promises to pay ---------------------------------------------------------------------------


def promise_to_pay(
    session: Session,
    principal: Principal,
    account_id: str,
    promised_date: date,
    amount_fen: int,
    note: str | None = None,
) -> PromiseToPay:
    """Record a promise: treatment of the account waits until ``promised_date``."""
    principal.require(*PROMISE_TAKERS)
    province = _account(session, principal, account_id)
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise BadRequest(f"a promise is a positive whole number of fen, got {amount_fen!r}")
    today = ledger.business_day(now())
    limit = policy.version_on(province, today).treatment.max_promise_days
    if promised_date < today or promised_date > today + timedelta(days=limit):
        raise Unprocessable(
            f"a promise to pay is dated from today to {limit} days ahead "
            f"({today} to {today + timedelta(days=limit)}), not {promised_date}",
            code="INVALID_PROMISE_DATE",
        )
    ar.lock_account(session, account_id, province)
    if repo.open_promise(session, account_id) is not None:
        raise Conflict(
            f"account {account_id} already has an open promise to pay", code="PROMISE_OPEN"
        )
    row = PromiseToPay(
        id=new_id(),
        province=province,
        billing_account_id=account_id,
        promised_date=promised_date,
        amount_fen=amount_fen,
        status=PromiseStatus.OPEN,
        note=(note or "")[:MAX_REASON] or None,
        created_by=principal.key_id,
    )
    session.add(row)
    session.flush()
    return row
