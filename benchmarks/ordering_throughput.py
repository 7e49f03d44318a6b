"""Order capture → completion throughput, through the real API and the simulated OSS.

For each backend (a fresh SQLite file; a fresh PostgreSQL database when reachable) the script
creates customers with billing accounts, seeds the catalog and the number pools (not timed),
then times:

* capture: ``POST /productOrder`` of a fixed line + ADSL bundle per customer, through the
  FastAPI application in-process (authentication, validation, pricing, number reservation,
  product creation, outbox), one request and one transaction per order;
* completion: the order orchestration until every order is completed — one service order
  per network, executed against the simulated network elements (no artificial delay).

It prints orders/s for capture, for completion and end to end, as the median of
``--runs`` runs (each on a fresh database). Usage:

    uv run python benchmarks/ordering_throughput.py [--orders 300] [--runs 3] \
        [--backends sqlite,postgres]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from openbss.account.service import billing_accounts
from openbss.api.app import create_app
from openbss.auth.service import create_key
from openbss.catalog.seed import seed_catalog
from openbss.customer.service import customers
from openbss.db.engine import make_engine, make_session_factory
from openbss.db.uow import unit_of_work
from openbss.kit.security import Principal, Role
from openbss.numbering.service import seed_number_pools
from openbss.ordering.models import ProductOrder
from openbss.ordering.orchestrator import work_once
from openbss.party.identity import make_resident_id
from openbss.party.service import individuals
from openbss.registry import metadata

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
GD = Principal(key_id="bench", role=Role.ADMIN, province="GD")
ORDERS = "/tmf-api/productOrderingManagement/v4/productOrder"


@contextmanager
def database(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    name = f"openbss_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def prepare(factory: sessionmaker[Session], count: int) -> tuple[str, list[tuple[str, str]]]:
    """Catalog, number pools and ``count`` customers with an account; returns the bundle id."""
    with unit_of_work(factory) as session:
        catalog = seed_catalog(session)
        seed_number_pools(session, "GD")
    pairs = []
    with unit_of_work(factory) as session:
        for n in range(count):
            resident = make_resident_id("440106", date(1970 + n % 30, 1 + n % 12, 1 + n % 28), n)
            party = individuals.create(
                session,
                GD,
                {
                    "familyName": "林",
                    "givenName": f"{n}",
                    "individualIdentification": [
                        {"identificationType": "ResidentIdentityCard", "identificationId": resident}
                    ],
                },
            )
            customer = customers.create(
                session,
                GD,
                {"name": f"林{n}", "engagedParty": {"id": party.id, "@referredType": "Individual"}},
            )
            account = billing_accounts.create(
                session,
                GD,
                {"name": f"林{n}", "relatedParty": [{"id": party.id, "role": "owner"}]},
            )
            pairs.append((customer.id, account.id))
    return catalog["CT-PO-BUNDLE-FIXED-ADSL"], pairs


def order_body(offering: str, customer: str, account: str, n: int) -> dict[str, object]:
    return {
        "externalId": f"BENCH-{n}",
        "channel": [{"id": "retailHall", "role": "salesChannel"}],
        "relatedParty": [{"id": customer, "@referredType": "Customer"}],
        "billingAccount": {"id": account},
        "productOrderItem": [
            {
                "id": "1",
                "action": "add",
                "productOffering": {"id": offering},
                "product": {
                    "place": [
                        {"role": "installationAddress", "city": "广州", "street1": f"中山路 {n} 号"}
                    ]
                },
            }
        ],
    }


def one_run(backend: str, count: int) -> tuple[float, float]:
    with database(backend) as url:
        engine = make_engine(url)
        metadata.create_all(engine)
        factory = make_session_factory(engine)
        offering, pairs = prepare(factory, count)
        with unit_of_work(factory) as session:
            key = create_key(session, "csr", "GD")
        headers = {"Authorization": f"Bearer {key}"}
        app = create_app(factory, dispatch_events=False)
        with TestClient(app) as client:
            started = time.perf_counter()
            for n, (customer, account) in enumerate(pairs):
                response = client.post(
                    ORDERS, json=order_body(offering, customer, account, n), headers=headers
                )
                if response.status_code != 201:
                    raise SystemExit(f"order {n} refused: {response.text}")
            captured = time.perf_counter()
            while work_once(factory):
                pass
            finished = time.perf_counter()
        with factory() as session:
            done = session.scalar(
                select(func.count())
                .select_from(ProductOrder)
                .where(ProductOrder.state == "completed")
            )
        if done != count:
            raise SystemExit(f"{backend}: only {done} of {count} orders completed")
        engine.dispose()
        return captured - started, finished - captured


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    report: Callable[[str], None] = print
    report(
        f"order capture → completion, {args.orders} bundle orders (fixed line + ADSL), "
        f"median of {args.runs} runs"
    )
    for backend in args.backends.split(","):
        try:
            runs = [one_run(backend, args.orders) for _ in range(args.runs)]
        except Exception as exc:  # PostgreSQL not reachable: say so and go on
            report(f"  {backend:8s} skipped: {type(exc).__name__}: {exc}")
            continue
        capture = statistics.median(r[0] for r in runs)
        complete = statistics.median(r[1] for r in runs)
        total = statistics.median(r[0] + r[1] for r in runs)
        report(
            f"  {backend:8s} capture {args.orders / capture:7.1f} orders/s   "
            f"provision+complete {args.orders / complete:7.1f} orders/s   "
            f"end to end {args.orders / total:7.1f} orders/s"
        )


if __name__ == "__main__":
    main()
