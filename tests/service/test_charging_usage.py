"""Ended sessions become usage records: mediated into the usage store with source ``ocs``,
rated by the batch run at exactly what the balance was debited, and left out of bills."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from sqlalchemy.orm import Session, sessionmaker

from openbss.billing.repository import usage_by_product
from openbss.charging.engine.afterwards import write_usage
from openbss.charging.engine.contract import (
    ChargingRequest,
    RequestType,
    ResultCode,
    ServiceRequest,
    ServiceUnits,
)
from openbss.charging.engine.workers import supervise_once
from openbss.mediation.public import ONLINE_SOURCE
from openbss.rating import runs
from openbss.rating.public import rated_usage
from tests.charging_engine_support import NOW, SMS, national, prepaid_lines, voice
from tests.rating_support import PERIOD


def test_usage_records_are_rated_at_what_was_debited(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    prepaid = prepaid_lines(session_factory)
    number = prepaid.numbers[0]
    prepaid.top_up(number, 10_000)
    engine = prepaid.engine(tmp_path)
    sub = national(number)
    engine.charge(voice("c1", RequestType.INITIAL, 0, sub, requested=300))
    engine.charge(voice("c1", RequestType.UPDATE, 1, sub, requested=300, used=300))
    engine.charge(voice("c1", RequestType.TERMINATION, 2, sub, used=150))  # 450 s: 770
    message = ChargingRequest(
        session_id="c2",
        request_type=RequestType.EVENT,
        request_number=0,
        subscriber=sub,
        called="18912345678",
        event_time=NOW,
        services=(ServiceRequest(SMS, ServiceUnits(messages=1), None),),
        origin="test",
    )
    assert engine.charge(message).result == ResultCode.SUCCESS  # 100
    engine.charge(voice("c3", RequestType.INITIAL, 0, sub, requested=60))  # still open
    assert prepaid.available(number) == 10_000 - 870 - 220

    written = write_usage(session_factory, tmp_path, "GD")
    assert (written.sessions, written.records) == (2, 2)
    assert written.batch_id is not None
    assert write_usage(session_factory, tmp_path, "GD").sessions == 0  # written once

    outcome = runs.rate_period(session_factory, tmp_path, "GD", PERIOD, workers=1, partitions=1)
    assert (outcome.records, outcome.rated, outcome.amount_li) == (2, 2, 870)
    with session_factory() as session:
        rated = (
            rated_usage(session, tmp_path, "GD", PERIOD)
            .select("source", "service", "duration_s", "amount_li", "error")
            .sort("service")
            .collect()
        )
        assert rated.with_columns(pl.col("duration_s").fill_null(0)).rows() == [
            (ONLINE_SOURCE, "sms", 0, 100, None),
            (ONLINE_SOURCE, "voice", 450, 770, None),
        ]
        # Bills leave them out: the prepaid balance paid them when they were used.
        assert usage_by_product(session, tmp_path, "GD", PERIOD) == {}


def test_supervision_round_releases_and_reports(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    prepaid = prepaid_lines(session_factory)
    number = prepaid.numbers[0]
    prepaid.top_up(number, 1_000)
    engine = prepaid.engine(tmp_path)
    engine.charge(voice("w1", RequestType.INITIAL, 0, national(number), requested=60))
    assert prepaid.available(number) == 780
    # The engine's clock is in March 2026; the round runs at the wall clock, long after Tcc.
    assert supervise_once(engine, session_factory) is True
    assert prepaid.available(number) == 1_000
    assert supervise_once(engine, session_factory) is False
