"""Discounts, caps (封顶) and minimum spend (保底), in a fixed order.

Order of application (:func:`apply_discounts`), each step seeing the net the steps before
it left:

1. **Product discounts** (bundle discounts), in the order given: a percentage or a fixed
   amount off one or more products' charges, optionally only some charge types.
2. **The account discount**: a percentage off everything discountable on the account
   (an enterprise discount; the bill run decides, across the account hierarchy, which
   percentage an account gets and calls this once per bill).
3. **Caps**: when the net of the capped charge types is above the cap, a discount of the
   excess brings it down to the cap.
4. **Minimum spend**: when the net of the counted charge types is below the minimum, a
   top-up line adds the difference.

So a cap limits what is paid after discounts, and a minimum spend is measured on what is
paid after discounts and caps.

Nets. Discounts act on the net of a :class:`~openbss.billing.lines.NetKey` (one product's
charges of one type in one tax category, plus the discounts already aimed at them), and a
discount line carries that key's product, tax category and charge type, so the VAT of a
discount falls in the category of what it reduces. Discounts never take a net below 0:

- a percentage (integer basis points, ≤ 100 %) of a net is rounded half-up to fen, key by
  key (``round_half_up(net × bp / 10000)``), so it is at most the net;
- a fixed amount is spent on the keys in the order they first appear among the lines, each
  key taking at most its net; what is left when the nets run out is not used;
- a cap's excess is shared among the capped keys in proportion to their nets, rounded
  cumulatively so the shares add up to the excess exactly, each at most its key's net.

Keys whose net is 0 get no line; no step writes a line of 0 fen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from openbss.billing.arithmetic import BASIS_POINTS_PER_WHOLE, cumulative_shares, percentage_of
from openbss.billing.errors import BillingInputError
from openbss.billing.lines import (
    DISCOUNTABLE_TYPES,
    ChargeLine,
    ChargeType,
    NetKey,
    SourceRef,
    TaxCategory,
    net_by_key,
)

# The charge types a minimum spend counts unless it says otherwise: rentals and usage.
COUNTED_TYPES = frozenset({ChargeType.RECURRING, ChargeType.USAGE})


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductDiscount:
    """A percentage (``basis_points``) or a fixed amount (``fixed_fen``) off the charges of
    ``product_ids`` of ``charge_types``: exactly one of the two amounts is given."""

    discount_id: str
    product_ids: frozenset[str]
    basis_points: int | None = None
    fixed_fen: int | None = None
    charge_types: frozenset[ChargeType] = DISCOUNTABLE_TYPES
    description_key: str = "discount.product"

    def __post_init__(self) -> None:
        if (self.basis_points is None) == (self.fixed_fen is None):
            raise BillingInputError(
                f"discount {self.discount_id}: give a percentage or a fixed amount, not both "
                "or neither"
            )
        if self.basis_points is not None:
            _check_basis_points(self.discount_id, self.basis_points)
        if self.fixed_fen is not None and self.fixed_fen < 0:
            raise BillingInputError(f"discount {self.discount_id}: fixed amount {self.fixed_fen}")
        _check_charge_types(self.discount_id, self.charge_types)


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountDiscount:
    """A percentage off every discountable charge of the account (enterprise discount)."""

    discount_id: str
    basis_points: int
    charge_types: frozenset[ChargeType] = DISCOUNTABLE_TYPES
    description_key: str = "discount.account"

    def __post_init__(self) -> None:
        _check_basis_points(self.discount_id, self.basis_points)
        _check_charge_types(self.discount_id, self.charge_types)


@dataclass(frozen=True, slots=True, kw_only=True)
class Cap:
    """封顶: the net of ``charge_types`` (of ``product_ids``, or of the whole account when
    None) is paid up to ``cap_fen`` and no more."""

    cap_id: str
    cap_fen: int
    charge_types: frozenset[ChargeType]
    product_ids: frozenset[str] | None = None
    description_key: str = "discount.cap"

    def __post_init__(self) -> None:
        if self.cap_fen < 0:
            raise BillingInputError(f"cap {self.cap_id}: a cap of {self.cap_fen} fen")
        _check_charge_types(self.cap_id, self.charge_types)


@dataclass(frozen=True, slots=True, kw_only=True)
class MinimumSpend:
    """保底: the net of ``charge_types`` (of ``product_id``, or of the whole account when
    None) is at least ``minimum_fen``; the top-up is taxed in ``tax_category``."""

    minimum_id: str
    minimum_fen: int
    tax_category: TaxCategory
    charge_types: frozenset[ChargeType] = COUNTED_TYPES
    product_id: str | None = None
    description_key: str = "minimumSpend.topUp"

    def __post_init__(self) -> None:
        if self.minimum_fen < 0:
            raise BillingInputError(
                f"minimum spend {self.minimum_id}: a minimum of {self.minimum_fen} fen"
            )
        _check_charge_types(self.minimum_id, self.charge_types)


def apply_product_discount(
    lines: Sequence[ChargeLine], discount: ProductDiscount
) -> list[ChargeLine]:
    """``lines`` followed by the discount lines of ``discount`` (step 1)."""
    nets = _nets_in_scope(lines, discount.charge_types, discount.product_ids.__contains__)
    source = SourceRef("discount", discount.discount_id)
    if discount.basis_points is not None:
        bp = discount.basis_points
        amounts = {key: percentage_of(net, bp) for key, net in nets.items()}
    else:
        amounts = _spend_in_order(nets, discount.fixed_fen or 0)
    return [*lines, *_discount_lines(amounts, source, discount.description_key)]


def apply_account_discount(
    lines: Sequence[ChargeLine], discount: AccountDiscount
) -> list[ChargeLine]:
    """``lines`` followed by the account discount's lines (step 2)."""
    nets = _nets_in_scope(lines, discount.charge_types, lambda _product: True)
    amounts = {key: percentage_of(net, discount.basis_points) for key, net in nets.items()}
    source = SourceRef("discount", discount.discount_id)
    return [*lines, *_discount_lines(amounts, source, discount.description_key)]


def apply_cap(lines: Sequence[ChargeLine], cap: Cap) -> list[ChargeLine]:
    """``lines`` followed by the discount of what the capped net exceeds the cap by (step 3)."""
    products = cap.product_ids
    nets = _nets_in_scope(
        lines, cap.charge_types, (lambda _p: True) if products is None else products.__contains__
    )
    excess = sum(nets.values()) - cap.cap_fen
    if excess <= 0:
        return list(lines)
    keys = list(nets)
    shares = cumulative_shares(excess, [nets[key] for key in keys])
    amounts = dict(zip(keys, shares, strict=True))
    return [*lines, *_discount_lines(amounts, SourceRef("cap", cap.cap_id), cap.description_key)]


def apply_minimum_spend(lines: Sequence[ChargeLine], minimum: MinimumSpend) -> list[ChargeLine]:
    """``lines`` followed by a top-up when the counted net is below the minimum (step 4)."""
    product = minimum.product_id
    counted = sum(
        net
        for key, net in net_by_key(lines).items()
        if key.charge_type in minimum.charge_types
        and (product is None or key.product_id == product)
    )
    shortfall = minimum.minimum_fen - counted
    if shortfall <= 0:
        return list(lines)
    top_up = ChargeLine(
        charge_type=ChargeType.MINIMUM_SPEND_TOP_UP,
        tax_category=minimum.tax_category,
        amount_fen=shortfall,
        source=SourceRef("minimumSpend", minimum.minimum_id),
        description_key=minimum.description_key,
        product_id=product,
    )
    return [*lines, top_up]


def apply_discounts(
    lines: Sequence[ChargeLine],
    *,
    product_discounts: Iterable[ProductDiscount] = (),
    account_discount: AccountDiscount | None = None,
    caps: Iterable[Cap] = (),
    minimum_spends: Iterable[MinimumSpend] = (),
) -> list[ChargeLine]:
    """``lines`` with every discount, cap and top-up applied, in the module's order."""
    result = list(lines)
    for discount in product_discounts:
        result = apply_product_discount(result, discount)
    if account_discount is not None:
        result = apply_account_discount(result, account_discount)
    for cap in caps:
        result = apply_cap(result, cap)
    for minimum in minimum_spends:
        result = apply_minimum_spend(result, minimum)
    return result


def _nets_in_scope(
    lines: Iterable[ChargeLine],
    charge_types: frozenset[ChargeType],
    product_in_scope: Callable[[str | None], bool],
) -> dict[NetKey, int]:
    """The positive nets of the keys a discount reaches, in order of first appearance."""
    return {
        key: net
        for key, net in net_by_key(lines).items()
        if net > 0 and key.charge_type in charge_types and product_in_scope(key.product_id)
    }


def _spend_in_order(nets: dict[NetKey, int], amount_fen: int) -> dict[NetKey, int]:
    spent: dict[NetKey, int] = {}
    remaining = amount_fen
    for key, net in nets.items():
        take = min(remaining, net)
        spent[key] = take
        remaining -= take
    return spent


def _discount_lines(
    amounts: dict[NetKey, int], source: SourceRef, description_key: str
) -> list[ChargeLine]:
    return [
        ChargeLine(
            charge_type=ChargeType.DISCOUNT,
            tax_category=key.tax_category,
            amount_fen=-amount,
            source=source,
            description_key=description_key,
            product_id=key.product_id,
            discounted_type=key.charge_type,
        )
        for key, amount in amounts.items()
        if amount > 0
    ]


def _check_basis_points(owner: str, basis_points: int) -> None:
    if isinstance(basis_points, bool) or not 0 <= basis_points <= BASIS_POINTS_PER_WHOLE:
        raise BillingInputError(
            f"{owner}: {basis_points!r} basis points is not a percentage from 0 to 100 %"
        )


def _check_charge_types(owner: str, charge_types: frozenset[ChargeType]) -> None:
    reducing = {ChargeType.DISCOUNT, ChargeType.CREDIT} & charge_types
    if reducing:
        raise BillingInputError(f"{owner}: it acts on charges; {sorted(reducing)} are not charges")
