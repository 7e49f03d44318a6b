"""The discounts, caps and minimum spends of one account's bill, from the catalog and accounts.

The kernel (:mod:`openbss.billing.discounts`) applies them; this module decides which apply:

- **Offering terms.** Each offering a product had in the cycle contributes its discount, cap
  and minimum spend prices (catalog/billing_discounts.py), at the version in force when the
  product's first stretch under that offering in the cycle begins (or the cycle's start,
  whichever is later), as for rentals. A term whose ``validFor`` or versions do not cover
  that instant does not apply. A discount or cap acts on the product's charges and on those
  of its bundle's members; a minimum spend counts the product's own. A bundle member's own
  offering terms do not apply: the bundle's fee and terms replace its members' prices.
- **Enterprise discount.** An account's ``enterpriseDiscountPercent``, or else the nearest
  ancestor's (a child's own, even 0 %, overrides), is the account discount of its bill
  section; its lines name the account whose percentage it is.

Defaults when a price names no charge types: a discount acts on rentals, one-time fees and
usage; a cap and a minimum spend on rentals and usage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from openbss.account.public import enterprise_discount_basis_points, inherited_setting
from openbss.billing import repository as repo
from openbss.billing.discounts import (
    COUNTED_TYPES,
    AccountDiscount,
    Cap,
    MinimumSpend,
    ProductDiscount,
)
from openbss.billing.errors import BillingInputError
from openbss.billing.lines import DISCOUNTABLE_TYPES, ChargeType, TaxCategory
from openbss.catalog.public import CAP, DISCOUNT, MINIMUM_SPEND
from openbss.kit.errors import Unprocessable


@dataclass
class OfferTerms:
    """What a product's (or an account's) offerings give its bill, in application order."""

    discounts: list[ProductDiscount] = field(default_factory=list)
    caps: list[Cap] = field(default_factory=list)
    minimum_spends: list[MinimumSpend] = field(default_factory=list)

    def extend(self, other: OfferTerms) -> None:
        self.discounts += other.discounts
        self.caps += other.caps
        self.minimum_spends += other.minimum_spends


def _charge_types(
    given: Sequence[str] | None, default: frozenset[ChargeType]
) -> frozenset[ChargeType]:
    return default if given is None else frozenset(ChargeType(name) for name in given)


def product_terms(
    product_id: str,
    member_ids: Sequence[str],
    offerings_since: Mapping[str, datetime],
    prices: Mapping[str, repo.OfferingPrices],
    tax_category: TaxCategory,
) -> OfferTerms:
    """The terms the offerings of ``product_id`` (with ``offerings_since``: offering → the
    instant its terms are read at) give the bill."""
    terms = OfferTerms()
    scope = frozenset({product_id, *member_ids})
    for offering_id, since in offerings_since.items():
        offering = prices.get(offering_id)
        for term in offering.discounts if offering is not None else ():
            if not term.in_force(since):
                continue
            amount = term.amount_at(since)
            kind, basis_points = term.terms.kind, term.terms.basis_points
            given = term.terms.charge_types
            if kind == DISCOUNT and (basis_points is not None or amount is not None):
                terms.discounts.append(
                    ProductDiscount(
                        discount_id=term.price_id,
                        product_ids=scope,
                        basis_points=basis_points,
                        fixed_fen=None if basis_points is not None else amount,
                        charge_types=_charge_types(given, DISCOUNTABLE_TYPES),
                    )
                )
            elif kind == CAP and amount is not None:
                terms.caps.append(
                    Cap(
                        cap_id=term.price_id,
                        cap_fen=amount,
                        charge_types=_charge_types(given, COUNTED_TYPES),
                        product_ids=scope,
                    )
                )
            elif kind == MINIMUM_SPEND and amount is not None:
                terms.minimum_spends.append(
                    MinimumSpend(
                        minimum_id=term.price_id,
                        minimum_fen=amount,
                        tax_category=tax_category,
                        charge_types=_charge_types(given, COUNTED_TYPES),
                        product_id=product_id,
                    )
                )
    return terms


def account_discount(
    accounts: Mapping[str, repo.AccountInfo], account_id: str
) -> AccountDiscount | None:
    """The enterprise discount of ``account_id``'s section: its own or inherited."""

    def parent_of(child: str) -> str | None:
        info = accounts.get(child)
        parent = info.parent_account_id if info is not None else None
        return parent if parent in accounts else None

    def own(account: str) -> int | None:
        try:
            return enterprise_discount_basis_points(accounts[account].enterprise_discount_percent)
        except Unprocessable as error:
            raise BillingInputError(f"account {account}: {error.message}") from None

    if account_id not in accounts:
        return None
    found = inherited_setting(account_id, parent_of, own)
    if found is None or found[1] == 0:
        return None
    owner, basis_points = found
    return AccountDiscount(discount_id=owner, basis_points=basis_points)
