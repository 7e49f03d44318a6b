"""The customer 360 page's tabs that belong to customers; other sections add their own
(``Section.customer_tabs``). Each opens its own read transaction and acts as the user."""

from __future__ import annotations

from typing import Any

from openbss.db.uow import unit_of_work
from openbss.kit.security import Role
from openbss.party import public as party
from openbss.portal.core.deps import PortalContext
from openbss.portal.customers.lookups import customer_of, visible_party
from openbss.portal.sections import CustomerTab, TabContent

# Roles that see identity numbers and phone numbers whole; others see them masked.
PII_ROLES = frozenset({Role.CSR, Role.ADMIN})


def mask(value: str | None, ctx: PortalContext, keep: int = 3) -> str:
    if not value:
        return "—"
    if ctx.role in PII_ROLES or len(value) <= keep * 2:
        return value
    return value[:keep] + "*" * (len(value) - keep * 2) + value[-keep:]


def _contacts(doc: dict[str, Any], ctx: PortalContext) -> list[dict[str, str]]:
    rows = []
    for medium in doc.get("contactMedium") or []:
        characteristic = medium.get("characteristic") or {}
        if characteristic.get("phoneNumber"):
            value = mask(str(characteristic["phoneNumber"]), ctx)
        elif characteristic.get("emailAddress"):
            value = str(characteristic["emailAddress"])
        else:
            parts = ("stateOrProvince", "city", "street1")
            value = " ".join(str(characteristic[p]) for p in parts if characteristic.get(p))
        rows.append(
            {
                "type": str(medium.get("mediumType") or ""),
                "contact_type": str(characteristic.get("contactType") or ""),
                "value": value,
                "preferred": "✓" if medium.get("preferred") else "",
            }
        )
    return rows


def render_party(ctx: PortalContext, party_id: str) -> TabContent:
    with unit_of_work(ctx.session_factory) as session:
        found = visible_party(session, ctx, party_id)
        doc = dict(found.doc)
        is_individual = party.party_kind(found) == "Individual"
        identity = (
            getattr(found, "resident_id_number", None)
            if is_individual
            else getattr(found, "credit_code", None)
        )
        values = {
            "kind": party.party_kind(found),
            "name": party.party_name(found),
            "status": found.status or "",
            "identity_label": "Resident identity number"
            if is_individual
            else "Unified social credit code",
            "identity": mask(identity, ctx, 4) if is_individual else (identity or "—"),
            "gender": doc.get("gender") or "",
            "birth_date": doc.get("birthDate") or "",
            "created_at": found.created_at,
            "province": found.province or "",
            "contacts": _contacts(doc, ctx),
        }
    return "customers/tabs/party.html", values


def render_customer(ctx: PortalContext, party_id: str) -> TabContent:
    with unit_of_work(ctx.session_factory) as session:
        row = customer_of(session, ctx, party_id)
        values: dict[str, Any] = {"customer": None}
        if row is not None:
            doc = dict(row.doc)
            values["customer"] = {
                "id": row.id,
                "name": row.name,
                "status": row.status,
                "category": row.category,
                "credit_class": row.credit_class or "",
                "created_at": row.created_at,
                "credit_scores": [
                    str(p.get("creditScore")) for p in doc.get("creditProfile") or []
                ],
            }
    return "customers/tabs/customer.html", values


def _all_tabs() -> tuple[CustomerTab, ...]:
    # Imported here: the money and product tabs import this module's helpers' neighbours.
    from openbss.portal.customers import tabs_accounts, tabs_products

    return (
        CustomerTab("party", "Party", 10, render_party),
        CustomerTab("customer", "Customer", 20, render_customer),
        CustomerTab("accounts", "Accounts", 30, tabs_accounts.render_accounts),
        CustomerTab("products", "Products", 40, tabs_products.render_products),
        CustomerTab("orders", "Orders", 50, tabs_products.render_orders),
        CustomerTab("bills", "Bills and payments", 60, tabs_accounts.render_bills),
        CustomerTab("balance", "Balance and arrears", 70, tabs_accounts.render_balance),
        CustomerTab("history", "Contact history", 80, tabs_products.render_history),
    )


TABS: tuple[CustomerTab, ...] = _all_tabs()
