"""Pydantic shapes of what clients send to TMF678: a bill's state change and a request for a
bill on demand. They check types and mandatory attributes only (a wrong type is a 400); the
rules — which state may follow which, whose account it is — are the service's (422)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from openbss.resources.schemas import TmfModel

# A bill's states as clients see them (a bill in ``trial`` is not shown). Which of them a
# client may move a bill to, and from where, is the service's rule.
BillStateValue = Literal["new", "onHold", "approved", "sent", "partiallyPaid", "settled"]


class BillingAccountRef(TmfModel):
    id: str = Field(min_length=1)
    href: str | None = None
    name: str | None = None


class CustomerBillUpdate(TmfModel):
    state: BillStateValue | None = None


class CustomerBillOnDemandCreate(TmfModel):
    billingAccount: BillingAccountRef
    name: str | None = None
    description: str | None = None
