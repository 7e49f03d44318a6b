"""TMF669 party roles as settlement partners, and their dated contracts.

- Party roles (``/tmf-api/partyRoleManagement/v4/partyRole``): finance and administrators
  write them; billing operators, analysts, customer service and finance read them. A
  group-level key writes group-owned partners (carriers, roaming partners, SPs the group
  contracts); a province key writes its province's own (agents, retail halls).
- A role's characteristics say which partner it is (``calculations.partner_facts``); its
  ``engagedParty`` must be an existing TMF632 party and its ``account`` entries existing
  TMF666 settlement accounts the caller may see. A kind and code name one partner per owner.
- Contracts: finance writes them; periods of the same kind never overlap for one partner, so
  exactly one contract (or none) is in force on any day.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from openbss.account.public import get_settlement_account
from openbss.audit import service as audit
from openbss.kit.errors import BadRequest, Conflict, NotFound, Unprocessable
from openbss.kit.ids import new_id
from openbss.kit.security import Principal, Role
from openbss.kit.tmf import JSON
from openbss.party.public import get_party
from openbss.resources.service import ResourceService
from openbss.resources.validation import check_period
from openbss.settlement.partners import repository
from openbss.settlement.partners.calculations import (
    PartnerKind,
    overlaps,
    partner_characteristics,
    partner_facts,
    partner_kind,
)
from openbss.settlement.partners.models import SettlementContract, SettlementPartner
from openbss.settlement.partners.schemas import PartyRoleSchema

API = "partyRole"
API_PATH = "/tmf-api/partyRoleManagement/v4"
PARTNER_WRITERS = frozenset({Role.FINANCE, Role.ADMIN})
PARTNER_READERS = frozenset(
    {Role.CSR, Role.BILLING_OPERATOR, Role.FINANCE, Role.ANALYST, Role.ADMIN}
)
CONTRACT_KIND = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
SETTLEMENT_ACCOUNT = "SettlementAccount"


class PartyRoleService(ResourceService[SettlementPartner]):
    model = SettlementPartner
    api = API
    api_path = API_PATH
    path = "partyRole"
    resource_type = "PartyRole"
    schema = PartyRoleSchema
    read_roles = PARTNER_READERS
    write_roles = PARTNER_WRITERS
    province_owned = False
    state_attribute = "status"

    def validate(
        self,
        session: Session,
        principal: Principal,
        doc: JSON,
        existing: SettlementPartner | None,
    ) -> JSON:
        doc = self.check_schema(doc)
        check_period(doc.get("validFor"))
        facts = partner_facts(doc)
        province = existing.province if existing is not None else principal.province
        engaged = doc.get("engagedParty")
        if engaged is not None:
            party = get_party(session, engaged["id"])
            if party is None or not principal.can_see(party.province):
                raise Unprocessable(
                    f"engagedParty {engaged['id']!r} is not a party (TMF632) you can see",
                    code="UNKNOWN_PARTY",
                )
        for account in doc.get("account") or []:
            referred = account.get("@referredType")
            if referred not in (None, SETTLEMENT_ACCOUNT):
                raise Unprocessable(
                    f"a partner's account must be a {SETTLEMENT_ACCOUNT} (TMF666), "
                    f"not {referred!r}",
                    code="UNKNOWN_ACCOUNT",
                )
            row = get_settlement_account(session, account["id"])
            if row is None or row.province not in (None, province):
                raise Unprocessable(
                    f"account {account['id']!r} is not a settlement account (TMF666) of this "
                    "partner's province or the group",
                    code="UNKNOWN_ACCOUNT",
                )
        if facts.kind is not None and facts.code is not None:
            other = repository.same_code(
                session,
                facts.kind.value,
                facts.code,
                province,
                existing.id if existing is not None else None,
            )
            if other is not None:
                raise Conflict(
                    f"a {facts.kind.value} partner with code {facts.code!r} exists already "
                    f"({other.id})",
                    code="DUPLICATE_PARTNER",
                )
        return doc

    def apply_columns(self, row: SettlementPartner, doc: JSON) -> None:
        super().apply_columns(row, doc)
        facts = partner_facts(doc)
        row.kind = None if facts.kind is None else facts.kind.value
        row.code = facts.code
        row.carrier_code = facts.carrier_code
        row.tadig = facts.tadig
        row.service_codes = list(facts.service_codes)
        row.access_numbers = list(facts.access_numbers)
        engaged = doc.get("engagedParty")
        row.party_id = None if engaged is None else engaged["id"]
        accounts = doc.get("account") or []
        row.settlement_account_id = accounts[0]["id"] if accounts else None

    def before_delete(self, session: Session, principal: Principal, row: SettlementPartner) -> None:
        if repository.contracts_of(session, row.id):
            raise Conflict(
                f"PartyRole {row.id!r} has settlement contracts; end them instead of deleting "
                "the partner",
                code="PARTNER_IN_USE",
            )


party_roles = PartyRoleService()


def create_partner(
    session: Session,
    principal: Principal,
    *,
    kind: PartnerKind | str,
    name: str,
    code: str | None = None,
    party_id: str | None = None,
    carrier_code: str | None = None,
    tadig: str | None = None,
    service_codes: Sequence[str] = (),
    access_numbers: Sequence[str] = (),
    settlement_account_id: str | None = None,
    statement_format: str | None = None,
    statement_language: str | None = None,
    status: str = "active",
) -> SettlementPartner:
    """Create a partner's party role through the same rules as the API."""
    body: JSON = {
        "name": name,
        "status": status,
        "characteristic": partner_characteristics(
            partner_kind(kind),
            code,
            carrier_code=carrier_code,
            tadig=tadig,
            service_codes=service_codes,
            access_numbers=access_numbers,
            statement_format=statement_format,
            statement_language=statement_language,
        ),
    }
    if party_id is not None:
        body["engagedParty"] = {"id": party_id}
    if settlement_account_id is not None:
        body["account"] = [{"id": settlement_account_id, "@referredType": SETTLEMENT_ACCOUNT}]
    return party_roles.create(session, principal, body)


def _json_terms(terms: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return dict(json.loads(json.dumps(dict(terms))))
    except (TypeError, ValueError):
        raise BadRequest("contract terms must be JSON data", code="INVALID_CONTRACT") from None


def create_contract(
    session: Session,
    principal: Principal,
    *,
    partner_id: str,
    kind: str,
    terms: Mapping[str, Any],
    valid_from: date,
    valid_to: date | None = None,
    currency: str = "CNY",
) -> SettlementContract:
    """Record the terms of ``kind`` agreed with a partner from ``valid_from`` until ``valid_to``
    (exclusive). A period that overlaps another contract of the same kind is refused."""
    principal.require(*PARTNER_WRITERS)
    partner = repository.get_partner(session, partner_id)
    if partner is None or not principal.can_see(partner.province):
        raise NotFound(f"partner {partner_id!r} not found")
    if partner.province is None and principal.province is not None:
        raise Unprocessable(
            f"partner {partner_id!r} is owned by the group; a province key cannot contract it",
            code="GROUP_PARTNER",
        )
    if partner.kind is None:
        raise Unprocessable(
            f"party role {partner_id!r} is not a settlement partner (no partnerKind)",
            code="NOT_A_PARTNER",
        )
    if not CONTRACT_KIND.match(kind):
        raise BadRequest(
            f"contract kind {kind!r} is not valid: lower-case letters, digits and '_'",
            code="INVALID_CONTRACT",
        )
    if not CURRENCY.match(currency):
        raise BadRequest(f"currency {currency!r} is not an ISO 4217 code", code="INVALID_CONTRACT")
    if valid_to is not None and valid_to <= valid_from:
        raise BadRequest(
            f"a contract must end after it starts ({valid_from} .. {valid_to})",
            code="INVALID_CONTRACT",
        )
    for other in repository.contracts_of(session, partner_id, kind):
        if overlaps(other.valid_from, other.valid_to, valid_from, valid_to):
            raise Conflict(
                f"partner {partner_id!r} has a {kind} contract {other.id} from "
                f"{other.valid_from} to {other.valid_to or 'open-ended'} overlapping "
                f"{valid_from} .. {valid_to or 'open-ended'}",
                code="OVERLAPPING_CONTRACT",
            )
    contract = SettlementContract(
        id=new_id(),
        province=partner.province,
        partner_id=partner_id,
        kind=kind,
        terms=_json_terms(terms),
        valid_from=valid_from,
        valid_to=valid_to,
        currency=currency,
    )
    session.add(contract)
    session.flush()
    audit.record(
        session, principal, "create", "SettlementContract", contract.id, partner.province, ["terms"]
    )
    return contract
