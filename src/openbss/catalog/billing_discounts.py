"""Billing discounts as product offering prices: discounts, caps (封顶), minimum spend (保底).

An offering carries the terms the bill run applies to the charges of a product sold under it
as prices of three extra ``priceType`` values:

- ``discount``: a ``percentage`` off (above 0, at most 100, to 0.01 %) or a fixed amount off
  (``price``, in fen); optionally only some charge types;
- ``cap``: the charges of the given types are paid up to ``price`` per bill cycle and no more;
- ``minimumSpend``: the charges of the given types are topped up to ``price`` per bill cycle.

``chargeType`` (an extension attribute: a list of ``recurring``, ``oneTime``, ``usage``)
names what the terms act on; absent, a discount acts on all three and a cap or a minimum
spend on rentals and usage (the bill run's defaults). Amounts are dated versions like every
other price (``catalog_price_version``, fen); a percentage has no amount and so no versions.
The terms are per bill cycle, so ``recurringChargePeriodType`` may only say ``month``.

Pure: the price service calls :func:`check_billing_discount`; billing reads
:func:`discount_terms` through the catalog's public face.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openbss.catalog.errors import InvalidPrice, MissingAttribute
from openbss.catalog.pricing import to_decimal

DISCOUNT = "discount"
CAP = "cap"
MINIMUM_SPEND = "minimumSpend"
BILLING_DISCOUNT_TYPES = frozenset({DISCOUNT, CAP, MINIMUM_SPEND})

# What the terms may act on: the charge types a bill has, by their TMF678 names.
CHARGE_TYPES = ("recurring", "oneTime", "usage")
CHARGE_TYPE_ATTRIBUTE = "chargeType"

_BASIS_POINTS_PER_PERCENT = 100
_NOT_FOR_TERMS = ("priceAlteration", "unitOfMeasure")


@dataclass(frozen=True, slots=True)
class DiscountTerms:
    """What a billing discount price says besides its dated amount."""

    kind: str  # discount | cap | minimumSpend
    basis_points: int | None  # a percentage discount, in 0.01 %
    charge_types: tuple[str, ...] | None  # None: the bill run's default for the kind


def is_billing_discount(price_type: object) -> bool:
    return isinstance(price_type, str) and price_type in BILLING_DISCOUNT_TYPES


def percentage_basis_points(value: Any, attribute: str = "percentage") -> int:
    """A percentage above 0 and at most 100, to 0.01 %, as basis points (12.5 → 1250)."""
    share = to_decimal(value, attribute)
    if not Decimal(0) < share <= Decimal(100):
        raise InvalidPrice(f"{attribute} must be above 0 and at most 100")
    basis_points = share * _BASIS_POINTS_PER_PERCENT
    if basis_points != basis_points.to_integral_value():
        raise InvalidPrice(f"{attribute} {value} is finer than 0.01 %")
    return int(basis_points)


def check_billing_discount(doc: Mapping[str, Any]) -> None:
    """Refuse (422) a discount, cap or minimum spend price the bill run could not apply."""
    kind = doc.get("priceType")
    has_percentage = doc.get("percentage") is not None
    has_price = doc.get("price") is not None
    if kind == DISCOUNT:
        if has_percentage == has_price:
            raise InvalidPrice(
                "a discount gives either 'percentage' or 'price' (a fixed amount off), not "
                "both or neither"
            )
        if has_percentage:
            percentage_basis_points(doc["percentage"])
    else:
        if has_percentage:
            raise InvalidPrice(f"a {kind} is an amount ('price'), not a percentage")
        if not has_price:
            raise MissingAttribute(f"a {kind} needs its amount in 'price'")
    present = [name for name in _NOT_FOR_TERMS if doc.get(name) is not None]
    if doc.get("isBundle") is True:
        present.append("isBundle")
    if present:
        raise InvalidPrice(f"{', '.join(present)} do not apply to a {kind} price")
    period = doc.get("recurringChargePeriodType")
    if period is not None and period != "month":
        raise InvalidPrice(
            f"a {kind} applies per bill cycle: recurringChargePeriodType must be 'month' or absent"
        )
    _charge_types(doc.get(CHARGE_TYPE_ATTRIBUTE))


def discount_terms(doc: Mapping[str, Any]) -> DiscountTerms:
    """The terms of a stored (so already checked) billing discount price."""
    percentage = doc.get("percentage")
    return DiscountTerms(
        kind=str(doc.get("priceType")),
        basis_points=None if percentage is None else percentage_basis_points(percentage),
        charge_types=_charge_types(doc.get(CHARGE_TYPE_ATTRIBUTE)),
    )


def _charge_types(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    known = ", ".join(CHARGE_TYPES)
    if not isinstance(value, list) or not value:
        raise InvalidPrice(f"{CHARGE_TYPE_ATTRIBUTE} must be a non-empty list of {known}")
    unknown = [v for v in value if v not in CHARGE_TYPES]
    if unknown:
        raise InvalidPrice(f"{CHARGE_TYPE_ATTRIBUTE} {unknown!r}: use {known}")
    if len(set(value)) != len(value):
        raise InvalidPrice(f"{CHARGE_TYPE_ATTRIBUTE} names a charge type twice")
    return tuple(value)
