"""Invoices of a real bill run, read back out of the PDF.

April 2026 (see ``tests/api/test_billing_runs.py`` for the arithmetic): customer A (陈明)
owes 87.90 — fixed line 25.00 (VAT 2.06), ADSL 1–15 April 60.00 (VAT 3.40 at 6 %), PHS 10
days 1.80 (VAT 0.15), calls 1.10 (VAT 0.09); 9 % VAT 2.30, 6 % VAT 3.40, 5.70 in all — and
two calls on 3 April: 10:00 local to 020 8765 4321 (200 s, 0.33), 10:05 to 010 6234 5678
(61 s, 0.77). Bills are issued on 1 May and due on 16 May.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session, sessionmaker

from openbss.account.models import BillingAccount
from openbss.billing import repository as repo
from openbss.billing.invoice import render_invoice_pdf
from openbss.billing.invoices import RERATED_NOTE, invoice_document, render_run_invoices
from openbss.billing.models import CustomerBill
from openbss.billing.runs import run_bills
from openbss.db.uow import unit_of_work
from openbss.kit.errors import Conflict, NotFound
from tests.billing_support import APRIL, World, build_world, rate
from tests.rating_support import call, mediate, national

LOCAL_CALL = "+862087654321"
DDD_CALL = "+861062345678"


@pytest.fixture
def world(session_factory: sessionmaker[Session], tmp_path: Path) -> World:
    return build_world(session_factory, tmp_path)


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def bill_of(factory: sessionmaker[Session], run_id: str, account_id: str) -> CustomerBill:
    with factory() as session:
        bill = next(
            b for b in repo.run_bills(session, run_id) if b.billing_account_id == account_id
        )
        session.expunge(bill)
        return bill


def detail_rows(text: str, number: str) -> list[str]:
    """The detail's rows of ``number``: they start with it and a local start time."""
    return re.findall(rf"^{re.escape(number)} 2026-\d\d-\d\d \d\d:\d\d:\d\d .*$", text, re.M)


def test_the_invoice_of_a_real_bill_prints_its_amounts_names_dates_and_every_call(
    world: World,
) -> None:
    factory, a = world.factory, world.a.account_id
    run = run_bills(factory, world.data_dir, "GD", APRIL, trial=False)
    bill = bill_of(factory, run.id, a)
    with factory() as session:
        doc = invoice_document(session, world.data_dir, bill.bill_no)
    assert (doc.bill_number, doc.bill_id, doc.account_id) == (bill.bill_no, bill.id, a)
    assert (doc.customer_name, doc.amount_due_fen) == ("陈明", 8790)
    assert (doc.issue_date.isoformat(), doc.due_date.isoformat()) == ("2026-05-01", "2026-05-16")
    assert (doc.totals.charges_fen, doc.totals.discounts_fen, doc.totals.tax_fen) == (8790, 0, 570)
    assert [(t.category, t.rate, t.tax_fen) for t in doc.totals.taxes] == [
        ("basic", "9%", 230),
        ("valueAdded", "6%", 340),
    ]
    assert not doc.totals.business_tax_included and doc.usage_detail_note is None
    assert [(r.called_number, r.duration_seconds, r.amount_fen) for r in doc.usage_detail] == [
        (LOCAL_CALL, 200, 33),
        (DDD_CALL, 61, 77),
    ]

    text = pdf_text(render_invoice_pdf(doc))
    assert bill.bill_no in text and "陈明" in text
    assert "2026-05-16" in text and "2026-05-01" in text
    for label in ("本期应缴", "Amount due", "缴费截止日期", "Due date", "通话详单"):
        assert label in text
    assert "Itemised usage detail" in text and "月租费" in text and "Monthly rental" in text
    assert f"Monthly rental {world.fixed} ¥25.00 9% ¥2.06" in text
    assert "Daily rental" in text and "¥1.80 9% ¥0.15" in text
    assert "¥60.00 6% ¥3.40" in text
    assert f"Calls {world.fixed} ¥1.10 9% ¥0.09" in text
    assert "Amount due ¥87.90" in text and "Total tax ¥5.70" in text
    assert "services 9% ¥2.30" in text and "services 6% ¥3.40" in text
    assert detail_rows(text, world.fixed) == [
        f"{world.fixed} 2026-04-03 10:00:00 {LOCAL_CALL} 0:03:20 本地通话 / Local call ¥0.33",
        f"{world.fixed} 2026-04-03 10:05:00 {DDD_CALL} 0:01:01 国内长途 / Domestic long-distance "
        "call ¥0.77",
    ]

    # B has the bundle only: no detail, and the invoice says so.
    b_bill = bill_of(factory, run.id, world.b.account_id)
    with factory() as session:
        b_text = pdf_text(render_invoice_pdf(invoice_document(session, world.data_dir, b_bill.id)))
    assert "Amount due ¥108.00" in b_text and "李华" in b_text
    assert "No itemised usage this period" in b_text
    with factory() as session, pytest.raises(NotFound):
        invoice_document(session, world.data_dir, "GD-190001-000001")


def test_an_account_asking_for_a_masked_detail_gets_the_numbers_hidden(world: World) -> None:
    factory, a = world.factory, world.a.account_id
    with unit_of_work(factory) as session:
        account = session.get(BillingAccount, a)
        assert account is not None
        account.doc = {**account.doc, "billStructure": {"format": {"maskCalledNumbers": True}}}
    run = run_bills(factory, world.data_dir, "GD", APRIL, trial=False)
    with factory() as session:
        doc = invoice_document(session, world.data_dir, bill_of(factory, run.id, a).id)
    assert doc.mask_called_numbers
    text = pdf_text(render_invoice_pdf(doc))
    assert LOCAL_CALL not in text and DDD_CALL not in text
    assert "+862087****21" in text and "+861062****78" in text
    assert "partly hidden at your request" in text


def test_usage_rerated_after_the_bill_is_printed_with_a_note(world: World) -> None:
    factory, data_dir, a = world.factory, world.data_dir, world.a.account_id
    run = run_bills(factory, data_dir, "GD", APRIL, trial=False)
    late = [call(7, national(world.fixed), datetime(2026, 4, 3, 6, 0, tzinfo=UTC), LOCAL_CALL, 200)]
    mediate(factory, data_dir, late, "GZ-SW01_0002.csv")
    rate(factory, data_dir, APRIL)
    with factory() as session:
        doc = invoice_document(session, data_dir, bill_of(factory, run.id, a).id)
    # The bill stands as billed; the detail is the new rating's, and says so.
    assert doc.amount_due_fen == 8790 and doc.usage_detail_note == RERATED_NOTE
    assert len(doc.usage_detail) == 3
    text = pdf_text(render_invoice_pdf(doc))
    assert "re-rated after this bill was issued" in text.replace("\n", " ")
    assert len(detail_rows(text, world.fixed)) == 3


def test_a_runs_invoices_are_written_once_and_kept_when_unchanged(world: World) -> None:
    factory, data_dir = world.factory, world.data_dir
    trial = run_bills(factory, data_dir, "GD", APRIL, trial=True)
    with pytest.raises(Conflict, match="finalised"):
        render_run_invoices(factory, data_dir, trial.id)
    with pytest.raises(NotFound):
        render_run_invoices(factory, data_dir, "no-such-run")
    final = run_bills(factory, data_dir, "GD", APRIL, trial=False)
    seen: list[tuple[int, int]] = []
    paths = render_run_invoices(
        factory, data_dir, final.id, workers=2, progress=lambda d, t: seen.append((d, t))
    )
    folder = data_dir / "invoices" / "GD" / APRIL
    assert paths == [folder / "GD-202604-000001.pdf", folder / "GD-202604-000002.pdf"]
    assert seen[0] == (0, 2) and seen[-1] == (2, 2)
    assert sorted(p.name for p in folder.iterdir()) == [p.name for p in paths]  # no temp files
    stamps = [p.stat().st_mtime_ns for p in paths]
    first = bill_of(factory, final.id, world.a.account_id).bill_no
    assert first in pdf_text((folder / f"{first}.pdf").read_bytes())
    again = render_run_invoices(factory, data_dir, final.id, workers=1)
    assert again == paths and [p.stat().st_mtime_ns for p in paths] == stamps
