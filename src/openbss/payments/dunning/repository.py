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
    """Accounts of ``province`` with a bill still open after its due date, before ``as_of``.

    The matched amount is a correlated sum over the debit's matches (indexed by debit), so
    the cost is one pass over the province's debits, not an aggregate of every match."""
    matched = (
        select(func.coalesce(func.sum(LedgerMatch.amount_fen), 0))
        .where(LedgerMatch.debit_item_id == LedgerItem.id)
        .correlate(LedgerItem)
        .scalar_subquery()
    )
    open_fen = LedgerItem.amount_fen - matched
    rows = session.execute(
        select(LedgerItem.billing_account_id, func.min(LedgerItem.due_date), func.sum(open_fen))
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


@dataclass(frozen=True, slots=True)
class OpenDebit:
    """An open debit of an account with its matches: (business day, fen)."""

    id: str
    kind: str
    due_date: date | None
    amount_fen: int
    settlements: tuple[tuple[date, int], ...]

    @property
    def open_fen(self) -> int:
        return self.amount_fen - sum(fen for _, fen in self.settlements)


def open_receivables(session: Session, billing_account_id: str) -> list[OpenDebit]:
    """The account's open receivable debits (bills, debit notes, late fees) with their
    matches: two indexed reads, the open amounts worked out here."""
    rows = session.execute(
        select(LedgerItem.id, LedgerItem.kind, LedgerItem.due_date, LedgerItem.amount_fen).where(
            LedgerItem.billing_account_id == billing_account_id,
            LedgerItem.side == Side.DEBIT,
            LedgerItem.control == GlAccount.RECEIVABLE,
        )
    ).all()
    settled: dict[str, list[tuple[date, int]]] = {}
    for debit_id, day, fen in session.execute(
        select(LedgerMatch.debit_item_id, LedgerMatch.business_date, LedgerMatch.amount_fen).where(
            LedgerMatch.billing_account_id == billing_account_id
        )
    ):
        settled.setdefault(str(debit_id), []).append((day, int(fen)))
    debits = [
        OpenDebit(str(i), str(kind), due, int(amount), tuple(settled.get(str(i), ())))
        for i, kind, due, amount in rows
    ]
    return [debit for debit in debits if debit.open_fen > 0]


def arrears_in(debits: Sequence[OpenDebit], billing_account_id: str, as_of: date) -> Arrears | None:
    """The overdue bills among ``debits`` (the rule of :func:`overdue_accounts`)."""
    overdue = [
        d for d in debits if d.kind in AGED_KINDS and d.due_date is not None and d.due_date < as_of
    ]
    if not overdue:
        return None
    oldest = min(d.due_date for d in overdue if d.due_date is not None)
    return Arrears(billing_account_id, oldest, sum(d.open_fen for d in overdue))


def arrears_of(session: Session, billing_account_id: str, as_of: date) -> Arrears | None:
    return arrears_in(open_receivables(session, billing_account_id), billing_account_id, as_of)


def late_fee_sources(session: Session, billing_account_id: str, since: date) -> set[str]:
    """Source ids of the account's late fees charged for ``since`` or later."""
    return set(
        session.scalars(
            select(LedgerItem.source_id).where(
                LedgerItem.billing_account_id == billing_account_id,
                LedgerItem.kind == ItemKind.LATE_FEE,
                LedgerItem.business_date >= since,
            )
        )
    )


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


def held_accounts(session: Session, account_ids: Sequence[str]) -> set[str]:
    """Which of ``account_ids`` a payment could release: suspended or barred by the treatment,
    or holding an open promise to pay. Read set-based, so a bank file of a million payments
    looks at the few accounts that need it."""
    held: set[str] = set()
    for start in range(0, len(account_ids), 5_000):
        chunk = list(account_ids[start : start + 5_000])
        held.update(
            session.scalars(
                select(DunningCase.billing_account_id).where(
                    DunningCase.billing_account_id.in_(chunk),
                    or_(DunningCase.stage == Stage.SUSPENDED, DunningCase.barring != "none"),
                )
            )
        )
        held.update(
            session.scalars(
                select(PromiseToPay.billing_account_id).where(
                    PromiseToPay.billing_account_id.in_(chunk),
                    PromiseToPay.status == PromiseStatus.OPEN,
                )
            )
        )
    return held
