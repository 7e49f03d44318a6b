"""The search: every reading of the text (``calculations.parse_query``) looked up through the
owning domains' public faces, as customers (or parties that are no customer yet), bounded.

Each lookup is an indexed one: exact ids by primary key, a phone number by the product's
network id, an identity number by the party's unique key, a name by a LIKE pattern that a
trigram index serves on PostgreSQL. Everything is scoped to what the caller may see.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from openbss.account import public as account
from openbss.customer import public as customer
from openbss.inventory import public as inventory
from openbss.kit.security import Principal
from openbss.party import public as party
from openbss.search.calculations import DEFAULT_LIMIT, SearchQuery, check_limit, parse_query

SEARCH_ROLES = customer.CUSTOMER_READERS

# How a hit was found, strongest first: the order of the results.
BY_CUSTOMER_ID = "customerId"
BY_IDENTITY = "identityNumber"
BY_PHONE = "phoneNumber"
BY_PRODUCT = "product"
BY_ACCOUNT = "billingAccount"
BY_NAME = "name"


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A customer (``customer`` set) or a party that is no customer of the caller's province."""

    matched_by: str
    customer: customer.Customer | None = None
    party: party.Party | None = None
    via: dict[str, str] = field(default_factory=dict)  # e.g. {"product": id, "phoneNumber": n}

    @property
    def key(self) -> str:
        if self.customer is not None:
            return f"customer:{self.customer.id}"
        assert self.party is not None
        return f"party:{self.party.id}"


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: SearchQuery
    hits: list[SearchHit]
    truncated: bool  # more matched than the limit


class _Hits:
    """Hits in the order found, one per customer or party."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items: dict[str, SearchHit] = {}
        self.truncated = False

    def add(self, hit: SearchHit) -> None:
        if hit.key in self.items:
            return
        if len(self.items) >= self.limit:
            self.truncated = True
            return
        self.items[hit.key] = hit


def _customer_of_product(
    session: Session, principal: Principal, product: inventory.Product
) -> customer.Customer | None:
    return customer.customers.repo.get(session, principal, product.customer_id)


def _by_identifier(session: Session, principal: Principal, text: str, hits: _Hits) -> None:
    found = customer.customers.repo.get(session, principal, text)
    if found is not None:
        hits.add(SearchHit(BY_CUSTOMER_ID, found))
    product = inventory.products.repo.get(session, principal, text)
    if product is not None:
        owner = _customer_of_product(session, principal, product)
        if owner is not None:
            hits.add(SearchHit(BY_PRODUCT, owner, via={"product": product.id}))
    billing = account.get_billing_account(session, text)
    if billing is not None and principal.can_see(billing.province) and billing.owner_party_id:
        owner = customer.customer_of_party(session, billing.owner_party_id, billing.province)
        if owner is not None:
            hits.add(SearchHit(BY_ACCOUNT, owner, via={"billingAccount": billing.id}))


def _by_network_id(
    session: Session, principal: Principal, network_id: str, matched_by: str, hits: _Hits
) -> None:
    # a phone line's network id is its number; a broadband login is the product's serial number
    shown_as = "phoneNumber" if matched_by == BY_PHONE else "productSerialNumber"
    for product in inventory.products.repo.find_by(session, principal, service_id=network_id):
        owner = _customer_of_product(session, principal, product)
        if owner is not None:
            hits.add(
                SearchHit(matched_by, owner, via={"product": product.id, shown_as: network_id})
            )


def _by_identity(session: Session, principal: Principal, number: str, hits: _Hits) -> None:
    for found in party.parties_with_identity_number(session, principal, number):
        # the customer is in the party's province (a party registers once per province)
        owner = customer.customer_of_party(session, found.id, found.province)
        hits.add(SearchHit(BY_IDENTITY, owner, None if owner is not None else found))


def _by_name(session: Session, principal: Principal, pattern: str, hits: _Hits) -> None:
    room = max(hits.limit - len(hits.items), 0)
    for row in customer.customers_named(session, principal, pattern, room + 1):
        hits.add(SearchHit(BY_NAME, row))


def search(
    session: Session, principal: Principal, text: str, limit: int = DEFAULT_LIMIT
) -> SearchResult:
    """Customers (and parties without a customer) matching ``text`` every way it reads."""
    principal.require(*SEARCH_ROLES)
    query = parse_query(text)
    hits = _Hits(check_limit(limit))
    if query.identifier is not None:
        _by_identifier(session, principal, query.identifier, hits)
        _by_network_id(session, principal, query.identifier, BY_PRODUCT, hits)
    if query.identity_number is not None:
        _by_identity(session, principal, query.identity_number, hits)
    if query.phone_number is not None:
        _by_network_id(session, principal, query.phone_number, BY_PHONE, hits)
    if query.name_pattern is not None:
        _by_name(session, principal, query.name_pattern, hits)
    return SearchResult(query, list(hits.items.values()), hits.truncated)
