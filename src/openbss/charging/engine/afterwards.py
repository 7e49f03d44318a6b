"""What follows a debit and an ended session: notifications, barring, usage records.

- **Low balance**: when a debit leaves the money balance below ``low_balance_li``, the
  balances' low-balance notice goes into the notification outbox (one a day per line, naming
  the account only).
- **Barring**: when a debit leaves the money balance at zero — nothing left and nothing held
  by another call — and the engine gives no grace (``EngineSettings.bar_on_zero``), the
  balances' suspend order bars the line (``bar_exhausted``); the next top-up resumes it.
- **Usage records**: :func:`write_usage` takes ended sessions in batches into the usage store
  through mediation, with source :data:`ONLINE_SOURCE` (``ocs``), so prepaid usage reaches
  rating, analytics and settlement like any other. Batch rating prices them like any record;
  billing leaves records of that source out of bills, because the balance already paid them.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
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
from openbss.mediation.public import (
    ONLINE_SOURCE,
    Decoded,
    Ingest,
    ingest_decoded,
    raw_table,
)

log = logging.getLogger(__name__)

# --- after each debit ---------------------------------------------------------------------


_MONEY_LEFT = "openbss.charging.engine.money_left"


def noting_money_left(session: Session) -> Callable[[int], None]:
    """A debit's ``on_balance``: keeps the money the owners hold after it for ``after_debit``
    (only debits change it within a request, so the last one noted is current)."""

    def note(left: int) -> None:
        session.info[_MONEY_LEFT] = left

    return note


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
    left = session.info.get(_MONEY_LEFT)
    if left is None:
        left = repository.money_remaining(session, owners, now)
    if left < settings.low_balance_li:
        # At most one notice a day per line (the outbox key says so).
        balances.notify_low_balance(
            session, product_id=charging.product_id, at=now, threshold_li=settings.low_balance_li
        )
    if left == 0 and settings.bar_on_zero:
        balances.bar_exhausted(session, charging.product_id, now)


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
