"""Customer 360 tabs about what the customer has and asked for: products with their status
history (TMF637) and product orders (TMF622), and the contact history from the audit log."""

from __future__ import annotations

from typing import Any

from openbss.audit import service as audit
from openbss.customer import public as customer
from openbss.db.uow import unit_of_work
from openbss.inventory.service import products
from openbss.kit.pagination import PageRequest
from openbss.ordering.service import product_orders
from openbss.portal.core.deps import PortalContext
from openbss.portal.customers.lookups import customer_of, visible_party
from openbss.portal.sections import TabContent

_PRODUCTS_SHOWN = 100
_ORDERS_SHOWN = 30
_HISTORY_SHOWN = 100


def render_products(ctx: PortalContext, party_id: str) -> TabContent:
    with unit_of_work(ctx.session_factory) as session:
        owner = customer_of(session, ctx, party_id)
        rows: list[dict[str, Any]] = []
        total = 0
        if owner is not None:
            page = products.list(
                session,
                ctx.principal,
                {"relatedParty.id": [owner.id]},
                PageRequest(0, _PRODUCTS_SHOWN),
            )
            total = page.total
            for row in page.items:
                rows.append(
                    {
                        "id": row.id,
                        "name": row.name or "",
                        "status": row.status,
                        "number": row.service_id or "",
                        "service_type": row.service_type,
                        "offering": row.product_offering_id,
                        "account": row.billing_account_id or "",
                        "parent": row.parent_product_id or "",
                        "start": row.start_date,
                        "history": [
                            {
                                "status": change.status,
                                "at": change.effective_at,
                                "offering": change.product_offering_id,
                                "order": change.product_order_id or "",
                                "reason": change.reason or "",
                            }
                            for change in reversed(row.history)
                        ],
                    }
                )
    return "customers/tabs/products.html", {"products": rows, "total": total}


def render_orders(ctx: PortalContext, party_id: str) -> TabContent:
    with unit_of_work(ctx.session_factory) as session:
        owner = customer_of(session, ctx, party_id)
        rows: list[dict[str, Any]] = []
        total = 0
        if owner is not None:
            page = product_orders.list(
                session,
                ctx.principal,
                {"relatedParty.id": [owner.id]},
                PageRequest(0, _ORDERS_SHOWN),
            )
            total = page.total
            for order in sorted(page.items, key=lambda o: o.created_at, reverse=True):
                doc = dict(order.doc)
                rows.append(
                    {
                        "id": order.id,
                        "state": order.state,
                        "category": doc.get("category") or "",
                        "external_id": doc.get("externalId") or "",
                        "actions": ", ".join(
                            sorted(
                                {
                                    str(item.get("action"))
                                    for item in doc.get("productOrderItem") or []
                                    if item.get("action")
                                }
                            )
                        ),
                        "created_at": order.created_at,
                    }
                )
    return "customers/tabs/orders.html", {"orders": rows, "total": total}


def render_history(ctx: PortalContext, party_id: str) -> TabContent:
    """Who changed this customer's records, when (attribute names only: the audit log keeps
    no values)."""
    ctx.principal.require(*customer.CUSTOMER_READERS)
    with unit_of_work(ctx.session_factory) as session:
        found = visible_party(session, ctx, party_id)
        owner = customer.customer_of_party(session, found.id, found.province)
        ids = {found.id}
        if owner is not None:
            ids.add(owner.id)
            # the products and orders are the customer's too
            for row in products.repo.find_by(session, ctx.principal, customer_id=owner.id):
                ids.add(row.id)
        entries = [
            {
                "at": entry.at,
                "actor": entry.actor_key_id,
                "role": entry.actor_role,
                "action": entry.action,
                "entity_type": entry.entity_type,
                "entity_id": entry.entity_id,
                "attributes": ", ".join((entry.changed_attributes or {}).get("names") or []),
            }
            for entry in audit.history(session, ctx.principal, ids, _HISTORY_SHOWN)
        ]
    return "customers/tabs/history.html", {"entries": entries}
