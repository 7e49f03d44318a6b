"""Customer 360 tabs about money: accounts (with their hierarchy), bills and payments, balance
and arrears. Reads go through the services the TMF666, TMF678, TMF676 and receivables APIs
use, with the user's principal."""

from __future__ import annotations

from typing import Any

from openbss.billing.service import customer_bills
from openbss.db.uow import unit_of_work
from openbss.kit.pagination import PageRequest
from openbss.payments.public import operations, tmf_payments
from openbss.portal.core.deps import PortalContext
from openbss.portal.customers.lookups import accounts_of
from openbss.portal.sections import TabContent

_BILLS_SHOWN = 12
_PAYMENTS_SHOWN = 12
_STATEMENT_LINES = 20


def render_accounts(ctx: PortalContext, party_id: str) -> TabContent:
    with unit_of_work(ctx.session_factory) as session:
        rows = accounts_of(session, ctx, party_id)
        names = {row.id: row.name or row.id for row in rows}
        accounts = [
            {
                "id": row.id,
                "name": row.name or "",
                "state": row.state or "",
                "parent": names.get(row.parent_account_id or "", row.parent_account_id or ""),
                "is_child": row.parent_account_id in names,
                "payment_method": row.payment_method,
                "credit_limit": row.credit_limit_amount,
                "bill_cycle_day": row.bill_cycle_day,
                "created_at": row.created_at,
            }
            for row in rows
        ]
    return "customers/tabs/accounts.html", {"accounts": accounts}


def render_bills(ctx: PortalContext, party_id: str) -> TabContent:
    groups: list[dict[str, Any]] = []
    with unit_of_work(ctx.session_factory) as session:
        for row in accounts_of(session, ctx, party_id):
            bills = customer_bills.list(
                session,
                ctx.principal,
                {"billingAccount.id": [row.id]},
                PageRequest(0, _BILLS_SHOWN),
            )
            payments = tmf_payments.list(
                session, ctx.principal, {"account.id": [row.id]}, PageRequest(0, _PAYMENTS_SHOWN)
            )
            groups.append(
                {
                    "account": row.name or row.id,
                    "account_id": row.id,
                    "bills": [
                        {
                            "bill_no": bill.bill_no,
                            "period": bill.period,
                            "state": bill.state,
                            "bill_date": bill.bill_date,
                            "due": bill.payment_due_date,
                            "amount": bill.amount_fen,
                            "settled": bill.settled_fen,
                        }
                        for bill in sorted(bills.items, key=lambda b: b.period, reverse=True)
                    ],
                    "bills_total": bills.total,
                    "payments": [
                        {
                            "reference": payment.reference,
                            "method": payment.method,
                            "status": payment.status,
                            "amount": payment.amount_fen,
                            "received_at": payment.received_at,
                        }
                        for payment in sorted(
                            payments.items, key=lambda p: p.received_at, reverse=True
                        )
                    ],
                    "payments_total": payments.total,
                }
            )
    return "customers/tabs/bills.html", {"groups": groups}


def render_balance(ctx: PortalContext, party_id: str) -> TabContent:
    positions: list[dict[str, Any]] = []
    with unit_of_work(ctx.session_factory) as session:
        for row in accounts_of(session, ctx, party_id):
            view = operations.account_view(session, ctx.principal, row.id, 0, 10_000)
            lines = view.lines[-_STATEMENT_LINES:]
            positions.append(
                {
                    "account": row.name or row.id,
                    "account_id": row.id,
                    "balance": view.position.balance_fen,
                    "overdue": view.position.overdue_fen,
                    "oldest_overdue": view.position.oldest_overdue,
                    "deposit": view.position.deposit_held_fen,
                    "lines": [
                        {
                            "date": line.item.business_date,
                            "kind": str(line.item.kind),
                            "side": str(line.item.side),
                            "amount": line.item.amount_fen,
                            "open": line.open_fen,
                        }
                        for line in reversed(lines)
                    ],
                    "total_lines": view.total_lines,
                }
            )
    return "customers/tabs/balance.html", {"positions": positions}
