"""Seeding the demo province through the same services the API uses.

Idempotent: people and enterprises are recognised by their identity numbers, customers by
their engaged party, accounts by their owner — a second run creates nothing. Every insert
goes through the domain services, so the seeded data obeys the same rules, is audited and
emits the same events as data entered by a CSR.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from openbss.account.service import billing_accounts
from openbss.catalog.seed import seed_catalog
from openbss.customer.service import customer_for_party, customers
from openbss.kit.security import SYSTEM, Principal
from openbss.party.service import individuals, organizations
from openbss.rating.seed import seed_rating
from openbss.resources.models import TmfResourceMixin
from openbss.resources.service import ResourceService
from openbss.seed.people import Enterprise, Person, enterprises, people

Progress = Callable[[str, int], None]
P = TypeVar("P", bound=TmfResourceMixin)


@dataclass
class SeedReport:
    province: str
    catalog: dict[str, str] = field(default_factory=dict)
    created: dict[str, int] = field(default_factory=dict)
    existing: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, created: bool) -> None:
        bucket = self.created if created else self.existing
        bucket[kind] = bucket.get(kind, 0) + 1


def _individual_body(person: Person) -> dict[str, Any]:
    return {
        "familyName": person.family_name,
        "givenName": person.given_name,
        "fullName": person.family_name + person.given_name,
        "gender": person.gender,
        "birthDate": person.birth_date.isoformat(),
        "nationality": "CN",
        "individualIdentification": [
            {
                "identificationType": "ResidentIdentityCard",
                "identificationId": person.resident_id,
                "issuingAuthority": "公安局",
            }
        ],
        "contactMedium": [
            {
                "mediumType": "phone",
                "preferred": True,
                "characteristic": {"contactType": "mobile", "phoneNumber": person.mobile},
            },
            {
                "mediumType": "postalAddress",
                "characteristic": {
                    "city": person.city,
                    "stateOrProvince": "广东省",
                    "country": "CN",
                    "street1": person.address,
                },
            },
        ],
    }


def _organization_body(enterprise: Enterprise) -> dict[str, Any]:
    return {
        "tradingName": enterprise.trading_name,
        "name": enterprise.trading_name,
        "isLegalEntity": True,
        "organizationType": "government" if enterprise.government else "company",
        "organizationIdentification": [
            {
                "identificationType": "UnifiedSocialCreditCode",
                "identificationId": enterprise.credit_code,
            }
        ],
        "contactMedium": [
            {
                "mediumType": "phone",
                "preferred": True,
                "characteristic": {
                    "contactType": "office",
                    "phoneNumber": enterprise.contact_phone,
                },
            },
            {
                "mediumType": "postalAddress",
                "characteristic": {
                    "city": enterprise.city,
                    "stateOrProvince": "广东省",
                    "country": "CN",
                    "street1": enterprise.address,
                },
            },
        ],
    }


def seed_demo(
    session: Session,
    province: str,
    customer_count: int,
    enterprise_count: int,
    progress: Progress | None = None,
) -> SeedReport:
    """Seed the catalog (group master data) and one province's parties, customers, accounts."""
    report = SeedReport(province=province)
    report.catalog = seed_catalog(session)
    seed_rating(session)
    actor = Principal(key_id=SYSTEM.key_id, role=SYSTEM.role, province=province)
    tick = progress or (lambda _kind, _n: None)

    for person in people(customer_count):
        party, created = _ensure_party(
            individuals,
            session,
            actor,
            partial(_individual_body, person),
            resident_id_number=person.resident_id,
        )
        report.count("individual", created)
        _ensure_customer_and_account(session, actor, report, party.id, "Individual", person)
        tick("residential", 1)

    for enterprise in enterprises(enterprise_count):
        org, created = _ensure_party(
            organizations,
            session,
            actor,
            partial(_organization_body, enterprise),
            credit_code=enterprise.credit_code,
        )
        report.count("organization", created)
        _ensure_customer_and_account(session, actor, report, org.id, "Organization", enterprise)
        tick("enterprise", 1)
    return report


def _ensure_party(
    service: ResourceService[P],
    session: Session,
    actor: Principal,
    body: Callable[[], dict[str, Any]],
    **identity: str,
) -> tuple[P, bool]:
    """The province's party with that identity, or a new one from ``body()``; and whether
    it was created (a re-run finds what the run before made)."""
    found = service.repo.find_by(session, actor, **identity, province=actor.province)
    if found:
        return found[0], False
    return service.create(session, actor, body()), True


def _ensure_customer_and_account(
    session: Session,
    actor: Principal,
    report: SeedReport,
    party_id: str,
    party_type: str,
    who: Person | Enterprise,
) -> None:
    rng = random.Random(party_id)  # per-party choices that stay the same on a re-run
    if customer_for_party(session, actor, party_id) is None:
        customers.create(session, actor, _customer_body(party_id, party_type, who, rng))
        report.count("customer", True)
    else:
        report.count("customer", False)
    if billing_accounts.repo.find_by(session, actor, owner_party_id=party_id):
        report.count("billingAccount", False)
        return
    owner = [{"id": party_id, "@referredType": party_type, "role": "owner"}]
    if isinstance(who, Person):
        name = f"{who.family_name}{who.given_name}的帐户"
        billing_accounts.create(session, actor, _account_body(name, owner, rng, 100))
        report.count("billingAccount", True)
        return
    # An enterprise: a head account that pays (集团统付) for two branch accounts.
    head = billing_accounts.create(
        session, actor, _account_body(f"{who.trading_name}(总帐户)", owner, rng, 5000)
    )
    report.count("billingAccount", True)
    for branch in ("一分部", "二分部"):
        body = _account_body(f"{who.trading_name}{branch}", owner, rng, 2000)
        body["accountRelationship"] = [
            {"relationshipType": "consolidatedBilling", "account": {"id": head.id}}
        ]
        billing_accounts.create(session, actor, body)
        report.count("billingAccount", True)


def _customer_body(
    party_id: str, party_type: str, who: Person | Enterprise, rng: random.Random
) -> dict[str, Any]:
    if isinstance(who, Person):
        name, category = who.family_name + who.given_name, "residential"
    else:
        name, category = who.trading_name, "government" if who.government else "business"
    return {
        "name": name,
        "status": "active",
        "engagedParty": {"id": party_id, "@referredType": party_type, "name": name},
        "characteristic": [{"name": "customerCategory", "value": category}],
        "creditProfile": [
            {
                "creditScore": rng.choice((420, 560, 700, 720, 810, 860)),
                "validFor": {"startDateTime": "2005-01-01T00:00:00Z"},
            }
        ],
    }


PAYMENT_METHODS = (
    {"id": "cash", "name": "现金"},
    {"id": "bank-collection", "@referredType": "BankAccountDebit", "name": "银行托收"},
    {"id": "online", "@referredType": "DigitalWallet", "name": "网上支付"},
)


def _account_body(
    name: str, owner: list[dict[str, Any]], rng: random.Random, credit_limit_yuan: int
) -> dict[str, Any]:
    return {
        "name": name,
        "accountType": "postpaid",
        "state": "active",
        "relatedParty": owner,
        "creditLimit": {"unit": "CNY", "value": credit_limit_yuan},
        "accountBalance": [
            {"balanceType": "deposit", "amount": {"unit": "CNY", "value": rng.choice((0, 100))}}
        ],
        "defaultPaymentMethod": dict(rng.choice(PAYMENT_METHODS)),
    }
