"""Hub queries are checked at subscribe time, so fan-out never meets one it cannot evaluate."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openbss.events.models import HubSubscription, OutboxEvent
from openbss.events.outbox import MAX_QUERY_FILTERS, parse_query, wants
from openbss.kit.errors import BadRequest


def test_ordinary_queries_parse() -> None:
    assert parse_query("eventType=IndividualCreateEvent") == {
        "eventType": ["IndividualCreateEvent"]
    }
    assert parse_query("eventTime=2026-12-01T00:00:00Z&event.individual.status=validated") == {
        "eventTime": ["2026-12-01T00:00:00Z"],
        "event.individual.status": ["validated"],
    }


@pytest.mark.parametrize(
    "query",
    [
        "eventTime=9999-12-31T23:59:59-14:00",
        "eventTime=0001-01-01T00:00:00+14:00",
        "eventTime=not-a-time",
        "event.x.validFor=99991231T235959-1400",
        "eventType=A,9999-12-31T23:59:59-14:00",
        "=x",
        "a..b=1",
        "novalue",
        "&".join(f"a{i}=1" for i in range(MAX_QUERY_FILTERS + 1)),
        "eventType=" + "x" * 3000,
    ],
)
def test_queries_that_could_break_fan_out_are_refused(query: str) -> None:
    with pytest.raises(BadRequest):
        parse_query(query)


def event(payload_time: str) -> OutboxEvent:
    return OutboxEvent(
        id="e",
        api="party",
        event_type="IndividualCreateEvent",
        province="GD",
        payload={
            "eventId": "e",
            "eventTime": payload_time,
            "eventType": "IndividualCreateEvent",
            "event": {"individual": {"id": "i"}},
        },
    )


@given(
    stamp=st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
)
def test_a_query_that_parses_never_raises_in_fan_out(stamp: str) -> None:
    query = f"eventTime={stamp.replace('+', '%2B')}"
    try:
        parse_query(query)
    except BadRequest:
        return
    subscription = HubSubscription(
        id="s", api="party", query=query, province="GD", resources=["individual"]
    )
    wants(subscription, event("2026-12-03T08:00:00Z"))  # must not raise


def test_wants_follows_resources_and_province() -> None:
    sub = HubSubscription(
        id="s", api="party", query=None, province="GD", resources=["organization"]
    )
    assert not wants(sub, event("2026-12-03T08:00:00Z"))
    sub.resources = ["individual"]
    assert wants(sub, event("2026-12-03T08:00:00Z"))
    sub.province = "SH"
    assert not wants(sub, event("2026-12-03T08:00:00Z"))


@given(query=st.text(max_size=300))
def test_any_query_is_accepted_or_refused_never_an_error(query: str) -> None:
    try:
        filters = parse_query(query)
    except BadRequest as refused:
        assert refused.status == 400
    else:
        assert all(name and values for name, values in filters.items())
