"""A settlement world for tests: a Guangzhou fixed line of ours, China Unicom and China
Mobile as carrier partners, and a month of interconnect traffic mediated into the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from openbss.db.uow import unit_of_work
from openbss.kit.security import Principal, Role
from openbss.settlement.partners import public as partners
from tests.rating_support import line, mediate, national, rating_ready
from tests.settlement_partner_support import (
    GD_FINANCE,
    carrier,
    organization,
    settlement_account,
)

PERIOD = "2026-03"
START = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 on 10 March in Guangzhou
UNICOM = "13012345678"
UNICOM_2 = "18612345678"
MOBILE = "13812345678"


@dataclass(frozen=True)
class SettlementWorld:
    factory: sessionmaker[Session]
    data_dir: Path
    number: str  # our line, E.164
    unicom_account: str  # China Unicom's settlement account (TMF666)


def _record(n: int, at: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "record_no": n,
        "raw_ref": f"line={n + 1}",
        "event_time": at,
        "duration_s": 0,
        "switch_id": "GZ-SW01",
        "call_reference": f"ic-{n}",
        "area_code": "020",
        "raw": f"raw {n}",
        **fields,
    }


def traffic(ours: str) -> list[dict[str, Any]]:
    """Expected (2014 regime, March 2026):

    - CUCC in voice: 10 calls × 120 s = 20 min × 0.04 = 0.80 yuan
    - CUCC in sms: 3 × 0.01 = 0.03
    - CUCC out voice: 2 calls × 60 s, fixed→mobile, no settlement = 0.00
    - CUCC out sms: 5 × 0.01 = 0.05
    - CMCC in voice: 4 calls × 30 s = 4 min × 0.04 = 0.16
    """
    mine = national(ours)
    rows: list[dict[str, Any]] = []

    def add(**fields: Any) -> None:
        n = len(rows)
        rows.append(_record(n, START + timedelta(minutes=n), **fields))

    for _ in range(10):
        add(direction="mt", service="voice", calling=UNICOM, called=mine, duration_s=120,
            trunk_in="TG0201")  # fmt: skip
    for _ in range(3):
        add(direction="mt", service="sms", calling=UNICOM, called=mine, trunk_in="TG0601")
    for _ in range(2):
        add(direction="mo", service="voice", calling=mine, called=UNICOM_2, duration_s=60,
            trunk_out="TG0201")  # fmt: skip
    for _ in range(5):
        add(direction="mo", service="sms", calling=mine, called=UNICOM_2, trunk_out="TG0601")
    for _ in range(4):
        add(direction="mt", service="voice", calling=MOBILE, called=mine, duration_s=30,
            trunk_in="TG0201")  # fmt: skip
    add(direction="mo", service="voice", calling=mine, called="02087654321", duration_s=60,
        trunk_out="TG0101")  # a local call: not interconnect  # fmt: skip
    return rows


def build(factory: sessionmaker[Session], data_dir: Path) -> SettlementWorld:
    sales = rating_ready(factory)
    number = line(factory, sales)
    with unit_of_work(factory) as session:
        party = organization(session, Principal("admin-gd", Role.ADMIN, "GD"), "中国联通广东")
        account = settlement_account(session, GD_FINANCE, party, "联通结算账户")
        partners.create_partner(
            session, GD_FINANCE, kind="carrier", name="中国联通", carrier_code="CUCC",
            party_id=party, settlement_account_id=account,
        )  # fmt: skip
        carrier(session, "CMCC", "中国移动")
    outcome = mediate(factory, data_dir, traffic(number), "GZ-SW01-0001.csv")
    assert (outcome.status, outcome.rejected) == ("done", 0), outcome
    return SettlementWorld(factory, data_dir, number, account)
