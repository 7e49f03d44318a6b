"""Pure account rules: money in fen, bill cycle days, payment methods, the account hierarchy.

No database and no framework: the service feeds these plain values and turns their answers
into rows; the unit tests exercise them directly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import InvalidOperation
from typing import Any, TypeVar

from openbss.kit.errors import Unprocessable
from openbss.kit.money import CURRENCY, FEN_PER_YUAN, Fen, decimal_from_json

T = TypeVar("T")

# The largest amount a BigInteger fen column holds.
MAX_FEN = 2**63 - 1

# ----- money -----------------------------------------------------------------------------


def yuan_value_to_fen(value: object, attribute: str, *, allow_negative: bool = False) -> Fen:
    """A TMF ``Money.value`` (yuan, a JSON number) as exact integer fen, or 422.

    JSON numbers arrive as Python floats; ``repr`` of a float is the shortest decimal that
    reads back as the same float, i.e. the literal the client wrote (``200.5`` → ``"200.5"``),
    so going through ``Decimal(repr(...))`` converts without binary rounding. An amount with
    more than two decimals is refused rather than rounded: a credit limit or a deposit is an
    agreed figure, and silently changing it would be wrong.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unprocessable(f"{attribute} must be a number", code="INVALID_AMOUNT")
    try:
        amount = decimal_from_json(value)
    except InvalidOperation:  # pragma: no cover - repr of a float is always a decimal
        raise Unprocessable(f"{attribute} is not a number", code="INVALID_AMOUNT") from None
    if not amount.is_finite():
        raise Unprocessable(f"{attribute} must be a finite number", code="INVALID_AMOUNT")
    if amount < 0 and not allow_negative:
        raise Unprocessable(f"{attribute} must not be negative", code="INVALID_AMOUNT")
    fen = amount * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise Unprocessable(
            f"{attribute} {value} has more than 2 decimals; amounts are in yuan to the fen",
            code="INVALID_AMOUNT",
        )
    if abs(fen) > MAX_FEN:
        raise Unprocessable(f"{attribute} {value} is too large", code="INVALID_AMOUNT")
    return Fen(int(fen))


def check_currency(unit: object, attribute: str) -> str:
    """Accounts are kept in CNY; a missing unit means CNY."""
    if unit is None:
        return CURRENCY
    if not isinstance(unit, str) or unit.strip().upper() != CURRENCY:
        raise Unprocessable(
            f"{attribute} must be in {CURRENCY}, got {unit!r}", code="UNSUPPORTED_CURRENCY"
        )
    return CURRENCY


def money_to_fen(money: Mapping[str, Any], attribute: str, *, allow_negative: bool = False) -> Fen:
    check_currency(money.get("unit"), f"{attribute}.unit")
    value = money.get("value")
    return yuan_value_to_fen(value, f"{attribute}.value", allow_negative=allow_negative)


# ----- bill cycle ------------------------------------------------------------------------

MIN_CYCLE_DAY = 1
# Day 28 is the last day every month has, so no month (February too) goes without its bill.
MAX_CYCLE_DAY = 28
MONTHLY = frozenset({"monthly", "month", "按月"})


def bill_cycle_day(billing_date_shift: int | None) -> int:
    """The bill cycle day from TMF ``billingDateShift`` (days after the 1st).

    The bill cycle is always the calendar month (自然月) in the province's time zone; the
    cycle day does not move its start. It is the day of the FOLLOWING month on which the
    cycle's bill is issued (see :mod:`openbss.billing.cycles`): shift 0 issues on the 1st,
    shift 14 on the 15th. The cycle day must lie in 1–28.
    """
    day = MIN_CYCLE_DAY + (billing_date_shift or 0)
    if not MIN_CYCLE_DAY <= day <= MAX_CYCLE_DAY:
        raise Unprocessable(
            f"billingDateShift {billing_date_shift} gives bill cycle day {day}; the bill is "
            f"issued on a day from {MIN_CYCLE_DAY} to {MAX_CYCLE_DAY} (shift 0 to "
            f"{MAX_CYCLE_DAY - MIN_CYCLE_DAY})",
            code="INVALID_BILL_CYCLE_DAY",
        )
    return day


def is_monthly(frequency: object) -> bool:
    """Whether a cycle frequency is monthly; a missing frequency means monthly (the norm)."""
    if frequency is None:
        return True
    return isinstance(frequency, str) and frequency.strip().lower() in MONTHLY


# ----- payment method --------------------------------------------------------------------

CASH = "cash"
BANK_COLLECTION = "bank_collection"
ONLINE = "online"
PAYMENT_METHODS = (CASH, BANK_COLLECTION, ONLINE)

# TMF670 payment method types (``@referredType``) and the names CSRs type, by kind.
_PAYMENT_ALIASES: dict[str, str] = {
    "cash": CASH,
    "现金": CASH,
    "bank_collection": BANK_COLLECTION,
    "bankcollection": BANK_COLLECTION,
    "bankaccountdebit": BANK_COLLECTION,
    "directdebit": BANK_COLLECTION,
    "托收": BANK_COLLECTION,
    "银行托收": BANK_COLLECTION,
    "银行代扣": BANK_COLLECTION,
    "online": ONLINE,
    "digitalwallet": ONLINE,
    "bankcard": ONLINE,
    "tokenizedcard": ONLINE,
    "在线支付": ONLINE,
    "网上支付": ONLINE,
}


def _alias(text: object) -> str | None:
    if not isinstance(text, str):
        return None
    return _PAYMENT_ALIASES.get(text.strip().lower().replace(" ", "").replace("-", ""))


def payment_method_kind(ref: Mapping[str, Any] | None) -> str:
    """The kind of a ``PaymentMethodRef`` (``@referredType``, else ``name``, else ``id``).

    No method means cash at the counter (营业厅), how an account pays until it signs up for
    bank collection; a method that maps to no kind is refused so that the bank-collection
    run never silently misses an account.
    """
    if ref is None:
        return CASH
    for key in ("@referredType", "name", "id"):
        kind = _alias(ref.get(key))
        if kind is not None:
            return kind
    raise Unprocessable(
        "defaultPaymentMethod is not a known payment method; use @referredType Cash, "
        "BankAccountDebit (托收) or DigitalWallet / BankCard (online)",
        code="UNKNOWN_PAYMENT_METHOD",
    )


# ----- hierarchy -------------------------------------------------------------------------

PARENT = "parent"
CONSOLIDATED = "consolidatedBilling"
HIERARCHY_TYPES = frozenset({PARENT, CONSOLIDATED})
CHILD = "child"


def makes_cycle(child_id: str, new_parent_id: str, parent_of: Callable[[str], str | None]) -> bool:
    """Whether making ``new_parent_id`` the parent of ``child_id`` closes a loop (A→B→A)."""
    seen: set[str] = set()
    current: str | None = new_parent_id
    while current is not None:
        if current == child_id:
            return True
        if current in seen:  # an existing loop above: refuse to build on it
            return True
        seen.add(current)
        current = parent_of(current)
    return False


def paying_account_id(
    account_id: str,
    parent_of: Callable[[str], str | None],
    consolidated: Callable[[str], bool],
) -> str:
    """The account whose bill carries ``account_id``'s charges (集团统付).

    A child flagged for consolidated billing is paid by its parent, recursively; the first
    account up the chain that is not consolidated pays.
    """
    current = account_id
    seen = {current}
    while consolidated(current):
        parent = parent_of(current)
        if parent is None or parent in seen:
            break
        seen.add(parent)
        current = parent
    return current


# ----- enterprise discount ---------------------------------------------------------------

# Extension attribute of a billing account (TMF666 has none): a percentage off every
# discountable charge of the account, e.g. a negotiated enterprise (政企) rate.
ENTERPRISE_DISCOUNT = "enterpriseDiscountPercent"
_BASIS_POINTS_PER_PERCENT = 100


def enterprise_discount_basis_points(value: object) -> int | None:
    """``enterpriseDiscountPercent`` (0–100, to 0.01 %) as basis points, None when absent."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unprocessable(
            f"{ENTERPRISE_DISCOUNT} must be a number from 0 to 100", code="INVALID_DISCOUNT"
        )
    share = decimal_from_json(value)
    if not share.is_finite() or not 0 <= share <= 100:
        raise Unprocessable(
            f"{ENTERPRISE_DISCOUNT} {value} must be from 0 to 100", code="INVALID_DISCOUNT"
        )
    basis_points = share * _BASIS_POINTS_PER_PERCENT
    if basis_points != basis_points.to_integral_value():
        raise Unprocessable(
            f"{ENTERPRISE_DISCOUNT} {value} is finer than 0.01 %", code="INVALID_DISCOUNT"
        )
    return int(basis_points)


def inherited_setting(
    account_id: str,
    parent_of: Callable[[str], str | None],
    own: Callable[[str], T | None],
) -> tuple[str, T] | None:
    """The nearest account up the hierarchy from ``account_id`` (itself first) that has a
    setting of its own, with that setting; None when none has. A child's own setting (even
    0 %) overrides its parents'."""
    current: str | None = account_id
    seen: set[str] = set()
    while current is not None and current not in seen:
        value = own(current)
        if value is not None:
            return current, value
        seen.add(current)
        current = parent_of(current)
    return None
