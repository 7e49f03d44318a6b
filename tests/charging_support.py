"""Factories for prepaid charging tests: a prepaid offering, an account and its lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from openbss.account.models import BillingAccount
from openbss.catalog.models import ProductOffering
from openbss.charging.public import Owner
from openbss.inventory.models import Product

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Line:
    product_id: str
    account_id: str
    number: str
    offering_id: str

    @property
    def owners(self) -> tuple[Owner, Owner]:
        return (Owner("product", self.product_id), Owner("account", self.account_id))


def offering(session: Session, code: str = "T-PREPAID", mode: str = "prepaid") -> str:
    row = session.get(ProductOffering, code)
    if row is None:
        doc = {"id": code, "name": code, "paymentMode": mode, "topUpValidityDays": 30}
        session.add(ProductOffering(id=code, doc=doc, name=code, code=code, payment_mode=mode))
        session.flush()
    return code


def account(session: Session, account_id: str = "ACC-1", province: str = "GD") -> str:
    if session.get(BillingAccount, account_id) is None:
        session.add(BillingAccount(id=account_id, doc={"id": account_id}, province=province))
        session.flush()
    return account_id


def line(
    session: Session,
    number: str = "+8613300000001",
    *,
    account_id: str = "ACC-1",
    province: str = "GD",
    mode: str = "prepaid",
    status: str = "active",
    product_id: str | None = None,
) -> Line:
    """An active prepaid mobile line on its own billing account (both created if missing)."""
    offering_id = offering(session, f"T-{mode.upper()}", mode)
    account(session, account_id, province)
    product_id = product_id or f"P-{number.lstrip('+')}"
    session.add(
        Product(
            id=product_id,
            doc={"id": product_id},
            province=province,
            status=status,
            customer_id="C-1",
            billing_account_id=account_id,
            product_offering_id=offering_id,
            service_type="mobile",
            service_id=number,
            start_date=T0,
        )
    )
    session.flush()
    return Line(product_id, account_id, number, offering_id)
