"""When products were in service, and under which plan: dated intervals from the status history.

``inventory_product_status`` holds one row per status or plan change, effective at the
instant the network change was confirmed. Read as intervals it answers what the domains
above ask of it: guiding and rating need when a number was in service and whose it was
(:func:`in_service_intervals`); billing prorates rentals over the stretches of status and
plan (:func:`status_intervals`). Every interval is ``[valid_from, valid_to)`` in UTC, and an
interval that has not ended runs to :data:`OPEN_END`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import polars as pl
from sqlalchemy.orm import Session

from openbss.inventory import repository
from openbss.inventory.calculations import (
    OPEN_END,
    StatusChange,
    Stretch,
    in_service_stretches,
    status_stretches,
)

__all__ = [
    "IN_SERVICE_SCHEMA",
    "OPEN_END",
    "STATUS_INTERVAL_SCHEMA",
    "in_service_intervals",
    "status_intervals",
]

_INSTANT = pl.Datetime("us", "UTC")
STATUS_INTERVAL_SCHEMA: dict[str, pl.DataType] = {
    "product_id": pl.String(),
    "service_id": pl.String(),
    "customer_id": pl.String(),
    "billing_account_id": pl.String(),
    "product_offering_id": pl.String(),
    "status": pl.String(),
    "valid_from": _INSTANT,
    "valid_to": _INSTANT,
}
# What guiding matches usage against: a number (service id) and the stretch it was in
# service, with whose it was.
IN_SERVICE_SCHEMA: dict[str, pl.DataType] = {
    "service_id": pl.String(),
    "product_id": pl.String(),
    "customer_id": pl.String(),
    "billing_account_id": pl.String(),
    "valid_from": _INSTANT,
    "valid_to": _INSTANT,
}


class _Owner(NamedTuple):
    """What a product carries unchanged through its history: its number and whose it is."""

    service_id: str | None
    customer_id: str
    billing_account_id: str | None


def _stretches(
    session: Session, province: str, product_ids: Iterable[str] | None
) -> tuple[dict[str, _Owner], list[Stretch]]:
    owners: dict[str, _Owner] = {}
    changes: list[StatusChange] = []
    for row in repository.status_history(session, province, product_ids):
        product_id, service_id, customer_id, account_id, status, offering_id, at = row
        if product_id not in owners:
            owners[product_id] = _Owner(service_id, customer_id, account_id)
        changes.append(StatusChange(product_id, status, offering_id, at))
    return owners, status_stretches(changes)


def status_intervals(
    session: Session, province: str, *, product_ids: Iterable[str] | None = None
) -> pl.DataFrame:
    """One row per product and stretch of status and plan (STATUS_INTERVAL_SCHEMA), of a
    province's products or of these products, each product's in history order.

    Every status is there (created, pendingActive … terminated, cancelled): what is
    chargeable is the caller's rule. A stretch ends at the product's next change.
    """
    owners, stretches = _stretches(session, province, product_ids)
    rows = [
        (
            s.product_id,
            owners[s.product_id].service_id,
            owners[s.product_id].customer_id,
            owners[s.product_id].billing_account_id,
            s.product_offering_id,
            s.status,
            s.valid_from,
            s.valid_to,
        )
        for s in stretches
    ]
    return pl.DataFrame(rows, schema=STATUS_INTERVAL_SCHEMA, orient="row")


def in_service_intervals(session: Session, province: str) -> pl.DataFrame:
    """(service id, product, customer, account, in service from, to) of a province's products
    that have a number (IN_SERVICE_SCHEMA): active and suspended stretches merged where they
    meet, in product order. A number reused after quarantine has one row per product."""
    owners, stretches = _stretches(session, province, None)
    rows = []
    for interval in in_service_stretches(stretches):
        owner = owners[interval.product_id]
        if owner.service_id is None:
            continue  # nothing on the network names it, so no usage is guided to it
        rows.append(
            (
                owner.service_id,
                interval.product_id,
                owner.customer_id,
                owner.billing_account_id,
                interval.valid_from,
                interval.valid_to,
            )
        )
    return pl.DataFrame(rows, schema=IN_SERVICE_SCHEMA, orient="row")
