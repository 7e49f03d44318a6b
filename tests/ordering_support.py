"""Factories for ordering tests: a sales-ready province and order bodies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from openbss.account.service import billing_accounts
from openbss.catalog.seed import seed_catalog
from openbss.customer.service import customers
from openbss.db.uow import unit_of_work
from openbss.kit.security import Principal, Role
from openbss.numbering.service import seed_number_pools
from openbss.party.identity import make_resident_id
from openbss.party.service import individuals

GD = Principal(key_id="test-csr", role=Role.ADMIN, province="GD")
ORDERS = "/tmf-api/productOrderingManagement/v4"
INVENTORY = "/tmf-api/productInventory/v4"


@dataclass(frozen=True)
class Sales:
    catalog: dict[str, str]
    customer_id: str
    party_id: str
    account_id: str


def new_customer(
    session: Session, serial: int, family: str = "陈", given: str = "明"
) -> tuple[str, str, str]:
    """An individual engaged as an active customer with one billing account."""
    resident_id = make_resident_id("440106", date(1980, 1, 1), serial)
    party = individuals.create(
        session,
        GD,
        {
            "familyName": family,
            "givenName": given,
            "individualIdentification": [
                {"identificationType": "ResidentIdentityCard", "identificationId": resident_id}
            ],
        },
    )
    customer = customers.create(
        session,
        GD,
        {
            "name": family + given,
            "status": "approved",
            "engagedParty": {"id": party.id, "@referredType": "Individual"},
        },
    )
    account = billing_accounts.create(
        session,
        GD,
        {
            "name": f"{family}{given} 账户",
            "state": "active",
            "relatedParty": [{"id": party.id, "role": "owner", "@referredType": "Individual"}],
        },
    )
    return party.id, customer.id, account.id


def sales_ready(factory: sessionmaker[Session], *, pools: bool = True) -> Sales:
    with unit_of_work(factory) as session:
        catalog = seed_catalog(session)
        if pools:
            seed_number_pools(session, "GD")
        party_id, customer_id, account_id = new_customer(session, 1)
    return Sales(catalog, customer_id, party_id, account_id)


def installation(street: str = "天河路 100 号 1201 房", city: str = "广州") -> list[dict[str, Any]]:
    return [
        {
            "role": "installationAddress",
            "@type": "GeographicAddress",
            "stateOrProvince": "广东省",
            "city": city,
            "street1": street,
        }
    ]


def bundle_order(sales: Sales, **extra: Any) -> dict[str, Any]:
    """Fixed line + ADSL bundle (固话+宽带套餐) for a new customer, sold in the retail hall."""
    return {
        "description": "新装 固话+宽带",
        "channel": [{"id": "retailHall", "role": "salesChannel"}],
        "relatedParty": [
            {"id": sales.customer_id, "role": "customer", "@referredType": "Customer"},
            {"id": "emp-0931", "name": "李娜", "role": "salesAgent", "@referredType": "Individual"},
        ],
        "billingAccount": {"id": sales.account_id},
        "productOrderItem": [
            {
                "id": "1",
                "action": "add",
                "productOffering": {"id": sales.catalog["CT-PO-BUNDLE-FIXED-ADSL"]},
                "product": {"place": installation()},
            }
        ],
        **extra,
    }


def single_order(sales: Sales, offering_code: str, **product: Any) -> dict[str, Any]:
    return {
        "relatedParty": [{"id": sales.customer_id, "@referredType": "Customer"}],
        "productOrderItem": [
            {
                "id": "1",
                "action": "add",
                "productOffering": {"id": sales.catalog[offering_code]},
                "product": product,
            }
        ],
    }


def action_order(sales: Sales, action: str, product_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "relatedParty": [{"id": sales.customer_id, "@referredType": "Customer"}],
        "productOrderItem": [{"id": "1", "action": action, "product": {"id": product_id}}],
        **extra,
    }
