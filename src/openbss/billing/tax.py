"""Tax as dated data: the regime of a cycle and the tax inside each line.

Decisions:

- **Prices are tax-inclusive.** Tax is never added on top of a line; it is the part of the
  line's amount that is tax.
- **Regimes are data with effective dates** (:data:`TAX_REGIMES`); the regime of a cycle is
  the one in force on the cycle's first day (province time):

  ==========  ==========================================================================
  from        regime
  ==========  ==========================================================================
  1994-01-01  business tax (营业税) 3 % of turnover, inside the price, not shown on the bill
  2014-06-01  VAT: basic telecom 11 %, value-added telecom 6 % (财税〔2014〕43号)
  2018-05-01  VAT: basic 10 %, value-added 6 % (财税〔2018〕32号)
  2019-04-01  VAT: basic 9 %, value-added 6 % (2019年第39号公告)
  ==========  ==========================================================================

- **VAT of a line** = ``round_half_up(amount × rate / (1 + rate))`` in fen, computed with the
  rate in basis points as ``amount × bp / (10000 + bp)``. A negative (discount) line carries
  negative tax in its own category — half-up rounds halves away from zero, so a discount's
  tax is exactly the mirror of the tax of a charge of the same size — and the tax of a net
  is the sum of its lines' taxes. **The bill's tax is the sum of its lines' taxes.**
- **Business tax** (before 2014-06-01) is not shown: lines carry tax 0, and each line's
  business tax, ``round_half_up(amount × 3 %)`` (turnover is the tax-inclusive amount), is
  reported for finance; the bill's business tax is their sum.
- **Tax category** follows the service charged, not the charge type: a fixed line's rental
  is basic telecom while a broadband rental is value-added. :data:`DEFAULT_TAX_CATEGORIES`
  maps the catalog's service types and rating's services to a category;
  :func:`tax_category_for` falls back to a default (basic) for anything else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from types import MappingProxyType

from openbss.billing.arithmetic import BASIS_POINTS_PER_WHOLE, divide_rounded, percentage_of
from openbss.billing.cycles import BillCycle
from openbss.billing.errors import BillingInputError
from openbss.billing.lines import ChargeLine, TaxCategory


class TaxKind(StrEnum):
    BUSINESS_TAX = "businessTax"  # 营业税: inside the price, not on the bill
    VAT = "vat"  # 增值税: shown on the bill and the invoice


@dataclass(frozen=True, slots=True, kw_only=True)
class TaxRegime:
    """The tax in force from ``effective_from`` (a local date) until the next regime."""

    effective_from: date
    kind: TaxKind
    basic_bp: int
    value_added_bp: int
    reference: str

    def rate_bp(self, category: TaxCategory) -> int:
        return self.basic_bp if category is TaxCategory.BASIC else self.value_added_bp


TAX_REGIMES: tuple[TaxRegime, ...] = (
    TaxRegime(
        effective_from=date(1994, 1, 1),
        kind=TaxKind.BUSINESS_TAX,
        basic_bp=300,
        value_added_bp=300,
        reference="中华人民共和国营业税暂行条例 (1993): 邮电通信业 3 %",
    ),
    TaxRegime(
        effective_from=date(2014, 6, 1),
        kind=TaxKind.VAT,
        basic_bp=1100,
        value_added_bp=600,
        reference="财税〔2014〕43号",
    ),
    TaxRegime(
        effective_from=date(2018, 5, 1),
        kind=TaxKind.VAT,
        basic_bp=1000,
        value_added_bp=600,
        reference="财税〔2018〕32号",
    ),
    TaxRegime(
        effective_from=date(2019, 4, 1),
        kind=TaxKind.VAT,
        basic_bp=900,
        value_added_bp=600,
        reference="财政部 税务总局 海关总署公告2019年第39号",
    ),
)

DEFAULT_TAX_CATEGORIES: Mapping[str, TaxCategory] = MappingProxyType(
    {
        # catalog service types (ProductSpecification serviceType)
        "fixedVoice": TaxCategory.BASIC,
        "phs": TaxCategory.BASIC,
        "mobile": TaxCategory.BASIC,
        "broadband": TaxCategory.VALUE_ADDED,
        "vas": TaxCategory.VALUE_ADDED,
        # rated usage services
        "voice": TaxCategory.BASIC,
        "sms": TaxCategory.VALUE_ADDED,
        "data": TaxCategory.VALUE_ADDED,
    }
)


@dataclass(frozen=True, slots=True)
class LineTax:
    """The tax inside one line: ``shown_fen`` on the bill (VAT), ``business_tax_fen`` for
    finance only (business tax)."""

    shown_fen: int
    business_tax_fen: int


def tax_category_for(
    service: str,
    categories: Mapping[str, TaxCategory] = DEFAULT_TAX_CATEGORIES,
    default: TaxCategory = TaxCategory.BASIC,
) -> TaxCategory:
    """The tax category of what a line charges for (a service type or usage service)."""
    return categories.get(service, default)


def regime_for(cycle: BillCycle, regimes: Iterable[TaxRegime] = TAX_REGIMES) -> TaxRegime:
    """The regime in force on the first day of ``cycle``."""
    in_force = [regime for regime in regimes if regime.effective_from <= cycle.first_day]
    if not in_force:
        raise BillingInputError(f"no tax regime is in force for the cycle {cycle.period}")
    return max(in_force, key=lambda regime: regime.effective_from)


def vat_inside(amount_fen: int, rate_bp: int) -> int:
    """The VAT inside a tax-inclusive amount: ``round_half_up(amount × r / (1 + r))``."""
    return divide_rounded(amount_fen * rate_bp, BASIS_POINTS_PER_WHOLE + rate_bp)


def line_tax(line: ChargeLine, regime: TaxRegime) -> LineTax:
    """The tax inside ``line`` under ``regime``, in the line's own category."""
    rate = regime.rate_bp(line.tax_category)
    if regime.kind is TaxKind.VAT:
        return LineTax(shown_fen=vat_inside(line.amount_fen, rate), business_tax_fen=0)
    return LineTax(shown_fen=0, business_tax_fen=percentage_of(line.amount_fen, rate))
