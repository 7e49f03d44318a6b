"""Search, the project's own API: ``GET /api/v1/search?q=…``.

One search box for the CSR and the portal: a name (``郭`` starts with 郭, ``*科技*`` contains
科技), a 身份证 or 统一社会信用代码, a phone number (any usual form), an account number, a
product number or a product's network id, or a customer id. The answer lists customers (or a
party that is no customer yet), each with how it was found, at most ``limit`` (≤ 50) of them;
``truncated`` says more matched. Customer readers may search (csr, billing_operator, finance,
analyst, admin); a province key sees its own province, a group key all (or one with
``X-Province``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from openbss.api.deps import PrincipalDep, SessionDep
from openbss.customer import public as customer
from openbss.party import public as party
from openbss.search import public as search

PATH = "/api/v1/search"

router = APIRouter(tags=["Search"])


class SearchItem(BaseModel):
    id: str = Field(description="the customer's id (or the party's, for a party alone)")
    href: str | None = Field(default=None, description="the TMF resource")
    type: str = Field(alias="@type", description="Customer, Individual or Organization")
    name: str
    province: str | None
    status: str | None
    matchedBy: str = Field(
        description="customerId, identityNumber, phoneNumber, product, billingAccount or name"
    )
    product: str | None = Field(default=None, description="the product found by its number")
    phoneNumber: str | None = Field(default=None, description="E.164")
    productSerialNumber: str | None = None
    billingAccount: str | None = None


class SearchAnswer(BaseModel):
    query: str
    items: list[SearchItem]
    truncated: bool = Field(description="more matched than the limit")


def _item(hit: search.SearchHit) -> dict[str, Any]:
    if hit.customer is not None:
        found = hit.customer
        body: dict[str, Any] = {
            "id": found.id,
            "href": customer.customers.href(found.id),
            "@type": "Customer",
            "name": found.name,
            "province": found.province,
            "status": found.status,
        }
    else:
        assert hit.party is not None
        body = {
            "id": hit.party.id,
            "@type": party.party_kind(hit.party),
            "name": party.party_name(hit.party),
            "province": hit.party.province,
            "status": hit.party.status,
        }
    return {**body, "matchedBy": hit.matched_by, **hit.via}


@router.get(
    "",
    name="search",
    summary="Find customers by name, identity number, phone, account or product number",
    response_model=SearchAnswer,
    response_model_exclude_none=True,
    response_model_by_alias=True,
)
def search_customers(
    session: SessionDep,
    principal: PrincipalDep,
    q: Annotated[str, Query(description="the text to search for; * matches any run")],
    limit: Annotated[int, Query(description="at most this many (1–50)")] = search.DEFAULT_LIMIT,
) -> Any:
    result = search.search(session, principal, q, limit)
    return {
        "query": result.query.text,
        "items": [_item(hit) for hit in result.hits],
        "truncated": result.truncated,
    }


MOUNTS: list[tuple[str, APIRouter]] = [(PATH, router)]
