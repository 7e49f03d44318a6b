"""The GL export on SQLite and PostgreSQL: a day's bills and payments as balanced entries,
totals by account with revenue by service and tax category, and a day that does not balance
refused with its difference."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session

from openbss.kit.clock import now
from openbss.payments import public as payments
from openbss.payments.models import JournalLine
from openbss.payments.public import PaymentRequest
from tests import payments_support

BILL_DAY = date(2026, 11, 1)


def test_a_days_journal_exports_balanced_with_totals_by_account(session: Session) -> None:
    first, second = payments_support.account(session), payments_support.account(session)
    payments_support.final_period(
        session, "2026-10", [(first, 10_900, 900), (second, 2_180, 180)], bill_date=BILL_DAY
    )
    payments.post_final_bills(session, "GD")
    out = io.StringIO()
    summary = payments.export_day(session, "GD", BILL_DAY, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert {r["entry_kind"] for r in rows} == {"bill"}
    assert sum(int(r["debit_fen"]) for r in rows) == sum(int(r["credit_fen"]) for r in rows)
    totals = {(t.gl_account, t.dimension): (t.debit_fen, t.credit_fen) for t in summary.totals}
    # Usage carries the tax (half of each bill), the recurring half none (payments_support).
    assert totals == {
        ("1122", ""): (13_080, 0),
        ("2221", "basic"): (0, 1_080),
        ("6001", "recurring/basic"): (0, 5_450 + 1_090),
        ("6001", "usage/basic"): (0, 5_450 + 1_090 - 1_080),
    }
    assert summary.debit_fen == summary.credit_fen == 13_080

    payments.take_payment(
        session, PaymentRequest(province="GD", billing_account_id=first, amount_fen=500,
                                method="cash", reference="HALL-1"),
    )  # fmt: skip
    today = payments.business_day(now())
    paid = payments.export_day(session, "GD", today, io.StringIO())
    assert {(t.gl_account, t.dimension) for t in paid.totals} == {("1001", "cash"), ("1122", "")}

    session.execute(
        insert(JournalLine).values(province="GD", entry_id="x", entry_kind="test",
                                   business_date=BILL_DAY, gl_account="6702", amount_fen=-3)
    )  # fmt: skip
    with pytest.raises(payments.TrialBalanceError, match="difference -3 fen"):
        payments.export_day(session, "GD", BILL_DAY, io.StringIO())
