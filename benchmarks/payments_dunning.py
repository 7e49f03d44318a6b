"""The daily collections job at scale: ``openbss dunning run`` over a province of a million
accounts of which few need action.

Generates (seeded, not timed) a Guangdong province in a SQLite file under a temporary
directory, with bulk inserts (SQLAlchemy Core ``insert()`` executemany), never through the API:

* ``--accounts`` billing accounts (1,000,000 by default), each with one final bill in the
  receivables ledger, due 20 May 2026;
* every bill paid in full (a payment credit and its match) except ``--overdue`` of them
  (1,000 by default), which stay open.

Then, in one run (the median of ``--runs`` for the selection, one full run for the job):

* **selection**: the two set-based scans the job starts with (overdue accounts, accounts under
  treatment) and the credit-limited accounts, seconds;
* **job**: ``run_dunning`` for 19 June 2026 — 30 days past due — so every overdue account has
  30 late fees caught up, a reminder queued and its 停机 step taken; seconds and accounts/s;
* **rerun**: the same day again (nothing to do: it must post nothing), seconds.

Usage:

    uv run python benchmarks/payments_dunning.py [--accounts 1000000] [--overdue 1000] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.account.models import BillingAccount
from openbss.account.public import credit_limited_accounts
from openbss.db.engine import make_engine, make_session_factory
from openbss.payments.dunning.treatment import run, select_accounts
from openbss.payments.models import JournalLine, LedgerAccount, LedgerItem, LedgerMatch
from openbss.registry import metadata

PROVINCE = "GD"
DUE = date(2026, 5, 20)
BILLED = date(2026, 5, 1)
PAID = date(2026, 5, 15)
RUN_DAY = date(2026, 6, 19)
CHUNK = 50_000
STAMP = datetime(2026, 5, 1, tzinfo=UTC)


def chunks(total: int) -> Iterator[range]:
    for start in range(0, total, CHUNK):
        yield range(start, min(start + CHUNK, total))


def generate(factory: sessionmaker[Session], accounts: int, overdue: int) -> None:
    """Accounts, bills, and the payments of all bills but every ``accounts // overdue``-th."""
    every = max(accounts // max(overdue, 1), 1)
    with factory() as session:
        for part in chunks(accounts):
            ids = [f"BA{n:08d}" for n in part]
            session.execute(
                insert(BillingAccount.__table__),
                [
                    {
                        "id": a,
                        "province": PROVINCE,
                        "doc": {},
                        "name": a,
                        "state": "active",
                        "payment_method": "cash",
                        "bill_cycle_day": 1,
                        "bill_language": "zh-CN",
                        "currency": "CNY",
                        "consolidated_billing": False,
                        "deposit_amount": 0,
                    }
                    for a in ids
                ],
            )
            session.execute(
                insert(LedgerAccount.__table__),
                [{"billing_account_id": a, "province": PROVINCE, "version": 1} for a in ids],
            )
            items = []
            matches = []
            journal = []
            for n, account in zip(part, ids, strict=True):
                amount = 5_000 + n % 20_000
                bill = {
                    "id": f"I{n:08d}",
                    "province": PROVINCE,
                    "billing_account_id": account,
                    "side": "debit",
                    "kind": "bill",
                    "control": "1122",
                    "amount_fen": amount,
                    "source_id": f"B{n:08d}",
                    "due_date": DUE,
                    "business_date": BILLED,
                    "note": None,
                    "created_by": None,
                    "created_at": STAMP,
                }
                items.append(bill)
                journal += [
                    _line(f"I{n:08d}", "bill", BILLED, "1122", account, amount),
                    _line(f"I{n:08d}", "bill", BILLED, "6001", None, -amount),
                ]
                if n % every == 0 and n // every < overdue:
                    continue  # left unpaid
                items.append(
                    {
                        **bill,
                        "id": f"P{n:08d}",
                        "side": "credit",
                        "kind": "payment",
                        "source_id": f"PAY{n:08d}",
                        "due_date": None,
                        "business_date": PAID,
                    }
                )
                matches.append(
                    {
                        "id": f"M{n:08d}",
                        "province": PROVINCE,
                        "billing_account_id": account,
                        "debit_item_id": f"I{n:08d}",
                        "credit_item_id": f"P{n:08d}",
                        "amount_fen": amount,
                        "undoes_match_id": None,
                        "business_date": PAID,
                        "created_at": STAMP,
                    }
                )
                journal += [
                    _line(f"P{n:08d}", "payment", PAID, "1001", None, amount),
                    _line(f"P{n:08d}", "payment", PAID, "1122", account, -amount),
                ]
            session.execute(insert(LedgerItem.__table__), items)
            session.execute(insert(LedgerMatch.__table__), matches)
            session.execute(insert(JournalLine.__table__), journal)
            session.commit()


def _line(
    entry: str, kind: str, day: date, gl: str, account: str | None, fen: int
) -> dict[str, object]:
    return {
        "province": PROVINCE,
        "entry_id": entry,
        "entry_kind": kind,
        "business_date": day,
        "gl_account": gl,
        "dimension": "",
        "billing_account_id": account,
        "amount_fen": fen,
        "created_at": STAMP,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--overdue", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'dunning.db'}")
        metadata.create_all(engine)
        factory = make_session_factory(engine)
        started = time.perf_counter()
        generate(factory, args.accounts, args.overdue)
        print(f"generated {args.accounts:,} accounts in {time.perf_counter() - started:.1f} s")

        timings = []
        for _ in range(args.runs):
            started = time.perf_counter()
            with factory() as session:
                selected = select_accounts(session, PROVINCE, RUN_DAY)
                credit_limited_accounts(session, PROVINCE)
            timings.append(time.perf_counter() - started)
        print(
            f"selection: {len(selected):,} of {args.accounts:,} accounts need a look, "
            f"median {statistics.median(timings):.2f} s over {args.runs} run(s)"
        )

        started = time.perf_counter()
        report = run(factory, PROVINCE, RUN_DAY, data_dir=Path(tmp))
        elapsed = time.perf_counter() - started
        print(
            f"job: {elapsed:.1f} s for {args.accounts:,} accounts "
            f"({args.accounts / elapsed:,.0f} accounts/s); {report.selected:,} treated: "
            f"{report.late_fees:,} late fees ({report.late_fee_fen:,} fen), "
            f"{report.reminders:,} reminders, {report.suspended:,} suspended, "
            f"{len(report.refused)} refused"
        )
        started = time.perf_counter()
        again = run(factory, PROVINCE, RUN_DAY, data_dir=Path(tmp))
        elapsed_again = time.perf_counter() - started
        assert (again.late_fees, again.reminders, again.suspended) == (0, 0, 0), again
        print(f"rerun of the same day: {elapsed_again:.1f} s, nothing posted")
        with factory() as session:
            total = session.scalar(select(func.sum(JournalLine.amount_fen)))
        assert total == 0, f"journal out of balance by {total} fen"
        verdict = "under" if elapsed < 60 else "OVER"
        print(f"goal: the daily job over {args.accounts:,} accounts in under a minute: {verdict}")
        engine.dispose()


if __name__ == "__main__":
    main()
