"""What the customer tabs share: the party's customer and billing accounts, as the user may
see them (the role checks are the services', the province scope the principal's)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from openbss.account import public as account
from openbss.account.service import billing_accounts
from openbss.customer import public as customer
from openbss.kit.errors import NotFound
from openbss.party import public as party
from openbss.party.service import PARTY_READERS
from openbss.portal.core.deps import PortalContext


def visible_party(session: Session, ctx: PortalContext, party_id: str) -> party.Party:
    """The party, as TMF632's read would give it: its read roles, else 403; another
    province's, or none, 404."""
    ctx.principal.require(*PARTY_READERS)
    found = party.find_party(session, ctx.principal, party_id)
    if found is None:
        raise NotFound(f"no party {party_id!r}")
    return found


def customer_of(session: Session, ctx: PortalContext, party_id: str) -> customer.Customer | None:
    """The party's customer in the user's province (or in the party's, for a group user)."""
    ctx.principal.require(*customer.CUSTOMER_READERS)
    found = visible_party(session, ctx, party_id)
    return customer.customer_of_party(session, found.id, found.province)


def accounts_of(
    session: Session, ctx: PortalContext, party_id: str
) -> list[account.BillingAccount]:
    """The party's billing accounts the user may read (TMF666's read roles), parents first."""
    ctx.principal.require(*billing_accounts.read_roles)
    found = visible_party(session, ctx, party_id)
    rows = list(account.billing_accounts_of_party(session, found.id, found.province))
    ids = {row.id for row in rows}
    return sorted(rows, key=lambda r: (r.parent_account_id in ids, r.name or "", r.id))
