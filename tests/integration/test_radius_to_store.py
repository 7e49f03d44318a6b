"""A broadband session sent by FreeRADIUS's radclient ends in the usage store, guided to the
ADSL product it belongs to, with the exact octets (gigawords included) and duration."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from openbss.inventory.models import Product
from openbss.kit.clock import frozen_at
from openbss.mediation import store
from openbss.mediation.collector import collect
from openbss.mediation.collectors.radius import RadiusAccountingServer
from openbss.mediation.pipeline import Ingest
from openbss.mediation.reconcile import reconcile
from openbss.ordering.orchestrator import work_until_idle
from openbss.ordering.service import product_orders
from tests.integration.test_radius_collector import GIGAWORD, SECRET, radclient
from tests.ordering_support import GD, bundle_order, sales_ready
from tests.support import need_executable

pytestmark = pytest.mark.external

ORDERED = datetime(2025, 3, 1, 1, 0, tzinfo=UTC)
START = 1_740_823_200  # 2025-03-01T10:00:00Z, after the line was activated


def _broadband_account(factory: sessionmaker[Session]) -> tuple[str, str]:
    sales = sales_ready(factory)
    with frozen_at(ORDERED):
        with factory() as session:
            order = product_orders.create(session, GD, bundle_order(sales))
            session.commit()
        work_until_idle(factory)
    with factory() as session:
        adsl = (
            session.query(Product)
            .filter(Product.product_order_id == order.id)
            .filter(Product.service_type == "broadband")
            .one()
        )
        assert adsl.status == "active" and adsl.service_id
        return adsl.service_id, adsl.id


def test_radclient_session_reaches_the_usage_store(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    need_executable("radclient")
    account, product_id = _broadband_account(session_factory)
    spool = tmp_path / "spool"
    server = RadiusAccountingServer(host="127.0.0.1", port=0, secret=SECRET, spool_dir=spool)
    server.start()
    common = (
        f'User-Name = "{account}", Acct-Session-Id = "GZ-BRAS-77", NAS-IP-Address = 10.20.0.1, '
        "NAS-Port = 3, Framed-IP-Address = 100.64.3.4"
    )
    try:
        for attributes in (
            f"{common}, Acct-Status-Type = Start, Event-Timestamp = {START}",
            f"{common}, Acct-Status-Type = Interim-Update, Acct-Session-Time = 900, "
            f"Acct-Input-Octets = 10, Acct-Output-Octets = 20, Event-Timestamp = {START + 900}",
            f"{common}, Acct-Status-Type = Stop, Acct-Session-Time = 3725, "
            f"Acct-Input-Octets = 123456, Acct-Output-Octets = 654321, "
            f"Acct-Output-Gigawords = 3, Event-Timestamp = {START + 3725}",
        ):
            assert "Received Accounting-Response" in radclient(
                server.bound_port, SECRET.decode(), attributes
            )
    finally:
        server.stop()
    ingest = Ingest(factory=session_factory, data_dir=tmp_path / "data", province="GD")
    with frozen_at(datetime(2025, 3, 1, 12, 0, tzinfo=UTC)):
        report = collect(ingest, spool)
    [outcome] = report.outcomes
    assert (outcome.status, outcome.records_in, outcome.normalised) == ("done", 1, 1)
    usage = store.scan(ingest.data_dir, "normalised", "GD")
    assert usage is not None
    [row] = usage.collect().to_dicts()
    assert row["service"] == "broadband"
    assert row["charging_party"] == account
    assert row["product_id"] == product_id
    assert row["duration_s"] == 3725
    assert (row["volume_up"], row["volume_down"]) == (123456, 3 * GIGAWORD + 654321)
    assert row["event_time"] == datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    with session_factory() as session:
        (line,) = reconcile(session, "GD")
    assert line.balanced and line.normalised == 1
    assert not list(spool.glob("radius-*.jsonl"))  # archived
    assert len(list((spool / "archive").rglob("radius-*.jsonl"))) == 1
