"""Invoice PDFs: bilingual invoices with itemised detail, rendered by ``render_invoice_pdf``.

Generates (seeded, not timed) ``--invoices`` invoice documents of a Guangdong province's
mobile accounts: a plan rental, local/long-distance/data usage lines, a discount, VAT of two
categories, and 30–200 detail rows each (one to three pages of detail), every row with its
own time, called number, duration and amount, a fifth of the accounts with masked numbers.
Then, in one run:

* **one process**: all invoices rendered in this process, invoices/s and pages/s;
* **workers**: the same invoices rendered by ``--workers`` processes (each builds its own
  documents from the seed and keeps its own warm compiler, as a bill run's workers would);
* **20-page detail**: one invoice whose detail runs to about twenty pages, seconds each.

Each figure is the median of ``--runs`` runs after an untimed warm-up (font index, layout
parse); every run renders documents of its own seed, since Typst memoises layout and a
repeated document would come from its cache. The goal is ≥ 20 invoices/s with 2 workers on
a 2-core machine. Usage:

    uv run python benchmarks/invoices.py [--invoices 200] [--workers 2] [--runs 3]
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import random
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta

from pypdf import PdfReader

from openbss.billing.invoice import (
    InvoiceDocument,
    InvoiceLine,
    InvoiceTotals,
    TaxTotal,
    UsageDetailRow,
    render_invoice_pdf,
)

CYCLE_START = datetime(2024, 2, 29, 16, 0, tzinfo=UTC)  # 2024-03-01 00:00 in Shanghai
ZONES = (
    ("本地通话", "Local call", 10),
    ("国内长途", "Domestic long distance", 30),
    ("国内流量", "Domestic data", 0),
    ("短信", "SMS", 10),
)
ROWS_PER_TWENTY_PAGES = 1300


def usage_rows(rng: random.Random, count: int) -> tuple[UsageDetailRow, ...]:
    number = f"133{rng.randrange(10**8):08d}"
    moments = sorted(rng.randrange(31 * 86400) for _ in range(count))
    rows = []
    for second in moments:
        zh, en, fen_per_minute = rng.choice(ZONES)
        data = fen_per_minute == 0
        duration = None if data else rng.randrange(5, 1800)
        rows.append(
            UsageDetailRow(
                service_number=number,
                started_at=CYCLE_START + timedelta(seconds=second),
                called_number="CTNET" if data else f"1{rng.randrange(3 * 10**9, 10**10):010d}",
                description_zh=zh,
                description_en=en,
                amount_fen=rng.randrange(1, 500)
                if data
                else fen_per_minute * -(-(duration or 0) // 60),
                duration_seconds=duration,
                volume_bytes=rng.randrange(10**4, 10**8) if data else None,
            )
        )
    return tuple(rows)


def make_invoice(seed: int, index: int, rows: int | None = None) -> InvoiceDocument:
    rng = random.Random(seed * 1_000_003 + index)
    detail = usage_rows(rng, rows if rows is not None else rng.randrange(30, 201))
    usage_fen = sum(row.amount_fen for row in detail)
    rental, discount = rng.choice((5900, 8900, 12900, 18900)), -rng.randrange(0, 3000)
    number = detail[0].service_number
    lines = (
        InvoiceLine(charge_type="recurring", description_zh="天翼套餐月租",
                    description_en="Tianyi plan rental", service_number=number,
                    amount_fen=rental, tax_fen=rental * 9 // 109, tax_category="basic",
                    tax_rate="9%"),
        InvoiceLine(charge_type="usage", description_zh="通信费", description_en="Usage",
                    service_number=number, amount_fen=usage_fen,
                    tax_fen=usage_fen * 9 // 109, tax_category="basic", tax_rate="9%"),
        InvoiceLine(charge_type="discount", description_zh="融合套餐优惠",
                    description_en="Bundle discount", service_number=None,
                    amount_fen=discount, tax_fen=discount * 6 // 106,
                    tax_category="valueAdded", tax_rate="6%"),
    )  # fmt: skip
    charges = rental + usage_fen
    return InvoiceDocument(
        bill_number=f"GD202403-{index:08d}",
        bill_id=f"bill-{seed}-{index}",
        province="GD",
        period="2024-03",
        period_start=date(2024, 3, 1),
        period_end=date(2024, 3, 31),
        issue_date=date(2024, 4, 3),
        due_date=date(2024, 4, 20),
        customer_name=rng.choice(("张", "李", "王", "陈")) + rng.choice(("伟", "芳", "强", "敏")),
        account_id=f"ACC-{index:08d}",
        account_name="个人账户",
        billing_address=("广东省广州市天河区体育西路 1 号", "510620"),
        lines=lines,
        totals=InvoiceTotals(
            charges_fen=charges,
            discounts_fen=discount,
            taxes=(
                TaxTotal(category="basic", rate="9%", tax_fen=lines[0].tax_fen + lines[1].tax_fen),
                TaxTotal(category="valueAdded", rate="6%", tax_fen=lines[2].tax_fen),
            ),
        ),
        previous_balance_fen=0,
        payments_received_fen=0,
        amount_due_fen=charges + discount,
        usage_detail=detail,
        mask_called_numbers=index % 5 == 0,
    )


def render_range(seed: int, first: int, count: int) -> int:
    """Render invoices ``first .. first + count``; the bytes written."""
    return sum(len(render_invoice_pdf(make_invoice(seed, i))) for i in range(first, first + count))


def render_documents(documents: list[InvoiceDocument]) -> int:
    return sum(len(render_invoice_pdf(doc)) for doc in documents)


def render_in_workers(pool: ProcessPoolExecutor, workers: int, seed: int, invoices: int) -> int:
    # Contiguous ranges, one per worker, like a bill run's partitions of accounts.
    share = -(-invoices // workers)
    ranges = [(first, min(share, invoices - first)) for first in range(0, invoices, share)]
    return sum(pool.map(render_range, *zip(*[(seed, a, n) for a, n in ranges], strict=True)))


def median_seconds(work: Callable[[int], int], runs: int) -> float:
    """``work(run)`` for the warm-up (run 0) and each timed run (1..runs)."""
    work(0)  # warm-up: font index, layout parse, lazy imports
    times = []
    for run in range(1, runs + 1):
        started = time.perf_counter()
        work(run)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    n = args.invoices

    started = time.perf_counter()
    by_run = [[make_invoice(args.seed + run, i) for i in range(n)] for run in range(args.runs + 1)]
    generated = time.perf_counter() - started
    documents = by_run[0]
    sample = [page_count(render_invoice_pdf(make_invoice(-1, i))) for i in range(20)]
    rows = sum(len(doc.usage_detail) for doc in documents)
    print(
        f"{n} invoices a run, {rows:,} detail rows ({rows / n:.0f} per invoice), generated in "
        f"{generated:.2f} s; pages of the first 20: {min(sample)}–{max(sample)}, "
        f"mean {statistics.mean(sample):.1f}"
    )

    single = median_seconds(lambda run: render_documents(by_run[run]), args.runs)
    # Spawned, not forked: a process forked after Typst has run inherits its worker threads'
    # locks but not the threads, and its first render never returns.
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=args.workers, mp_context=spawn) as pool:
        parallel = median_seconds(
            lambda run: render_in_workers(pool, args.workers, args.seed + run, n), args.runs
        )
    long_pages = page_count(render_invoice_pdf(make_invoice(-2, n, rows=ROWS_PER_TWENTY_PAGES)))
    long_s = median_seconds(
        lambda run: len(
            render_invoice_pdf(make_invoice(args.seed + run, n, ROWS_PER_TWENTY_PAGES))
        ),
        args.runs,
    )

    print(f"{'one process':<22} {single:7.2f} s  {n / single:7.1f} invoices/s")
    workers = f"{args.workers} worker processes"
    print(f"{workers:<22} {parallel:7.2f} s  {n / parallel:7.1f} invoices/s")
    print(f"speed-up {args.workers} workers / one process: {single / parallel:.2f}")
    print(
        f"one invoice of {ROWS_PER_TWENTY_PAGES:,} detail rows ({long_pages} pages): {long_s:.3f} s"
    )


if __name__ == "__main__":
    main()
