"""Integer money.

Rating works in 厘 (li, 0.001 CNY) and bills in 分 (fen, 0.01 CNY). Amounts are plain ``int``
values typed as :data:`Li` or :data:`Fen`; conversions that lose precision take an explicit,
named :class:`RoundingRule` so every rounding in the product is visible at its call site.

TMF ``Money`` on the wire. Every API and document writes money as ``{"unit": "CNY", "value":
<number>}`` through :func:`tmf_money_from_fen` or :func:`tmf_money_from_li`. The value is
always a JSON number with a fraction (``120.0``, ``0.07``, ``1.234``): the ``float`` nearest
to the exact Decimal amount, whose shortest repr is that decimal's digits for any amount of up
to 15 significant digits (10^13 yuan in fen, 10^12 in li), so JSON carries the exact figure.
The float exists only on the wire; reading a value back goes through
:func:`decimal_from_json`, never through float arithmetic.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any, NewType

Li = NewType("Li", int)
Fen = NewType("Fen", int)

LI_PER_YUAN = 1000
FEN_PER_YUAN = 100
LI_PER_FEN = 10
CURRENCY = "CNY"


class RoundingRule(StrEnum):
    """Named rounding rules; half-up is the default unless a tariff says otherwise."""

    HALF_UP = "half_up"
    HALF_EVEN = "half_even"
    UP = "up"  # towards +infinity: the customer pays the started unit
    DOWN = "down"  # towards zero: truncate

    @property
    def decimal_mode(self) -> str:
        return {
            RoundingRule.HALF_UP: ROUND_HALF_UP,
            RoundingRule.HALF_EVEN: ROUND_HALF_EVEN,
            RoundingRule.UP: ROUND_CEILING,
            RoundingRule.DOWN: ROUND_DOWN,
        }[self]


def _to_decimal(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float):  # pragma: no cover - guarded by typing, kept for safety
        raise TypeError("money never comes from float; pass Decimal or str")
    return Decimal(value)


def _quantize(amount: Decimal, rule: RoundingRule) -> int:
    return int(amount.quantize(Decimal(1), rounding=rule.decimal_mode))


def yuan_to_li(yuan: Decimal | int | str, rule: RoundingRule = RoundingRule.HALF_UP) -> Li:
    """Convert a yuan amount (e.g. a catalog rate ``Decimal("0.22")``) to li."""
    return Li(_quantize(_to_decimal(yuan) * LI_PER_YUAN, rule))


def yuan_to_fen(yuan: Decimal | int | str, rule: RoundingRule = RoundingRule.HALF_UP) -> Fen:
    """Convert a yuan amount to fen."""
    return Fen(_quantize(_to_decimal(yuan) * FEN_PER_YUAN, rule))


def li_to_fen(li: int, rule: RoundingRule = RoundingRule.HALF_UP) -> Fen:
    """Convert li to fen with an explicit rounding rule (bills are in fen)."""
    return Fen(_quantize(Decimal(li) / LI_PER_FEN, rule))


def fen_to_yuan(fen: int) -> Decimal:
    """Exact yuan value of a fen amount, for display and TMF ``Money.value``."""
    return (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))


def li_to_yuan(li: int) -> Decimal:
    """Exact yuan value of a li amount."""
    return (Decimal(li) / LI_PER_YUAN).quantize(Decimal("0.001"))


def tmf_money_from_fen(fen: int) -> dict[str, Any]:
    """TMF ``Money`` of a fen amount: ``12345`` → ``{"unit": "CNY", "value": 123.45}``."""
    return {"unit": CURRENCY, "value": float(fen_to_yuan(fen))}


def tmf_money_from_li(li: int) -> dict[str, Any]:
    """TMF ``Money`` of a li amount: ``70`` → ``{"unit": "CNY", "value": 0.07}``."""
    return {"unit": CURRENCY, "value": float(li_to_yuan(li))}


def li_and_money(name: str, li: int) -> dict[str, Any]:
    """A li amount as the project's own API shows it: the exact integer as ``<name>Li``
    beside its TMF ``Money`` as ``<name>``, e.g. ``amountLi`` and ``amount``."""
    return {f"{name}Li": li, name: tmf_money_from_li(li)}


def fen_and_money(name: str, fen: int) -> dict[str, Any]:
    """A fen amount as the project's own API shows it: ``<name>Fen`` beside its TMF
    ``Money`` as ``<name>``, e.g. ``amountFen`` and ``amount``."""
    return {f"{name}Fen": fen, name: tmf_money_from_fen(fen)}


def decimal_from_json(value: int | float | str | Decimal) -> Decimal:
    """The exact Decimal of a ``Money.value`` as JSON parsing hands it over.

    A float goes through ``repr``, the shortest text that reads back as the same float, i.e.
    the literal the client wrote (``0.07`` → ``Decimal("0.07")``, not the binary expansion).
    Raises ``decimal.InvalidOperation`` for a string that is not a number; callers check the
    type, the sign and finiteness and answer with their own errors.
    """
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def format_fen(fen: int) -> str:
    """``12345`` → ``"¥123.45"``."""
    sign = "-" if fen < 0 else ""
    return f"{sign}¥{fen_to_yuan(abs(fen))}"


__all__ = [
    "CURRENCY",
    "FEN_PER_YUAN",
    "LI_PER_FEN",
    "LI_PER_YUAN",
    "Fen",
    "Li",
    "RoundingRule",
    "decimal_from_json",
    "fen_and_money",
    "fen_to_yuan",
    "format_fen",
    "li_and_money",
    "li_to_fen",
    "li_to_yuan",
    "tmf_money_from_fen",
    "tmf_money_from_li",
    "yuan_to_fen",
    "yuan_to_li",
]
