"""Malformed credit-control requests are answered UNABLE_TO_COMPLY before any database work,
and answers survive their stored JSON form unchanged (retransmissions get them back)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import sessionmaker

from openbss.charging.engine.answers import answer_from_json, answer_to_json
from openbss.charging.engine.contract import (
    ChargingAnswer,
    ChargingEngine,
    ChargingRequest,
    RequestType,
    ResultCode,
    ServiceGrant,
    ServiceRequest,
    ServiceUnits,
)

GOOD = ChargingRequest(
    session_id="gy;1;2",
    request_type=RequestType.INITIAL,
    request_number=0,
    subscriber="8613300000001",
    called="02087654321",
    event_time=datetime(2026, 3, 2, 2, tzinfo=UTC),
    services=(ServiceRequest(100, ServiceUnits(seconds=60), None),),
    origin="test",
)
UNITS = ServiceRequest(100, ServiceUnits(seconds=-1), None)


@pytest.mark.parametrize(
    "bad",
    [
        replace(GOOD, session_id=""),
        replace(GOOD, session_id="x" * 256),
        replace(GOOD, request_number=-1),
        replace(GOOD, subscriber=""),
        replace(GOOD, event_time=datetime(2026, 3, 2, 2)),
        replace(GOOD, event_time=datetime(9999, 1, 1, tzinfo=UTC)),
        replace(GOOD, services=(UNITS,)),
        replace(GOOD, services=(GOOD.services[0], GOOD.services[0])),
    ],
)
def test_malformed_requests_are_refused_without_the_database(bad: ChargingRequest) -> None:
    engine = ChargingEngine(sessionmaker(), data_dir=Path("."))  # no database behind it
    answer = engine.charge(bad)
    assert answer == ChargingAnswer(
        bad.session_id, bad.request_number, ResultCode.UNABLE_TO_COMPLY, (), 120
    )


def test_a_database_failure_is_an_answer_not_a_crash() -> None:
    engine = ChargingEngine(sessionmaker(), data_dir=Path("."))  # unbound: every query fails
    assert engine.charge(GOOD).result == ResultCode.UNABLE_TO_COMPLY


def test_answers_round_trip_through_json() -> None:
    answer = ChargingAnswer(
        "s",
        3,
        ResultCode.SUCCESS,
        (
            ServiceGrant(100, ResultCode.SUCCESS, ServiceUnits(seconds=300), True, 60),
            ServiceGrant(300, ResultCode.CREDIT_LIMIT_REACHED, None, False, None),
            ServiceGrant(200, ResultCode.SUCCESS, ServiceUnits(messages=1), False, None),
        ),
        120,
    )
    assert answer_from_json(answer_to_json(answer)) == answer
