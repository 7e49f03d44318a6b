"""Partners for tests: a carrier, an SP, a roaming partner and an agent through the public face."""

from __future__ import annotations

from sqlalchemy.orm import Session

from openbss.account.service import settlement_accounts
from openbss.kit.security import Principal, Role
from openbss.party.service import organizations
from openbss.settlement.partners import public as partners

GROUP_FINANCE = Principal("fin-group", Role.FINANCE, None)
GD_FINANCE = Principal("fin-gd", Role.FINANCE, "GD")


def organization(session: Session, principal: Principal, name: str) -> str:
    row = organizations.create(session, principal, {"tradingName": name, "name": name})
    return row.id


def settlement_account(session: Session, principal: Principal, party_id: str, name: str) -> str:
    row = settlement_accounts.create(
        session,
        principal,
        {"name": name, "relatedParty": [{"id": party_id, "@referredType": "Organization"}]},
    )
    return row.id


def carrier(
    session: Session,
    code: str = "CUCC",
    name: str = "中国联通",
    principal: Principal = GROUP_FINANCE,
) -> partners.PartnerView:
    return partners.create_partner(session, principal, kind="carrier", name=name, carrier_code=code)


def sp(
    session: Session,
    code: str = "901234",
    service_codes: tuple[str, ...] = ("RBT01",),
    access_numbers: tuple[str, ...] = ("12590",),
    principal: Principal = GROUP_FINANCE,
) -> partners.PartnerView:
    return partners.create_partner(
        session,
        principal,
        kind="sp",
        name=f"SP {code}",
        code=code,
        service_codes=service_codes,
        access_numbers=access_numbers,
    )


def roaming(session: Session, tadig: str = "HKGPP") -> partners.PartnerView:
    return partners.create_partner(
        session, GROUP_FINANCE, kind="roaming", name=f"Roaming {tadig}", tadig=tadig
    )


def agent(
    session: Session, code: str = "GD-AG-001", principal: Principal = GD_FINANCE
) -> partners.PartnerView:
    return partners.create_partner(
        session, principal, kind="agent", name=f"代理商 {code}", code=code
    )
