"""The balance primitives under the online charging engine: reserve / debit cycles per second.

Each cycle is what one credit-control update asks of the balances: in one write unit of work,
``debit`` the previous grant (used units, the rest released) and ``reserve`` the next one, on
buckets shared by ``--lines`` prepaid lines of one account. Measured in one run against the
baseline of the same number of write units of work that each read and update one bucket row
(the floor any database-backed balance pays), with ``--threads`` writers:

    uv run python benchmarks/balances.py [--cycles 2000] [--threads 4] [--lines 50]
                                         [--database sqlite|postgres]

PostgreSQL at ``OPENBSS_TEST_PG_URL`` (default postgresql+psycopg://postgres@127.0.0.1/postgres)
gets a fresh database, dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text, update
from sqlalchemy.orm import Session, sessionmaker
from tests.charging_support import line

from openbss.charging import public as charging
from openbss.charging.models import BalanceBucket
from openbss.db.engine import make_engine, make_session_factory
from openbss.db.uow import unit_of_work
from openbss.registry import metadata

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def prepare(
    factory: sessionmaker[Session], lines: int
) -> tuple[list[tuple[charging.Owner, ...]], str]:
    with unit_of_work(factory, writes=True) as s:
        owners = [line(s, f"+86133{n:08d}", account_id="ACC-BENCH").owners for n in range(lines)]
        bucket = charging.create_bucket(
            s, owner=owners[0][1], unit=charging.Unit.SECOND, amount=10**12, at=T0
        )
    return owners, bucket.bucket_id


def run(threads: int, cycles: int, work: Callable[[int, int], None]) -> tuple[float, list[float]]:
    per_thread = cycles // threads
    latencies: list[float] = []
    lock = threading.Lock()

    def worker(t: int) -> None:
        mine = []
        for n in range(per_thread):
            start = time.perf_counter()
            work(t, n)
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return per_thread * threads / (time.perf_counter() - started), latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cycles", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--lines", type=int, default=50)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()

    def drop() -> None:
        return None

    with tempfile.TemporaryDirectory() as tmp:
        if args.database == "sqlite":
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        else:
            admin_url = os.environ.get(
                "OPENBSS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
            )
            name = f"openbss_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            url = admin_url.rsplit("/", 1)[0] + f"/{name}"

            def drop() -> None:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

        engine = make_engine(url)
        try:
            metadata.create_all(engine)
            factory = make_session_factory(engine)
            owners, bucket_id = prepare(factory, args.lines)

            def cycle(t: int, n: int) -> None:
                at = T0 + timedelta(seconds=n)
                session_id = f"s{t}-{n // 10}"  # ten updates per session
                with unit_of_work(factory, writes=True) as s:
                    if n % 10:
                        charging.debit(s, reservation_id=f"{session_id}:{n - 1}", used=30,
                                       at=at, release_rest=True, sequence=n)  # fmt: skip
                    charging.reserve(
                        s, reservation_id=f"{session_id}:{n}",
                        owners=owners[(t * 7 + n) % len(owners)],
                        unit=charging.Unit.SECOND, amount=60, at=at,
                        expires_at=at + timedelta(minutes=5),
                    )  # fmt: skip

            def floor(_t: int, _n: int) -> None:
                with unit_of_work(factory, writes=True) as s:
                    s.execute(
                        update(BalanceBucket)
                        .where(BalanceBucket.id == bucket_id)
                        .values(reserved=BalanceBucket.reserved)
                    )

            base_rate, _ = run(args.threads, args.cycles, floor)
            rate, latencies = run(args.threads, args.cycles, cycle)
            latencies.sort()
            p50 = statistics.median(latencies) * 1000
            p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
            print(f"{args.database}, {args.threads} thread(s), {args.lines} lines sharing one "
                  f"account bucket, {args.cycles} cycles")  # fmt: skip
            print(f"debit+reserve cycles: {rate:,.0f}/s  p50 {p50:.2f} ms  p99 {p99:.2f} ms")
            print(f"baseline (one locked row update per unit of work): {base_rate:,.0f}/s")
            print(f"ratio cycle rate / baseline rate: {rate / base_rate:.2f}")
        finally:
            engine.dispose()
            drop()


if __name__ == "__main__":
    main()
