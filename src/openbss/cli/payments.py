"""``openbss payments`` (take, allocate, reverse, refund, post-bills) and ``openbss ledger``.

Amounts are yuan with at most two decimals (``12.50``), converted exactly to fen; anything
else is a one-line error and exit status 1, with nothing written. Each command is one unit of
work, as an operator of the province (``--province``).
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from openbss.cli.common import DEFAULT_PROVINCE, clean_errors, database_work, out, province_option
from openbss.kit.money import format_fen
from openbss.kit.security import Principal, Role
from openbss.payments.chart import PaymentMethod

if TYPE_CHECKING:
    from openbss.payments.public import Payment

# The payments domain and the database are imported by the commands that use them, so that
# `openbss --help` loads neither.

payments_app = typer.Typer(
    help="Payments (缴费): take, allocate (销帐), reverse, refund; post bills", no_args_is_help=True
)


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


def _operator(province: str) -> Principal:
    return Principal(key_id="cli", role=Role.ADMIN, province=province)


def _show(payment: Payment) -> None:
    from sqlalchemy.orm import object_session

    from openbss.payments.public import settled_items, unspent_fen

    session = object_session(payment)
    assert session is not None
    settled = ", ".join(
        f"{item.kind} {item.source_id} {format_fen(fen)}"
        for item, fen in settled_items(session, payment)
    )
    out.print(
        f"payment {payment.id} {payment.status}: {format_fen(payment.amount_fen)} "
        f"{payment.method} ref {payment.reference} on account {payment.billing_account_id}; "
        f"unspent {format_fen(unspent_fen(session, payment))}"
        + (f"; settles {settled}" if settled else "")
    )


Province = Annotated[str, province_option()]


@payments_app.command("take")
@clean_errors
def take_command(
    account: Annotated[str, typer.Argument(help="Billing account id")],
    amount: Annotated[str, typer.Argument(help="Yuan, e.g. 12.50")],
    method: Annotated[PaymentMethod, typer.Option(help="How it was paid")],
    reference: Annotated[str, typer.Option(help="The payer's reference (receipt, bank id)")],
    bill: Annotated[str | None, typer.Option(help="Settle this bill only")] = None,
    province: Province = DEFAULT_PROVINCE,
) -> None:
    """Take a payment: allocated oldest first (or to --bill); the same reference again is the
    same payment."""
    from openbss.payments.public import fen_from_yuan_text, operations

    fen = fen_from_yuan_text(amount)
    body: dict[str, Any] = {
        "billingAccountId": account,
        "amountFen": fen,
        "method": str(method),
        "reference": reference,
    }
    if bill is not None:
        body["billId"] = bill
    with database_work() as session:
        payment, created = operations.take(session, _operator(province), body)
        _show(payment)
        if not created:
            out.print("(already taken under this reference: nothing changed)")


@payments_app.command("allocate")
@clean_errors
def allocate_command(
    payment: Annotated[str, typer.Argument(help="Payment id")],
    bill: Annotated[str, typer.Option(help="The bill to settle with the unspent credit")],
    province: Province = DEFAULT_PROVINCE,
) -> None:
    """Spend a payment's unspent credit on a named bill."""
    from openbss.payments.public import operations

    with database_work() as session:
        row, settled = operations.allocate(session, _operator(province), payment, {"billId": bill})
        out.print(f"allocated {format_fen(settled)} to bill {bill}")
        _show(row)


@payments_app.command("reverse")
@clean_errors
def reverse_command(
    payment: Annotated[str, typer.Argument(help="Payment id")],
    reason: Annotated[str, typer.Option(help="Why (a bounced collection, a chargeback)")],
    province: Province = DEFAULT_PROVINCE,
) -> None:
    """Take a payment back whole: the bills it paid re-open."""
    from openbss.payments.public import operations

    with database_work() as session:
        _show(operations.reverse(session, _operator(province), payment, {"reason": reason}))


@payments_app.command("refund")
@clean_errors
def refund_command(
    payment: Annotated[str, typer.Argument(help="Payment id")],
    amount: Annotated[str, typer.Argument(help="Yuan, e.g. 12.50")],
    reason: Annotated[str, typer.Option(help="Why it is paid back")],
    reference: Annotated[str, typer.Option(help="The refund voucher's number")],
    province: Province = DEFAULT_PROVINCE,
) -> None:
    """Pay part or all of a payment back to the customer."""
    from openbss.payments.public import fen_from_yuan_text, operations

    body = {"amountFen": fen_from_yuan_text(amount), "reason": reason, "reference": reference}
    with database_work() as session:
        _show(operations.refund(session, _operator(province), payment, body))


@payments_app.command("post-bills")
@clean_errors
def post_bills_command(province: Province = DEFAULT_PROVINCE) -> None:
    """Post the bills of every finalised period not yet in the ledger."""
    from openbss.payments.public import operations

    with database_work() as session:
        posted = operations.post_bills(session, _operator(province))
        for period in posted:
            out.print(
                f"posted {period.period}: {period.bills} bills, {format_fen(period.amount_fen)}"
            )
        if not posted:
            out.print("nothing to post")


def ledger_command(
    account: Annotated[str, typer.Argument(help="Billing account id")],
    output: Annotated[
        OutputFormat, typer.Option("--format", help="table or json")
    ] = OutputFormat.TABLE,
    limit: Annotated[int, typer.Option(min=1, help="Statement lines shown")] = 1000,
    province: Province = DEFAULT_PROVINCE,
) -> None:
    """An account's position (balance, overdue, deposits held) and statement."""
    from openbss.payments.public import operations

    with database_work() as session:
        view = operations.account_view(session, _operator(province), account, 0, limit)
    position = view.position
    if output == OutputFormat.JSON:
        print(
            json.dumps(
                {
                    "billingAccountId": position.billing_account_id,
                    "balanceFen": position.balance_fen,
                    "overdueFen": position.overdue_fen,
                    "oldestOverdue": position.oldest_overdue.isoformat()
                    if position.oldest_overdue
                    else None,
                    "depositHeldFen": position.deposit_held_fen,
                    "statement": [
                        {
                            "kind": line.item.kind,
                            "side": line.item.side,
                            "sourceId": line.item.source_id,
                            "businessDate": line.item.business_date.isoformat(),
                            "amountFen": line.item.amount_fen,
                            "openFen": line.open_fen,
                        }
                        for line in view.lines
                    ],
                },
                ensure_ascii=False,
            )
        )
        return
    out.print(
        f"account {position.billing_account_id}: balance {format_fen(position.balance_fen)} "
        f"(> 0 owed, < 0 credit), overdue {format_fen(position.overdue_fen)}"
        + (f" since {position.oldest_overdue}" if position.oldest_overdue else "")
        + f", deposits held {format_fen(position.deposit_held_fen)}"
    )
    table = Table("date", "kind", "side", "source", "amount", "open", "due")
    for line in view.lines:
        item = line.item
        table.add_row(
            item.business_date.isoformat(),
            item.kind,
            item.side,
            item.source_id,
            format_fen(item.amount_fen),
            format_fen(line.open_fen),
            item.due_date.isoformat() if item.due_date else "",
        )
    out.print(table)
