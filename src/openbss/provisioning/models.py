"""Service orders (TMF641), their attempts, network elements and the simulated elements' state.

A service order is a TMF resource row: its TMF641 document in ``doc`` and, in typed columns,
what the executor selects on (state, due time, lease) and what links it to its product order.
The columns are the executor's working state; the document is what clients read, and both are
written in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openbss.db.base import Base
from openbss.kit.clock import now
from openbss.resources.models import TmfResourceMixin


class ServiceOrder(TmfResourceMixin, Base):
    __tablename__ = "provisioning_service_order"
    __table_args__ = (
        # The executor's query: open orders whose next attempt is due.
        Index("ix_provisioning_service_order_due", "state", "next_attempt_at"),
    )
    # ``externalId`` holds the product order id and ``category`` the network, so both list
    # filters run in SQL on the typed columns.
    FILTER_COLUMNS: ClassVar[dict[str, str]] = {
        "id": "id",
        "state": "state",
        "externalId": "product_order_id",
        "category": "network",
    }

    state: Mapped[str] = mapped_column(String(32))
    product_order_id: Mapped[str] = mapped_column(String(64), index=True)
    network: Mapped[str] = mapped_column(String(16))
    # Order of execution within the product order; equal sequences may run in any order.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    depends_on_id: Mapped[str | None] = mapped_column(
        ForeignKey("provisioning_service_order.id"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(16))  # fulfil | compensate
    compensates_id: Mapped[str | None] = mapped_column(
        ForeignKey("provisioning_service_order.id"), index=True
    )
    network_element: Mapped[str] = mapped_column(ForeignKey("provisioning_network_element.code"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    # Set while a worker holds the order; a lease in the past belongs to a worker that died.
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)


class ProvisioningAttempt(Base):
    """One call of a service order to its network element: the trace operators read."""

    __tablename__ = "provisioning_attempt"
    # Attempt numbers come from the claim; a number used twice would mean two workers ran
    # the same attempt, which the database refuses.
    __table_args__ = (UniqueConstraint("service_order_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    service_order_id: Mapped[str] = mapped_column(
        ForeignKey("provisioning_service_order.id"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    network_element: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(default=now)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    # success | transient | permanent | timeout; NULL while the call is under way.
    outcome: Mapped[str | None] = mapped_column(String(16))
    message: Mapped[str | None] = mapped_column(Text)


class NetworkElement(Base):
    """A switch, BRAS, PHS controller, VAS platform or HLR that service orders are sent to.

    ``adapter`` names the code that talks to it (``simulated`` or an installed plugin) and
    ``settings`` is that adapter's configuration. ``revision`` grows on every change of the
    settings, so a change is a compare-and-set and concurrent callers never lose one.
    """

    __tablename__ = "provisioning_network_element"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    province: Mapped[str] = mapped_column(String(8), index=True)
    network: Mapped[str] = mapped_column(String(16))
    adapter: Mapped[str] = mapped_column(String(64))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)


class SimulatedService(Base):
    """A service as a simulated network element holds it (its own subscriber table)."""

    __tablename__ = "provisioning_simulated_service"

    element_code: Mapped[str] = mapped_column(
        ForeignKey("provisioning_network_element.code"), primary_key=True
    )
    service_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))  # active | suspended
    characteristics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)
