"""Roaming test data: an agreement between us (CHNCT) and a visiting network (GBRVF), tariffs,
an exchange rate, and visitor usage put through mediation."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from openbss.db.uow import unit_of_work
from openbss.mediation.public import Decoded, Ingest, Outcome, ingest_decoded
from openbss.mediation.records import raw_table
from openbss.settlement.roaming.public import (
    add_agreement,
    add_imsi_prefixes,
    add_tariff,
    set_exchange_rate,
)

HOME, PARTNER = "CHNCT", "GBRVF"
HOME_IMSI, VISITOR_IMSI = "460030123456789", "234150123456789"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Guangzhou
RATE = 11_950_000  # 11.95 CNY per SDR


def setup_roaming(factory: sessionmaker[Session]) -> None:
    with unit_of_work(factory, writes=True) as session:
        add_agreement(session, HOME, PARTNER, "Vodafone UK", ["23415"], valid_from=date(2005, 1, 1))
        add_imsi_prefixes(session, HOME, ["46003"])
        start = date(2005, 1, 1)
        add_tariff(session, "*", "voice", "mo", increment=60, rate_li=3000, valid_from=start)
        add_tariff(session, "*", "voice", "mt", increment=60, rate_li=1500, valid_from=start)
        add_tariff(session, "*", "sms", "mo", increment=1, rate_li=800, valid_from=start)
        add_tariff(session, "*", "sms", "mt", increment=1, rate_li=0, valid_from=start)
        add_tariff(session, "*", "data", "mo", increment=1024, rate_li=10, valid_from=start)
        set_exchange_rate(session, start, RATE)


def visitor_rows(first: int, at: datetime = T0) -> list[dict[str, Any]]:
    """A visitor's voice call (61 s), SMS and data session (6000 octets), and a local call."""
    common = {"switch_id": "GZ-MSC01", "area_code": "020", "raw": "x"}
    return [
        {
            "record_no": 0,
            "raw_ref": "line=1",
            "event_time": at,
            "duration_s": 61,
            "calling": "+447700900123",
            "called": "02087654321",
            "service": "voice",
            "direction": "mo",
            "call_reference": f"{first:04x}",
            "imsi": VISITOR_IMSI,
            **common,
        },
        {
            "record_no": 1,
            "raw_ref": "line=2",
            "event_time": at,
            "duration_s": 0,
            "calling": "+447700900123",
            "called": "13912345678",
            "service": "sms",
            "direction": "mo",
            "call_reference": f"{first + 1:04x}",
            "imsi": VISITOR_IMSI,
            **common,
        },
        {
            "record_no": 2,
            "raw_ref": "line=3",
            "event_time": at,
            "duration_s": 300,
            "volume_up": 1000,
            "volume_down": 5000,
            "calling": "+447700900123",
            "service": "data",
            "direction": "mo",
            "call_reference": str(first + 2),
            "imsi": VISITOR_IMSI,
            **common,
        },
        {
            "record_no": 3,
            "raw_ref": "line=4",
            "event_time": at,
            "duration_s": 30,
            "calling": "02011112222",
            "called": "02087654321",
            "service": "voice",
            "direction": "mo",
            "call_reference": f"{first + 3:04x}",
            "imsi": None,
            **common,
        },
    ]


def mediate(
    factory: sessionmaker[Session], data_dir: Path, rows: list[dict[str, Any]], name: str
) -> Outcome:
    ingest = Ingest(factory=factory, data_dir=data_dir, province="GD", default_area="020")
    decoded = Decoded(records=raw_table(rows), sender="GZ-MSC01")
    return ingest_decoded(ingest, name, f"{name:0<64}"[:64], "huawei_csv", decoded, "GZ-MSC01")
