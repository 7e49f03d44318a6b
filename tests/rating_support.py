"""Factories for rating tests against a real database: tariffs seeded, lines in service,
usage mediated into the store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from openbss.db.uow import unit_of_work
from openbss.kit.clock import frozen_at
from openbss.mediation.pipeline import Ingest, Outcome, ingest_decoded
from openbss.mediation.records import Decoded, raw_table
from openbss.ordering.orchestrator import work_until_idle
from openbss.ordering.service import product_orders
from openbss.rating.contract import Destination, Zone
from openbss.rating.seed import seed_rating
from tests.ordering_support import GD, Sales, installation, sales_ready, single_order

# A small destination table (the Chinese one has 121,335 prefixes and takes seconds to
# store): Guangzhou, Shenzhen, Beijing, China Telecom mobile, Hong Kong, the UK, the US.
SMALL_DESTINATIONS = (
    Destination("1", "USA/Canada", zone=Zone.INTERNATIONAL),
    Destination("44", "United Kingdom", zone=Zone.INTERNATIONAL),
    Destination("852", "Hong Kong", zone=Zone.HK_MO_TW),
    Destination("8610", "Beijing", area_code="010"),
    Destination("86189", "Mobile 189", zone=Zone.LOCAL),
    Destination("8620", "Guangzhou", area_code="020"),
    Destination("86755", "Shenzhen", area_code="0755"),
)

# Monday 2 March 2026, 09:00 in Guangzhou: lines are activated then; calls follow.
ACTIVATED = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
PERIOD = "2026-03"


def rating_ready(factory: sessionmaker[Session]) -> Sales:
    """The catalog, number pools, one customer, and the rating data (small destinations)."""
    sales = sales_ready(factory)
    with unit_of_work(factory) as session:
        seed_rating(session, SMALL_DESTINATIONS)
    return sales


def line(
    factory: sessionmaker[Session],
    sales: Sales,
    offering: str = "CT-PO-FIXED-LOCAL",
    at: datetime = ACTIVATED,
    street: str = "天河路 100 号 1201 房",
) -> str:
    """A line of ``offering`` ordered and activated at ``at``; returns its E.164 number."""
    with frozen_at(at):
        with factory() as session:
            order = product_orders.create(
                session, GD, single_order(sales, offering, place=installation(street))
            )
            session.commit()
            order_id = order.id
        work_until_idle(factory)
    with factory() as session:
        order = product_orders.get(session, GD, order_id)
        assert order.state == "completed", order.doc.get("stateReason")
        item = order.doc["productOrderItem"][0]["product"]["productCharacteristic"]
        return str(next(c["value"] for c in item if c["name"] == "phoneNumber"))


def national(e164: str) -> str:
    return "0" + e164.removeprefix("+86")


def call(
    n: int, calling: str, at: datetime, called: str, duration_s: int, **extra: Any
) -> dict[str, Any]:
    """A switch record of an outgoing call from ``calling`` (a national number)."""
    return {
        "record_no": n,
        "raw_ref": f"line={n + 1}",
        "event_time": at,
        "duration_s": duration_s,
        "calling": calling,
        "called": called,
        "service": "voice",
        "direction": "mo",
        "switch_id": "GZ-SW01",
        "call_reference": f"ref-{n}",
        "area_code": "020",
        "raw": f"raw {n}",
        **extra,
    }


def mediate(
    factory: sessionmaker[Session], data_dir: Path, rows: list[dict[str, Any]], name: str
) -> Outcome:
    """Mediate switch records into the usage store, as a file named ``name``."""
    ingest = Ingest(factory=factory, data_dir=data_dir, province="GD", default_area="020")
    decoded = Decoded(records=raw_table(rows), sequence=None, sender="GZ-SW01")
    latest = max(r["event_time"] for r in rows if r.get("event_time") is not None)
    with frozen_at(latest):
        return ingest_decoded(ingest, name, f"{name:0<64}"[:64], "huawei_csv", decoded, "GZ-SW01")
