"""TMF678 Customer Bill Management, mounted at the swagger's basePath.

Implemented: customerBill (list, GET, PATCH of ``state`` only), appliedCustomerBillingRate
(list, GET) and customerBillOnDemand (POST, list, GET), plus the hub. Bills and their lines
are made by the bill run, never through the API, so creating or deleting them answers 405, as
does changing or deleting a request on demand. The hub delivers bill create and state-change
events; the ``/listener/*`` callbacks answer 501 (api/listeners.py).
"""

from __future__ import annotations

from fastapi import APIRouter

from openbss.api.hub import hub_router
from openbss.api.listeners import listener_router
from openbss.api.resource_router import resource_router
from openbss.billing.representation import API, API_PATH
from openbss.billing.service import applied_billing_rates, customer_bills, customer_bills_on_demand

LISTENER_EVENTS = (
    "customerBillCreateEvent",
    "customerBillStateChangeEvent",
    "customerBillOnDemandCreateEvent",
    "customerBillOnDemandStateChangeEvent",
)

MOUNTS: list[tuple[str, APIRouter]] = [
    (API_PATH, resource_router(customer_bills, creatable=False, deletable=False)),
    (
        API_PATH,
        resource_router(applied_billing_rates, creatable=False, patchable=False, deletable=False),
    ),
    (API_PATH, resource_router(customer_bills_on_demand, patchable=False, deletable=False)),
    (API_PATH, hub_router(API, [customer_bills, applied_billing_rates, customer_bills_on_demand])),
    (API_PATH, listener_router("customer bill", LISTENER_EVENTS)),
]
