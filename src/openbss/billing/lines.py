"""The charge line: one amount on a bill, and what produced it.

Every step of a bill reads and writes :class:`ChargeLine` values: rentals from the status
history, one-time fees from orders, usage from rating runs, adjustments, and the discount,
cap and top-up lines that the discount steps add. A line is a frozen record in integer fen.

Signs: charges (recurring, one-time, usage, a debit adjustment, a minimum-spend top-up) are
≥ 0; discounts and credits are lines of their own, ≤ 0. A discount line names the charge
type it reduces (``discounted_type``) and carries the product and tax category of what it
reduces, so the *net* of a product's charges of one type and tax category — the charges
plus the discounts aimed at them — is well defined (:class:`NetKey`, :func:`net_by_key`).
That net is what later discounts, caps and minimum spend look at.

The text on the invoice is the invoice's job: a line carries a ``description_key`` (e.g.
``"rental.monthly"``) that the invoice renders in Chinese and English.

Usage arrives from rating in li (0.001 CNY); :func:`usage_line` is the one place where a
product's summed li becomes fen: one rounding, half-up, per product and usage line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from openbss.billing.errors import BillingInputError
from openbss.kit.money import Fen, RoundingRule, li_to_fen


class ChargeType(StrEnum):
    """What kind of amount a line is (TMF678 ``appliedBillingRateType`` in spirit)."""

    RECURRING = "recurring"  # rentals: monthly or daily
    ONE_TIME = "oneTime"  # installation and other fees
    USAGE = "usage"  # rated usage of the cycle
    ADJUSTMENT = "adjustment"  # a debit an operator added
    MINIMUM_SPEND_TOP_UP = "minimumSpendTopUp"  # 保底: what a minimum spend adds
    DISCOUNT = "discount"  # bundle, enterprise and cap (封顶) discounts
    CREDIT = "credit"  # a credit an operator granted


# Charge types whose amounts are ≥ 0 and those whose amounts are ≤ 0.
CHARGE_TYPES = frozenset(
    {
        ChargeType.RECURRING,
        ChargeType.ONE_TIME,
        ChargeType.USAGE,
        ChargeType.ADJUSTMENT,
        ChargeType.MINIMUM_SPEND_TOP_UP,
    }
)
REDUCING_TYPES = frozenset({ChargeType.DISCOUNT, ChargeType.CREDIT})
# What discounts reduce unless they say otherwise.
DISCOUNTABLE_TYPES = frozenset({ChargeType.RECURRING, ChargeType.ONE_TIME, ChargeType.USAGE})


class TaxCategory(StrEnum):
    """The VAT category of a telecom service (财税〔2014〕43号)."""

    BASIC = "basic"  # 基础电信服务: voice, fixed / PHS / mobile rentals
    VALUE_ADDED = "valueAdded"  # 增值电信服务: SMS, broadband and data, VAS


@dataclass(frozen=True, slots=True)
class SourceRef:
    """What produced a line: ``kind`` is e.g. ``price``, ``productOrder``, ``ratingRun``,
    ``adjustment``, ``discount``, ``cap``, ``minimumSpend``; ``id`` is its identifier."""

    kind: str
    id: str


@dataclass(frozen=True, slots=True)
class Stretch:
    """The calendar days (province time, both ends included) a rental line charges for."""

    first_day: date
    last_day: date

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise BillingInputError(
                f"stretch ends {self.last_day} before it starts {self.first_day}"
            )

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


@dataclass(frozen=True, slots=True)
class NetKey:
    """What a net is taken over: one product's charges of one type in one tax category."""

    product_id: str | None
    charge_type: ChargeType
    tax_category: TaxCategory


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargeLine:
    """One amount on a bill, in fen."""

    charge_type: ChargeType
    tax_category: TaxCategory
    amount_fen: int
    source: SourceRef
    description_key: str
    product_id: str | None = None
    # For a discount or credit: the charge type it reduces (None: it stands on its own).
    discounted_type: ChargeType | None = None
    # For a rental: the days it charges for.
    stretch: Stretch | None = None

    def __post_init__(self) -> None:
        if isinstance(self.amount_fen, bool) or not isinstance(self.amount_fen, int):
            raise BillingInputError(f"amount_fen {self.amount_fen!r} must be an int of fen")
        if self.charge_type in CHARGE_TYPES and self.amount_fen < 0:
            raise BillingInputError(
                f"a {self.charge_type} line of {self.amount_fen} fen: charges are ≥ 0; "
                "discounts and credits are lines of their own"
            )
        if self.charge_type in REDUCING_TYPES and self.amount_fen > 0:
            raise BillingInputError(
                f"a {self.charge_type} line of {self.amount_fen} fen: discounts and credits are ≤ 0"
            )
        if self.discounted_type is not None and (
            self.charge_type not in REDUCING_TYPES or self.discounted_type not in CHARGE_TYPES
        ):
            raise BillingInputError(
                f"a {self.charge_type} line cannot reduce {self.discounted_type}: only discounts "
                "and credits reduce, and only charges are reduced"
            )

    @property
    def net_key(self) -> NetKey:
        """The net this line counts in: a discount counts in the net of what it reduces."""
        return NetKey(self.product_id, self.discounted_type or self.charge_type, self.tax_category)


def net_by_key(lines: Iterable[ChargeLine]) -> dict[NetKey, int]:
    """The net of every key, in the order keys first appear among ``lines``."""
    nets: dict[NetKey, int] = {}
    for line in lines:
        key = line.net_key
        nets[key] = nets.get(key, 0) + line.amount_fen
    return nets


def usage_line(
    *,
    product_id: str,
    total_li: int,
    tax_category: TaxCategory,
    source: SourceRef,
    description_key: str = "usage",
) -> ChargeLine:
    """A product's rated usage of the cycle as a bill line.

    ``total_li`` is the sum, in li, of the product's rated events for this line (one service
    or usage type, as the run groups them); it becomes fen here, once, half-up. Rounding the
    sum rather than each event keeps a month of 0.07-yuan units from gaining or losing fen.
    """
    if total_li < 0:
        raise BillingInputError(f"usage of {total_li} li: rated usage is never negative")
    amount: Fen = li_to_fen(total_li, RoundingRule.HALF_UP)
    return ChargeLine(
        charge_type=ChargeType.USAGE,
        tax_category=tax_category,
        amount_fen=amount,
        source=source,
        description_key=description_key,
        product_id=product_id,
    )
