"""Factories for online charging engine tests: real prepaid PHS lines (ordered, activated,
numbered), the 2005 tariffs bound to them, money on their balances, and a settable clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from openbss.charging import public as balances
from openbss.charging.engine.contract import (
    ChargingAnswer,
    ChargingEngine,
    ChargingRequest,
    EngineSettings,
    RequestType,
    ServiceRequest,
    ServiceUnits,
)
from openbss.db.uow import unit_of_work
from openbss.inventory.public import get_product
from tests.ordering_support import Sales
from tests.rating_support import line, rating_ready

PREPAID = "CT-PO-PHS-PREPAID"
# Monday 2 March 2026, 10:00 in Guangzhou (day band); the lines were activated at 09:00.
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
LOCAL = "02087654321"  # a Guangzhou fixed number: a local call from a Guangzhou PHS
VOICE, SMS, DATA = 100, 200, 300


@dataclass
class Clock:
    at: datetime = NOW

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@dataclass
class Prepaid:
    factory: sessionmaker[Session]
    sales: Sales
    numbers: list[str]
    clock: Clock = field(default_factory=Clock)

    def product_of(self, number: str) -> str:
        with self.factory() as session:
            found = balances.subscriber_product(
                session, number, NOW, statuses=("active", "suspended")
            )
            assert found is not None
            return found.product_id

    def owners(self, number: str) -> tuple[balances.Owner, ...]:
        with self.factory() as session:
            return balances.owners_of(session, self.product_of(number))

    def top_up(self, number: str, li: int, *, account: bool = False) -> None:
        owners = self.owners(number)
        owner = owners[1] if account else owners[0]
        with unit_of_work(self.factory, writes=True) as session:
            balances.top_up(
                session,
                owner=owner,
                amount_li=li,
                at=NOW - timedelta(minutes=30),
                reason="test",
                reference=None,
            )

    def available(self, number: str, unit: balances.Unit = balances.Unit.LI) -> int:
        with self.factory() as session:
            return balances.available(session, self.owners(number), unit, self.clock())

    def status(self, number: str) -> str:
        with self.factory() as session:
            product = get_product(session, self.product_of(number))
            assert product is not None
            return product.status

    def engine(self, data_dir: Path, **settings: object) -> ChargingEngine:
        return ChargingEngine(
            self.factory,
            data_dir=data_dir,
            clock=self.clock,
            settings=EngineSettings(**settings),  # type: ignore[arg-type]
        )


def prepaid_lines(factory: sessionmaker[Session], count: int = 1) -> Prepaid:
    """``count`` prepaid PHS lines of one customer and account, in service since 09:00."""
    sales = rating_ready(factory)
    numbers = [
        line(factory, sales, PREPAID, street=f"天河路 {100 + n} 号 1201 房") for n in range(count)
    ]
    return Prepaid(factory, sales, numbers)


def national(e164: str) -> str:
    return "0" + e164.removeprefix("+86")


def voice(
    session_id: str,
    kind: RequestType,
    number: int,
    subscriber: str,
    *,
    requested: int | None = None,
    used: int | None = None,
    at: datetime = NOW,
    called: str = LOCAL,
    rating_group: int = VOICE,
) -> ChargingRequest:
    return ChargingRequest(
        session_id=session_id,
        request_type=kind,
        request_number=number,
        subscriber=subscriber,
        called=called,
        event_time=at,
        services=(
            ServiceRequest(
                rating_group=rating_group,
                requested=None if requested is None else ServiceUnits(seconds=requested),
                used=None if used is None else ServiceUnits(seconds=used),
            ),
        ),
        origin="test",
    )


def granted_seconds(answer: ChargingAnswer) -> int | None:
    grant = answer.grants[0]
    return None if grant.granted is None else grant.granted.seconds
