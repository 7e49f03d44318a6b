"""A prepaid PHS line sold through a real order: barred by a suspend order when its balance is
exhausted, resumed by the next top-up (a resume order), and a low-balance notice queued."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from openbss.charging import public as charging
from openbss.db.uow import unit_of_work
from openbss.inventory.models import Product
from openbss.kit.clock import frozen_at
from openbss.ordering.public import work_until_idle
from openbss.payments.dunning.models import Notification
from tests.billing_support import order
from tests.ordering_support import installation, sales_ready, single_order

SOLD = datetime(2026, 3, 20, 2, 0, tzinfo=UTC)


def test_bar_on_exhaustion_and_resume_on_top_up(session_factory: sessionmaker[Session]) -> None:
    sales = sales_ready(session_factory)
    body = single_order(sales, "CT-PO-PHS-PREPAID", place=installation())
    body["billingAccount"] = {"id": sales.account_id}
    order(session_factory, body, SOLD)
    with unit_of_work(session_factory) as s:
        product = s.scalars(select(Product).where(Product.service_type == "phs")).one()
        number, product_id = product.service_id, product.id
    assert number is not None
    later = SOLD + timedelta(days=1)
    with unit_of_work(session_factory, writes=True) as s:
        line = charging.subscriber_product(s, number.removeprefix("+"), later)
        assert line is not None and line.product_id == product_id
        assert charging.notify_low_balance(s, product_id=product_id, at=later)
        assert not charging.notify_low_balance(s, product_id=product_id, at=later)  # once a day
        assert charging.bar_exhausted(s, product_id, later) is not None
    with frozen_at(later):
        work_until_idle(session_factory)
    with unit_of_work(session_factory) as s:
        barred = s.get(Product, product_id)
        assert barred is not None and barred.status == "suspended"
        assert barred.history[-1].reason == charging.BAR_REASON
        assert charging.subscriber_product(s, number, later) is None  # no quota while barred
        notice = s.scalars(select(Notification)).one()
        assert notice.billing_account_id == sales.account_id
        assert "0.00" in notice.text_zh and "top up" in notice.text_en

    top_up_at = later + timedelta(hours=2)
    with unit_of_work(session_factory, writes=True) as s:
        done = charging.pay_in(
            s, number=number, amount_li=30_000, method="cash", reference="HALL-1", at=top_up_at
        )
        assert done.resume_order_id is not None
        assert done.valid_to == top_up_at + timedelta(days=180)  # the offering's validity
    with frozen_at(top_up_at):
        work_until_idle(session_factory)
    with unit_of_work(session_factory) as s:
        resumed = s.get(Product, product_id)
        assert resumed is not None and resumed.status == "active"
        assert charging.available(s, charging.owners_of(s, product_id), "li", top_up_at) == 30_000
