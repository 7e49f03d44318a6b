"""The online charging engine alone, in process: credit-control sessions (INITIAL, UPDATE,
TERMINATION) on prepaid PHS lines priced by the 2005 tariff, against the same number of bare
write units of work (one row inserted each) on the same database.

Generates (not timed) a SQLite file under a temporary directory (or uses ``--database-url``,
e.g. PostgreSQL): the catalog, the tariffs with a small destination table, ``--lines``
prepaid lines of one account and a shared balance. Then, per ``--threads`` value, runs
``--sessions`` sessions of three requests each and prints requests/s, p50 and p99 latency and
the ratio to the bare unit of work. The gateways' own benchmark (``benchmarks/ocs.py``) adds
the Diameter stack on top of these figures.

Usage:

    uv run python benchmarks/ocs_engine.py [--sessions 1000] [--threads 1,4] [--lines 20]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from openbss.account.models import BillingAccount
from openbss.catalog.seed import seed_catalog
from openbss.charging import public as balances
from openbss.charging.engine.contract import (
    ChargingEngine,
    ChargingRequest,
    RequestType,
    ResultCode,
    ServiceRequest,
    ServiceUnits,
)
from openbss.db.engine import make_engine, make_session_factory
from openbss.db.uow import unit_of_work
from openbss.inventory.models import Product
from openbss.rating.contract import Destination, Zone
from openbss.rating.seed import seed_rating
from openbss.registry import metadata

OFFERING = "CT-PO-PHS-PREPAID"
ACCOUNT = "BENCH-ACC"
START = datetime(2026, 3, 1, tzinfo=UTC)
DESTINATIONS = (
    Destination("8620", "Guangzhou", area_code="020"),
    Destination("86755", "Shenzhen", area_code="0755"),
    Destination("86189", "Mobile 189", zone=Zone.LOCAL),
)


def prepare(url: str, lines: int) -> list[str]:
    engine = make_engine(url)
    metadata.create_all(engine)
    factory = make_session_factory(engine)
    with unit_of_work(factory, writes=True) as session:
        ids = seed_catalog(session)
        seed_rating(session, DESTINATIONS)
        offering = ids.get(OFFERING, OFFERING)
        session.add(BillingAccount(id=ACCOUNT, doc={"id": ACCOUNT}, province="GD"))
        numbers = []
        for n in range(lines):
            number = f"+8620{31_000_000 + n}"
            session.add(
                Product(
                    id=f"BENCH-P{n}",
                    doc={"id": f"BENCH-P{n}"},
                    province="GD",
                    status="active",
                    customer_id="BENCH-C",
                    billing_account_id=ACCOUNT,
                    product_offering_id=offering,
                    service_type="phs",
                    service_id=number,
                    start_date=START,
                )
            )
            numbers.append(number)
        session.flush()
        balances.top_up(
            session,
            owner=balances.Owner("account", ACCOUNT),
            amount_li=10**12,
            at=START,
            reason="benchmark",
            reference=None,
        )
    engine.dispose()
    return numbers


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_engine(url: str, numbers: list[str], sessions: int, threads: int) -> list[float]:
    engine = make_engine(url)
    charging = ChargingEngine(make_session_factory(engine), data_dir=Path(tempfile.gettempdir()))
    latencies: list[float] = []
    lock = threading.Lock()
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)

    def one_session(i: int) -> None:
        sid = f"bench-{threads}-{i}-{time.time_ns()}"
        own: list[float] = []
        for n, kind in enumerate(
            (RequestType.INITIAL, RequestType.UPDATE, RequestType.TERMINATION)
        ):
            request = ChargingRequest(
                session_id=sid,
                request_type=kind,
                request_number=n,
                subscriber=numbers[i % len(numbers)],
                called="02087654321",
                event_time=at,
                services=(
                    ServiceRequest(
                        100,
                        None if kind == RequestType.TERMINATION else ServiceUnits(seconds=300),
                        None if n == 0 else ServiceUnits(seconds=200),
                    ),
                ),
                origin="bench",
            )
            began = time.perf_counter()
            answer = charging.charge(request)
            own.append(time.perf_counter() - began)
            assert answer.result == ResultCode.SUCCESS, answer
        with lock:
            latencies.extend(own)

    def worker(first: int) -> None:
        for i in range(first, sessions, threads):
            one_session(i)

    if threads == 1:
        worker(0)  # in this thread: a profiler sees it
    else:
        pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
    engine.dispose()
    return latencies


def run_bare(url: str, count: int, threads: int) -> float:
    """Seconds for ``count`` write units of work inserting one row each."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    table = Table(
        "bench_bare",
        MetaData(),
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("v", String(40)),
    )
    table.create(engine, checkfirst=True)

    def worker(n: int) -> None:
        for _ in range(n):
            with unit_of_work(factory, writes=True) as session:
                session.execute(insert(table).values(v="x"))

    began = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(count // threads,)) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    seconds = time.perf_counter() - began
    engine.dispose()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--threads", default="1,4")
    parser.add_argument("--lines", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="ocs-engine-"))
    url = args.database_url or f"sqlite:///{directory / 'bench.db'}"
    numbers = prepare(url, args.lines)
    print(f"database: {url.split('://')[0]}, {args.sessions} sessions × 3 requests")
    for threads in (int(t) for t in args.threads.split(",")):
        began = time.perf_counter()
        latencies = run_engine(url, numbers, args.sessions, threads)
        seconds = time.perf_counter() - began
        bare = run_bare(url, len(latencies), threads)
        rate = len(latencies) / seconds
        bare_rate = len(latencies) / bare
        p50 = statistics.median(latencies) * 1000
        print(
            f"threads {threads}: {rate:,.0f} requests/s, p50 {p50:.2f} ms,"
            f" p99 {percentile(latencies, 0.99) * 1000:.2f} ms; bare write unit of work"
            f" {bare_rate:,.0f}/s; ratio engine/bare {rate / bare_rate:.2f}"
        )


if __name__ == "__main__":
    main()
