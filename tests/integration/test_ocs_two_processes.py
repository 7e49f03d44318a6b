"""Two ``openbss ocs serve`` processes on one PostgreSQL database, one prepaid line: Diameter
sessions spread over both, concurrently. With money for all, the balance ends where one
engine charging the same requests directly leaves an identical database (nothing lost or
doubled across processes); with money for a few, it never goes below zero and the sessions
are cut with Final-Unit-Indication or refused."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from openbss.charging.engine.contract import (
    ChargingEngine,
    ChargingRequest,
    RequestType,
    ServiceRequest,
    ServiceUnits,
)
from openbss.charging.public import Unit, available, owners_of
from openbss.db.engine import make_engine, make_session_factory
from tests.conftest import PG_ADMIN_URL
from tests.ocs_support import number, ocs_serve, prepare
from tests.pycrate_gy import PycrateClient, ccr, cer
from tests.support import need

pytestmark = [pytest.mark.external, pytest.mark.slow, pytest.mark.postgres]

CALLED = "862087654321"
AT = datetime(2026, 12, 2, 2, 30, tzinfo=UTC)
SESSIONS = 8
FINAL = -1  # marks an answer that carried Final-Unit-Indication


def _database() -> Iterator[str]:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            name = f"openbss_ocs_{uuid.uuid4().hex[:10]}"
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:  # any failure means there is no server to test against
        need(False, f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_urls() -> Iterator[tuple[str, str]]:
    first, second = _database(), _database()
    yield next(first), next(second)
    for generator in (first, second):
        for _ in generator:
            pass


def _balance(url: str) -> int:
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            return available(session, owners_of(session, "P-OCS-0"), Unit.LI, datetime.now(UTC))
    finally:
        engine.dispose()


def _steps(index: int) -> list[tuple[int, int, dict[str, dict[int, int]]]]:
    used = 20 + index % 7 * 10
    return [
        (1, 0, {"requested": {420: 120}}),
        (2, 1, {"requested": {420: 120}, "used": {420: used}}),
        (3, 2, {"used": {420: used // 2}}),
    ]


def _drive(ports: tuple[int, int]) -> list[list[int]]:
    """Every session on its own connection, alternately to each process; the Result-Codes."""
    results: list[list[int]] = [[] for _ in range(SESSIONS)]

    def session(index: int) -> None:
        # Every request on the one balance waits for its row lock: slow on a loaded machine.
        client = PycrateClient("127.0.0.1", ports[index % 2], timeout=180)
        assert client.ask(cer())[268] == [2001]
        stamp = int(AT.timestamp())
        for kind, n, units in _steps(index):
            answer = client.ask(ccr(f"two;{index}", kind, n, number(0), called=CALLED,
                                    event_time=stamp, **units))  # fmt: skip
            results[index].append(answer[268][0])
            if answer[268][0] != 2001:
                break
            if any(430 in mscc for mscc in answer.get(456, [])):
                results[index].append(FINAL)  # Final-Unit-Indication: the last units
        client.close()

    threads = [threading.Thread(target=session, args=(i,)) for i in range(SESSIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    return results


def test_two_processes_share_one_balance(tmp_path: Path, pg_urls: tuple[str, str]) -> None:
    served_url, direct_url = pg_urls
    balance = 1_000_000
    env = prepare(tmp_path / "served", balance_li=balance, url=served_url)
    prepare(tmp_path / "direct", balance_li=balance, url=direct_url)
    with (
        ocs_serve(env, tmp_path / "served") as first,
        ocs_serve(env, tmp_path / "served") as second,
    ):
        results = _drive((first.diameter_port, second.diameter_port))
    assert all(codes == [2001, 2001, 2001] for codes in results), results

    engine = ChargingEngine(make_session_factory(make_engine(direct_url)),
                            data_dir=tmp_path / "direct")  # fmt: skip
    for index in range(SESSIONS):
        for kind, n, units in _steps(index):
            requested = units.get("requested", {}).get(420)
            used = units.get("used", {}).get(420)
            service = ServiceRequest(
                100,
                None if requested is None else ServiceUnits(seconds=requested),
                None if used is None else ServiceUnits(seconds=used),
            )
            request = ChargingRequest(f"two;{index}", RequestType(kind), n, number(0), CALLED,
                                      AT, (service,), "direct")  # fmt: skip
            assert engine.charge(request).result == 2001
    spent = balance - _balance(served_url)
    assert spent > 0
    assert spent == balance - _balance(direct_url)


def test_two_processes_never_overdraw(tmp_path: Path, pg_urls: tuple[str, str]) -> None:
    url, _ = pg_urls
    env = prepare(tmp_path / "served", balance_li=300, url=url)  # a few minutes of calls
    with (
        ocs_serve(env, tmp_path / "served") as first,
        ocs_serve(env, tmp_path / "served") as second,
    ):
        results = _drive((first.diameter_port, second.diameter_port))
    assert _balance(url) >= 0
    cut = [codes for codes in results if FINAL in codes or codes[0] != 2001]
    assert cut, "the money runs out: sessions get their last units or are refused"
    assert {codes[0] for codes in results} <= {2001, 4012, 4010}
