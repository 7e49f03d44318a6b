"""Mixed read/write load on ``openbss serve`` with PostgreSQL, from an asyncio httpx client.

The script (nothing of it is timed until the load starts):

1. creates a fresh PostgreSQL database, migrates it (``openbss db upgrade``) and seeds the
   demo province GD (``openbss seed demo``: customers, accounts, subscriptions ordered through
   the real order flow), rates and bills the previous month (``openbss rating run``,
   ``openbss billing run``), then creates a csr, a finance
   and an admin key of province GD;
2. starts ``openbss serve --workers N --no-access-log`` on a free port;
3. runs, in ``--clients`` load processes each with ``--concurrency`` asyncio connections, first
   the trivial authenticated endpoint (``GET /api/v1/whoami``: key check, no data) alone, then
   the mixed load: 70 % GETs (customers, products and bills, with filters and a page of 20)
   and 30 % POSTs (individual parties, product orders, payments);
4. prints req/s, p50 and p99 per operation and overall, and the ratio of the trivial
   endpoint's req/s to the mixed load's in the same run; median over ``--runs``.

Usage:

    uv run python benchmarks/api_load.py [--workers 2] [--clients 2] [--concurrency 16] \
        [--seconds 20] [--runs 3] [--customers 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
OPENBSS = str(Path(sys.executable).with_name("openbss"))
CUSTOMERS = "/tmf-api/customerManagement/v4/customer"
PRODUCTS = "/tmf-api/productInventory/v4/product"
BILLS = "/tmf-api/customerBillManagement/v4/customerBill"
PARTIES = "/tmf-api/party/v4/individual"
ORDERS = "/tmf-api/productOrderingManagement/v4/productOrder"
PAYMENTS = "/tmf-api/paymentManagement/v4/payment"
WHOAMI = "/api/v1/whoami"
# (operation, weight in percent): 70 % reads, 30 % writes.
MIX = (
    ("GET customer", 25),
    ("GET product", 25),
    ("GET customerBill", 20),
    ("POST individual", 10),
    ("POST productOrder", 10),
    ("POST payment", 10),
)


@contextmanager
def database() -> Iterator[str]:
    name = f"openbss_apiload_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def openbss(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [OPENBSS, *args], env=env, capture_output=True, text=True, check=False, timeout=3600
    )
    if done.returncode != 0:
        raise SystemExit(f"openbss {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout.strip()


def previous_month() -> str:
    first = datetime.now(UTC).replace(day=1)
    return f"{first - timedelta(days=1):%Y-%m}"


def seed(env: dict[str, str], url: str, customers: int) -> dict[str, Any]:
    """The database the load runs on; returns keys and the ids the load picks from."""
    openbss(env, "db", "upgrade")
    openbss(
        env,
        "seed",
        "demo",
        "--customers",
        str(customers),
        "--enterprises",
        str(max(1, customers // 10)),
        "--subscriptions",
        str(max(1, customers // 2)),
    )
    openbss(env, "rating", "run", "--period", previous_month())
    openbss(env, "billing", "run", "--period", previous_month())
    keys = {
        role: openbss(env, "auth", "create-key", "--role", role, "--province", "GD")
        for role in ("csr", "finance", "admin")
    }
    engine = create_engine(url)
    with engine.connect() as conn:
        ids = {
            # (customer, one of its billing accounts): an order bills the customer's account.
            "pairs": [
                (r[0], r[1])
                for r in conn.execute(
                    text(
                        "SELECT c.id, min(a.id) FROM customer c JOIN account_billing a "
                        "ON a.owner_party_id = c.engaged_party_id GROUP BY c.id"
                    )
                )
            ],
            "billed": [
                r[0]
                for r in conn.execute(text("SELECT DISTINCT billing_account_id FROM billing_bill"))
            ],
            "offering": conn.execute(
                text(
                    "SELECT id FROM catalog_product_offering WHERE code = 'CT-PO-FIXED-LOCAL' "
                    "ORDER BY id LIMIT 1"
                )
            ).scalar_one(),
        }
        for table in ("customer", "inventory_product", "billing_bill"):
            ids[table] = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    engine.dispose()
    return {"keys": keys, **ids}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_cpu_seconds(pids: list[int] | None) -> float:
    """CPU seconds used so far by these processes (Linux ``/proc``; 0 elsewhere)."""
    total = 0.0
    for pid in pids or ():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux ``/proc``; only ``pid`` elsewhere)."""
    found = [pid]
    for known in found:
        try:
            children = Path(f"/proc/{known}/task/{known}/children").read_text().split()
        except OSError:
            continue
        found.extend(int(child) for child in children)
    return found


@contextmanager
def server(env: dict[str, str], workers: int) -> Iterator[tuple[str, int]]:
    port = free_port()
    proc = subprocess.Popen(
        [OPENBSS, "serve", "--port", str(port), "--workers", str(workers), "--no-access-log"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.5)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def request_for(op: str, rng: random.Random, data: dict[str, Any], serial: str) -> tuple:
    """(method, path, params, json body, key role) of one request of operation ``op``."""
    if op == "whoami":
        return "GET", WHOAMI, None, None, "csr"
    if op == "GET customer":
        return "GET", CUSTOMERS, {"status": "active", "limit": 20}, None, "csr"
    if op == "GET product":
        return "GET", PRODUCTS, {"status": "active", "limit": 20}, None, "csr"
    if op == "GET customerBill":
        account = rng.choice(data["billed"])
        return "GET", BILLS, {"billingAccount.id": account, "limit": 20}, None, "csr"
    if op == "POST individual":
        body = {"givenName": f"测{serial}", "familyName": "负载", "fullName": f"负载测{serial}"}
        return "POST", PARTIES, None, body, "csr"
    if op == "POST productOrder":
        customer, account = rng.choice(data["pairs"])
        body = {
            "externalId": f"LOAD-{serial}",
            "relatedParty": [{"id": customer, "role": "customer", "@referredType": "Customer"}],
            "billingAccount": {"id": account},
            "productOrderItem": [
                {
                    "id": "1",
                    "action": "add",
                    "productOffering": {"id": data["offering"]},
                    "product": {
                        "place": [
                            {
                                "role": "installationAddress",
                                "stateOrProvince": "广东省",
                                "city": "广州市",
                                "street1": f"天河路 {serial} 号",
                            }
                        ]
                    },
                }
            ],
        }
        return "POST", ORDERS, None, body, "csr"
    body = {
        "correlatorId": f"LOAD-{serial}",
        "account": {"id": rng.choice(data["pairs"])[1]},
        "paymentMethod": {"id": "cash"},
        "totalAmount": {"unit": "CNY", "value": 10},
    }
    return "POST", PAYMENTS, None, body, "finance"


async def drive(
    base: str,
    data: dict[str, Any],
    ops: list[str],
    weights: list[int],
    concurrency: int,
    seconds: float,
    seed_no: int,
) -> list[tuple[str, float, int]]:
    rng = random.Random(seed_no)
    samples: list[tuple[str, float, int]] = []
    headers = {role: {"Authorization": f"Bearer {key}"} for role, key in data["keys"].items()}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        stop = time.monotonic() + seconds
        counter = 0

        async def one_connection() -> None:
            nonlocal counter
            while time.monotonic() < stop:
                counter += 1
                op = rng.choices(ops, weights)[0]
                serial = f"{seed_no}{counter:07d}{uuid.uuid4().hex[:6]}"
                method, path, params, body, role = request_for(op, rng, data, serial)
                started = time.perf_counter()
                response = await client.request(
                    method, path, params=params, json=body, headers=headers[role]
                )
                samples.append((op, time.perf_counter() - started, response.status_code))

        await asyncio.gather(*(one_connection() for _ in range(concurrency)))
    return samples


def client_process(args: tuple) -> list[tuple[str, float, int]]:
    return asyncio.run(drive(*args))


def load(
    base: str,
    data: dict[str, Any],
    mix: tuple[tuple[str, int], ...],
    clients: int,
    concurrency: int,
    seconds: float,
    server_pids: list[int] | None = None,
) -> tuple[float, dict[str, dict[str, float]]]:
    ops, weights = [op for op, _ in mix], [w for _, w in mix]
    jobs = [(base, data, ops, weights, concurrency, seconds, n + 1) for n in range(clients)]
    # Rates are over the clients' own timed window (``seconds``), not the pool's start-up.
    # The clients' CPU: the pool's processes are children of this one, reaped when it closes.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = server_cpu_seconds(server_pids)
    with multiprocessing.get_context("spawn").Pool(clients) as pool:
        results = pool.map(client_process, jobs)
        pool.close()
        pool.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_used = server_cpu_seconds(server_pids) - server_before
    by_op: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    for op, latency, status in (s for part in results for s in part):
        by_op[op].append(latency)
        by_op["all"].append(latency)
        if status >= 400:
            errors[op] += 1
    window = max(seconds, 1e-9)
    report = {
        op: {
            "rps": len(lat) / window,
            "p50": statistics.median(lat) * 1000,
            "p99": statistics.quantiles(lat, n=100)[98] * 1000 if len(lat) > 1 else lat[0] * 1000,
            "errors": errors[op],
        }
        for op, lat in by_op.items()
    }
    report["all"]["client_cpu"] = (
        after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    )
    report["all"]["server_cpu"] = server_used
    return report["all"]["rps"], report


def cpu_ms(row: dict[str, float], seconds: float) -> tuple[float, float]:
    """CPU milliseconds per request of the server (its workers) and of the load clients."""
    done = max(row["rps"] * seconds, 1)
    return row["server_cpu"] * 1000 / done, row["client_cpu"] * 1000 / done


def cpu_line(report: dict[str, dict[str, float]], seconds: float) -> str:
    server_ms, client_ms = cpu_ms(report["all"], seconds)
    return f"server {server_ms:.2f} ms CPU/req, clients {client_ms:.2f} ms CPU/req"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=2, help="load client processes")
    parser.add_argument("--concurrency", type=int, default=16, help="connections per client")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--customers", type=int, default=1000)
    args = parser.parse_args()
    with database() as url, tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "OPENBSS_DATABASE_URL": url, "OPENBSS_DATA_DIR": tmp}
        started = time.perf_counter()
        data = seed(env, url, args.customers)
        print(
            f"seeded in {time.perf_counter() - started:.0f} s: "
            f"{data['customer']} customers, {data['inventory_product']} products, "
            f"{data['billing_bill']} bills",
            flush=True,
        )
        runs = []
        with server(env, args.workers) as (base, pid):
            load(base, data, (("whoami", 1), *MIX), 1, 4, 3)  # warm every worker's pool
            pids = process_tree(pid)
            for run in range(args.runs):
                trivial, trivial_report = load(
                    base, data, (("whoami", 1),), args.clients, args.concurrency, args.seconds, pids
                )
                mixed, report = load(
                    base, data, MIX, args.clients, args.concurrency, args.seconds, pids
                )
                runs.append((trivial, mixed, trivial_report, report))
                print(
                    f"run {run + 1}: trivial {trivial:,.0f} req/s, mixed {mixed:,.0f} req/s, "
                    f"ratio {trivial / mixed:.2f}; {cpu_line(trivial_report, args.seconds)}; "
                    f"{cpu_line(report, args.seconds)}",
                    flush=True,
                )
    print(
        f"\n{args.workers} server workers, {args.clients} client processes × "
        f"{args.concurrency} connections, {args.seconds:.0f} s per phase; medians of "
        f"{args.runs} runs"
    )
    print(f"{'operation':<20} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    names = ["whoami", *(op for op, _ in MIX), "all"]
    for name in names:
        source = 2 if name == "whoami" else 3
        rows = [r[source][name] for r in runs if name in r[source]]
        if not rows:
            continue
        label = "mixed, all" if name == "all" else name
        print(
            f"{label:<20} {statistics.median(r['rps'] for r in rows):>8,.0f} "
            f"{statistics.median(r['p50'] for r in rows):>8.1f} "
            f"{statistics.median(r['p99'] for r in rows):>8.1f} "
            f"{sum(r['errors'] for r in rows):>7}"
        )
    ratio = statistics.median(t / m for t, m, _, _ in runs)
    print(f"ratio trivial / mixed req/s: {ratio:.2f}")
    for label, source in (("trivial", 2), ("mixed", 3)):
        per_request = [cpu_ms(r[source]["all"], args.seconds) for r in runs]
        server_ms = statistics.median(server for server, _ in per_request)
        client_ms = statistics.median(client for _, client in per_request)
        print(
            f"CPU per request, {label}: server workers {server_ms:.2f} ms, load clients "
            f"{client_ms:.2f} ms (medians; PostgreSQL not included)"
        )


if __name__ == "__main__":
    main()
