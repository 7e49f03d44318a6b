"""Account queries beyond the generic resource repository: hierarchy and references in use."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from openbss.account.models import (
    PARTY_ACCOUNT_MODELS,
    BillFormat,
    BillingAccount,
    SettlementAccount,
)
from openbss.resources.models import TmfResourceMixin


def parent_of(session: Session, model: type[Any], account_id: str, *, lock: bool) -> str | None:
    """The parent id of one account (None at the top, or if the account does not exist).

    With ``lock`` the row is locked (``FOR UPDATE`` on PostgreSQL) so that two concurrent
    re-parentings cannot each pass the cycle check and together build A→B→A.
    """
    statement = select(model.parent_account_id).where(model.id == account_id)
    if lock:
        statement = statement.with_for_update()
    parent: str | None = session.scalar(statement)
    return parent


def children(session: Session, model: type[Any], account_id: str) -> list[tuple[str, str | None]]:
    """``(id, state)`` of the direct children of an account."""
    statement = select(model.id, model.state).where(model.parent_account_id == account_id)
    return [(row[0], row[1]) for row in session.execute(statement)]


def count_where(session: Session, model: type[Any], column: str, value: str) -> int:
    statement = select(func.count()).select_from(model).where(getattr(model, column) == value)
    return session.scalar(statement) or 0


def party_accounts_using(session: Session, column: str, value: str) -> int:
    """How many billing, party and settlement accounts (all provinces) have ``column = value``."""
    return sum(count_where(session, model, column, value) for model in PARTY_ACCOUNT_MODELS)


def party_accounts_mentioning(session: Session, resource_id: str) -> int:
    """How many party accounts' documents contain ``resource_id`` as a JSON string.

    Used only when deleting reference data that accounts hold in a list without a column
    (presentation media); ids are UUIDs, so a textual match on ``"<id>"`` is a reference.
    """
    needle = f'%"{resource_id}"%'
    total = 0
    for model in PARTY_ACCOUNT_MODELS:
        doc_text = cast(model.doc, String)
        statement = select(func.count()).select_from(model).where(doc_text.like(needle))
        total += session.scalar(statement) or 0
    return total


def visible_row(
    session: Session, model: type[TmfResourceMixin], resource_id: str, province: str | None
) -> Any:
    """A row that an account of ``province`` may refer to: the same province or the group's."""
    row = session.get(model, resource_id)
    if row is None or row.province not in (None, province):
        return None
    return row


def get_billing_account(session: Session, account_id: str) -> BillingAccount | None:
    return session.get(BillingAccount, account_id)


def get_settlement_account(session: Session, account_id: str) -> SettlementAccount | None:
    return session.get(SettlementAccount, account_id)


def get_bill_format(session: Session, format_id: str) -> BillFormat | None:
    return session.get(BillFormat, format_id)


def billing_accounts_of_party(
    session: Session, party_id: str, province: str | None
) -> Sequence[BillingAccount]:
    """The billing accounts a party owns in a province."""
    return session.scalars(
        select(BillingAccount).where(
            BillingAccount.owner_party_id == party_id, BillingAccount.province == province
        )
    ).all()


def billing_accounts_of_province(session: Session, province: str) -> Sequence[BillingAccount]:
    """Every billing account of a province, by id."""
    return session.scalars(
        select(BillingAccount)
        .where(BillingAccount.province == province)
        .order_by(BillingAccount.id)
    ).all()


def credit_limited_accounts(session: Session, province: str) -> list[tuple[str, int]]:
    """(id, credit limit fen) of a province's billing accounts that have a credit limit."""
    rows = session.execute(
        select(BillingAccount.id, BillingAccount.credit_limit_amount)
        .where(
            BillingAccount.province == province,
            BillingAccount.credit_limit_amount.is_not(None),
        )
        .order_by(BillingAccount.id)
    )
    return [(str(account_id), int(limit or 0)) for account_id, limit in rows]
