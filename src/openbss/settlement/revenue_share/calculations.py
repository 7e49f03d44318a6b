"""SP/CP revenue share, as pure arithmetic over fen.

The rule (docs/domain/settlement-interconnect.md):

    base       = billed − refunds − bad debt            (what the operator actually keeps)
    SP share   = base × SP percentage, rounded half up to the fen, once
    SP is paid = SP share − chargebacks

- *billed*: the period's final bills' charges for the SP's services;
- *refunds*: money given back to customers for those services in the period — shared, like
  the revenue they cancel;
- *bad debt*: write-offs decided in the period, each written-off account's amount taken in
  proportion to the SP's part of that account's bill — shared too;
- *chargebacks*: upheld complaints recorded against the SP — borne by the SP alone, in full.

Example: 1,000.00 yuan billed, 50.00 written off, 85/15 → (1000 − 50) × 85 % = 807.50 yuan.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from openbss.settlement.errors import SettlementInputError


@dataclass(frozen=True, slots=True)
class ShareInputs:
    partner: str
    sp_percent: Decimal  # the provider's share, 0–100
    billed_fen: int
    refunds_fen: int = 0
    bad_debt_fen: int = 0
    chargebacks_fen: int = 0
    records: int = 0  # billed items / usage records behind ``billed_fen``


@dataclass(frozen=True, slots=True)
class ShareResult:
    base_fen: int
    sp_share_fen: int
    operator_share_fen: int
    payable_fen: int  # what the SP is paid: share less chargebacks (negative: SP owes us)


def sp_percent(terms: object) -> Decimal:
    """The provider's percentage from a contract's terms (``sp_share_percent``: "85")."""
    if not isinstance(terms, dict):
        raise SettlementInputError("the contract has no terms")
    value = terms.get("sp_share_percent", terms.get("spSharePercent"))
    try:
        percent = Decimal(str(value))
    except ArithmeticError as exc:
        raise SettlementInputError(f"sp_share_percent {value!r} is not a number") from exc
    if not (0 <= percent <= 100) or not percent.is_finite():
        raise SettlementInputError(f"sp_share_percent {value!r} must be between 0 and 100")
    return percent


def share_of(fen: int, percent: Decimal) -> int:
    """``fen × percent / 100`` rounded half up (away from zero) to the fen."""
    return int((Decimal(fen) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def revenue_share(inputs: ShareInputs) -> ShareResult:
    amounts = (inputs.billed_fen, inputs.refunds_fen, inputs.bad_debt_fen, inputs.chargebacks_fen)
    if any(a < 0 for a in amounts):
        raise SettlementInputError(f"{inputs.partner}: amounts must not be negative")
    if not (0 <= inputs.sp_percent <= 100):
        raise SettlementInputError(f"{inputs.partner}: share must be between 0 and 100 %")
    base = inputs.billed_fen - inputs.refunds_fen - inputs.bad_debt_fen
    sp_share = share_of(base, inputs.sp_percent)
    return ShareResult(
        base_fen=base,
        sp_share_fen=sp_share,
        operator_share_fen=base - sp_share,
        payable_fen=sp_share - inputs.chargebacks_fen,
    )


def bad_debt_part(written_off_fen: int, sp_fen_on_bill: int, bill_fen: int) -> int:
    """The SP's part of an account's write-off: in proportion to the SP's charges on the
    account's bill, rounded half up; nothing when the bill is empty."""
    if bill_fen <= 0 or sp_fen_on_bill <= 0 or written_off_fen <= 0:
        return 0
    part = Decimal(written_off_fen) * Decimal(min(sp_fen_on_bill, bill_fen)) / Decimal(bill_fen)
    return int(part.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def statement_lines(inputs: ShareInputs, result: ShareResult) -> list[dict[str, object]]:
    """The lines of an SP's statement: the base's parts as information, the SP's share
    payable (``out``), chargebacks receivable (``in``)."""
    info = [
        ("billed revenue", inputs.billed_fen, inputs.records),
        ("refunds", -inputs.refunds_fen, 0),
        ("bad debt written off", -inputs.bad_debt_fen, 0),
        ("shared base", result.base_fen, 0),
    ]
    lines: list[dict[str, object]] = [
        {"direction": "info", "rule": rule, "records": records, "amount_fen": fen}
        for rule, fen, records in info
    ]
    lines.append(
        {
            "direction": "out",
            "rule": f"SP share {inputs.sp_percent.normalize():f} % of the shared base",
            "records": 0,
            "amount_fen": result.sp_share_fen,
        }
    )
    if inputs.chargebacks_fen:
        lines.append(
            {
                "direction": "in",
                "rule": "complaint chargebacks",
                "records": 0,
                "amount_fen": inputs.chargebacks_fen,
            }
        )
    return lines
