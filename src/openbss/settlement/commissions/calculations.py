"""Pure maths of channel commissions (渠道酬金): rules, periods, lines.

A partner's commission rules are the terms of its contract of kind ``commission`` in force on
the first day of the period (see :func:`parse_rules`), e.g.::

    {"activation_fen": 5000, "service_types": ["fixedVoice", "bundle"],
     "recharge_bp": 300, "recharge_fen": 0,
     "revenue_share_bp": 500, "revenue_share_months": 6,
     "clawback_months": 3, "clawback_bp": 10000}

- **activation**: ``activation_fen`` for each line the partner sold that went into service
  in the period (its top-level product; ``service_types`` limits which, absent = all);
- **recharge**: for each prepaid top-up the partner took, ``recharge_fen`` plus
  ``recharge_bp`` basis points of its amount;
- **revenue share**: ``revenue_share_bp`` basis points of what the line was billed (without
  tax) in each of the ``revenue_share_months`` bill periods starting with the activation's;
- **clawback**: a line that ceases within ``clawback_months`` months of its activation
  (ceased before the same day of the month that many months on) gives back ``clawback_bp``
  basis points of the activation commission paid for it, in the period it ceases.

Every share is rounded half-up to the fen once, on the line it belongs to.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from openbss.kit.errors import Unprocessable

PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
BASIS = 10_000
MAX_MONTHS = 36


class Kind:
    ACTIVATION = "activation"
    RECHARGE = "recharge"
    REVENUE_SHARE = "revenue_share"
    CLAWBACK = "clawback"


KIND_ORDER = {Kind.ACTIVATION: 0, Kind.RECHARGE: 1, Kind.REVENUE_SHARE: 2, Kind.CLAWBACK: 3}


@dataclass(frozen=True, slots=True)
class Rules:
    activation_fen: int = 0
    service_types: frozenset[str] | None = None
    recharge_fen: int = 0
    recharge_bp: int = 0
    revenue_share_bp: int = 0
    revenue_share_months: int = 0
    clawback_months: int = 0
    clawback_bp: int = BASIS

    @property
    def months_back(self) -> int:
        """How many periods before this one still earn or lose commission."""
        return max(self.revenue_share_months, self.clawback_months)


@dataclass(frozen=True, slots=True)
class Sale:
    """A line a partner sold: its top-level product, when it went into and out of service
    (local dates) and its service type."""

    product_id: str
    partner_id: str
    order_id: str
    service_type: str
    activated: date
    ceased: date | None


@dataclass(frozen=True, slots=True)
class Recharge:
    reference: str
    partner_id: str
    amount_fen: int
    day: date


@dataclass(frozen=True, slots=True)
class Line:
    partner_id: str
    kind: str
    reference: str  # the product, or the top-up
    basis_fen: int  # what the commission is computed on (0 for a flat amount)
    amount_fen: int  # negative for a clawback

    def sort_key(self) -> tuple[str, int, str]:
        return (self.partner_id, KIND_ORDER[self.kind], self.reference)


def _int(terms: Mapping[str, Any], name: str, high: int) -> int:
    value = terms.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        raise Unprocessable(
            f"commission rule {name!r} must be a whole number from 0 to {high}, got {value!r}",
            code="INVALID_COMMISSION_RULE",
        )
    return value


KNOWN_TERMS = frozenset(
    {
        "activation_fen",
        "service_types",
        "recharge_fen",
        "recharge_bp",
        "revenue_share_bp",
        "revenue_share_months",
        "clawback_months",
        "clawback_bp",
        "description",
    }
)


def parse_rules(terms: Mapping[str, Any]) -> Rules:
    """Check a commission contract's terms and turn them into :class:`Rules`."""
    unknown = sorted(set(terms) - KNOWN_TERMS)
    if unknown:
        raise Unprocessable(
            f"unknown commission rule(s): {', '.join(unknown)}", code="INVALID_COMMISSION_RULE"
        )
    types = terms.get("service_types")
    if types is not None and (
        not isinstance(types, list) or not all(isinstance(t, str) and t for t in types)
    ):
        raise Unprocessable(
            "commission rule 'service_types' must be a list of service types",
            code="INVALID_COMMISSION_RULE",
        )
    rules = Rules(
        activation_fen=_int(terms, "activation_fen", 10**9),
        service_types=None if types is None else frozenset(types),
        recharge_fen=_int(terms, "recharge_fen", 10**9),
        recharge_bp=_int(terms, "recharge_bp", BASIS),
        revenue_share_bp=_int(terms, "revenue_share_bp", BASIS),
        revenue_share_months=_int(terms, "revenue_share_months", MAX_MONTHS),
        clawback_months=_int(terms, "clawback_months", MAX_MONTHS),
        clawback_bp=_int(terms, "clawback_bp", BASIS) if "clawback_bp" in terms else BASIS,
    )
    return rules


def share(basis_fen: int, basis_points: int) -> int:
    """``basis_points`` of ``basis_fen``, rounded half-up (away from zero) to the fen."""
    numerator = abs(basis_fen) * basis_points
    rounded = (numerator * 2 + BASIS) // (2 * BASIS)
    return rounded if basis_fen >= 0 else -rounded


@lru_cache(maxsize=4096)
def parse_period(period: str) -> tuple[int, int]:
    match = PERIOD.match(period)
    if match is None:
        raise Unprocessable(
            f"period {period!r} is not a month: expected YYYY-MM, e.g. 2026-11",
            code="INVALID_PERIOD",
        )
    return int(match.group(1)), int(match.group(2))


@lru_cache(maxsize=65536)
def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def period_bounds(period: str) -> tuple[date, date]:
    """The first day of the period and the first day of the next (local dates)."""
    year, month = parse_period(period)
    return date(year, month, 1), add_months(date(year, month, 1), 1)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


@lru_cache(maxsize=65536)
def months_after(first: str, later: str) -> int:
    """How many periods ``later`` comes after ``first`` (0 for the same period)."""
    a_year, a_month = parse_period(first)
    b_year, b_month = parse_period(later)
    return (b_year - a_year) * 12 + (b_month - a_month)


def activation_line(period: str, sale: Sale, rules: Rules) -> Line | None:
    """The activation commission of a sale activated in ``period``."""
    if period_of(sale.activated) != period or rules.activation_fen == 0:
        return None
    if rules.service_types is not None and sale.service_type not in rules.service_types:
        return None
    return Line(sale.partner_id, Kind.ACTIVATION, sale.product_id, 0, rules.activation_fen)


def revenue_share_line(period: str, sale: Sale, billed_fen: int, rules: Rules) -> Line | None:
    """The revenue share of a sale for the bill period ``period``: the activation's period is
    the first of ``revenue_share_months``."""
    age = months_after(period_of(sale.activated), period)
    if not 0 <= age < rules.revenue_share_months or rules.revenue_share_bp == 0:
        return None
    amount = share(billed_fen, rules.revenue_share_bp)
    if amount == 0:
        return None
    return Line(sale.partner_id, Kind.REVENUE_SHARE, sale.product_id, billed_fen, amount)


def ceased_early(sale: Sale, rules: Rules) -> bool:
    """Whether the line ceased before ``clawback_months`` months of service were up."""
    if sale.ceased is None or rules.clawback_months == 0:
        return False
    return sale.ceased < add_months(sale.activated, rules.clawback_months)


def clawback_line(period: str, sale: Sale, paid_fen: int, rules: Rules) -> Line | None:
    """Give back part of the activation commission ``paid_fen`` of a sale that ceased early in
    ``period``."""
    if sale.ceased is None or period_of(sale.ceased) != period or paid_fen == 0:
        return None
    if not ceased_early(sale, rules):
        return None
    return Line(
        sale.partner_id,
        Kind.CLAWBACK,
        sale.product_id,
        paid_fen,
        -share(paid_fen, rules.clawback_bp),
    )


def recharge_line(period: str, recharge: Recharge, rules: Rules) -> Line | None:
    if period_of(recharge.day) != period:
        return None
    amount = rules.recharge_fen + share(recharge.amount_fen, rules.recharge_bp)
    if amount == 0:
        return None
    return Line(recharge.partner_id, Kind.RECHARGE, recharge.reference, recharge.amount_fen, amount)


def totals(lines: list[Line]) -> dict[str, dict[str, int]]:
    """Partner → kind → amount, and ``total``."""
    found: dict[str, dict[str, int]] = {}
    for line in lines:
        by_kind = found.setdefault(line.partner_id, {"total": 0})
        by_kind[line.kind] = by_kind.get(line.kind, 0) + line.amount_fen
        by_kind["total"] += line.amount_fen
    return found
