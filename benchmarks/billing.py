"""The bill run at scale: ``run_bills`` (no PDFs) against a plain DuckDB sum of the same usage.

Generates (seeded, not timed) a Guangdong province for March 2005 in a SQLite file under a
temporary directory, with bulk inserts (SQLAlchemy Core ``insert()`` executemany), never
through the API:

* ``--accounts`` billing accounts (1,000,000 by default), ~1.5 products each: every account a
  fixed line, every second one a PHS line or an ADSL line, priced by the 2005 catalog
  (``seed_catalog``); each product a status history (activated in 2004; a tenth of them
  suspended mid-March, a twentieth activated mid-March, a twentieth ceased mid-March);
* ~30 rated usage records per account (``--records-per-account``) as a finished rating
  run's files: the usage store's normalised parts of finished mediation batches (what a
  record was: its account, product, service) and the run's rated parts (what it cost).

Then, in one run, each figure the median of ``--runs``:

* **bill run**: ``run_bills(..., trial=True)`` without PDFs, accounts/hour (the trial is
  discarded between runs);
* **baseline**: DuckDB reading the same rated usage Parquet files — rated parts joined to
  the usage parts on ``record_id`` (the account is in the usage parts) — and summing
  ``amount_li`` ``GROUP BY billing_account_id``; the ratio bill run / baseline;
* **--profile N**: ``cProfile`` of a bill run of the first N accounts' province (20,000 by
  default when given without a value), the top functions by cumulative and own time.

Usage:

    uv run python benchmarks/billing.py [--accounts 1000000] [--runs 3] [--chunk-size 5000]
                                        [--profile [20000]]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Table, insert
from sqlalchemy.orm import Session, sessionmaker

from openbss.account.models import BillingAccount
from openbss.billing.runs import discard_run, run_bills
from openbss.catalog.seed import seed_catalog
from openbss.db.engine import make_engine, make_session_factory
from openbss.db.uow import unit_of_work
from openbss.inventory.models import Product, ProductStatusChange
from openbss.mediation.models import BatchStatus, MediationBatch
from openbss.mediation.store import USAGE_SCHEMA, part_name, partition
from openbss.rating.models import RatingPeriod, RatingRun, RunStatus
from openbss.rating.store import run_dir
from openbss.rating.vectorised import RATED_SCHEMA
from openbss.registry import metadata

PROVINCE = "GD"
PERIOD = "2005-03"
CYCLE_START = datetime(2005, 2, 28, 16, 0, tzinfo=UTC)  # 1 March 2005 00:00 in Guangzhou
ACTIVATED = datetime(2004, 6, 1, 2, 0, tzinfo=UTC)
MID_MARCH = datetime(2005, 3, 16, 2, 0, tzinfo=UTC)
INSERT_ROWS = 50_000
RECORDS_PER_PART = 2_000_000
USAGE_DAYS = 28
# (offering code, service type, usage services) of the products an account has.
FIXED = ("CT-PO-FIXED-LOCAL", "fixedVoice", ("voice",))
PHS = ("CT-PO-PHS", "phs", ("voice", "sms"))
ADSL = ("CT-PO-ADSL-2M", "broadband", ("data",))


@dataclass(frozen=True)
class Province:
    factory: sessionmaker[Session]
    data_dir: Path
    accounts: int
    products: int
    records: int
    rated_parts: list[Path]
    usage_parts: list[Path]


def _chunks(
    rows: Iterator[dict[str, Any]], size: int = INSERT_ROWS
) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _bulk(session: Session, table: Any, rows: Iterator[dict[str, Any]]) -> None:
    target: Table = table.__table__
    for chunk in _chunks(rows):
        session.execute(insert(target), chunk)


def _account_id(n: int) -> str:
    return f"BA{n:08d}"


def _products_of(n: int) -> list[tuple[str, str, tuple[str, ...]]]:
    """The products of account ``n``: a fixed line; every second account a PHS or ADSL line."""
    if n % 2:
        return [FIXED]
    return [FIXED, PHS if n % 4 == 0 else ADSL]


def _history(serial: int) -> list[tuple[str, datetime]]:
    """A product's status changes: activated in 2004, some changed in mid-March."""
    kind = serial % 20
    if kind == 1:
        return [("active", MID_MARCH)]  # activated in the cycle
    history = [("active", ACTIVATED + timedelta(days=serial % 90))]
    if kind in (2, 3):
        history.append(("suspended", MID_MARCH))
    elif kind == 4:
        history.append(("terminated", MID_MARCH))
    return history


def build_province(root: Path, accounts: int, records_per_account: int) -> Province:
    engine = make_engine(f"sqlite:///{root / 'openbss.db'}")
    metadata.create_all(engine)
    factory = make_session_factory(engine)
    data_dir = root / "var"
    at = datetime(2005, 1, 1, tzinfo=UTC)
    with unit_of_work(factory) as session:
        ids = seed_catalog(session)
    product_rows: list[tuple[str, str, str, tuple[str, ...]]] = []  # id, account, type, services
    with unit_of_work(factory) as session:
        _bulk(
            session,
            BillingAccount,
            (
                {
                    "id": _account_id(n),
                    "province": PROVINCE,
                    "doc": {"id": _account_id(n), "@type": "BillingAccount"},
                    "name": f"账户 {n}",
                    "state": "active",
                    "account_type": "individual",
                    "bill_cycle_day": 1,
                    "created_at": at,
                    "updated_at": at,
                }
                for n in range(accounts)
            ),
        )

        def products() -> Iterator[dict[str, Any]]:
            for n in range(accounts):
                for code, service_type, services in _products_of(n):
                    product_id = f"PR{len(product_rows):09d}"
                    product_rows.append((product_id, _account_id(n), service_type, services))
                    yield {
                        "id": product_id,
                        "province": PROVINCE,
                        "doc": {"id": product_id, "@type": "Product"},
                        "status": "active",
                        "customer_id": f"CU{n:08d}",
                        "billing_account_id": _account_id(n),
                        "product_offering_id": ids[code],
                        "service_type": service_type,
                        "service_id": f"+86208{len(product_rows):08d}",
                        "created_at": at,
                        "updated_at": at,
                    }

        _bulk(session, Product, products())
        offering_of = {ptype: ids[code] for code, ptype, _ in (FIXED, PHS, ADSL)}
        _bulk(
            session,
            ProductStatusChange,
            (
                {
                    "product_id": product_id,
                    "sequence": sequence,
                    "status": status,
                    "product_offering_id": offering_of[ptype],
                    "effective_at": effective,
                    "recorded_at": effective,
                }
                for serial, (product_id, _, ptype, _) in enumerate(product_rows)
                for sequence, (status, effective) in enumerate(_history(serial), 1)
            ),
        )
    usage_parts, rated_parts, records = _usage(factory, data_dir, product_rows, records_per_account)
    return Province(
        factory, data_dir, accounts, len(product_rows), records, rated_parts, usage_parts
    )


def _usage(
    factory: sessionmaker[Session],
    data_dir: Path,
    products: Sequence[tuple[str, str, str, tuple[str, ...]]],
    per_account: int,
) -> tuple[list[Path], list[Path], int]:
    """The usage store's parts and a finished rating run's parts: ``per_account`` records
    per account on average, spread over the account's products and services."""
    accounts = len({account for _, account, _, _ in products})
    total = accounts * per_account
    pairs = [(p, a, s) for p, a, _, services in products for s in services]
    product_ids = pl.Series([p for p, _, _ in pairs], dtype=pl.String)
    account_ids = pl.Series([a for _, a, _ in pairs], dtype=pl.String)
    services = pl.Series([s for _, _, s in pairs], dtype=pl.String)
    run_id = "RR-BENCH-2005-03"
    out_dir = run_dir(data_dir, PROVINCE, PERIOD, run_id)
    out_dir.mkdir(parents=True, exist_ok=True)
    usage_parts: list[Path] = []
    rated_parts: list[Path] = []
    batches: list[dict[str, Any]] = []
    for part, first in enumerate(range(0, total, RECORDS_PER_PART)):
        count = min(RECORDS_PER_PART, total - first)
        i = pl.int_range(first, first + count, eager=True)
        pick = (i * 7_919) % len(pairs)
        day = date(2005, 3, 1 + part % USAGE_DAYS)
        batch_id = f"BENCH-{part:04d}"
        usage = pl.DataFrame(
            {
                "record_id": "R" + i.cast(pl.String),
                "batch_id": pl.repeat(batch_id, count, eager=True),
                "province": pl.repeat(PROVINCE, count, eager=True),
                "event_time": pl.repeat(
                    datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=4),
                    count,
                    eager=True,
                ),
                "duration_s": (i % 600) + 1,
                "service": services.gather(pick),
                "product_id": product_ids.gather(pick),
                "billing_account_id": account_ids.gather(pick),
            }
        )
        table = usage.to_arrow()
        columns = {name: table.column(name) for name in table.column_names}
        arrays = [
            columns[field.name].cast(field.type)
            if field.name in columns
            else pa.nulls(count, field.type)
            for field in USAGE_SCHEMA
        ]
        directory = partition(data_dir, "normalised", PROVINCE, day)
        directory.mkdir(parents=True, exist_ok=True)
        usage_path = directory / part_name(batch_id)
        pq.write_table(pa.Table.from_arrays(arrays, schema=USAGE_SCHEMA), usage_path)
        usage_parts.append(usage_path)
        rated = pl.DataFrame(
            {
                "record_id": "R" + i.cast(pl.String),
                "tariff_id": pl.repeat("CT-FIXED-2005", count, eager=True),
                "tariff_version": pl.repeat(1, count, eager=True, dtype=pl.Int64),
                "units": (i % 10) + 1,
                "amount_li": ((i * 37) % 2_000) + 110,
            }
        ).select(
            pl.col(name).cast(dtype)
            if name in ("record_id", "tariff_id", "tariff_version", "units", "amount_li")
            else pl.lit(None, dtype).alias(name)
            for name, dtype in RATED_SCHEMA.items()
        )
        rated_path = out_dir / f"rated-{part:04d}.parquet"
        rated.write_parquet(rated_path)
        rated_parts.append(rated_path)
        batches.append(
            {
                "id": batch_id,
                "province": PROVINCE,
                "source": "BENCH",
                "file_name": f"{batch_id}.csv",
                "checksum": batch_id,
                "file_format": "csv",
                "kind": "usage",
                "status": BatchStatus.DONE,
                "day": day,
                "records_in": count,
                "normalised": count,
                "started_at": CYCLE_START,
                "finished_at": CYCLE_START,
            }
        )
    with unit_of_work(factory) as session:
        _bulk(session, MediationBatch, iter(batches))
        _bulk(
            session,
            RatingRun,
            iter(
                [
                    {
                        "id": run_id,
                        "province": PROVINCE,
                        "period": PERIOD,
                        "status": RunStatus.DONE,
                        "records": total,
                        "rated": total,
                        "errors": {},
                        "output_dir": str(out_dir),
                        "started_at": CYCLE_START,
                        "finished_at": CYCLE_START,
                    }
                ]
            ),
        )
        _bulk(
            session,
            RatingPeriod,
            iter([{"province": PROVINCE, "period": PERIOD, "current_run_id": run_id}]),
        )
    return usage_parts, rated_parts, total


def time_bill_run(province: Province, chunk_size: int) -> tuple[float, int, int]:
    """Seconds of one trial bill run, its bills and exceptions; the trial is discarded."""
    started = time.perf_counter()
    run = run_bills(
        province.factory, province.data_dir, PROVINCE, PERIOD, trial=True, chunk_size=chunk_size
    )
    seconds = time.perf_counter() - started
    with unit_of_work(province.factory) as session:
        discard_run(session, run.id)
    return seconds, run.bills, run.exceptions


def time_baseline(province: Province) -> tuple[float, int]:
    """Seconds of DuckDB's sum per account over the same files, and the accounts it found."""
    rated = [str(p) for p in province.rated_parts]
    usage = [str(p) for p in province.usage_parts]
    started = time.perf_counter()
    with duckdb.connect() as connection:
        rows = connection.execute(
            "SELECT u.billing_account_id, sum(r.amount_li) "
            "FROM read_parquet($rated) r JOIN read_parquet($usage) u USING (record_id) "
            "WHERE r.error IS NULL GROUP BY u.billing_account_id",
            {"rated": rated, "usage": usage},
        ).fetchall()
    return time.perf_counter() - started, len(rows)


def profile(accounts: int, records_per_account: int, chunk_size: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-billing-profile-") as tmp:
        province = build_province(Path(tmp), accounts, records_per_account)
        profiler = cProfile.Profile()
        profiler.enable()
        time_bill_run(province, chunk_size)
        profiler.disable()
        stats = pstats.Stats(profiler).strip_dirs()
        print(f"\ncProfile of a bill run of {accounts:,} accounts, by cumulative time:")
        stats.sort_stats("cumulative").print_stats(25)
        print("by own time:")
        stats.sort_stats("tottime").print_stats(20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--records-per-account", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chunk-size", type=int, default=5_000)
    parser.add_argument("--profile", type=int, nargs="?", const=20_000, default=None)
    args = parser.parse_args()
    if args.profile:
        profile(args.profile, args.records_per_account, args.chunk_size)
        return
    with tempfile.TemporaryDirectory(prefix="bench-billing-") as tmp:
        started = time.perf_counter()
        province = build_province(Path(tmp), args.accounts, args.records_per_account)
        print(
            f"province: {province.accounts:,} accounts, {province.products:,} products, "
            f"{province.records:,} rated records, built in {time.perf_counter() - started:.1f} s"
        )
        runs, baselines = [], []
        for _ in range(args.runs):
            seconds, bills, exceptions = time_bill_run(province, args.chunk_size)
            runs.append(seconds)
            baseline, summed = time_baseline(province)
            baselines.append(baseline)
            print(
                f"  bill run {seconds:.2f} s ({bills:,} bills, {exceptions:,} exceptions); "
                f"DuckDB sum {baseline:.3f} s ({summed:,} accounts)"
            )
        run_s, base_s = statistics.median(runs), statistics.median(baselines)
        print(f"bill run (no PDFs): {province.accounts / run_s * 3600:,.0f} accounts/hour")
        print(f"DuckDB GROUP BY billing_account_id: {base_s:.3f} s")
        print(f"ratio bill run / DuckDB sum: {run_s / base_s:.1f}")


if __name__ == "__main__":
    main()
