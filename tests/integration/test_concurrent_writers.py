"""Concurrent writers through the HTTP API, on SQLite and PostgreSQL.

Requests run in parallel threads against one application, as a server's worker threads
would. Every 200 must stand for a change that is kept (a loser answers 409 or 412); a race
must never leave a loop in an account hierarchy, a 500, or two orders for one externalId.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

import openbss.account.service.common as account_common
import openbss.ordering.cancellation as cancellation
from openbss.account.models import BillingAccount
from openbss.api.app import create_app
from openbss.ordering.models import ProductOrder
from tests.api.test_account_api import BASE, create_account, organization, parent_link
from tests.conftest import KeyMaker
from tests.ordering_support import ORDERS, installation, sales_ready, single_order

ACCOUNTS = f"{BASE}/billingAccount"
WRITERS = 20


def in_parallel(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls at once: each thread waits for all the others before it sends."""
    start = threading.Barrier(len(calls), timeout=30)

    def run(call: Callable[[], Any]) -> Any:
        start.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_parallel_merge_patches_keep_every_change_they_acknowledge(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    headers = auth("csr")
    account = create_account(client, headers, organization(client, auth))
    path = f"{ACCOUNTS}/{account['id']}"

    def patch(i: int) -> Callable[[], Any]:
        return lambda: client.patch(path, json={f"note{i:02d}": f"change {i}"}, headers=headers)

    responses = in_parallel([patch(i) for i in range(WRITERS)])
    assert {r.status_code for r in responses} <= {200, 409, 412}, [r.text for r in responses]
    acknowledged = {f"note{i:02d}" for i, r in enumerate(responses) if r.status_code == 200}
    assert acknowledged, "at least one writer wins"
    with session_factory() as s:
        stored = s.get(BillingAccount, account["id"])
        assert stored is not None
        kept = {key for key in stored.doc if key.startswith("note")}
    assert kept == acknowledged


def test_parallel_writers_with_the_same_etag_one_wins_the_others_get_412(
    client: TestClient, auth: KeyMaker
) -> None:
    headers = auth("csr")
    account = create_account(client, headers, organization(client, auth))
    path = f"{ACCOUNTS}/{account['id']}"
    tag = client.get(path, headers=headers).headers["ETag"]
    conditional = {**headers, "If-Match": tag}

    def patch(i: int) -> Callable[[], Any]:
        return lambda: client.patch(path, json={"name": f"name {i}"}, headers=conditional)

    responses = in_parallel([patch(i) for i in range(8)])
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [412] * 7, [r.text for r in responses]
    winner = next(r for r in responses if r.status_code == 200).json()["name"]
    assert client.get(path, headers=headers).json()["name"] == winner


def test_crossed_reparentings_never_leave_a_loop(
    client: TestClient,
    auth: KeyMaker,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    headers = auth("csr")
    org = organization(client, auth)
    a = create_account(client, headers, org, name="A")["id"]
    b = create_account(client, headers, org, name="B")["id"]
    # Each request waits, after its loop check has begun, until the other has reached the
    # same point (or a short timeout, when the other is held back by a lock): on a database
    # without write serialisation both checks would read the old hierarchy.
    both = threading.Barrier(2, timeout=1.0)
    real = account_common.makes_cycle

    def makes_cycle_in_step(*args: Any) -> bool:
        with contextlib.suppress(threading.BrokenBarrierError):
            both.wait()
        return real(*args)

    monkeypatch.setattr(account_common, "makes_cycle", makes_cycle_in_step)

    def reparent(child: str, parent: str) -> Callable[[], Any]:
        body = {"accountRelationship": parent_link(parent)}
        return lambda: client.patch(f"{ACCOUNTS}/{child}", json=body, headers=headers)

    responses = in_parallel([reparent(a, b), reparent(b, a)])
    assert {r.status_code for r in responses} <= {200, 409, 422}, [r.text for r in responses]
    with session_factory() as s:
        parents = {row.id: row.parent_account_id for row in s.scalars(select(BillingAccount))}
    assert not (parents[a] == b and parents[b] == a), "the hierarchy has a loop"
    assert sum(r.status_code == 200 for r in responses) == sum(
        parents[child] is not None for child in (a, b)
    )


@pytest.fixture
def live_client(session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    """The application with its order orchestration running, as in production."""
    app = create_app(session_factory, dispatch_events=False, orchestrate_orders=True)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_identical_orders_in_parallel_make_one_order_and_answer_200_to_the_rest(
    client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    sales = sales_ready(session_factory)
    headers = auth("csr")
    body = {
        **single_order(sales, "CT-PO-FIXED-LOCAL", place=installation()),
        "externalId": "crm-20261203-0001",
    }

    def submit() -> Any:
        return client.post(f"{ORDERS}/productOrder", json=body, headers=headers)

    responses = in_parallel([submit for _ in range(WRITERS)])
    codes = [r.status_code for r in responses]
    # 1×201 and 19×200; on a machine so loaded that a writer waits out the lock timeout, that
    # writer answers 409 CONCURRENT_UPDATE (retry), never a duplicate or another refusal.
    assert codes.count(201) == 1, [r.text for r in responses]
    assert set(codes) <= {200, 201, 409}, [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} <= {"CONCURRENT_UPDATE"}
    assert len({r.json()["id"] for r in responses if r.status_code < 300}) == 1
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(ProductOrder)) == 1


def test_cancelling_right_after_submitting_never_answers_500(
    live_client: TestClient, auth: KeyMaker, session_factory: sessionmaker[Session]
) -> None:
    sales = sales_ready(session_factory)
    headers = auth("csr")
    outcomes = []
    for _ in range(5):
        order = live_client.post(
            f"{ORDERS}/productOrder",
            json=single_order(sales, "CT-PO-FIXED-LOCAL", place=installation()),
            headers=headers,
        )
        assert order.status_code == 201, order.text
        cancel = live_client.post(
            f"{ORDERS}/cancelProductOrder",
            json={"productOrder": {"id": order.json()["id"]}},
            headers=headers,
        )
        outcomes.append((order.json()["id"], cancel.status_code, cancel.text))
    assert {code for _, code, _ in outcomes} <= {201, 409}, outcomes
    with session_factory() as s:
        for order_id, code, _ in outcomes:
            stored = s.get(ProductOrder, order_id)
            assert stored is not None
            assert (stored.state == "cancelled") == (code == 201), (order_id, stored.state)


def _sqlite_busy() -> OperationalError:
    orig = sqlite3.OperationalError("database is locked")
    orig.sqlite_errorcode = sqlite3.SQLITE_BUSY
    return OperationalError("UPDATE product_order ...", {}, orig)


@pytest.mark.parametrize(
    "race",
    [
        # What the ORM raises when a worker changed the versioned order first.
        lambda: StaleDataError("UPDATE statement on table 'product_order' expected 1 row"),
        # SQLite: concurrent writers held the lock past the busy timeout.
        _sqlite_busy,
    ],
    ids=["stale-row", "sqlite-busy"],
)
def test_a_lost_race_is_a_409_not_a_500(
    client: TestClient,
    auth: KeyMaker,
    monkeypatch: pytest.MonkeyPatch,
    race: Callable[[], Exception],
) -> None:
    def overtaken(*_args: Any, **_kwargs: Any) -> Any:
        raise race()

    monkeypatch.setattr(cancellation, "cancel", overtaken)
    response = client.post(
        f"{ORDERS}/cancelProductOrder",
        json={"productOrder": {"id": "any"}},
        headers=auth("csr"),
    )
    assert (response.status_code, response.json()["code"]) == (409, "CONCURRENT_UPDATE")
