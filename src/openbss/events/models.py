from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openbss.db.base import Base, JSONDocument
from openbss.events.status import DeliveryStatus as DeliveryStatus
from openbss.kit.clock import now


class HubSubscription(Base):
    """A TMF hub registration: deliver this API's events matching ``query`` to ``callback``.

    ``resources`` names the resources (``individual``, ``organization``…) whose events the
    subscriber's role may read, fixed when it subscribed; ``secret`` signs its deliveries and
    is shown to the subscriber once, in the answer to the registration.
    """

    __tablename__ = "hub_subscription"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    api: Mapped[str] = mapped_column(String(64), index=True)
    callback: Mapped[str] = mapped_column(Text)
    query: Mapped[str | None] = mapped_column(Text)
    province: Mapped[str | None] = mapped_column(String(8), index=True)
    resources: Mapped[list[str]] = mapped_column(JSONDocument)
    secret: Mapped[str] = mapped_column(String(96))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=now)


class OutboxEvent(Base):
    """An event written in the same transaction as the change it describes."""

    __tablename__ = "outbox_event"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    api: Mapped[str] = mapped_column(String(64), index=True)
    event_type: Mapped[str] = mapped_column(String(96))
    province: Mapped[str | None] = mapped_column(String(8))
    payload: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=now)
    fanned_out: Mapped[bool] = mapped_column(default=False, index=True)


class EventDelivery(Base):
    """One event to one subscriber, retried with backoff until delivered or dead."""

    __tablename__ = "event_delivery"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("outbox_event.id"), index=True)
    subscription_id: Mapped[str] = mapped_column(String(64), index=True)
    callback: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=now, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
