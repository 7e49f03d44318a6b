"""Bank collection on SQLite and PostgreSQL: a debit file per bank for direct-debit accounts,
not asking twice; a result file with payments, refusals, a partial payment and a malformed
line applied, reconciled and reported; the same file twice changes nothing; a killed import
resumes."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.billing.models import BillState
from openbss.db.uow import unit_of_work
from openbss.kit.errors import OpenBSSError
from openbss.payments import public as payments
from openbss.payments.collection import export_batch, import_result
from openbss.payments.collection_models import CollectionResult
from openbss.payments.models import JournalLine, Payment
from tests import collection_support, payments_support

DAY = date(2026, 12, 3)


def _setup(
    factory: sessionmaker[Session], n: int, bank: str = "ICBC"
) -> tuple[list[str], list[str]]:
    with unit_of_work(factory) as session:
        accounts = [collection_support.debit_account(session, bank) for _ in range(n)]
        bills = payments_support.final_period(
            session, "2026-10", [(acc, 10_000 + i * 100, 500) for i, acc in enumerate(accounts)]
        )
        payments.post_final_bills(session, "GD")
    return accounts, bills


def _export(factory: sessionmaker[Session], tmp_path: Path, bank: str = "ICBC"):  # type: ignore[no-untyped-def]
    with unit_of_work(factory) as session:
        return export_batch(session, province="GD", bank=bank, day=DAY, out_dir=tmp_path)


def test_export_asks_each_debt_once_and_the_file_reads_back(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    _setup(session_factory, 3)
    with unit_of_work(session_factory) as session:
        collection_support.debit_account(session, "CCB")  # another bank's customer, owing nothing
    batch = _export(session_factory, tmp_path)
    assert batch is not None
    assert batch.batch_id == "ICBC-GD-20261203-01"
    assert (batch.lines, batch.total_fen) == (3, 10_000 + 10_100 + 10_200)
    content = batch.path.read_bytes()
    assert content.count(b"\r\n") == 5  # header, three lines, trailer
    assert "张三".encode("gb18030") in content
    assert _export(session_factory, tmp_path) is None  # all of it is in the open batch
    assert _export(session_factory, tmp_path, "CCB") is None  # nothing owed there


def test_result_file_applies_good_lines_rejects_bad_one_and_twice_changes_nothing(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    accounts, bills = _setup(session_factory, 4)
    batch = _export(session_factory, tmp_path)
    assert batch is not None
    lines = {a: i + 1 for i, a in enumerate(sorted(accounts))}
    asked = {a: 10_000 + accounts.index(a) * 100 for a in accounts}
    a, b, c, d = sorted(accounts)
    answers = [
        {"line_no": lines[a], "billing_account_id": a, "amount_fen": asked[a],
         "paid_fen": asked[a], "status": "00", "bank_txn_id": "T0001"},
        {"line_no": lines[b], "billing_account_id": b, "amount_fen": asked[b], "paid_fen": 0,
         "status": "01", "reason_code": "E51", "reason_text": "余额不足"},
        {"line_no": lines[c], "billing_account_id": c, "amount_fen": asked[c],
         "paid_fen": 4_000, "status": "02", "bank_txn_id": "T0003"},
    ]  # fmt: skip
    content = collection_support.result_file("icbc_fixed", batch.batch_id, answers)
    # A malformed line (cut short) before the trailer: the trailer counts four lines.
    head, _, trailer = content.rstrip(b"\r\n").rpartition(b"\r\n")
    broken = b"D" + batch.batch_id.encode() + b"0000004 garbage"
    trailer = b"T" + b"4".rjust(10, b"0") + trailer[11:]
    path = tmp_path / "result.dat"
    path.write_bytes(head + b"\r\n" + broken + b"\r\n" + trailer + b"\r\n")

    report = import_result(session_factory, path, province="GD", report_dir=tmp_path / "reports")
    assert report.counts == {"paid": 1, "partial": 1, "refused": 1, "rejected": 1}
    assert report.paid_fen == asked[a] + 4_000
    assert report.refused_fen == asked[b]
    assert report.rejected == [{"line": 5, "reason": report.rejected[0]["reason"]}]
    assert "bytes" in report.rejected[0]["reason"]
    assert report.unanswered_lines == 1 and report.unanswered_fen == asked[d]
    assert any("no answer" in text for text in report.differences)
    assert json.loads(Path(str(report.report_path)).read_text())["batch_id"] == batch.batch_id

    with session_factory() as session:
        assert payments.balance(session, a) == 0
        assert payments.balance(session, b) == asked[b]  # still in arrears: dunning reads it
        assert payments.balance(session, c) == asked[c] - 4_000
        bill_of = dict(zip(accounts, bills, strict=True))
        assert payments_support.bill(session, bill_of[a]).state == BillState.SETTLED
        assert payments_support.bill(session, bill_of[c]).state == BillState.PARTIALLY_PAID
        paid = session.scalars(select(Payment).order_by(Payment.amount_fen)).all()
        assert [(p.method, p.amount_fen) for p in paid] == [
            ("bank_collection", 4_000),
            ("bank_collection", asked[a]),
        ]
        assert paid[1].reference == f"{batch.batch_id}/{lines[a]}"
        before = _counts(session)

    again = import_result(session_factory, path, province="GD", report_dir=tmp_path / "reports")
    assert again.already_imported and again.counts == report.counts
    with session_factory() as session:
        assert _counts(session) == before
        assert payments.balance(session, a) == 0


def _counts(session: Session) -> tuple[int, int, int]:
    return (
        int(session.scalar(select(func.count()).select_from(Payment)) or 0),
        int(session.scalar(select(func.count()).select_from(JournalLine)) or 0),
        int(session.scalar(select(func.count()).select_from(CollectionResult)) or 0),
    )


class _Killed(Exception):
    pass


def test_an_import_killed_between_chunks_resumes_at_its_mark(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    accounts, _ = _setup(session_factory, 5, bank="CCB")
    batch = _export(session_factory, tmp_path, "CCB")
    assert batch is not None
    answers = [
        {"line_no": n, "billing_account_id": acc, "paid_fen": 10_000 + accounts.index(acc) * 100,
         "status": "S", "bank_txn_id": f"C{n}"}
        for n, acc in enumerate(sorted(accounts), start=1)
    ]  # fmt: skip
    path = tmp_path / "ccb.csv"
    path.write_bytes(collection_support.result_file("ccb_csv", batch.batch_id, answers))

    def die_after_two(done: int, total: int) -> None:
        if done == 2:
            raise _Killed

    with pytest.raises(_Killed):
        import_result(
            session_factory, path, province="GD", report_dir=tmp_path, chunk_lines=1,
            progress=die_after_two,
        )  # fmt: skip
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 2
    report = import_result(session_factory, path, province="GD", report_dir=tmp_path, chunk_lines=1)
    assert report.counts == {"paid": 5} and not report.differences
    assert report.paid_fen == batch.total_fen
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 5
        assert all(payments.balance(session, acc) == 0 for acc in accounts)
        assert session.scalar(select(func.sum(JournalLine.amount_fen))) == 0


def test_a_file_for_no_exported_batch_changes_nothing(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    path = tmp_path / "stray.csv"
    path.write_bytes(collection_support.result_file("ccb_csv", "CCB-GD-20990101-01", []))
    with pytest.raises(OpenBSSError, match="no CCB batch 'CCB-GD-20990101-01' was exported"):
        import_result(session_factory, path, province="GD", report_dir=tmp_path)
    path.write_bytes(b"HDR,CCB,X,20261203\nDTL,X/1,a,1,S,,,T\n")  # no trailer: truncated
    with pytest.raises(OpenBSSError, match="truncated"):
        import_result(session_factory, path, province="GD", report_dir=tmp_path, bank="CCB")
    with pytest.raises(OpenBSSError, match="at most 10"):
        import_result(session_factory, path, province="GD", report_dir=tmp_path, max_bytes=10)
    with session_factory() as session:
        assert _counts(session) == (0, 0, 0)
