"""Pure price maths: TMF Money → exact integer minor units, price versions, alterations.

Units. Recurring and one-time charges are billed in 分 (fen, 0.01 CNY); usage rates feed rating,
which works in 厘 (li, 0.001 CNY) — e.g. 0.07 yuan per 6 s is 70 li. A price that the unit
cannot hold exactly (0.125 yuan a month, 0.0005 yuan a second) is refused rather than rounded:
the catalog must say exactly what the customer pays.

JSON numbers. The request parser hands numbers over as ``float``; a float is never used as an
amount. It is turned into ``Decimal`` through ``repr``, the shortest text that reads back as the
same float, which is the literal the client wrote for any price with up to 15 significant
digits. Strings (``"0.07"``) and integers are accepted as well.

Versions. A price changes at an instant without rewriting history: each version holds an amount
and a half-open interval ``[effective_from, effective_to)``; ``effective_to`` is None while no
later version is scheduled. :func:`plan_change` decides what a change does to the schedule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from openbss.catalog.errors import InvalidPrice, PriceVersionConflict
from openbss.kit.money import (
    CURRENCY,
    FEN_PER_YUAN,
    LI_PER_YUAN,
    RoundingRule,
    decimal_from_json,
    tmf_money_from_fen,
    tmf_money_from_li,
)
from openbss.kit.tmf import format_datetime


class MinorUnit(StrEnum):
    FEN = "fen"
    LI = "li"

    @property
    def per_yuan(self) -> int:
        return FEN_PER_YUAN if self is MinorUnit.FEN else LI_PER_YUAN


# priceType → the integer unit its amounts are kept in.
PRICE_TYPES: dict[str, MinorUnit] = {
    "recurring": MinorUnit.FEN,
    "oneTime": MinorUnit.FEN,
    "usage": MinorUnit.LI,
    # Billing discounts (catalog/billing_discounts.py): a fixed amount off, a cap, a minimum.
    "discount": MinorUnit.FEN,
    "cap": MinorUnit.FEN,
    "minimumSpend": MinorUnit.FEN,
}
RECURRING_PERIODS = frozenset({"day", "week", "month", "year"})
# Units a usage price may be counted in (unitOfMeasure.units).
USAGE_UNITS = frozenset({"s", "min", "hour", "message", "event", "KB", "MB", "GB"})


def minor_unit_for(price_type: Any) -> MinorUnit:
    unit = PRICE_TYPES.get(price_type) if isinstance(price_type, str) else None
    if unit is None:
        known = ", ".join(PRICE_TYPES)
        raise InvalidPrice(f"priceType {price_type!r} is unknown; expected one of {known}")
    return unit


def to_decimal(value: Any, attribute: str = "price.value") -> Decimal:
    """A JSON number or numeric string as an exact Decimal (see the module note on floats)."""
    if isinstance(value, bool) or value is None:
        raise InvalidPrice(f"{attribute} must be a number")
    try:
        if isinstance(value, int | float | str | Decimal):
            number = decimal_from_json(value)
        else:
            raise InvalidPrice(f"{attribute} must be a number")
    except InvalidOperation:
        raise InvalidPrice(f"{attribute} {value!r} is not a number") from None
    if not number.is_finite():
        raise InvalidPrice(f"{attribute} must be a finite number")
    return number


def yuan_to_minor(yuan: Decimal, unit: MinorUnit, attribute: str = "price.value") -> int:
    """Exact conversion; a value finer than the unit is refused, never rounded."""
    scaled = yuan * unit.per_yuan
    if scaled != scaled.to_integral_value():
        raise InvalidPrice(
            f"{attribute} {yuan} CNY is finer than one {unit.value} "
            f"(1/{unit.per_yuan} yuan); {'usage rates' if unit is MinorUnit.LI else 'charges'} "
            f"are kept in {unit.value}"
        )
    return int(scaled)


def money_to_minor(money: Any, unit: MinorUnit, attribute: str = "price") -> int:
    """TMF Money ``{unit: "CNY", value: 0.07}`` → 70 (li) — non-negative, CNY only."""
    if not isinstance(money, Mapping):
        raise InvalidPrice(f"{attribute} must be a Money object {{unit, value}}")
    currency = money.get("unit", CURRENCY)
    if currency != CURRENCY:
        raise InvalidPrice(f"{attribute}.unit {currency!r} is not supported; prices are in CNY")
    yuan = to_decimal(money.get("value"), f"{attribute}.value")
    if yuan < 0:
        raise InvalidPrice(f"{attribute}.value must not be negative; discounts are alterations")
    return yuan_to_minor(yuan, unit, f"{attribute}.value")


def minor_to_money(amount: int, unit: MinorUnit) -> dict[str, Any]:
    """The TMF Money of an integer amount (see :mod:`openbss.kit.money`)."""
    return tmf_money_from_fen(amount) if unit is MinorUnit.FEN else tmf_money_from_li(amount)


# ----- versions -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PriceSpan:
    """One version of a price: an amount over ``[effective_from, effective_to)``."""

    version: int
    amount: int
    effective_from: datetime
    effective_to: datetime | None = None

    def covers(self, instant: datetime) -> bool:
        return self.effective_from <= instant and (
            self.effective_to is None or instant < self.effective_to
        )


def version_at(versions: Iterable[PriceSpan], instant: datetime) -> PriceSpan | None:
    """The version in force at ``instant`` (the latest-starting one that covers it), or None."""
    covering = [v for v in versions if v.covers(instant)]
    return max(covering, key=lambda v: (v.effective_from, v.version)) if covering else None


@dataclass(frozen=True, slots=True)
class PricePlan:
    """What a price change does: end one version, drop not-yet-effective ones, add one."""

    new: PriceSpan
    close: tuple[int, datetime] | None = None  # (version, its new effective_to)
    cancel: tuple[int, ...] = ()


def plan_change(
    versions: Sequence[PriceSpan], amount: int, effective_from: datetime, now: datetime
) -> PricePlan | None:
    """Schedule ``amount`` from ``effective_from``; None when nothing changes.

    History is never rewritten: a change cannot take effect before ``now``. Versions that have
    not yet taken effect and start at or after the new one are superseded (cancelled), which is
    how a scheduled change is corrected before its date. Restating the amount already in force
    at ``effective_from`` changes nothing (a client PATCHing back what it read keeps the
    schedule).
    """
    if not versions:
        return PricePlan(new=PriceSpan(1, amount, effective_from))
    if effective_from < now:
        raise PriceVersionConflict(
            f"a price change cannot take effect in the past ({format_datetime(effective_from)} "
            f"is before {format_datetime(now)}); history is not rewritten"
        )
    in_force = version_at(versions, effective_from)
    if in_force is not None and in_force.amount == amount:
        return None
    cancel = tuple(v.version for v in versions if v.effective_from >= effective_from)
    kept = [v for v in versions if v.effective_from < effective_from]
    number = max(v.version for v in versions) + 1
    new = PriceSpan(number, amount, effective_from)
    if not kept:  # every version so far was still to come: the new one replaces them all
        return PricePlan(new=new, cancel=cancel)
    latest = max(kept, key=lambda v: (v.effective_from, v.version))
    return PricePlan(new=new, close=(latest.version, effective_from), cancel=cancel)


# ----- alterations (discounts) --------------------------------------------------------------


def altered_amount(
    amount: int,
    unit: MinorUnit,
    alteration: Mapping[str, Any],
    rule: RoundingRule = RoundingRule.HALF_UP,
) -> int:
    """The amount after one priceAlteration: a percentage off, or a fixed amount off.

    Half-up rounding by default, once, on the final amount; never below zero.
    """
    percentage = alteration.get("percentage")
    if percentage is not None:
        share = to_decimal(percentage, "priceAlteration.percentage")
        reduced = Decimal(amount) * (Decimal(100) - share) / Decimal(100)
        return max(0, int(reduced.quantize(Decimal(1), rounding=rule.decimal_mode)))
    off = money_to_minor(alteration.get("price"), unit, "priceAlteration.price")
    return max(0, amount - off)


def check_alteration(alteration: Mapping[str, Any], unit: MinorUnit, where: str) -> None:
    """One priceAlteration: exactly one of a percentage in (0, 100] or an exact Money off."""
    has_percentage = alteration.get("percentage") is not None
    has_price = alteration.get("price") is not None
    if has_percentage == has_price:
        raise InvalidPrice(f"{where}: give either 'percentage' or 'price', not both or neither")
    if has_percentage:
        share = to_decimal(alteration["percentage"], f"{where}.percentage")
        if not Decimal(0) < share <= Decimal(100):
            raise InvalidPrice(f"{where}.percentage must be above 0 and at most 100")
    else:
        money_to_minor(alteration["price"], unit, f"{where}.price")
    if alteration.get("priceType") is not None:
        minor_unit_for(alteration["priceType"])
