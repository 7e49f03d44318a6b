"""What follows a debit and an ended session: notifications, barring, usage records.

- **Low balance**: when a debit takes the money balance below ``low_balance_li``, one message
  a day per line goes into the notification outbox (``openbss.payments.public``), naming the
  account only (the gateway finds the contact; no number passes through a log).
- **Barring**: when a debit takes the money balance to zero and the engine gives no grace
  (``EngineSettings.bar_on_zero``), a suspend order for the line goes through ordering, as the
  collections treatment does for arrears; :func:`resume_after_top_up` places the resume
  order when money comes back. Both orders are keyed (``externalId``), so placing one twice
  answers the first.
- **Usage records**: :func:`write_usage` takes ended sessions in batches into the usage store
  through mediation, with source :data:`ONLINE_SOURCE` (``ocs``), so prepaid usage reaches
  rating, analytics and settlement like any other. Batch rating prices them like any record;
  billing leaves records of that source out of bills, because the balance already paid them.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from openbss.charging import public as balances
from openbss.charging.engine import repository
from openbss.charging.engine.contract import EngineSettings
from openbss.charging.engine.models import ChargingService, ChargingSession
from openbss.db.uow import unit_of_work
from openbss.inventory.public import get_product
from openbss.kit.errors import OpenBSSError
from openbss.kit.security import Principal, Role
from openbss.mediation.public import (
    ONLINE_SOURCE,
    Decoded,
    Ingest,
    ingest_decoded,
    raw_table,
)
from openbss.ordering.public import submit_product_order
from openbss.payments.public import enqueue_notification

log = logging.getLogger(__name__)

LOW_BALANCE_TEXTS = (
    "您的预付费余额已不足 {yuan} 元，请及时充值。",
    "Your prepaid balance is below CNY {yuan}. Please top up.",
)
BAR = ("suspend", "active", "余额不足停机 / Suspended: prepaid balance exhausted")
RESUME = ("resume", "suspended", "充值复机 / Resumed after top-up")


def job_principal(province: str) -> Principal:
    """Online charging acts as a billing operator of the line's province."""
    return Principal(key_id="online-charging", role=Role.BILLING_OPERATOR, province=province)


# --- after each debit ---------------------------------------------------------------------


def after_debit(
    session: Session,
    charging: ChargingSession,
    owners: tuple[balances.Owner, ...],
    debited_li: int,
    now: datetime,
    settings: EngineSettings,
) -> None:
    """Notify a low balance and bar a line whose balance this debit emptied."""
    if debited_li <= 0:
        return
    left = balances.available(session, owners, balances.Unit.LI, now)
    if left < settings.low_balance_li <= left + debited_li:
        yuan = f"{settings.low_balance_li / 1000:.2f}"
        enqueue_notification(
            session,
            key=f"charging:low:{charging.product_id}:{now.date().isoformat()}",
            province=charging.province,
            billing_account_id=charging.account_id,
            channel="sms",
            texts=(LOW_BALANCE_TEXTS[0].format(yuan=yuan), LOW_BALANCE_TEXTS[1].format(yuan=yuan)),
        )
    if left == 0 and settings.bar_on_zero:
        place_order(session, charging.product_id, charging.province, BAR, now)


def resume_after_top_up(session: Session, product_id: str, province: str, at: datetime) -> bool:
    """Resume a line barred for an empty balance once money is back; True when ordered."""
    return place_order(session, product_id, province, RESUME, at)


def place_order(
    session: Session,
    product_id: str,
    province: str,
    step: tuple[str, str, str],
    at: datetime,
) -> bool:
    """Submit a suspend or resume order of one line (in a savepoint: a refused order is
    logged and leaves the charging transaction whole)."""
    action, needed_status, description = step
    product = get_product(session, product_id)
    if product is None or product.status != needed_status:
        return False
    body: dict[str, Any] = {
        "externalId": f"charging:{action}:{product_id}:{at.strftime('%Y%m%dT%H%M%S')}",
        "description": description,
        "category": "prepaid",
        "channel": [{"id": "onlineCharging", "role": "salesChannel"}],
        "relatedParty": [
            {"id": product.customer_id, "role": "customer", "@referredType": "Customer"}
        ],
        "productOrderItem": [{"id": "1", "action": action, "product": {"id": product_id}}],
    }
    try:
        with session.begin_nested():
            submit_product_order(session, job_principal(province), body)
    except OpenBSSError as exc:
        log.info("prepaid %s order of a line refused: %s", action, exc.code)
        return False
    return True


# --- usage records ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Written:
    province: str
    sessions: int
    records: int
    batch_id: str | None


def usage_rows(
    charging: ChargingSession, services: Sequence[ChargingService]
) -> list[dict[str, Any]]:
    """The raw usage records of an ended session: one per rating group that used something,
    one per message for SMS (batch rating prices a message as one record)."""
    rows: list[dict[str, Any]] = []
    calling = charging.subscriber  # normalised by mediation like a switch's record
    for service in services:
        base: dict[str, Any] = {
            "event_time": charging.started_at,
            "calling": calling,
            "service": service.service,
            "direction": "mo",
            "switch_id": "ocs",
            "area_code": charging.area_code,
        }
        reference = f"{charging.id}/{service.rating_group}"
        if service.service == "sms":
            for n in range(service.used_messages):
                rows.append(
                    {**base, "called": charging.called, "call_reference": f"{reference}/{n}"}
                )
        elif service.service == "voice" and service.used_seconds > 0:
            rows.append(
                {
                    **base,
                    "called": charging.called,
                    "duration_s": service.used_seconds,
                    "call_reference": reference,
                }
            )
        elif service.service == "data" and (service.used_octets > 0 or service.used_seconds > 0):
            rows.append(
                {
                    **base,
                    "duration_s": service.used_seconds,
                    "volume_up": 0,
                    "volume_down": service.used_octets,
                    "call_reference": reference,
                }
            )
    return rows


def write_usage(
    factory: sessionmaker[Session], data_dir: Path, province: str, *, limit: int = 10_000
) -> Written:
    """Write the usage records of up to ``limit`` ended sessions of a province to the usage
    store as one mediation batch. Kill-safe: the batch is keyed by its sessions, so a run
    interrupted after the store was written finds the batch done and only marks them."""
    with factory() as session:
        ended = repository.finished_unwritten(session, province, limit)
        ids = [charging.id for charging, _ in ended]
        rows = [row for charging, services in ended for row in usage_rows(charging, services)]
    if not ids:
        return Written(province, 0, 0, None)
    for number, row in enumerate(rows):
        row["record_no"] = number
        row["raw_ref"] = f"session={row['call_reference']}"
    digest = hashlib.sha256("\n".join(ids).encode()).hexdigest()
    batch_id: str | None = None
    if rows:
        outcome = ingest_decoded(
            Ingest(factory, data_dir, province),
            f"online charging, {len(ids)} sessions",
            digest,
            ONLINE_SOURCE,
            Decoded(records=raw_table(rows)),
            ONLINE_SOURCE,
        )
        batch_id = outcome.batch_id  # None: the same sessions were written before
    with unit_of_work(factory, writes=True) as session:
        repository.mark_written(session, ids, batch_id or f"sha256:{digest[:24]}")
    return Written(province, len(ids), len(rows), batch_id)


def write_all_usage(factory: sessionmaker[Session], data_dir: Path) -> list[Written]:
    with factory() as session:
        provinces = repository.provinces_with_unwritten(session)
    return [write_usage(factory, data_dir, province) for province in provinces]
