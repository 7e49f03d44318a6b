"""Operating event delivery: dead and pending deliveries listed, dead ones sent again."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from openbss.events.deliveries import deliveries, retry, retry_dead
from openbss.events.models import DeliveryStatus, EventDelivery, HubSubscription
from openbss.events.outbox import emit
from openbss.kit.errors import Conflict, NotFound


def _world(session: Session) -> dict[str, int]:
    session.add(
        HubSubscription(
            id="s",
            api="party",
            callback="http://l/hook",
            resources=["individual"],
            secret="listener-secret",
            created_by="t",
        )
    )
    gd = emit(session, "party", "IndividualCreateEvent", "individual", {"id": "1"}, "GD")
    zj = emit(session, "party", "IndividualCreateEvent", "individual", {"id": "2"}, "ZJ")
    session.flush()
    rows = {
        "gd_dead": EventDelivery(event_id=gd.id, subscription_id="s", callback="http://l/hook",
                                 status=DeliveryStatus.DEAD, attempts=8, last_error="HTTP 503"),
        "zj_dead": EventDelivery(event_id=zj.id, subscription_id="s", callback="http://l/hook",
                                 status=DeliveryStatus.DEAD, attempts=8),
        "done": EventDelivery(event_id=gd.id, subscription_id="s", callback="http://l/hook",
                              status=DeliveryStatus.DELIVERED, attempts=1),
    }  # fmt: skip
    session.add_all(rows.values())
    session.flush()
    return {name: row.id for name, row in rows.items()}


def test_list_by_status_and_province(session: Session) -> None:
    ids = _world(session)
    assert {d.id for d in deliveries(session, DeliveryStatus.DEAD)} == {
        ids["gd_dead"],
        ids["zj_dead"],
    }
    [gd] = deliveries(session, DeliveryStatus.DEAD, "GD")
    assert (gd.id, gd.event_type, gd.last_error, gd.province) == (
        ids["gd_dead"],
        "IndividualCreateEvent",
        "HTTP 503",
        "GD",
    )
    assert len(deliveries(session)) == 3


def test_retry_makes_dead_deliveries_due_and_refuses_delivered_ones(session: Session) -> None:
    ids = _world(session)
    with pytest.raises(Conflict, match="delivered"):
        retry(session, [ids["gd_dead"], ids["done"]])
    with pytest.raises(NotFound):
        retry(session, [ids["gd_dead"], 987654])
    assert retry(session, [ids["gd_dead"]]) == 1
    [again] = [d for d in deliveries(session, DeliveryStatus.PENDING)]
    assert (again.id, again.attempts) == (ids["gd_dead"], 0)

    assert retry_dead(session, "GD") == 0  # GD has no dead delivery left
    assert retry_dead(session) == 1
    session.expire_all()
    assert deliveries(session, DeliveryStatus.DEAD) == []
    assert len(deliveries(session, DeliveryStatus.PENDING)) == 2
