"""The online charging engine on SQLite and PostgreSQL: RFC 4006 rounds priced by the PHS
tariff, Final-Unit-Indication, refusals, events, retransmissions, supervision, unit buckets.

Prices by hand (2005 PHS tariff, a local call): 0.22 yuan for the first 3 minutes, then 0.11
per started minute — cost(s) = 220 li for 1–180 s, + 110 li per started minute after; an SMS
0.10 yuan (100 li).
"""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from openbss.charging import public as balances
from openbss.charging.engine.contract import (
    ChargingRequest,
    RequestType,
    ResultCode,
    ServiceGrant,
    ServiceRequest,
    ServiceUnits,
)
from openbss.charging.engine.models import ChargingService, ChargingSession
from openbss.db.uow import unit_of_work
from openbss.ordering.orchestrator import work_until_idle
from tests.charging_engine_support import (
    NOW,
    SMS,
    VOICE,
    Prepaid,
    granted_seconds,
    national,
    prepaid_lines,
    voice,
)

INITIAL, UPDATE = RequestType.INITIAL, RequestType.UPDATE
TERMINATION, EVENT = RequestType.TERMINATION, RequestType.EVENT


@pytest.fixture
def prepaid(session_factory: sessionmaker[Session]) -> Prepaid:
    return prepaid_lines(session_factory)


def test_a_call_debits_exactly_its_price_round_by_round(prepaid: Prepaid, tmp_path: Path) -> None:
    number = prepaid.numbers[0]
    prepaid.top_up(number, 10_000)
    engine = prepaid.engine(tmp_path)
    sub = national(number)

    first = engine.charge(voice("s1", INITIAL, 0, sub, requested=300))
    assert first.result == ResultCode.SUCCESS
    assert first.grants == (
        ServiceGrant(VOICE, ResultCode.SUCCESS, ServiceUnits(seconds=300), False, 60),
    )
    assert first.tcc_s == 120
    assert prepaid.available(number) == 10_000 - 440  # cost(300 s) held

    prepaid.clock.advance(200)
    second = engine.charge(voice("s1", UPDATE, 1, sub, requested=300, used=200))
    assert granted_seconds(second) == 300
    # 200 s debited (330); cost(500) - cost(200) = 880 - 330 = 550 held for the next 300 s.
    assert prepaid.available(number) == 10_000 - 330 - 550

    prepaid.clock.advance(250)
    last = engine.charge(voice("s1", TERMINATION, 2, sub, used=250))
    assert last.result == ResultCode.SUCCESS
    assert last.grants == (ServiceGrant(VOICE, ResultCode.SUCCESS, None, False, None),)
    assert prepaid.available(number) == 10_000 - 770  # a 450 s call: 220 + 5 × 110

    # A retransmission gets the same answer and debits nothing more.
    assert engine.charge(voice("s1", TERMINATION, 2, sub, used=250)) == last
    assert engine.charge(voice("s1", INITIAL, 0, sub, requested=300)) == first
    assert prepaid.available(number) == 10_000 - 770
    with prepaid.factory() as session:
        row = session.get(ChargingService, ("s1", VOICE))
        assert row is not None
        assert (row.used_seconds, row.charged_amount, row.reservation_id) == (450, 770, None)
        assert session.get(ChargingSession, "s1").status == "terminated"  # type: ignore[union-attr]


def test_final_units_when_the_balance_covers_only_part(prepaid: Prepaid, tmp_path: Path) -> None:
    number = prepaid.numbers[0]
    prepaid.top_up(number, 500)
    engine = prepaid.engine(tmp_path)
    sub = national(number)

    first = engine.charge(voice("s2", INITIAL, 0, sub, requested=600))
    # 600 s would cost 990; 500 li buy 300 s (440), not 360 s (550): the last grant.
    assert first.grants == (
        ServiceGrant(VOICE, ResultCode.SUCCESS, ServiceUnits(seconds=300), True, 60),
    )
    second = engine.charge(voice("s2", UPDATE, 1, sub, requested=600, used=300))
    assert second.result == ResultCode.CREDIT_LIMIT_REACHED
    assert second.grants == (
        ServiceGrant(VOICE, ResultCode.CREDIT_LIMIT_REACHED, None, False, None),
    )
    assert engine.charge(voice("s2", TERMINATION, 2, sub, used=0)).result == ResultCode.SUCCESS
    assert prepaid.available(number) == 60

    refused = engine.charge(voice("s3", INITIAL, 0, sub, requested=60))
    assert refused.result == ResultCode.CREDIT_LIMIT_REACHED  # 60 li buy no second of a call
    assert prepaid.available(number) == 60


def test_an_emptied_balance_bars_the_line(prepaid: Prepaid, tmp_path: Path) -> None:
    number = prepaid.numbers[0]
    prepaid.top_up(number, 440)
    engine = prepaid.engine(tmp_path)
    sub = national(number)
    assert granted_seconds(engine.charge(voice("s4", INITIAL, 0, sub, requested=300))) == 300
    engine.charge(voice("s4", TERMINATION, 1, sub, used=300))
    assert prepaid.available(number) == 0
    work_until_idle(prepaid.factory)
    assert prepaid.status(number) == "suspended"
    barred = engine.charge(voice("s5", INITIAL, 0, sub, requested=60))
    assert barred.result == ResultCode.END_USER_SERVICE_DENIED

    # The next top-up resumes it.
    with unit_of_work(prepaid.factory, writes=True) as session:
        topped = balances.pay_in(
            session,
            number=number,
            amount_li=1_000,
            method="cash",
            reference="HALL-1",
            at=prepaid.clock(),
        )
        assert topped.resume_order_id is not None
    work_until_idle(prepaid.factory)
    assert prepaid.status(number) == "active"
    assert granted_seconds(engine.charge(voice("s6", INITIAL, 0, sub, requested=60))) == 60


def test_money_held_by_another_call_is_not_an_empty_balance(
    prepaid: Prepaid, tmp_path: Path
) -> None:
    number = prepaid.numbers[0]
    prepaid.top_up(number, 880)
    engine = prepaid.engine(tmp_path)
    sub = national(number)
    assert granted_seconds(engine.charge(voice("h1", INITIAL, 0, sub, requested=300))) == 300
    assert granted_seconds(engine.charge(voice("h2", INITIAL, 0, sub, requested=300))) == 300
    assert prepaid.available(number) == 0  # all of it held, none of it spent
    engine.charge(voice("h2", TERMINATION, 1, sub, used=300))
    work_until_idle(prepaid.factory)
    assert prepaid.status(number) == "active"  # 440 li still held by the first call
    engine.charge(voice("h1", TERMINATION, 1, sub, used=300))
    work_until_idle(prepaid.factory)
    assert prepaid.status(number) == "suspended"


def test_refusals(prepaid: Prepaid, tmp_path: Path) -> None:
    number = prepaid.numbers[0]
    prepaid.top_up(number, 10_000)
    engine = prepaid.engine(tmp_path)
    sub = national(number)
    assert engine.charge(voice("u1", INITIAL, 0, "02099999999")).result == ResultCode.USER_UNKNOWN
    assert (
        engine.charge(voice("u2", UPDATE, 1, sub, used=10)).result == ResultCode.UNKNOWN_SESSION_ID
    )
    unknown_group = engine.charge(voice("u3", INITIAL, 0, sub, rating_group=999))
    assert unknown_group.result == ResultCode.RATING_FAILED
    nowhere = engine.charge(voice("u4", INITIAL, 0, sub, called="0099912345"))
    assert nowhere.grants[0].result == ResultCode.RATING_FAILED  # no destination prefix
    reused = engine.charge(voice("u3", INITIAL, 1, sub))
    assert reused.result == ResultCode.UNABLE_TO_COMPLY  # a Session-Id begun already
    assert prepaid.available(number) == 10_000


def test_sms_events_are_debited_whole_or_refused(prepaid: Prepaid, tmp_path: Path) -> None:
    number = prepaid.numbers[0]
    prepaid.top_up(number, 150)
    engine = prepaid.engine(tmp_path, bar_on_zero=False)

    def sms(session_id: str) -> ChargingRequest:
        return ChargingRequest(
            session_id=session_id,
            request_type=EVENT,
            request_number=0,
            subscriber=national(number),
            called="18912345678",
            event_time=NOW,
            services=(ServiceRequest(SMS, ServiceUnits(messages=1), None),),
            origin="test",
        )

    sent = engine.charge(sms("m1"))
    assert sent.grants == (
        ServiceGrant(SMS, ResultCode.SUCCESS, ServiceUnits(messages=1), False, None),
    )
    assert prepaid.available(number) == 50
    assert engine.charge(sms("m2")).result == ResultCode.CREDIT_LIMIT_REACHED
    assert engine.charge(sms("m1")) == sent
    assert prepaid.available(number) == 50


def test_supervision_releases_silent_sessions(prepaid: Prepaid, tmp_path: Path) -> None:
    number = prepaid.numbers[0]
    prepaid.top_up(number, 10_000)
    engine = prepaid.engine(tmp_path)
    sub = national(number)
    engine.charge(voice("q1", INITIAL, 0, sub, requested=300))
    engine.charge(voice("q1", UPDATE, 1, sub, requested=300, used=100))  # 220 debited
    engine.charge(voice("q2", INITIAL, 0, sub, requested=300))
    # q1: 100 s debited (220), cost(400) - 220 = 440 held; q2: 440 held.
    assert prepaid.available(number) == 10_000 - 220 - 440 - 440

    assert engine.supervise(NOW + timedelta(seconds=60)) == 0  # Tcc not run out
    assert engine.supervise(NOW + timedelta(seconds=121)) == 2
    assert engine.supervise(NOW + timedelta(seconds=500)) == 0
    assert prepaid.available(number) == 10_000 - 220  # used units stay debited, as reported

    # A termination arriving late still debits what it reports, from the balance.
    prepaid.clock.advance(200)
    late = engine.charge(voice("q1", TERMINATION, 2, sub, used=100))  # 200 s in all: 330
    assert late.result == ResultCode.SUCCESS
    assert prepaid.available(number) == 10_000 - 330
    assert (
        engine.charge(voice("q2", UPDATE, 1, sub, used=0)).result == ResultCode.UNKNOWN_SESSION_ID
    )


def test_unit_buckets_pay_first(prepaid: Prepaid, tmp_path: Path) -> None:
    number = prepaid.numbers[0]
    prepaid.top_up(number, 10_000)
    owner = prepaid.owners(number)[0]
    with unit_of_work(prepaid.factory, writes=True) as session:
        balances.create_bucket(session, owner=owner, unit=balances.Unit.SECOND, amount=120, at=NOW)
    engine = prepaid.engine(tmp_path)
    sub = national(number)
    assert granted_seconds(engine.charge(voice("b1", INITIAL, 0, sub, requested=300))) == 120
    assert prepaid.available(number, balances.Unit.SECOND) == 0
    assert (
        granted_seconds(engine.charge(voice("b1", UPDATE, 1, sub, requested=300, used=120))) == 300
    )
    engine.charge(voice("b1", TERMINATION, 2, sub, used=200))
    # 120 s from the minutes bucket, 200 s in money: 220 + 110.
    assert prepaid.available(number) == 10_000 - 330
    assert prepaid.available(number, balances.Unit.SECOND) == 0


def test_a_retransmission_racing_the_original_is_answered_once(
    prepaid: Prepaid, tmp_path: Path
) -> None:
    number = prepaid.numbers[0]
    prepaid.top_up(number, 10_000)
    engine = prepaid.engine(tmp_path)
    request = voice("r1", INITIAL, 0, national(number), requested=300)
    answers = []
    threads = [
        threading.Thread(target=lambda: answers.append(engine.charge(request))) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 4 and all(a == answers[0] for a in answers)
    assert granted_seconds(answers[0]) == 300
    assert prepaid.available(number) == 10_000 - 440
    with prepaid.factory() as session:
        rows = session.scalars(select(ChargingSession.id)).all()
    assert rows == ["r1"]
