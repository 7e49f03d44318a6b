"""Every query of collections. The selections of the daily job are set-based: one aggregate
over the ledger finds the accounts with overdue bills, one over the cases finds the accounts
under treatment, so a province of a million accounts costs two scans however few need action."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openbss.payments.chart import GlAccount
from openbss.payments.dunning.models import (
    ApprovalStatus,
    Deposit,
    DepositStatus,
    DunningCase,
    DunningStep,
    LateFeeWaiver,
    Notification,
    NotificationStatus,
    PromiseStatus,
    PromiseToPay,
    Stage,
    WriteOffProposal,
)
from openbss.payments.models import ItemKind, LedgerItem, LedgerMatch, Side

# The debts whose age drives treatment: bills and debit notes (late fees are not aged).
AGED_KINDS = (ItemKind.BILL, ItemKind.DEBIT_NOTE)


@dataclass(frozen=True, slots=True)
class Arrears:
    """An account's open overdue bills on a day: the oldest due date and the open total."""

    billing_account_id: str
    oldest_due: date
    overdue_fen: int


def overdue_accounts(session: Session, province: str, as_of: date) -> dict[str, Arrears]:
    """Accounts of ``province`` with a bill still open after its due date, before ``as_of``."""
    matched = (
        select(
            LedgerMatch.debit_item_id.label("item_id"),
            func.sum(LedgerMatch.amount_fen).label("matched"),
        )
        .where(LedgerMatch.province == province)
        .group_by(LedgerMatch.debit_item_id)
        .subquery()
    )
    open_fen = LedgerItem.amount_fen - func.coalesce(matched.c.matched, 0)
    rows = session.execute(
        select(LedgerItem.billing_account_id, func.min(LedgerItem.due_date), func.sum(open_fen))
        .outerjoin(matched, matched.c.item_id == LedgerItem.id)
        .where(
            LedgerItem.province == province,
            LedgerItem.side == Side.DEBIT,
            LedgerItem.kind.in_(AGED_KINDS),
            LedgerItem.control == GlAccount.RECEIVABLE,
            LedgerItem.due_date < as_of,
            open_fen > 0,
        )
        .group_by(LedgerItem.billing_account_id)
    )
    return {
        str(account): Arrears(str(account), oldest, int(total))
        for account, oldest, total in rows
        if oldest is not None
    }


def arrears_of(session: Session, billing_account_id: str, as_of: date) -> Arrears | None:
    """One account's overdue bills (the same rule as :func:`overdue_accounts`)."""
    oldest: date | None = None
    total = 0
    for item, left in open_bills(session, billing_account_id):
        if item.due_date is not None and item.due_date < as_of:
            total += left
            oldest = item.due_date if oldest is None else min(oldest, item.due_date)
    return Arrears(billing_account_id, oldest, total) if oldest is not None else None


def open_bills(session: Session, billing_account_id: str) -> list[tuple[LedgerItem, int]]:
    matched = (
        select(
            LedgerMatch.debit_item_id.label("item_id"),
            func.sum(LedgerMatch.amount_fen).label("matched"),
        )
        .where(LedgerMatch.billing_account_id == billing_account_id)
        .group_by(LedgerMatch.debit_item_id)
        .subquery()
    )
    rows = session.execute(
        select(LedgerItem, LedgerItem.amount_fen - func.coalesce(matched.c.matched, 0))
        .outerjoin(matched, matched.c.item_id == LedgerItem.id)
        .where(
            LedgerItem.billing_account_id == billing_account_id,
            LedgerItem.side == Side.DEBIT,
            LedgerItem.kind.in_(AGED_KINDS),
            LedgerItem.control == GlAccount.RECEIVABLE,
        )
    )
    return [(item, int(left)) for item, left in rows if int(left) > 0]


def settlements_of(session: Session, item_ids: Sequence[str]) -> dict[str, list[tuple[date, int]]]:
    """The matches of each debit: (business day, fen), undoing ones negative."""
    found: dict[str, list[tuple[date, int]]] = {item_id: [] for item_id in item_ids}
    if not item_ids:
        return found
    rows = session.execute(
        select(LedgerMatch.debit_item_id, LedgerMatch.business_date, LedgerMatch.amount_fen).where(
            LedgerMatch.debit_item_id.in_(list(item_ids))
        )
    )
    for item_id, day, fen in rows:
        found[str(item_id)].append((day, int(fen)))
    return found


def open_late_fees_fen(session: Session, billing_account_id: str) -> int:
    matched = (
        select(
            LedgerMatch.debit_item_id.label("item_id"),
            func.sum(LedgerMatch.amount_fen).label("matched"),
        )
        .where(LedgerMatch.billing_account_id == billing_account_id)
        .group_by(LedgerMatch.debit_item_id)
        .subquery()
    )
    total = session.scalar(
        select(func.sum(LedgerItem.amount_fen - func.coalesce(matched.c.matched, 0)))
        .outerjoin(matched, matched.c.item_id == LedgerItem.id)
        .where(
            LedgerItem.billing_account_id == billing_account_id,
            LedgerItem.kind == ItemKind.LATE_FEE,
        )
    )
    return int(total or 0)


def last_late_fee_day(session: Session, billing_account_id: str) -> date | None:
    day: date | None = session.scalar(
        select(func.max(LedgerItem.business_date)).where(
            LedgerItem.billing_account_id == billing_account_id,
            LedgerItem.kind == ItemKind.LATE_FEE,
        )
    )
    return day


# ----- cases and steps ---------------------------------------------------------------------------


def cases_under_treatment(session: Session, province: str) -> dict[str, DunningCase]:
    """Cases with anything in force: a stage, a barring, or reminders of an open episode."""
    rows = session.scalars(
        select(DunningCase).where(
            DunningCase.province == province,
            or_(
                DunningCase.stage != Stage.CLEAR,
                DunningCase.barring != "none",
                DunningCase.episode_due.is_not(None),
            ),
        )
    )
    return {row.billing_account_id: row for row in rows}


def case_of(session: Session, billing_account_id: str, province: str) -> DunningCase:
    """The account's case, created clear on first use (the account's ledger lock is held)."""
    row = session.get(DunningCase, billing_account_id)
    if row is None:
        row = DunningCase(
            billing_account_id=billing_account_id, province=province, stage=Stage.CLEAR
        )
        row.barring = "none"
        session.add(row)
        session.flush()
    return row


def find_case(session: Session, billing_account_id: str) -> DunningCase | None:
    return session.get(DunningCase, billing_account_id)


def step(session: Session, key: str) -> DunningStep | None:
    return session.scalar(select(DunningStep).where(DunningStep.key == key))


def add_step(session: Session, row: DunningStep) -> bool:
    """Record a step; False when its key was already taken (by a concurrent run)."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def steps_of(session: Session, billing_account_id: str) -> list[DunningStep]:
    return list(
        session.scalars(
            select(DunningStep)
            .where(DunningStep.billing_account_id == billing_account_id)
            .order_by(DunningStep.business_date, DunningStep.id)
        )
    )


# ----- notifications -------------------------------------------------------------------------


def notification_exists(session: Session, key: str) -> bool:
    return session.scalar(select(Notification.id).where(Notification.key == key)) is not None


def pending_notifications(session: Session, limit: int) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.status == NotificationStatus.PENDING)
            .order_by(Notification.created_at, Notification.id)
            .limit(limit)
        )
    )


def notifications_of(session: Session, billing_account_id: str) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.billing_account_id == billing_account_id)
            .order_by(Notification.created_at, Notification.id)
        )
    )


# ----- promises, waivers, write-offs, deposits ------------------------------------------------


def open_promise(session: Session, billing_account_id: str) -> PromiseToPay | None:
    return session.scalar(
        select(PromiseToPay)
        .where(
            PromiseToPay.billing_account_id == billing_account_id,
            PromiseToPay.status == PromiseStatus.OPEN,
        )
        .order_by(PromiseToPay.created_at.desc())
        .limit(1)
    )


def promises_of(session: Session, billing_account_id: str) -> list[PromiseToPay]:
    return list(
        session.scalars(
            select(PromiseToPay)
            .where(PromiseToPay.billing_account_id == billing_account_id)
            .order_by(PromiseToPay.created_at)
        )
    )


def waivers_requested_for(session: Session, late_fee_item_id: str) -> int:
    """Fen of the fee already asked to be waived and not rejected."""
    total = session.scalar(
        select(func.sum(LateFeeWaiver.amount_fen)).where(
            LateFeeWaiver.late_fee_item_id == late_fee_item_id,
            LateFeeWaiver.status != ApprovalStatus.REJECTED,
        )
    )
    return int(total or 0)


def write_off_for(
    session: Session, billing_account_id: str, ceased_on: date
) -> WriteOffProposal | None:
    return session.scalar(
        select(WriteOffProposal).where(
            WriteOffProposal.billing_account_id == billing_account_id,
            WriteOffProposal.ceased_on == ceased_on,
        )
    )


def write_offs(session: Session, province: str, status: str | None) -> list[WriteOffProposal]:
    query = select(WriteOffProposal).where(WriteOffProposal.province == province)
    if status is not None:
        query = query.where(WriteOffProposal.status == status)
    return list(session.scalars(query.order_by(WriteOffProposal.created_at)))


def waivers(session: Session, province: str, status: str | None) -> list[LateFeeWaiver]:
    query = select(LateFeeWaiver).where(LateFeeWaiver.province == province)
    if status is not None:
        query = query.where(LateFeeWaiver.status == status)
    return list(session.scalars(query.order_by(LateFeeWaiver.created_at)))


def deposit_by_reference(session: Session, province: str, reference: str) -> Deposit | None:
    return session.scalar(
        select(Deposit).where(Deposit.province == province, Deposit.reference == reference)
    )


def held_deposits(session: Session, billing_account_id: str) -> list[Deposit]:
    return list(
        session.scalars(
            select(Deposit)
            .where(
                Deposit.billing_account_id == billing_account_id,
                Deposit.status == DepositStatus.HELD,
            )
            .order_by(Deposit.created_at, Deposit.id)
        )
    )
