"""Customer screens: search, the 360 page with its tabs, registration.

Every read and write goes through the owning domain's service with the user's principal:
the search (``openbss.search``), the parties (``openbss.party``) and customers
(``openbss.customer``) check the role and hide other provinces' rows (404).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from openbss.customer import public as customer
from openbss.db.uow import unit_of_work
from openbss.kit.errors import NotFound, OpenBSSError
from openbss.party import public as party
from openbss.party.service import PARTY_READERS, individuals, organizations
from openbss.portal.core.deps import PortalContext, portal_context
from openbss.portal.core.forms import (
    FORM_ERROR,
    FieldErrors,
    clean,
    errors_from,
    parse_form,
    read_form,
)
from openbss.portal.core.messages import localise
from openbss.portal.core.templating import redirect, render, render_fragment
from openbss.portal.customers import forms
from openbss.portal.sections import CustomerTab
from openbss.search import public as search

router = APIRouter(prefix="/customers")

Context = Annotated[PortalContext, Depends(portal_context)]
KINDS = ("individual", "organization")
_MAX_QUERY = 200


@router.get("", response_class=HTMLResponse)
def search_page(request: Request, ctx: Context, q: str = "") -> Response:
    """Search by name, 身份证, phone number, account, customer or product number (GET, so
    the result page has an address and the back button returns to it)."""
    text = q[:_MAX_QUERY]
    hits: list[dict[str, str]] = []
    error: str | None = None
    truncated = False
    if text.strip():
        try:
            with unit_of_work(ctx.session_factory) as session:
                result = search.search(session, ctx.principal, text)
                truncated = result.truncated
                hits = [_hit_row(hit) for hit in result.hits]
        except OpenBSSError as exc:
            if exc.status == 403:
                raise
            error = localise(exc.code, exc.status, exc.message, ctx.language)
    return render(
        request,
        ctx,
        "customers/search.html",
        q=text,
        hits=hits,
        error=error,
        truncated=truncated,
        searched=bool(text.strip()),
    )


# How a hit was found, as the result table says it (English msgids).
MATCHED_BY = {
    search.BY_CUSTOMER_ID: "Customer number",
    search.BY_IDENTITY: "Identity number",
    search.BY_PHONE: "Phone number",
    search.BY_PRODUCT: "Product number",
    search.BY_ACCOUNT: "Account number",
    search.BY_NAME: "Name",
}


def _hit_row(hit: search.SearchHit) -> dict[str, str]:
    if hit.customer is not None:
        found = hit.customer
        return {
            "party_id": found.engaged_party_id,
            "name": found.name,
            "kind": found.engaged_party_type,
            "customer_id": found.id,
            "status": found.status,
            "matched_by": MATCHED_BY.get(hit.matched_by, hit.matched_by),
            "via": ", ".join(hit.via.values()),
            "province": found.province or "",
        }
    assert hit.party is not None
    return {
        "party_id": hit.party.id,
        "name": party.party_name(hit.party),
        "kind": party.party_kind(hit.party),
        "customer_id": "",
        "status": hit.party.status or "",
        "matched_by": MATCHED_BY.get(hit.matched_by, hit.matched_by),
        "via": "",
        "province": hit.party.province or "",
    }


# -- registration --------------------------------------------------------------------------

_INDIVIDUAL_FIELDS = ("family_name", "given_name", "resident_id", "mobile", "address")
_ORGANIZATION_FIELDS = ("name", "credit_code", "phone", "address")


def _kind(value: str | None) -> str:
    return value if value in KINDS else "individual"


@router.get("/new", response_class=HTMLResponse)
def register_page(request: Request, ctx: Context, kind: str = "individual") -> Response:
    return render(request, ctx, "customers/register.html", kind=_kind(kind), values={}, errors={})


@router.get("/new/check/{field}", response_class=HTMLResponse)
def check_field(request: Request, ctx: Context, field: str) -> Response:
    """The inline check of one field (htmx, as the user leaves it): its error, or nothing."""
    if field not in forms.CHECKS:
        raise NotFound("no such check")
    value = request.query_params.get(field, "")[:200]
    message = forms.CHECKS[field](value, ctx.language) if value.strip() else None
    return HTMLResponse(str(Markup("{}").format(message or "")))


@router.post("/new", response_class=HTMLResponse)
async def register(request: Request, ctx: Context) -> Response:
    values = await read_form(request)
    kind = _kind(values.get("kind"))
    fields = _INDIVIDUAL_FIELDS if kind == "individual" else _ORGANIZATION_FIELDS
    errors: FieldErrors
    if kind == "individual":
        individual, errors = parse_form(forms.IndividualForm, values, ctx.language)
        organization = None
    else:
        organization, errors = parse_form(forms.OrganizationForm, values, ctx.language)
        individual = None
    errors = {**forms.check_fields(values, fields, ctx.language), **errors}
    if not errors:
        try:
            party_id = _create(ctx, individual, organization)
        except OpenBSSError as exc:
            if exc.status in (401, 403):
                raise
            errors = errors_from(exc, ctx.language, forms.FIELD_OF_CODE)
        else:
            message = ctx.gettext("Customer registered.")
            return redirect(request, f"/portal/customers/{party_id}", flash=message)
    return render(
        request,
        ctx,
        "customers/register.html",
        status_code=422,
        kind=kind,
        values={name: values.get(name, "") for name in fields},
        errors=errors,
    )


def _create(
    ctx: PortalContext,
    individual: forms.IndividualForm | None,
    organization: forms.OrganizationForm | None,
) -> str:
    """The party and its customer, in one transaction (both or neither)."""
    with unit_of_work(ctx.session_factory, writes=True) as session:
        if individual is not None:
            row = individuals.create(session, ctx.principal, forms.individual_body(individual))
            name, kind, category = row.family_name or "", "Individual", "residential"
            name += row.given_name or ""
        else:
            assert organization is not None
            org = organizations.create(
                session, ctx.principal, forms.organization_body(organization)
            )
            row_id = org.id
            name, kind, category = organization.name, "Organization", "business"
            customer.customers.create(
                session, ctx.principal, forms.customer_body(row_id, kind, name, category)
            )
            return row_id
        customer.customers.create(
            session, ctx.principal, forms.customer_body(row.id, kind, name, category)
        )
        return row.id


# -- customer 360 --------------------------------------------------------------------------


def _visible_tabs(request: Request, ctx: PortalContext) -> list[CustomerTab]:
    from openbss.portal.core.state import portal_state

    return [tab for tab in portal_state(request).customer_tabs if tab.visible_to(ctx.role)]


def _party_header(ctx: PortalContext, party_id: str) -> dict[str, str]:
    """The party the page is about, or 404 (unknown, or another province's)."""
    ctx.principal.require(*PARTY_READERS)
    if len(party_id) > 64 or clean(party_id) != party_id:
        raise NotFound("no such party")
    with unit_of_work(ctx.session_factory) as session:
        found = party.find_party(session, ctx.principal, party_id)
        if found is None:
            raise NotFound(f"no party {party_id[:64]!r}")
        owner = customer.customer_of_party(session, found.id, found.province)
        return {
            "id": found.id,
            "name": party.party_name(found),
            "kind": party.party_kind(found),
            "status": found.status or "",
            "province": found.province or "",
            "customer_id": owner.id if owner is not None else "",
            "customer_status": owner.status if owner is not None else "",
        }


def _tab_html(request: Request, ctx: PortalContext, tab: CustomerTab, party_id: str) -> Markup:
    try:
        content = tab.render(ctx, party_id)
    except OpenBSSError as exc:
        if exc.status == 404:
            raise
        text = localise(exc.code, exc.status, exc.message, ctx.language)
        return Markup('<p class="notice" role="status">{}</p>').format(text)
    if isinstance(content, Markup):
        return content
    template, values = content
    return render_fragment(request, ctx, template, values)


@router.get("/{party_id}", response_class=HTMLResponse)
def customer_360(request: Request, ctx: Context, party_id: str, tab: str = "") -> Response:
    header = _party_header(ctx, party_id)
    tabs = _visible_tabs(request, ctx)
    if not tabs:
        raise NotFound("no tabs")
    active = next((t for t in tabs if t.key == tab), tabs[0])
    return render(
        request,
        ctx,
        "customers/customer.html",
        party=header,
        tabs=tabs,
        active=active,
        panel=_tab_html(request, ctx, active, header["id"]),
    )


@router.get("/{party_id}/tabs/{key}", response_class=HTMLResponse)
def customer_tab(request: Request, ctx: Context, party_id: str, key: str) -> Response:
    """One tab's content, for htmx (the whole page is at ``/customers/{id}?tab=key``)."""
    header = _party_header(ctx, party_id)
    tab = next((t for t in _visible_tabs(request, ctx) if t.key == key), None)
    if tab is None:
        raise NotFound(f"no tab {key[:40]!r}")
    return HTMLResponse(str(_tab_html(request, ctx, tab, header["id"])))


__all__ = ["FORM_ERROR", "router"]
