"""Exact integer arithmetic for bills: rounded division, shares and percentages.

Every amount in billing is an integer number of fen, and every fraction of one (a prorated
rental, a percentage discount, the VAT inside a price) is a ratio of integers rounded once
with a named :class:`~openbss.kit.money.RoundingRule`. Dividing integers here never goes
through float or a limited-precision Decimal, so the result is exact for any size.

Percentages are integer basis points (1 % = 100 bp, so a 10 % discount is 1000 bp and 9 %
VAT is 900 bp); a percentage of an amount is ``amount × bp / 10000`` rounded half-up to fen.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from openbss.billing.errors import BillingInputError
from openbss.kit.money import RoundingRule

BASIS_POINTS_PER_WHOLE = 10_000  # 100 %


def divide_rounded(
    numerator: int, denominator: int, rule: RoundingRule = RoundingRule.HALF_UP
) -> int:
    """``numerator / denominator`` rounded to an integer by ``rule``.

    The rules mean what they mean in :mod:`openbss.kit.money`: half-up rounds halves away
    from zero (so ``-2.5 → -3``, keeping a negative line the mirror of its positive one),
    half-even to the even neighbour, up towards +infinity, down towards zero.
    """
    if denominator <= 0:
        raise BillingInputError(f"cannot divide by {denominator}: the divisor must be positive")
    magnitude, remainder = divmod(abs(numerator), denominator)
    negative = numerator < 0
    twice = 2 * remainder
    if rule is RoundingRule.HALF_UP:
        bump = twice >= denominator
    elif rule is RoundingRule.HALF_EVEN:
        bump = twice > denominator or (twice == denominator and magnitude % 2 == 1)
    elif rule is RoundingRule.UP:
        bump = remainder > 0 and not negative
    else:
        bump = False
    result = magnitude + (1 if bump else 0)
    return -result if negative else result


def percentage_of(amount_fen: int, basis_points: int) -> int:
    """``amount × bp / 10000``, half-up to fen: the one rounding of every percentage."""
    return divide_rounded(amount_fen * basis_points, BASIS_POINTS_PER_WHOLE)


def basis_points(percentage: Decimal | int | str) -> int:
    """A percentage as written in a catalog (``10``, ``"9.5"``) in whole basis points.

    A percentage finer than a basis point (``"9.555"``) is refused rather than rounded: it
    would be a tariff nobody wrote.
    """
    if isinstance(percentage, bool | float):
        raise BillingInputError(f"percentage {percentage!r}: give an int, Decimal or string")
    try:
        value = Decimal(percentage) * 100
    except InvalidOperation as error:
        raise BillingInputError(f"percentage {percentage!r} is not a number") from error
    if not value.is_finite() or value != value.to_integral_value():
        raise BillingInputError(f"percentage {percentage!r} is not a whole number of basis points")
    return int(value)


def cumulative_shares(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` so that the parts sum to it exactly.

    Part ``i`` is ``round(total × W_i / W) − round(total × W_(i-1) / W)`` where ``W_i`` is the
    running sum of the weights (half-up): each part is within one unit of its exact share, and
    no unit is lost or invented however the weights fall. Weights are ≥ 0 and not all 0.
    """
    whole = sum(weights)
    if any(weight < 0 for weight in weights) or whole <= 0:
        raise BillingInputError(f"weights {list(weights)} must be ≥ 0 with a positive sum")
    parts: list[int] = []
    running = 0
    previous = 0
    for weight in weights:
        running += weight
        reached = divide_rounded(total * running, whole)
        parts.append(reached - previous)
        previous = reached
    return parts
