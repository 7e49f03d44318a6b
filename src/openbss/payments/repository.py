"""Every query of the receivables ledger. Open amounts are computed, never stored: an item's
open amount is its amount less the sum of its matches (undoing matches are negative)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openbss.payments.allocation import OpenItem
from openbss.payments.models import (
    ItemKind,
    JournalLine,
    LedgerAccount,
    LedgerItem,
    LedgerMatch,
    Payment,
    PostedPeriod,
    Side,
)


def lock_account(session: Session, billing_account_id: str, province: str) -> None:
    """Take the account's ledger lock for the rest of the transaction (created on first use).

    The UPDATE is what locks: a row lock on PostgreSQL, the write lock on SQLite, so every
    writer of one account's ledger waits for the one before it and then reads its matches."""
    bumped = session.execute(
        update(LedgerAccount)
        .where(LedgerAccount.billing_account_id == billing_account_id)
        .values(version=LedgerAccount.version + 1)
    )
    if bumped.rowcount:  # type: ignore[attr-defined]
        return
    try:
        with session.begin_nested():
            session.execute(
                insert(LedgerAccount).values(
                    billing_account_id=billing_account_id, province=province, version=1
                )
            )
    except IntegrityError:  # created by a concurrent writer since: lock the row it made
        session.execute(
            update(LedgerAccount)
            .where(LedgerAccount.billing_account_id == billing_account_id)
            .values(version=LedgerAccount.version + 1)
        )


def _matched_on(column: Any) -> Select[Any]:
    """Matched fen per item, over ``column`` (the debit or the credit side of matches)."""
    return select(column, func.sum(LedgerMatch.amount_fen).label("matched")).group_by(column)


def open_items(
    session: Session, billing_account_id: str, side: Side, *, kinds: Iterable[str] | None = None
) -> list[tuple[LedgerItem, int]]:
    """The account's items of ``side`` with something open, and how much."""
    column = LedgerMatch.debit_item_id if side == Side.DEBIT else LedgerMatch.credit_item_id
    matched = (
        select(column.label("item_id"), func.sum(LedgerMatch.amount_fen).label("matched"))
        .where(LedgerMatch.billing_account_id == billing_account_id)
        .group_by(column)
        .subquery()
    )
    query = (
        select(LedgerItem, LedgerItem.amount_fen - func.coalesce(matched.c.matched, 0))
        .outerjoin(matched, matched.c.item_id == LedgerItem.id)
        .where(LedgerItem.billing_account_id == billing_account_id, LedgerItem.side == side)
    )
    if kinds is not None:
        query = query.where(LedgerItem.kind.in_(list(kinds)))
    return [(item, int(left)) for item, left in session.execute(query) if int(left) > 0]


def open_debits(session: Session, billing_account_id: str) -> list[OpenItem]:
    return [
        OpenItem(
            item.id, left, item.due_date or item.business_date, item.created_at, item.source_id
        )
        for item, left in open_items(session, billing_account_id, Side.DEBIT)
    ]


def matched_fen(session: Session, item: LedgerItem) -> int:
    column = LedgerMatch.debit_item_id if item.side == Side.DEBIT else LedgerMatch.credit_item_id
    return int(
        session.scalar(
            select(func.coalesce(func.sum(LedgerMatch.amount_fen), 0)).where(column == item.id)
        )
        or 0
    )


@dataclass(frozen=True, slots=True)
class LiveMatch:
    """A match still in force: its amount less what later matches undid."""

    id: str
    debit_item_id: str
    credit_item_id: str
    live_fen: int
    created_at: datetime


def live_matches(session: Session, *, credit_item_id: str) -> list[LiveMatch]:
    undone = (
        select(
            LedgerMatch.undoes_match_id.label("match_id"),
            func.sum(LedgerMatch.amount_fen).label("undone"),
        )
        .where(LedgerMatch.credit_item_id == credit_item_id)
        .where(LedgerMatch.undoes_match_id.is_not(None))
        .group_by(LedgerMatch.undoes_match_id)
        .subquery()
    )
    rows = session.execute(
        select(LedgerMatch, LedgerMatch.amount_fen + func.coalesce(undone.c.undone, 0))
        .outerjoin(undone, undone.c.match_id == LedgerMatch.id)
        .where(LedgerMatch.credit_item_id == credit_item_id, LedgerMatch.undoes_match_id.is_(None))
    )
    return [
        LiveMatch(m.id, m.debit_item_id, m.credit_item_id, int(live), m.created_at)
        for m, live in rows
        if int(live) > 0
    ]


def items(session: Session, item_ids: Iterable[str]) -> dict[str, LedgerItem]:
    ids = list(set(item_ids))
    if not ids:
        return {}
    return {
        item.id: item for item in session.scalars(select(LedgerItem).where(LedgerItem.id.in_(ids)))
    }


def item_by_source(session: Session, kind: str, source_id: str) -> LedgerItem | None:
    return session.scalar(
        select(LedgerItem).where(LedgerItem.kind == kind, LedgerItem.source_id == source_id)
    )


def settled_by_source(session: Session, debit_ids: Sequence[str]) -> dict[str, int]:
    """For bill items: matched fen per item id."""
    if not debit_ids:
        return {}
    rows = session.execute(
        select(LedgerMatch.debit_item_id, func.sum(LedgerMatch.amount_fen))
        .where(LedgerMatch.debit_item_id.in_(list(debit_ids)))
        .group_by(LedgerMatch.debit_item_id)
    )
    settled = {item_id: int(total) for item_id, total in rows}
    return {item_id: settled.get(item_id, 0) for item_id in debit_ids}


def gl_balance(session: Session, billing_account_id: str, gl_account: str) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(JournalLine.amount_fen), 0)).where(
                JournalLine.billing_account_id == billing_account_id,
                JournalLine.gl_account == gl_account,
            )
        )
        or 0
    )


def account_items(session: Session, billing_account_id: str) -> list[tuple[LedgerItem, int]]:
    """Every item of the account with its matched amount, oldest first (the ledger view)."""
    debit = _matched_on(LedgerMatch.debit_item_id).subquery()
    credit = _matched_on(LedgerMatch.credit_item_id).subquery()
    rows = session.execute(
        select(
            LedgerItem,
            func.coalesce(debit.c.matched, 0) + func.coalesce(credit.c.matched, 0),
        )
        .outerjoin(debit, debit.c.debit_item_id == LedgerItem.id)
        .outerjoin(credit, credit.c.credit_item_id == LedgerItem.id)
        .where(LedgerItem.billing_account_id == billing_account_id)
        .order_by(LedgerItem.business_date, LedgerItem.created_at, LedgerItem.id)
    )
    return [(item, int(matched)) for item, matched in rows]


def payment_by_reference(session: Session, province: str, reference: str) -> Payment | None:
    return session.scalar(
        select(Payment).where(Payment.province == province, Payment.reference == reference)
    )


def posted_periods(session: Session, province: str) -> set[str]:
    return set(
        session.scalars(select(PostedPeriod.period).where(PostedPeriod.province == province))
    )


def accounts_with_open_credit(
    session: Session, account_ids: Iterable[str], kinds: Iterable[str]
) -> list[str]:
    """Which of ``account_ids`` hold a credit of ``kinds`` not yet spent."""
    ids = list(set(account_ids))
    found: list[str] = []
    kinds = list(kinds)
    for start in range(0, len(ids), 5_000):
        chunk = ids[start : start + 5_000]
        matched = (
            select(
                LedgerMatch.credit_item_id.label("item_id"),
                func.sum(LedgerMatch.amount_fen).label("m"),
            )
            .where(LedgerMatch.billing_account_id.in_(chunk))
            .group_by(LedgerMatch.credit_item_id)
            .subquery()
        )
        found.extend(
            session.scalars(
                select(LedgerItem.billing_account_id)
                .outerjoin(matched, matched.c.item_id == LedgerItem.id)
                .where(
                    LedgerItem.billing_account_id.in_(chunk),
                    LedgerItem.side == Side.CREDIT,
                    LedgerItem.kind.in_(kinds),
                    LedgerItem.amount_fen > func.coalesce(matched.c.m, 0),
                )
                .distinct()
            )
        )
    return found


def trial_balance(
    session: Session, province: str, day: date | None = None
) -> list[tuple[date, int]]:
    """The sum of the journal per business day (zero on every day of a sound ledger)."""
    query = select(JournalLine.business_date, func.sum(JournalLine.amount_fen)).where(
        JournalLine.province == province
    )
    if day is not None:
        query = query.where(JournalLine.business_date == day)
    rows = session.execute(
        query.group_by(JournalLine.business_date).order_by(JournalLine.business_date)
    )
    return [(d, int(total)) for d, total in rows]


def items_of_source_prefix(session: Session, kind: str, source_prefix: str) -> list[LedgerItem]:
    """Items of ``kind`` whose source id starts with ``source_prefix + "/"`` (the refunds of a
    payment are ``<payment id>/<refund reference>``)."""
    return list(
        session.scalars(
            select(LedgerItem).where(
                LedgerItem.kind == kind,
                LedgerItem.source_id.startswith(source_prefix + "/", autoescape=True),
            )
        )
    )


def refund_items(
    session: Session,
    province: str,
    *,
    billing_account_id: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> tuple[list[LedgerItem], int]:
    """A province's refunds (oldest first), a window of them, and how many there are."""
    query = select(LedgerItem).where(
        LedgerItem.province == province, LedgerItem.kind == ItemKind.REFUND
    )
    if billing_account_id is not None:
        query = query.where(LedgerItem.billing_account_id == billing_account_id)
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    window = query.order_by(LedgerItem.created_at, LedgerItem.id).offset(offset)
    if limit is not None:
        window = window.limit(limit)
    return list(session.scalars(window)), total
