"""A bill's summary: its lines, their taxes, and totals that add up by construction.

:func:`summarise` sums the lines into amounts by charge type and the bill's total is the sum
of those amounts, so "the items sum to the total" holds however the lines fall; likewise the
shown tax by category sums the lines' taxes and the bill's tax is the sum of the categories.
Nothing is rounded here: every rounding happened on a line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from openbss.billing.cycles import BillCycle
from openbss.billing.lines import ChargeLine, ChargeType, TaxCategory
from openbss.billing.tax import TAX_REGIMES, LineTax, TaxRegime, line_tax, regime_for


@dataclass(frozen=True, slots=True)
class TaxedLine:
    line: ChargeLine
    tax: LineTax


@dataclass(frozen=True, slots=True, kw_only=True)
class BillSummary:
    """What a bill of one cycle amounts to (all amounts in fen, tax-inclusive)."""

    period: str
    regime: TaxRegime
    lines: tuple[TaxedLine, ...]
    by_charge_type: Mapping[ChargeType, int]
    total_fen: int
    tax_by_category: Mapping[TaxCategory, int]
    tax_fen: int  # shown on the bill: the sum of the lines' VAT
    business_tax_fen: int  # not shown: the sum of the lines' business tax, for finance

    @property
    def total_excluding_tax_fen(self) -> int:
        return self.total_fen - self.tax_fen


def summarise(
    lines: Iterable[ChargeLine], cycle: BillCycle, regimes: Iterable[TaxRegime] = TAX_REGIMES
) -> BillSummary:
    """The summary of a bill of ``cycle`` made of ``lines``, taxed under the cycle's regime."""
    regime = regime_for(cycle, regimes)
    taxed = tuple(TaxedLine(line, line_tax(line, regime)) for line in lines)
    by_type: dict[ChargeType, int] = {}
    tax_by_category: dict[TaxCategory, int] = {}
    for item in taxed:
        by_type[item.line.charge_type] = (
            by_type.get(item.line.charge_type, 0) + item.line.amount_fen
        )
        category = item.line.tax_category
        tax_by_category[category] = tax_by_category.get(category, 0) + item.tax.shown_fen
    return BillSummary(
        period=cycle.period,
        regime=regime,
        lines=taxed,
        by_charge_type=MappingProxyType(by_type),
        total_fen=sum(by_type.values()),
        tax_by_category=MappingProxyType(tax_by_category),
        tax_fen=sum(tax_by_category.values()),
        business_tax_fen=sum(item.tax.business_tax_fen for item in taxed),
    )
