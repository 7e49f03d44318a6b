"""Every API the server exposes, as (path prefix, router) pairs.

Each TMF API module exposes ``MOUNTS``; adding an API means adding its module here.
"""

from __future__ import annotations

from fastapi import APIRouter

from openbss.api.routes import (
    account,
    billing,
    catalog,
    commissions,
    customer,
    customer_bill,
    numbering,
    partnership,
    party,
    party_role,
    payment,
    product_inventory,
    product_ordering,
    rating,
    receivables,
    receivables_dunning,
    search,
    service_ordering,
    settlement,
    usage,
)

API_MOUNTS: list[tuple[str, APIRouter]] = [
    *party.MOUNTS,
    *customer.MOUNTS,
    *account.MOUNTS,
    *catalog.MOUNTS,
    *product_ordering.MOUNTS,
    *product_inventory.MOUNTS,
    *service_ordering.MOUNTS,
    *numbering.MOUNTS,
    *usage.MOUNTS,
    *rating.MOUNTS,
    *customer_bill.MOUNTS,
    *billing.MOUNTS,
    *receivables_dunning.MOUNTS,
    *payment.MOUNTS,
    *receivables.MOUNTS,
    *search.MOUNTS,
    *party_role.MOUNTS,
    *partnership.MOUNTS,
    *commissions.MOUNTS,
    *settlement.MOUNTS,
]
