"""Amounts of money as callers write them, turned into exact fen. Pure functions.

A payment comes as TMF ``Money`` (``{"unit": "CNY", "value": 11.6}``) on the TMF676 API, as
integer fen (``amountFen``) on the project's own API and as yuan text (``"12.50"``) on the
command line. Each becomes an ``int`` of fen without passing through float arithmetic, and a
figure that is not a whole number of fen is refused rather than rounded: a payment is what the
customer handed over, to the fen.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from openbss.kit.money import CURRENCY, FEN_PER_YUAN, decimal_from_json
from openbss.payments.errors import InvalidPayment

YUAN_TEXT = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,2})?$")


def positive_fen(value: object, attribute: str) -> int:
    """An integer fen amount (``amountFen``) that must be above zero."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidPayment(f"{attribute} must be a whole number of fen, got {value!r}")
    if value <= 0:
        raise InvalidPayment(f"{attribute} must be a positive amount, got {value} fen")
    return value


def fen_from_decimal(amount: Decimal, attribute: str) -> int:
    if not amount.is_finite():
        raise InvalidPayment(f"{attribute} must be a finite number")
    fen = amount * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise InvalidPayment(
            f"{attribute} {amount} has more than 2 decimals; amounts are in yuan to the fen"
        )
    if fen <= 0:
        raise InvalidPayment(f"{attribute} must be a positive amount, got {amount}")
    return int(fen)


def fen_from_money(money: object, attribute: str) -> int:
    """TMF ``Money`` in CNY (a missing unit means CNY) as fen."""
    if not isinstance(money, dict):
        raise InvalidPayment(f"{attribute} must be a Money object {{unit, value}}")
    unit = money.get("unit")
    if unit is not None and (not isinstance(unit, str) or unit.strip().upper() != CURRENCY):
        raise InvalidPayment(
            f"{attribute}.unit must be {CURRENCY}, got {unit!r}", code="UNSUPPORTED_CURRENCY"
        )
    value = money.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidPayment(f"{attribute}.value must be a number, got {value!r}")
    try:
        amount = decimal_from_json(value)
    except InvalidOperation:
        raise InvalidPayment(f"{attribute}.value must be a number, got {value!r}") from None
    return fen_from_decimal(amount, f"{attribute}.value")


def fen_from_yuan_text(text: str) -> int:
    """``"12.50"`` → ``1250``: yuan with at most two decimals, written as digits only."""
    cleaned = text.strip()
    if not YUAN_TEXT.match(cleaned):
        raise InvalidPayment(
            f"amount {text!r} is not yuan with at most 2 decimals (e.g. 12.50)",
            code="INVALID_AMOUNT",
        )
    return fen_from_decimal(Decimal(cleaned), "amount")
