"""The chart of accounts the receivables ledger posts to, and the journal lines of each posting.

Codes follow the Chinese enterprise accounting standards (企业会计准则) chart, which the finance
systems of a Chinese operator use; a line may carry a ``dimension`` (the service and tax category
of revenue, the payment method of cash) so that the GL export can break totals down without more
accounts. Every function here is pure: it returns balanced lines (debits positive, credits
negative, summing to zero) and never touches the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class GlAccount(StrEnum):
    CASH = "1001"  # 库存现金: cash taken at a retail hall
    BANK = "1002"  # 银行存款: bank collection, online gateways, transfers
    RECEIVABLE = "1122"  # 应收账款: what customers owe (a credit balance is an overpayment)
    TAX_PAYABLE = "2221"  # 应交税费: VAT / business tax on billed revenue
    PREPAID_BALANCE = "2203"  # 预收账款—预付费余额: money on prepaid balances
    VOUCHERS_UNREDEEMED = "2204"  # 合同负债—充值卡: vouchers sold, not yet topped up
    DEPOSITS_HELD = "2241"  # 其他应付款—押金: customers' deposits
    REVENUE = "6001"  # 主营业务收入: billed telecom revenue, by service and tax category
    LATE_FEE_INCOME = "6301"  # 营业外收入—滞纳金: late fees
    BAD_DEBT = "6702"  # 信用减值损失: receivables written off


GL_NAMES: Mapping[GlAccount, tuple[str, str]] = {
    GlAccount.CASH: ("库存现金", "Cash on hand"),
    GlAccount.BANK: ("银行存款", "Bank deposits"),
    GlAccount.RECEIVABLE: ("应收账款", "Accounts receivable"),
    GlAccount.TAX_PAYABLE: ("应交税费", "Taxes payable"),
    GlAccount.PREPAID_BALANCE: ("预收账款—预付费余额", "Prepaid balances"),
    GlAccount.VOUCHERS_UNREDEEMED: ("合同负债—充值卡", "Top-up vouchers not yet redeemed"),
    GlAccount.DEPOSITS_HELD: ("其他应付款—押金", "Customer deposits held"),
    GlAccount.REVENUE: ("主营业务收入", "Telecom service revenue"),
    GlAccount.LATE_FEE_INCOME: ("营业外收入—滞纳金", "Late fee income"),
    GlAccount.BAD_DEBT: ("信用减值损失", "Bad debt written off"),
}


class PaymentMethod(StrEnum):
    CASH = "cash"  # at a retail hall (营业厅)
    BANK_COLLECTION = "bank_collection"  # 托收: direct debit through a bank file
    ONLINE = "online"  # a payment gateway's signed callback
    BANK_TRANSFER = "bank_transfer"  # 转账: enterprise customers paying by transfer


def cash_account(method: str) -> GlAccount:
    """Where the money of a payment lands: the hall's till, or the bank."""
    return GlAccount.CASH if method == PaymentMethod.CASH else GlAccount.BANK


@dataclass(frozen=True, slots=True)
class Line:
    """One journal line: ``amount_fen`` > 0 is a debit, < 0 a credit."""

    gl_account: GlAccount
    amount_fen: int
    dimension: str = ""
    # Lines on the receivable and deposit accounts belong to a customer's billing account.
    on_customer_account: bool = False


class UnbalancedEntry(ValueError):
    """A posting whose lines do not sum to zero: a bug, never the caller's input."""


def balanced(lines: Sequence[Line]) -> list[Line]:
    """``lines`` without zero lines, checked to sum to zero."""
    total = sum(line.amount_fen for line in lines)
    if total != 0:
        raise UnbalancedEntry(f"journal lines sum to {total} fen, not 0: {lines!r}")
    return [line for line in lines if line.amount_fen != 0]


def customer(gl_account: GlAccount, amount_fen: int) -> Line:
    return Line(gl_account, amount_fen, on_customer_account=True)


@dataclass(frozen=True, slots=True)
class RevenuePart:
    """A bill's tax-inclusive amount and tax of one service (charge type) and tax category."""

    charge_type: str
    tax_category: str
    amount_fen: int
    tax_fen: int


def bill_lines(amount_fen: int, parts: Iterable[RevenuePart]) -> list[Line]:
    """A bill: the customer owes its total; revenue and tax payable are credited by part."""
    lines = [customer(GlAccount.RECEIVABLE, amount_fen)]
    for part in parts:
        dimension = f"{part.charge_type}/{part.tax_category}"
        lines.append(Line(GlAccount.REVENUE, -(part.amount_fen - part.tax_fen), dimension))
        if part.tax_fen:
            lines.append(Line(GlAccount.TAX_PAYABLE, -part.tax_fen, part.tax_category))
    return balanced(lines)


def payment_lines(amount_fen: int, method: str) -> list[Line]:
    """Money received: cash or bank up, the customer's receivable down."""
    return balanced(
        [
            Line(cash_account(method), amount_fen, method),
            customer(GlAccount.RECEIVABLE, -amount_fen),
        ]
    )


def deposit_lines(amount_fen: int, method: str) -> list[Line]:
    """A deposit taken: the money is held for the customer, not owed by anyone."""
    return balanced(
        [
            Line(cash_account(method), amount_fen, method),
            customer(GlAccount.DEPOSITS_HELD, -amount_fen),
        ]
    )


def payout_lines(amount_fen: int, method: str, control: GlAccount) -> list[Line]:
    """Money going back: a refund, or a collection the bank took back (``control`` is where
    the refunded credit sat: the receivable for a payment, deposits held for a deposit)."""
    return balanced(
        [
            customer(control, amount_fen),
            Line(cash_account(method), -amount_fen, method),
        ]
    )


def late_fee_lines(amount_fen: int) -> list[Line]:
    return balanced(
        [customer(GlAccount.RECEIVABLE, amount_fen), Line(GlAccount.LATE_FEE_INCOME, -amount_fen)]
    )


def waiver_lines(amount_fen: int) -> list[Line]:
    """A late fee waived: the income it booked is taken back."""
    return balanced(
        [Line(GlAccount.LATE_FEE_INCOME, amount_fen), customer(GlAccount.RECEIVABLE, -amount_fen)]
    )


def write_off_lines(amount_fen: int) -> list[Line]:
    return balanced(
        [Line(GlAccount.BAD_DEBT, amount_fen), customer(GlAccount.RECEIVABLE, -amount_fen)]
    )


def adjustment_lines(amount_fen: int, dimension: str = "adjustment") -> list[Line]:
    """A debit (> 0) or credit (< 0) note outside a bill: receivable against revenue."""
    return balanced(
        [
            customer(GlAccount.RECEIVABLE, amount_fen),
            Line(GlAccount.REVENUE, -amount_fen, dimension),
        ]
    )


def transfer_lines(
    amount_fen: int, debit_control: GlAccount, credit_control: GlAccount
) -> list[Line]:
    """A credit in one control account settling a debit in another (a deposit applied to a
    bill): the debit's account gives up what the credit's account held. ``amount_fen`` < 0
    undoes an earlier transfer."""
    if debit_control == credit_control:
        return []
    return balanced([customer(credit_control, amount_fen), customer(debit_control, -amount_fen)])


# ----- prepaid (openbss.charging) ----------------------------------------------------------


def voucher_sale_lines(amount_fen: int, method: str) -> list[Line]:
    """Top-up vouchers sold (a batch activated for sale): money in, owed as service later."""
    return balanced(
        [
            Line(cash_account(method), amount_fen, method),
            Line(GlAccount.VOUCHERS_UNREDEEMED, -amount_fen, "voucher"),
        ]
    )


def voucher_redemption_lines(amount_fen: int) -> list[Line]:
    """A voucher redeemed: what the card was owed moves onto the subscriber's balance."""
    return balanced(
        [
            Line(GlAccount.VOUCHERS_UNREDEEMED, amount_fen, "voucher"),
            Line(GlAccount.PREPAID_BALANCE, -amount_fen, "voucher"),
        ]
    )


def prepaid_top_up_lines(amount_fen: int, method: str) -> list[Line]:
    """Money paid onto a prepaid balance at a hall, a bank or a gateway."""
    return balanced(
        [
            Line(cash_account(method), amount_fen, method),
            Line(GlAccount.PREPAID_BALANCE, -amount_fen, method),
        ]
    )


def prepaid_adjustment_lines(amount_fen: int) -> list[Line]:
    """A balance credited (> 0) or debited (< 0) by hand: revenue given back or taken."""
    return balanced(
        [
            Line(GlAccount.REVENUE, amount_fen, "prepaid-adjustment"),
            Line(GlAccount.PREPAID_BALANCE, -amount_fen, "adjustment"),
        ]
    )


def prepaid_revenue_lines(amount_fen: int, dimension: str) -> list[Line]:
    """Balance earned: used by calls and data (``prepaid-usage``) or expired unused
    (``prepaid-expiry``)."""
    return balanced(
        [
            Line(GlAccount.PREPAID_BALANCE, amount_fen, dimension),
            Line(GlAccount.REVENUE, -amount_fen, dimension),
        ]
    )
