"""Two real sessions racing for numbers on PostgreSQL: exactly one wins each number.

Each contender opens its own transaction, waits at a barrier with the other, reserves, and
keeps its transaction open for a while before committing, so the winner still holds the row
when the loser's compare-and-set reaches it. The loser's UPDATE then waits on the winner's
row lock and, once the winner commits, finds the number no longer free. That the loser was
really blocked is checked too (its call took about as long as the winner kept the lock),
so the test cannot pass by the two simply running one after the other. While other free
numbers are left, a sale passes over the number another one has locked and does not wait.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from openbss.db.engine import make_session_factory
from openbss.db.uow import unit_of_work
from openbss.kit.errors import Conflict
from openbss.kit.security import Principal, Role
from openbss.numbering import service
from openbss.numbering.service import NumberKind
from tests.conftest import _empty_all_tables

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ADMIN = Principal("admin", Role.ADMIN, "GD")
CSR = Principal("csr", Role.CSR, "GD")
HOLD_SECONDS = 0.4  # how long the winner keeps its transaction (and row lock) open
ROUNDS = 5
LAST_FREE = "+862083100001"  # 83100001–83100002; 83100000 is golden, never picked


@dataclass
class Outcome:
    name: str
    result: str = ""  # the number won, or the error code
    seconds: float = 0.0


@pytest.fixture
def factory(postgres_engine: Engine) -> Iterator[sessionmaker[Session]]:
    _empty_all_tables(postgres_engine)
    yield make_session_factory(postgres_engine)
    _empty_all_tables(postgres_engine)


def race(factory: sessionmaker[Session], reserve: Callable[[Session, str], str]) -> list[Outcome]:
    """Run two contenders at the same moment; each commits HOLD_SECONDS after winning."""
    barrier = threading.Barrier(2, timeout=10)
    outcomes = [Outcome("contender:a"), Outcome("contender:b")]

    def contend(outcome: Outcome) -> None:
        with factory() as session:
            session.execute(text("SELECT 1"))  # the transaction is open before the start
            barrier.wait()
            started = time.monotonic()
            try:
                outcome.result = reserve(session, outcome.name)
            except Conflict as exc:
                outcome.seconds = time.monotonic() - started
                outcome.result = exc.code
                session.rollback()
                return
            outcome.seconds = time.monotonic() - started
            time.sleep(HOLD_SECONDS)
            session.commit()

    threads = [threading.Thread(target=contend, args=(o,)) for o in outcomes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive(), "a contender hung"
    return outcomes


def setup_pool(factory: sessionmaker[Session], last: str) -> None:
    with unit_of_work(factory) as session:
        service.create_pool(
            session,
            ADMIN,
            kind=NumberKind.FIXED,
            name="race",
            area_code="020",
            first="83100000",
            last=last,
        )


def reserve_any(session: Session, holder: str) -> str:
    hold = service.reserve(session, CSR, kind=NumberKind.FIXED, holder=holder, area_code="020")
    return hold.number


def reserve_last_free(session: Session, holder: str) -> str:
    hold = service.reserve(
        session, CSR, kind=NumberKind.FIXED, holder=holder, area_code="020", number=LAST_FREE
    )
    return hold.number


def holders(factory: sessionmaker[Session], number: str) -> str | None:
    with factory() as session:
        info = service.find_number(session, ADMIN, number)
        assert info is not None
        return info.holder


def release_all(factory: sessionmaker[Session]) -> None:
    with unit_of_work(factory) as session:
        for name in ("contender:a", "contender:b"):
            service.release(session, CSR, holder=name)


def check_one_winner(
    factory: sessionmaker[Session], outcomes: list[Outcome], loser_code: str
) -> None:
    winners = [o for o in outcomes if o.result.startswith("+86")]
    losers = [o for o in outcomes if not o.result.startswith("+86")]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert winners[0].result == LAST_FREE
    assert losers[0].result == loser_code
    assert holders(factory, LAST_FREE) == winners[0].name
    # The loser was held up by the winner's open transaction: a real race, not a queue.
    assert losers[0].seconds >= HOLD_SECONDS / 2, outcomes


def test_exactly_one_of_two_sessions_gets_the_last_free_number(
    factory: sessionmaker[Session],
) -> None:
    setup_pool(factory, last="83100001")  # 83100000 is golden: one ordinary number
    for _round in range(ROUNDS):
        outcomes = race(factory, reserve_any)
        check_one_winner(factory, outcomes, "NO_FREE_NUMBER")
        release_all(factory)


def test_exactly_one_of_two_sessions_gets_an_explicit_number(
    factory: sessionmaker[Session],
) -> None:
    setup_pool(factory, last="83100009")
    for _round in range(ROUNDS):
        outcomes = race(factory, reserve_last_free)
        check_one_winner(factory, outcomes, "NUMBER_UNAVAILABLE")
        release_all(factory)


def test_the_loser_of_a_race_moves_on_to_the_next_free_number(
    factory: sessionmaker[Session],
) -> None:
    setup_pool(factory, last="83100002")  # two ordinary numbers
    for _round in range(ROUNDS):
        outcomes = race(factory, reserve_any)
        assert sorted(o.result for o in outcomes) == ["+862083100001", "+862083100002"]
        for outcome in outcomes:
            assert holders(factory, outcome.result) == outcome.name
        release_all(factory)


def test_concurrent_sales_take_different_numbers_without_waiting(
    factory: sessionmaker[Session],
) -> None:
    # With numbers to spare, the second sale passes over the one the first has locked
    # instead of waiting for the first sale's transaction to end.
    setup_pool(factory, last="83100009")
    for _round in range(ROUNDS):
        outcomes = race(factory, reserve_any)
        assert sorted(o.result for o in outcomes) == ["+862083100001", "+862083100002"]
        assert all(o.seconds < HOLD_SECONDS / 2 for o in outcomes), outcomes
        release_all(factory)
