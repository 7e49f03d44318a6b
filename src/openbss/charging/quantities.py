"""TMF654 quantities and usage types ↔ bucket units (pure).

Money is kept in li and shown in yuan (``{"amount": 50, "units": "CNY"}``); voice in seconds,
SMS in messages, data in bytes. A quantity that is not a whole number of the stored unit is
refused rather than rounded: a balance is never changed by an amount nobody asked for.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from openbss.charging.calculations import Unit
from openbss.kit.errors import BadRequest
from openbss.kit.money import LI_PER_YUAN

USAGE_TYPES: dict[str, Unit] = {
    "monetary": Unit.LI,
    "voice": Unit.SECOND,
    "sms": Unit.MESSAGE,
    "data": Unit.BYTE,
}
USAGE_TYPE_OF: dict[Unit, str] = {unit: name for name, unit in USAGE_TYPES.items()}
SHOWN_UNITS: dict[Unit, str] = {
    Unit.LI: "CNY",
    Unit.SECOND: "seconds",
    Unit.MESSAGE: "messages",
    Unit.BYTE: "bytes",
}
# The units a client may write, and how many stored units one of them is.
ACCEPTED_UNITS: dict[Unit, dict[str, int]] = {
    Unit.LI: {"cny": LI_PER_YUAN, "yuan": LI_PER_YUAN, "元": LI_PER_YUAN, "li": 1},
    Unit.SECOND: {"seconds": 1, "second": 1, "s": 1, "sec": 1, "minutes": 60, "minute": 60,
                  "min": 60},
    Unit.MESSAGE: {"messages": 1, "message": 1, "msg": 1, "sms": 1},
    Unit.BYTE: {"bytes": 1, "byte": 1, "b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3},
}  # fmt: skip
MAX_AMOUNT = 10**15  # far above any balance; keeps BigInteger columns safe


def unit_of_usage_type(value: Any, attribute: str = "usageType") -> Unit:
    if not isinstance(value, str) or value not in USAGE_TYPES:
        raise BadRequest(
            f"{attribute} must be one of {', '.join(USAGE_TYPES)}, not {value!r}",
            code="INVALID_USAGE_TYPE",
        )
    return USAGE_TYPES[value]


def unit_of_units(units: Any) -> Unit | None:
    """The bucket unit a quantity's ``units`` names, or None when it names none."""
    if not isinstance(units, str):
        return None
    lowered = units.strip().lower()
    for unit, names in ACCEPTED_UNITS.items():
        if lowered in names:
            return unit
    return None


def parse_quantity(value: Any, unit: Unit, attribute: str, *, signed: bool = False) -> int:
    """A TMF Quantity ``{"amount": n, "units": u}`` in the stored unit of ``unit``."""
    if not isinstance(value, dict):
        raise BadRequest(f"{attribute} must be a Quantity {{amount, units}}", code="INVALID_AMOUNT")
    raw = value.get("amount")
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise BadRequest(f"{attribute}.amount must be a number", code="INVALID_AMOUNT")
    try:
        amount = Decimal(str(raw))
    except InvalidOperation:
        raise BadRequest(f"{attribute}.amount must be a number", code="INVALID_AMOUNT") from None
    if not amount.is_finite():
        raise BadRequest(f"{attribute}.amount must be a finite number", code="INVALID_AMOUNT")
    units = value.get("units")
    names = ACCEPTED_UNITS[unit]
    key = str(units).strip().lower() if units is not None else None
    if key is None:
        factor = names[SHOWN_UNITS[unit].lower()]
    elif key in names:
        factor = names[key]
    else:
        raise BadRequest(
            f"{attribute}.units {units!r} does not measure a {USAGE_TYPE_OF[unit]} balance "
            f"(use {SHOWN_UNITS[unit]})",
            code="INVALID_UNITS",
        )
    stored = amount * factor
    if stored != stored.to_integral_value():
        raise BadRequest(
            f"{attribute}.amount {raw} {units or SHOWN_UNITS[unit]} is not a whole number of "
            f"{'li (0.001 CNY)' if unit is Unit.LI else SHOWN_UNITS[unit]}",
            code="INVALID_AMOUNT",
        )
    result = int(stored)
    if abs(result) > MAX_AMOUNT:
        raise BadRequest(f"{attribute}.amount is too large", code="INVALID_AMOUNT")
    if result < 0 and not signed:
        raise BadRequest(f"{attribute}.amount cannot be negative", code="INVALID_AMOUNT")
    return result


def render_quantity(amount: int, unit: Unit | str) -> dict[str, Any]:
    unit = Unit(unit)
    if unit is Unit.LI:
        yuan = Decimal(amount) / LI_PER_YUAN
        shown: int | float = int(yuan) if yuan == yuan.to_integral_value() else float(yuan)
        return {"amount": shown, "units": "CNY"}
    return {"amount": amount, "units": SHOWN_UNITS[unit]}
