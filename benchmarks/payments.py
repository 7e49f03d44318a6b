"""A bank result file of a million payments applied to a million open bills, against a plain
SQL ``UPDATE … FROM`` of the same data.

Generates (seeded, not timed) in a SQLite file under a temporary directory, with bulk inserts
(SQLAlchemy Core ``insert()`` executemany):

* ``--payments`` billing accounts' final bills (1,000,000 by default) posted to the receivables
  ledger (a bill item and its receivable line each, revenue and tax per chunk), as
  ``post_final_bills`` leaves them;
* an ICBC-layout collection batch asking each account for its bill, and the bank's result file
  (fixed width, GB 18030): every 50th line a partial payment, every 100th a refusal, the rest
  paid in full.

Then, each figure the median of ``--runs`` (each run on a fresh copy of the database):

* **import**: ``import_result`` — read, digest, parse, check every line against the batch,
  apply the payments set-based in chunks of ``--chunk-lines`` (payment rows, credit items,
  journal lines, allocation matches, bills' settled amounts and states), reconcile and write
  the report; payments/s;
* **baseline**: the result's (account, paid fen) rows inserted into a temporary table and one
  ``UPDATE billing_bill SET settled_fen = … FROM`` it; the ratio import / baseline.

Usage:

    uv run python benchmarks/payments.py [--payments 1000000] [--runs 3] [--chunk-lines 50000]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import insert

from openbss.billing.models import BillingPeriod, BillRun, BillState, CustomerBill, RunStatus
from openbss.db.engine import make_engine, make_session_factory
from openbss.db.uow import unit_of_work
from openbss.payments import banks
from openbss.payments.bulk import new_ids
from openbss.payments.collection import import_result
from openbss.payments.collection_models import BatchStatus, CollectionBatch, CollectionLine
from openbss.payments.models import ItemKind, JournalLine, LedgerItem, PostedPeriod, Side
from openbss.registry import metadata

PROVINCE = "GD"
PERIOD = "2026-10"
BILL_DATE = date(2026, 11, 1)
DUE = date(2026, 11, 20)
DAY = date(2026, 12, 3)
CHUNK = 50_000
BATCH_ID = f"ICBC-{PROVINCE}-{DAY:%Y%m%d}-01"


@dataclass(frozen=True)
class Setup:
    database: Path
    result_file: Path
    lines: int
    payments: int


def build(root: Path, count: int) -> Setup:
    database = root / "base.db"
    engine = make_engine(f"sqlite:///{database}")
    metadata.create_all(engine)
    factory = make_session_factory(engine)
    stamp = datetime(2026, 11, 1, tzinfo=UTC)
    accounts = new_ids(count)
    amounts = [3_000 + (serial * 7919) % 20_000 for serial in range(count)]
    with unit_of_work(factory) as session:
        session.add(
            BillRun(id="run-bench", province=PROVINCE, period=PERIOD, status=RunStatus.FINALISED)
        )
        session.add(BillingPeriod(province=PROVINCE, period=PERIOD, run_id="run-bench"))
        session.add(
            PostedPeriod(province=PROVINCE, period=PERIOD, bills=count, amount_fen=sum(amounts))
        )
        session.add(
            CollectionBatch(
                id=BATCH_ID, province=PROVINCE, bank="ICBC", layout="icbc_fixed",
                collection_date=DAY, sequence=1, file_name=f"{BATCH_ID}.dat", lines=count,
                total_fen=sum(amounts), status=BatchStatus.OPEN,
            )
        )  # fmt: skip
    for start in range(0, count, CHUNK):
        part = range(start, min(start + CHUNK, count))
        bill_ids, item_ids = new_ids(len(part)), new_ids(len(part))
        entry = f"bills-{start}"
        with unit_of_work(factory) as session:
            session.execute(
                insert(CustomerBill),
                [
                    {"id": bill_ids[k], "province": PROVINCE, "doc": {}, "run_id": "run-bench",
                     "bill_no": f"B{n:012d}", "billing_account_id": accounts[n],
                     "period": PERIOD, "state": BillState.SENT, "bill_date": BILL_DATE,
                     "payment_due_date": DUE, "amount_fen": amounts[n], "tax_fen": 0,
                     "created_at": stamp, "updated_at": stamp}
                    for k, n in enumerate(part)
                ],
            )  # fmt: skip
            session.execute(
                insert(LedgerItem),
                [
                    {"id": item_ids[k], "province": PROVINCE, "billing_account_id": accounts[n],
                     "side": Side.DEBIT, "kind": ItemKind.BILL, "control": "1122",
                     "amount_fen": amounts[n], "source_id": bill_ids[k], "due_date": DUE,
                     "business_date": BILL_DATE, "note": None, "created_by": None,
                     "created_at": stamp}
                    for k, n in enumerate(part)
                ],
            )  # fmt: skip
            lines = [
                {"province": PROVINCE, "entry_id": entry, "entry_kind": ItemKind.BILL,
                 "business_date": BILL_DATE, "gl_account": "1122", "dimension": "",
                 "billing_account_id": accounts[n], "amount_fen": amounts[n],
                 "created_at": stamp}
                for n in part
            ]  # fmt: skip
            lines.append(
                {**lines[0], "gl_account": "6001", "dimension": "usage/basic",
                 "billing_account_id": None, "amount_fen": -sum(amounts[n] for n in part)}
            )  # fmt: skip
            session.execute(insert(JournalLine), lines)
            session.execute(
                insert(CollectionLine),
                [
                    {"batch_id": BATCH_ID, "line_no": n + 1, "billing_account_id": accounts[n],
                     "bank_account_no": f"6222{n:015d}", "amount_fen": amounts[n]}
                    for n in part
                ],
            )  # fmt: skip
    engine.dispose()
    layout = banks.load_bank_layout("icbc_fixed")
    answers = []
    payments = 0
    for n in range(count):
        status, paid = "00", amounts[n]
        if n % 100 == 99:
            status, paid = "01", 0
        elif n % 50 == 49:
            status, paid = "02", amounts[n] // 3
        payments += status != "01"
        answers.append(
            {"batch_id": BATCH_ID, "line_no": n + 1, "billing_account_id": accounts[n],
             "amount_fen": amounts[n], "paid_fen": paid, "status": status,
             "reason_code": "E51" if status == "01" else "",
             "reason_text": "余额不足" if status == "01" else "",
             "bank_txn_id": f"ICBC{n:016d}"}
        )  # fmt: skip
    frame = {
        "bank": "ICBC", "batch_id": BATCH_ID, "date": f"{DAY:%Y%m%d}", "count": count,
        "total_fen": sum(amounts), "paid_fen": sum(int(a["paid_fen"]) for a in answers),
    }  # fmt: skip
    result_file = root / "result.dat"
    result_file.write_bytes(banks.render_file(layout, layout.result, frame, answers, frame))
    return Setup(database, result_file, count, payments)


def time_import(setup: Setup, root: Path, chunk_lines: int) -> tuple[float, dict[str, int]]:
    copy = root / "run.db"
    shutil.copyfile(setup.database, copy)
    engine = make_engine(f"sqlite:///{copy}")
    started = time.perf_counter()
    report = import_result(
        make_session_factory(engine),
        setup.result_file,
        province=PROVINCE,
        report_dir=root / "reports",
        chunk_lines=chunk_lines,
    )
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds, report.counts


def time_baseline(setup: Setup, root: Path) -> float:
    """The same (account, paid) rows written the plainest way SQL allows."""
    copy = root / "run.db"
    shutil.copyfile(setup.database, copy)
    layout = banks.load_bank_layout("icbc_fixed")
    parsed = banks.read_result(layout, setup.result_file.read_bytes())
    rows = [
        (line.values["billing_account_id"], int(line.values["paid_fen"])) for line in parsed.lines
    ]
    connection = sqlite3.connect(copy)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    started = time.perf_counter()
    with connection:
        connection.execute("CREATE TEMP TABLE paid (account TEXT PRIMARY KEY, fen INTEGER)")
        connection.executemany("INSERT INTO paid VALUES (?, ?)", rows)
        connection.execute(
            "UPDATE billing_bill SET settled_fen = settled_fen + paid.fen FROM paid "
            "WHERE billing_bill.billing_account_id = paid.account"
        )
    seconds = time.perf_counter() - started
    connection.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chunk-lines", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-payments-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        setup = build(root, args.payments)
        print(
            f"{setup.lines:,} open bills and a result file of {setup.lines:,} lines "
            f"({setup.result_file.stat().st_size / 1e6:,.0f} MB), built in "
            f"{time.perf_counter() - started:.1f} s"
        )
        imports, baselines = [], []
        for _ in range(args.runs):
            seconds, counts = time_import(setup, root, args.chunk_lines)
            baseline = time_baseline(setup, root)
            imports.append(seconds)
            baselines.append(baseline)
            print(f"  import {seconds:.2f} s {counts}; UPDATE … FROM {baseline:.2f} s")
        import_s, base_s = statistics.median(imports), statistics.median(baselines)
        print(
            f"import: {setup.payments / import_s:,.0f} payments/s "
            f"({setup.lines / import_s:,.0f} lines/s)"
        )
        print(f"plain SQL UPDATE … FROM: {base_s:.2f} s")
        print(f"ratio import / UPDATE … FROM: {import_s / base_s:.1f}")


if __name__ == "__main__":
    main()
