"""Demo subscriptions: real product orders for the demo customers, provisioned to completion.

Each order goes through the ordering service (validation, pricing, number reservation) in its
own transaction, exactly like a POST to the API from the retail hall, and the orchestration
then provisions it through the simulated network elements. The mix per residential customer
is deterministic (seeded by the customer id): a fixed line + ADSL bundle, a fixed line alone,
or a PHS line; an enterprise takes a bundle at its head office. Idempotent: every order
carries the external id ``DEMO-<customer id>``, so a second run submits nothing new.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from openbss.account.public import BillingAccount
from openbss.catalog.public import offering_ids_by_code
from openbss.customer.public import Customer
from openbss.db.uow import unit_of_work
from openbss.kit.clock import frozen_at, now
from openbss.kit.security import Principal, Role
from openbss.kit.settings import get_settings
from openbss.numbering.public import NumberKind, offers_network, seed_number_pools
from openbss.ordering.orchestrator import work_until_idle
from openbss.ordering.public import by_external_id, count_completed_with_external_prefix
from openbss.ordering.service import product_orders
from openbss.party.public import get_party, party_kind
from openbss.refdata.numbering import area_code_for_city

Progress = Callable[[str, int], None]
# (offering code, share of residential customers)
RESIDENTIAL_MIX = (
    ("CT-PO-BUNDLE-FIXED-ADSL", 0.45),
    ("CT-PO-FIXED-LOCAL", 0.30),
    ("CT-PO-PHS", 0.25),
)
CHANNEL_MIX = ("retailHall", "retailHall", "agent", "online", "callCentre")


@dataclass
class SubscriptionReport:
    submitted: dict[str, int] = field(default_factory=dict)
    already: int = 0
    no_network: int = 0  # customers in a local network without number pools
    completed: int = 0


def _offering_ids(session: Session) -> dict[str, str]:
    codes = [code for code, _ in RESIDENTIAL_MIX]
    return offering_ids_by_code(session, codes)


def _address_of(doc: dict[str, Any]) -> tuple[str, str]:
    """City and street of a party's postal address (the seeded parties have one)."""
    for medium in doc.get("contactMedium") or []:
        characteristic = medium.get("characteristic") or {}
        if medium.get("mediumType") == "postalAddress" and characteristic.get("street1"):
            return str(characteristic.get("city") or "广州市"), str(characteristic["street1"])
    return "广州市", "天河路 1 号"


def _order_body(
    customer: Customer,
    account_id: str,
    offering_id: str,
    city: str,
    street: str,
    rng: random.Random,
) -> dict[str, Any]:
    place = {
        "role": "installationAddress",
        "stateOrProvince": "广东省",
        "city": city,
        "street1": street,
    }
    return {
        "externalId": f"DEMO-{customer.id}",
        "description": "演示开户 / demo subscription",
        "channel": [{"id": rng.choice(CHANNEL_MIX), "role": "salesChannel"}],
        "relatedParty": [{"id": customer.id, "role": "customer", "@referredType": "Customer"}],
        "billingAccount": {"id": account_id},
        "productOrderItem": [
            {
                "id": "1",
                "action": "add",
                "productOffering": {"id": offering_id},
                "product": {"place": [place]},
            }
        ],
    }


def _choose(rng: random.Random, is_enterprise: bool) -> str:
    if is_enterprise:
        return "CT-PO-BUNDLE-FIXED-ADSL"
    draw, cumulative = rng.random(), 0.0
    for code, share in RESIDENTIAL_MIX:
        cumulative += share
        if draw < cumulative:
            return code
    return RESIDENTIAL_MIX[-1][0]


def activation_instant() -> datetime:
    """When the demo subscriptions are sold and activated: 09:00 in Guangzhou on the first
    day of the previous month, so the demo province has a month of service behind it (usage
    to mediate, rentals to prorate) whatever day the demo runs."""
    local = now().astimezone(ZoneInfo(get_settings().timezone))
    first_of_month = local.replace(day=1, hour=9, minute=0, second=0, microsecond=0)
    previous = (first_of_month - timedelta(days=1)).replace(day=1)
    return previous.astimezone(UTC)


def seed_subscriptions(
    factory: sessionmaker[Session],
    province: str,
    limit: int,
    progress: Progress | None = None,
    at: datetime | None = None,
) -> SubscriptionReport:
    """Order and provision subscriptions for up to ``limit`` customers of the province, as of
    ``at`` (default :func:`activation_instant`)."""
    with frozen_at(at or activation_instant()):
        return _seed(factory, province, limit, progress)


def _seed(
    factory: sessionmaker[Session], province: str, limit: int, progress: Progress | None
) -> SubscriptionReport:
    report = SubscriptionReport()
    tick = progress or (lambda _kind, _n: None)
    actor = Principal(key_id="demo-seed", role=Role.ADMIN, province=province)
    with unit_of_work(factory) as session:
        seed_number_pools(session, province)
        offerings = _offering_ids(session)
        chosen = session.scalars(
            select(Customer)
            .where(Customer.province == province)
            .order_by(Customer.created_at, Customer.id)
            .limit(limit)
        ).all()
        customer_ids = [c.id for c in chosen]
    for customer_id in customer_ids:
        with unit_of_work(factory) as session:
            if by_external_id(session, province, f"DEMO-{customer_id}") is not None:
                report.already += 1
                tick("order", 1)
                continue
            customer = session.get(Customer, customer_id)
            assert customer is not None
            party = get_party(session, customer.engaged_party_id)
            account = session.scalars(
                select(BillingAccount)
                .where(
                    BillingAccount.owner_party_id == customer.engaged_party_id,
                    BillingAccount.parent_account_id.is_(None),
                )
                .order_by(BillingAccount.created_at)
            ).first()
            if party is None or account is None:
                continue
            rng = random.Random(customer.id)
            code = _choose(rng, party_kind(party) == "Organization")
            city, street = _address_of(party.doc)
            area = area_code_for_city(city)
            if area is None or not offers_network(session, province, NumberKind.FIXED, area):
                report.no_network += 1
                tick("order", 1)
                continue
            if code == "CT-PO-PHS" and not offers_network(session, province, NumberKind.PHS, area):
                code = "CT-PO-FIXED-LOCAL"  # no PHS in this local network
            body = _order_body(customer, account.id, offerings[code], city, street, rng)
            product_orders.create(session, actor, body)
            report.submitted[code] = report.submitted.get(code, 0) + 1
        tick("order", 1)
    work_until_idle(factory)
    with unit_of_work(factory) as session:
        report.completed = count_completed_with_external_prefix(session, province, "DEMO-")
    return report
