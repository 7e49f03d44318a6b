"""The notification outbox: reminders are rows written in the job's transaction and handed to
a sender after commit, so a rolled-back step sends nothing and a crashed sender loses nothing.

Senders are pluggable: the entry-point group ``openbss.notification_senders`` maps a channel
(``sms``, ``email``) to a class with ``send(message) -> None``; a channel without one uses the
file sender, which appends each message as a JSON line under ``<data_dir>/notifications/``. A
message names the account only: the gateway looks the contact medium up, so no phone number or
address passes through here or into a log.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import date
from importlib.metadata import entry_points
from pathlib import Path
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from openbss.db.uow import unit_of_work
from openbss.kit.clock import now
from openbss.kit.ids import new_id
from openbss.payments.dunning import repository
from openbss.payments.dunning.models import Notification, NotificationStatus

logger = logging.getLogger(__name__)
ENTRY_POINT_GROUP = "openbss.notification_senders"
MAX_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    province: str
    billing_account_id: str
    channel: str
    text_zh: str
    text_en: str


class Sender(Protocol):
    def send(self, message: Message) -> None: ...


class FileSender:
    """Writes each message as one JSON line to ``notifications/<channel>-<day>.jsonl``."""

    def __init__(self, data_dir: Path) -> None:
        self.directory = data_dir / "notifications"

    def send(self, message: Message) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{message.channel}-{now().date().isoformat()}.jsonl"
        line = json.dumps(
            {
                "id": message.id,
                "province": message.province,
                "billingAccountId": message.billing_account_id,
                "channel": message.channel,
                "text": {"zh-CN": message.text_zh, "en": message.text_en},
            },
            ensure_ascii=False,
        )
        with path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")
            out.flush()
            os.fsync(out.fileno())


def senders(data_dir: Path) -> dict[str, Sender]:
    """The sender of each channel that has one registered; others fall back to the file."""
    found: dict[str, Sender] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        found[entry.name] = entry.load()()
    found.setdefault("*", FileSender(data_dir))
    return found


def enqueue(
    session: Session,
    *,
    key: str,
    province: str,
    billing_account_id: str,
    channel: str,
    texts: tuple[str, str],
) -> bool:
    """Add a message unless one with ``key`` exists; True when added."""
    if repository.notification_exists(session, key):
        return False
    session.add(
        Notification(
            id=new_id(),
            key=key,
            province=province,
            billing_account_id=billing_account_id,
            channel=channel,
            text_zh=texts[0],
            text_en=texts[1],
            status=NotificationStatus.PENDING,
            attempts=0,
        )
    )
    return True


def deliver(
    factory: sessionmaker[Session], data_dir: Path, *, limit: int = 500, batches: int = 100
) -> int:
    """Hand pending messages to their senders; returns how many were sent. A failure is
    retried on the next call, and after ``MAX_ATTEMPTS`` the message is ``failed``."""
    by_channel = senders(data_dir)
    sent = 0
    for _ in range(batches):
        with unit_of_work(factory) as session:
            pending = repository.pending_notifications(session, limit)
            if not pending:
                break
            progress = 0
            for row in pending:
                sender = by_channel.get(row.channel) or by_channel["*"]
                message = Message(
                    row.id,
                    row.province,
                    row.billing_account_id,
                    row.channel,
                    row.text_zh,
                    row.text_en,
                )
                row.attempts += 1
                try:
                    sender.send(message)
                except Exception as exc:  # a gateway's failure must not stop the others
                    row.last_error = str(exc)[:500]
                    if row.attempts >= MAX_ATTEMPTS:
                        row.status = NotificationStatus.FAILED
                    logger.warning("notification %s not sent: %s", row.id, type(exc).__name__)
                    continue
                row.status = NotificationStatus.SENT
                row.sent_at = now()
                sent += 1
                progress += 1
        if progress == 0:
            break
    return sent


def reminder_key(account_id: str, days_past_due: int, channel: str, episode: date) -> str:
    return f"dunning:{account_id}:remind{days_past_due}-{channel}:{episode.isoformat()}"
