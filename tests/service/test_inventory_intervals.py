"""Service intervals read from the inventory's status history, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
from polars.testing import assert_frame_equal
from sqlalchemy.orm import Session

from openbss.inventory.intervals import (
    IN_SERVICE_SCHEMA,
    OPEN_END,
    STATUS_INTERVAL_SCHEMA,
    in_service_intervals,
    status_intervals,
)
from openbss.inventory.models import Product, ProductStatusChange

LOCAL = "CT-PO-FIXED-LOCAL"
BUNDLE = "CT-PO-BUNDLE-FAMILY"
NUMBER = "+862083000001"


def at(day: int) -> datetime:
    return datetime(2026, 3, day, 1, tzinfo=UTC)


def _product(
    session: Session,
    product_id: str,
    service_id: str | None,
    history: list[tuple[str, int, str]],
    *,
    province: str = "GD",
    account: str | None = "acct-1",
) -> None:
    last_status, _day, last_offering = history[-1]
    product = Product(
        id=product_id,
        province=province,
        doc={"id": product_id},
        status=last_status,
        customer_id="cust-1",
        billing_account_id=account,
        product_offering_id=last_offering,
        service_type="fixedVoice" if service_id else "vas",
        service_id=service_id,
    )
    product.history = [
        ProductStatusChange(
            sequence=number,
            status=status,
            product_offering_id=offering,
            effective_at=at(day),
        )
        for number, (status, day, offering) in enumerate(history, start=1)
    ]
    session.add(product)


def _world(session: Session) -> None:
    # P1 had the number, was barred and resumed, changed plan, and was ceased; P2 got the
    # number afterwards; P3 has no number (a value-added service); Z1 is another province's.
    _product(
        session,
        "P1",
        NUMBER,
        [
            ("created", 1, LOCAL),
            ("active", 2, LOCAL),
            ("suspended", 5, LOCAL),
            ("active", 7, LOCAL),
            ("active", 9, BUNDLE),
            ("terminated", 12, BUNDLE),
        ],
    )
    _product(session, "P2", NUMBER, [("created", 20, LOCAL), ("active", 21, LOCAL)])
    _product(session, "P3", None, [("active", 3, LOCAL)], account=None)
    _product(session, "Z1", "+865710000001", [("active", 2, LOCAL)], province="ZJ")
    session.flush()


def test_status_intervals_are_the_stretches_of_status_and_plan(session: Session) -> None:
    _world(session)

    frame = status_intervals(session, "GD")

    expected = pl.DataFrame(
        [
            ("P1", NUMBER, "cust-1", "acct-1", LOCAL, "created", at(1), at(2)),
            ("P1", NUMBER, "cust-1", "acct-1", LOCAL, "active", at(2), at(5)),
            ("P1", NUMBER, "cust-1", "acct-1", LOCAL, "suspended", at(5), at(7)),
            ("P1", NUMBER, "cust-1", "acct-1", LOCAL, "active", at(7), at(9)),
            ("P1", NUMBER, "cust-1", "acct-1", BUNDLE, "active", at(9), at(12)),
            ("P1", NUMBER, "cust-1", "acct-1", BUNDLE, "terminated", at(12), OPEN_END),
            ("P2", NUMBER, "cust-1", "acct-1", LOCAL, "created", at(20), at(21)),
            ("P2", NUMBER, "cust-1", "acct-1", LOCAL, "active", at(21), OPEN_END),
            ("P3", None, "cust-1", None, LOCAL, "active", at(3), OPEN_END),
        ],
        schema=STATUS_INTERVAL_SCHEMA,
        orient="row",
    )
    assert_frame_equal(frame, expected)
    only = status_intervals(session, "GD", product_ids=["P2", "Z1"])
    assert only.get_column("product_id").to_list() == ["P2", "P2"]


def test_in_service_intervals_merge_suspensions_and_keep_reused_numbers_apart(
    session: Session,
) -> None:
    _world(session)

    frame = in_service_intervals(session, "GD")

    expected = pl.DataFrame(
        [
            (NUMBER, "P1", "cust-1", "acct-1", at(2), at(12)),
            (NUMBER, "P2", "cust-1", "acct-1", at(21), OPEN_END),
        ],
        schema=IN_SERVICE_SCHEMA,
        orient="row",
    )
    assert_frame_equal(frame, expected)
    assert in_service_intervals(session, "SH").schema == pl.Schema(IN_SERVICE_SCHEMA)
