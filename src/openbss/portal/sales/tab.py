"""The customer page's "Sales and service" tab: sell to the customer, open a product to
suspend, resume, cease or change it, and each account's bills, ledger and counter payment."""

from __future__ import annotations

from typing import Any

from openbss.account.public import billing_accounts_of_party
from openbss.customer.public import customer_for_party
from openbss.db.uow import unit_of_work
from openbss.inventory.public import products
from openbss.kit.pagination import PageRequest
from openbss.portal.core.deps import PortalContext
from openbss.portal.sections import TabContent

MAX_PRODUCTS = 200


def render_counter(ctx: PortalContext, party_id: str) -> TabContent:
    with unit_of_work(ctx.session_factory) as session:
        customer = customer_for_party(session, ctx.principal, party_id)
        values: dict[str, Any] = {"customer": customer, "products": [], "accounts": []}
        if customer is not None:
            page = products.list(
                session,
                ctx.principal,
                {"relatedParty.id": [customer.id]},
                PageRequest(0, MAX_PRODUCTS),
            )
            values["products"] = [p for p in page.items if p.parent_product_id is None]
            values["accounts"] = list(
                billing_accounts_of_party(session, party_id, customer.province)
            )
    return "sales/tab.html", values
