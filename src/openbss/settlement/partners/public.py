"""What settlement (interconnect, revenue share, roaming, inter-province, commissions) uses of
partners: read-only views of partners and of the contract in force on a day, and two writers
for seeds and tests.

The views are frozen snapshots: callers never hold ORM rows of this package.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

from sqlalchemy.orm import Session

from openbss.kit.errors import NotFound
from openbss.kit.security import Principal
from openbss.settlement.partners import repository, service
from openbss.settlement.partners.calculations import PartnerKind, characteristics, partner_kind
from openbss.settlement.partners.models import SettlementContract, SettlementPartner


@dataclass(frozen=True)
class PartnerView:
    id: str
    kind: PartnerKind
    code: str
    name: str
    province: str | None  # the owning province; None = group-owned (集团)
    party_id: str | None
    tadig: str | None
    carrier_code: str | None
    service_codes: tuple[str, ...]
    access_numbers: tuple[str, ...]
    settlement_account_id: str | None
    # Statement preferences (characteristics statementFormat / statementLanguage).
    statement_format: str = "csv"
    statement_language: str = "zh-CN"


@dataclass(frozen=True)
class ContractView:
    id: str
    partner_id: str
    kind: str
    terms: Mapping[str, Any]
    valid_from: date
    valid_to: date | None  # exclusive; None = open-ended
    currency: str
    province: str | None = field(default=None)


def _view(row: SettlementPartner) -> PartnerView:
    assert row.kind is not None and row.code is not None
    values = characteristics(row.doc)
    return PartnerView(
        id=row.id,
        kind=PartnerKind(row.kind),
        code=row.code,
        name=row.name or "",
        province=row.province,
        party_id=row.party_id,
        tadig=row.tadig,
        carrier_code=row.carrier_code,
        service_codes=tuple(row.service_codes or ()),
        access_numbers=tuple(row.access_numbers or ()),
        settlement_account_id=row.settlement_account_id,
        statement_format=str(values.get("statementFormat") or "csv"),
        statement_language=str(values.get("statementLanguage") or "zh-CN"),
    )


def _contract_view(row: SettlementContract) -> ContractView:
    return ContractView(
        id=row.id,
        partner_id=row.partner_id,
        kind=row.kind,
        terms=MappingProxyType(dict(row.terms)),
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        currency=row.currency,
        province=row.province,
    )


def partner(session: Session, partner_id: str) -> PartnerView:
    """The partner with this id; NotFound when there is none (or the role is not a partner)."""
    row = repository.get_partner(session, partner_id)
    if row is None or row.kind is None:
        raise NotFound(f"partner {partner_id!r} not found")
    return _view(row)


def partner_by_code(
    session: Session, kind: PartnerKind | str, code: str, province: str | None = None
) -> PartnerView | None:
    """The partner of ``kind`` known by ``code``: its partner code, carrier code or TADIG.
    With ``province``, only that province's partners and the group's (the province's first)."""
    row = repository.partner_by_code(session, partner_kind(kind).value, code, province)
    return None if row is None else _view(row)


def partners(
    session: Session, kind: PartnerKind | str | None = None, province: str | None = None
) -> list[PartnerView]:
    """Partners, ordered by kind and code; with ``province``, that province's and the group's."""
    wanted = None if kind is None else partner_kind(kind).value
    return [_view(row) for row in repository.partners(session, wanted, province)]


def contract_in_force(
    session: Session, partner_id: str, kind: str, day: date
) -> ContractView | None:
    """The partner's contract of ``kind`` in force on ``day`` (valid_from ≤ day < valid_to)."""
    row = repository.contract_in_force(session, partner_id, kind, day)
    return None if row is None else _contract_view(row)


def contracts(session: Session, partner_id: str, kind: str | None = None) -> list[ContractView]:
    """Every contract of a partner (of ``kind``), oldest first."""
    return [_contract_view(row) for row in repository.contracts_of(session, partner_id, kind)]


def create_partner(session: Session, principal: Principal, **fields: Any) -> PartnerView:
    """Create a partner (a TMF669 party role) with the API's rules; see
    :func:`openbss.settlement.partners.service.create_partner` for the fields."""
    return _view(service.create_partner(session, principal, **fields))


def create_contract(
    session: Session,
    principal: Principal,
    partner_id: str,
    kind: str,
    terms: Mapping[str, Any],
    valid_from: date,
    valid_to: date | None = None,
    currency: str = "CNY",
) -> ContractView:
    """Record a contract; periods of one kind never overlap for a partner."""
    row = service.create_contract(
        session,
        principal,
        partner_id=partner_id,
        kind=kind,
        terms=terms,
        valid_from=valid_from,
        valid_to=valid_to,
        currency=currency,
    )
    return _contract_view(row)


__all__ = [
    "ContractView",
    "PartnerKind",
    "PartnerView",
    "contract_in_force",
    "contracts",
    "create_contract",
    "create_partner",
    "partner",
    "partner_by_code",
    "partners",
]
