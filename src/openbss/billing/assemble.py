"""One account's bill lines from plain inputs: the kernel a bill run applies to every account.

The run gathers, per account, what the database and the rated-usage store say (the products
with their dated history and the recurring prices of the offerings they had, the usage the
period's current rating run priced, one-time fees of completed orders, adjustments) into an
:class:`AccountCharges`; :func:`account_lines` turns it into charge lines in a fixed order:

1. rentals, product by product (a bundle member's own rentals are replaced by the bundle's
   fee: the run passes the member's replaced price ids). A rental charged **in advance** puts
   on the bill of cycle N the cycle's real rental (prorated from the history, as in arrears),
   a credit of what an earlier bill charged in advance for N, and the rental of N+1 as the
   product stands at the end of N (``rental.inAdvance``): a line that changes in N+1 is
   settled on the next bill, so over two bills every cycle is paid exactly as prorated;
2. one-time fees;
3. usage, one line per product and service, li → fen once per line;
4. adjustments: rating adjustments of closed periods, then manual ones;
5. discounts, caps and minimum spend in the order :mod:`openbss.billing.discounts` defines.

Nothing here reads a database or a file, so the same function runs in-process, over
partitions of accounts, or in a Spark task.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from openbss.billing.cycles import BillCycle, next_cycle
from openbss.billing.discounts import (
    AccountDiscount,
    Cap,
    MinimumSpend,
    ProductDiscount,
    apply_discounts,
)
from openbss.billing.lines import ChargeLine, ChargeType, SourceRef, TaxCategory, usage_line
from openbss.billing.proration import (
    ChargeTiming,
    RecurringPrice,
    StatusChange,
    rental_lines,
    replace_member_rentals,
)
from openbss.billing.tax import tax_category_for


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductCharges:
    """A product of the account and the rentals it may owe in the cycle."""

    product_id: str
    service_type: str
    history: tuple[StatusChange, ...]
    prices: tuple[RecurringPrice, ...]
    # Recurring price ids the product's bundle replaces with its own fee.
    replaced_price_ids: frozenset[str] = frozenset()
    # In-advance prices: price id → the fen earlier bills charged in advance for this cycle.
    advance_billed: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountCharges:
    account_id: str
    products: tuple[ProductCharges, ...] = ()
    # (product id, usage service) → the summed li of the current rating run.
    usage_li: Mapping[tuple[str, str], int] = field(default_factory=dict)
    rating_run_id: str = ""
    one_time: tuple[ChargeLine, ...] = ()
    adjustments: tuple[ChargeLine, ...] = ()
    product_discounts: tuple[ProductDiscount, ...] = ()
    account_discount: AccountDiscount | None = None
    caps: tuple[Cap, ...] = ()
    minimum_spends: tuple[MinimumSpend, ...] = ()


def usage_tax_category(service: str) -> TaxCategory:
    """Voice is basic telecom; SMS and data are value-added (see :mod:`billing.tax`)."""
    return tax_category_for(service)


def account_lines(account: AccountCharges, cycle: BillCycle) -> list[ChargeLine]:
    """Every line of ``account``'s bill for ``cycle``, discounts last."""
    lines: list[ChargeLine] = []
    for product in sorted(account.products, key=lambda p: p.product_id):
        rentals = rental_lines(product.product_id, product.history, product.prices, cycle)
        rentals += advance_lines(product, cycle)
        lines += replace_member_rentals(rentals, (), product.replaced_price_ids)
    lines += account.one_time
    for (product_id, service), total_li in sorted(account.usage_li.items()):
        if total_li == 0:
            continue
        line = usage_line(
            product_id=product_id,
            total_li=total_li,
            tax_category=usage_tax_category(service),
            source=SourceRef("ratingRun", account.rating_run_id),
            description_key=f"usage.{service}",
        )
        if line.amount_fen:
            lines.append(line)
    lines += account.adjustments
    return apply_discounts(
        lines,
        product_discounts=account.product_discounts,
        account_discount=account.account_discount,
        caps=account.caps,
        minimum_spends=account.minimum_spends,
    )


def advance_lines(product: ProductCharges, cycle: BillCycle) -> list[ChargeLine]:
    """For in-advance prices: the credit of what was charged in advance for ``cycle``, and
    the next cycle's rental as the product stands at the end of ``cycle``."""
    in_advance = [p for p in product.prices if p.timing is ChargeTiming.IN_ADVANCE]
    if not in_advance:
        return []
    lines: list[ChargeLine] = []
    for price in in_advance:
        billed = product.advance_billed.get(price.price_id, 0)
        if billed:
            lines.append(
                ChargeLine(
                    charge_type=ChargeType.CREDIT,
                    tax_category=price.tax_category,
                    amount_fen=-billed,
                    source=SourceRef("price", price.price_id),
                    description_key="rental.advanceSettled",
                    product_id=product.product_id,
                    discounted_type=ChargeType.RECURRING,
                )
            )
    # What is known at the end of the cycle holds for the whole next cycle.
    known = tuple(c for c in product.history if c.effective_at < cycle.end_utc)
    following = next_cycle(cycle)
    for line in rental_lines(product.product_id, known, in_advance, following):
        lines.append(replace(line, description_key="rental.inAdvance"))
    return lines


def adjustment_line(
    *, amount_fen: int, source: SourceRef, description_key: str, product_id: str | None = None
) -> ChargeLine:
    """A debit (≥ 0, an adjustment) or a credit (< 0) as a line of its own."""
    charge_type = ChargeType.ADJUSTMENT if amount_fen >= 0 else ChargeType.CREDIT
    return ChargeLine(
        charge_type=charge_type,
        tax_category=TaxCategory.BASIC,
        amount_fen=amount_fen,
        source=source,
        description_key=description_key,
        product_id=product_id,
    )
