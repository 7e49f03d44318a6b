"""Reading an account's receivables: balance, arrears, deposits held, and its items."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from openbss.payments import repository
from openbss.payments.chart import GlAccount
from openbss.payments.models import LedgerItem, Side


@dataclass(frozen=True, slots=True)
class StatementLine:
    item: LedgerItem
    matched_fen: int

    @property
    def open_fen(self) -> int:
        return self.item.amount_fen - self.matched_fen


@dataclass(frozen=True, slots=True)
class AccountPosition:
    """Where an account stands (fen): ``balance`` > 0 is owed, < 0 is a credit balance."""

    billing_account_id: str
    balance_fen: int
    overdue_fen: int  # open debits past their due date on ``as_of``
    oldest_overdue: date | None
    deposit_held_fen: int


def balance(session: Session, billing_account_id: str) -> int:
    """What the account owes: the sum of its receivable journal lines."""
    return repository.gl_balance(session, billing_account_id, GlAccount.RECEIVABLE)


def position(session: Session, billing_account_id: str, as_of: date) -> AccountPosition:
    overdue = [
        (item, left)
        for item, left in repository.open_items(session, billing_account_id, Side.DEBIT)
        if item.control == GlAccount.RECEIVABLE and (item.due_date or item.business_date) < as_of
    ]
    return AccountPosition(
        billing_account_id=billing_account_id,
        balance_fen=balance(session, billing_account_id),
        overdue_fen=sum(left for _, left in overdue),
        oldest_overdue=min(
            (item.due_date or item.business_date for item, _ in overdue), default=None
        ),
        deposit_held_fen=-repository.gl_balance(
            session, billing_account_id, GlAccount.DEPOSITS_HELD
        ),
    )


def statement(session: Session, billing_account_id: str) -> list[StatementLine]:
    """Every item of the account, oldest first, with how much of it is matched."""
    return [
        StatementLine(item, matched)
        for item, matched in repository.account_items(session, billing_account_id)
    ]
