"""A database with prepaid lines and money on them, and ``openbss ocs serve`` running on it —
for the end-to-end gateway tests and ``benchmarks/ocs.py``.

The lines are PHS prepaid lines (如意通, offering ``CT-PO-PHS-PREPAID`` of the seeded master
catalog, priced by its PHS tariff) in Guangzhou (GD): numbers +86 20 3xxx xxxx.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from openbss.account.models import BillingAccount
from openbss.catalog.models import ProductOffering
from openbss.charging.public import Owner, top_up
from openbss.db.engine import make_engine, make_session_factory
from openbss.db.uow import unit_of_work
from openbss.inventory.models import Product
from openbss.registry import metadata

OFFERING = "CT-PO-PHS-PREPAID"
ACCOUNT = "ACC-OCS-1"


def number(index: int) -> str:
    """The line's number as a network sends it in Subscription-Id (E.164, no +)."""
    return f"86203{index:07d}"


def _cli(env: dict[str, str], cwd: Path, *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "openbss.cli.main", *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"openbss {' '.join(args)} failed: {result.stderr[-2000:]}")


def prepare(
    directory: Path, *, lines: int = 1, balance_li: int = 100_000, url: str | None = None
) -> dict[str, str]:
    """Create the schema, seed the catalog and tariffs, add ``lines`` prepaid lines with
    ``balance_li`` each; the environment of an ``openbss`` process on that database."""
    directory.mkdir(parents=True, exist_ok=True)
    url = url or f"sqlite:///{directory / 'openbss.db'}"
    env = {**os.environ, "OPENBSS_DATABASE_URL": url, "OPENBSS_DATA_DIR": str(directory)}
    engine = make_engine(url)
    at = datetime.now(UTC)
    try:
        # The schema from the models (what the migrations build; `openbss db check` holds
        # them equal), then the master catalog and its tariffs as an operator seeds them.
        metadata.create_all(engine)
        _cli(env, directory, "seed", "catalog")
        factory = make_session_factory(engine)
        with unit_of_work(factory, writes=True) as session:
            offering_id = session.scalars(
                select(ProductOffering.id).where(ProductOffering.code == OFFERING)
            ).one()
            if session.get(BillingAccount, ACCOUNT) is None:
                session.add(BillingAccount(id=ACCOUNT, doc={"id": ACCOUNT}, province="GD"))
            for index in range(lines):
                product_id = f"P-OCS-{index}"
                session.add(
                    Product(
                        id=product_id, doc={"id": product_id}, province="GD", status="active",
                        customer_id="C-OCS", billing_account_id=ACCOUNT,
                        product_offering_id=offering_id, service_type="phs",
                        service_id=f"+{number(index)}", start_date=at,
                    )
                )  # fmt: skip
            session.flush()
            for index in range(lines):
                top_up(session, owner=Owner("product", f"P-OCS-{index}"), amount_li=balance_li,
                       at=at, reason="seed", reference=f"seed-{index}")  # fmt: skip
    finally:
        engine.dispose()
    return env


@dataclass
class Ocs:
    process: subprocess.Popen[str]
    diameter_port: int
    nchf_port: int | None
    log: list[str]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def ocs_serve(env: dict[str, str], cwd: Path, *extra: str, nchf: bool = False) -> Iterator[Ocs]:
    """``openbss ocs serve`` on free ports; waits for its ready lines; stops it (SIGTERM)."""
    nchf_port = free_port() if nchf else None
    args = ["ocs", "serve", "--diameter-port", "0", *extra]
    if nchf_port is not None:
        args += ["--nchf-port", str(nchf_port)]
    process = subprocess.Popen(
        [sys.executable, "-m", "openbss.cli.main", *args],
        env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        diameter_port = None
        ready_nchf = nchf_port is None
        deadline = time.monotonic() + 180
        assert process.stderr is not None
        while diameter_port is None or not ready_nchf:
            line = process.stderr.readline()
            if not line:
                raise RuntimeError("openbss ocs serve exited before it was ready")
            if time.monotonic() > deadline:
                raise RuntimeError("openbss ocs serve was not ready in 180 s")
            match = re.search(r"ready: Diameter Gy on [^:]+:(\d+)", line)
            if match:
                diameter_port = int(match.group(1))
            if "ready: Nchf" in line:
                ready_nchf = True
        # Keep reading its log, or a full pipe would block the server; the tail is kept.
        log: list[str] = []
        stream = process.stderr

        def drain() -> None:
            for line in stream:
                log.append(line)
                del log[:-200]

        threading.Thread(target=drain, daemon=True).start()
        yield Ocs(process, diameter_port, nchf_port, log)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
