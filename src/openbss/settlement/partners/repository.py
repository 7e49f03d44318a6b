"""Every query on partners and contracts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from openbss.settlement.partners.models import SettlementContract, SettlementPartner


def get_partner(session: Session, partner_id: str) -> SettlementPartner | None:
    return session.get(SettlementPartner, partner_id)


def partner_by_code(
    session: Session, kind: str, code: str, province: str | None = None
) -> SettlementPartner | None:
    """The partner of ``kind`` known by ``code`` (its own code, carrier code or TADIG); a
    province's own partner before the group's when both exist."""
    statement = (
        select(SettlementPartner)
        .where(
            SettlementPartner.kind == kind,
            or_(
                SettlementPartner.code == code,
                SettlementPartner.carrier_code == code,
                SettlementPartner.tadig == code,
            ),
        )
        .order_by(SettlementPartner.province.is_(None), SettlementPartner.id)
    )
    if province is not None:
        statement = statement.where(
            or_(SettlementPartner.province.is_(None), SettlementPartner.province == province)
        )
    return session.scalars(statement.limit(1)).first()


def same_code(
    session: Session, kind: str, code: str, province: str | None, exclude_id: str | None
) -> SettlementPartner | None:
    """Another partner of ``kind`` and ``code`` owned by ``province`` (or the group)."""
    statement = select(SettlementPartner).where(
        SettlementPartner.kind == kind, SettlementPartner.code == code
    )
    if province is None:
        statement = statement.where(SettlementPartner.province.is_(None))
    else:
        statement = statement.where(SettlementPartner.province == province)
    if exclude_id is not None:
        statement = statement.where(SettlementPartner.id != exclude_id)
    return session.scalars(statement.limit(1)).first()


def partners(
    session: Session, kind: str | None = None, province: str | None = None
) -> Sequence[SettlementPartner]:
    """Partners (party roles with a kind), by kind and code; a province sees its own and the
    group's."""
    statement = select(SettlementPartner).where(SettlementPartner.kind.is_not(None))
    if kind is not None:
        statement = statement.where(SettlementPartner.kind == kind)
    if province is not None:
        statement = statement.where(
            or_(SettlementPartner.province.is_(None), SettlementPartner.province == province)
        )
    statement = statement.order_by(
        SettlementPartner.kind, SettlementPartner.code, SettlementPartner.id
    )
    return session.scalars(statement).all()


def contracts_of(
    session: Session, partner_id: str, kind: str | None = None
) -> Sequence[SettlementContract]:
    statement = select(SettlementContract).where(SettlementContract.partner_id == partner_id)
    if kind is not None:
        statement = statement.where(SettlementContract.kind == kind)
    return session.scalars(
        statement.order_by(SettlementContract.valid_from, SettlementContract.id)
    ).all()


def contract_in_force(
    session: Session, partner_id: str, kind: str, day: date
) -> SettlementContract | None:
    statement = (
        select(SettlementContract)
        .where(
            SettlementContract.partner_id == partner_id,
            SettlementContract.kind == kind,
            SettlementContract.valid_from <= day,
            or_(SettlementContract.valid_to.is_(None), SettlementContract.valid_to > day),
        )
        .order_by(SettlementContract.valid_from.desc(), SettlementContract.id)
    )
    return session.scalars(statement.limit(1)).first()


def get_contract(session: Session, contract_id: str) -> SettlementContract | None:
    return session.get(SettlementContract, contract_id)


def count_contracts(session: Session, partner_id: str) -> int:
    return len(contracts_of(session, partner_id))
