"""An order's orchestration trace: its own steps, its service orders and their attempts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from openbss.kit.security import Principal
from openbss.kit.tmf import format_datetime
from openbss.ordering import repository
from openbss.ordering.service import product_orders
from openbss.provisioning.public import attempts_for, service_orders_for


@dataclass(frozen=True, slots=True)
class TraceLine:
    at: str
    step: str
    detail: str


def order_trace(session: Session, principal: Principal, order_id: str) -> list[TraceLine]:
    """Everything that happened to an order, in time order."""
    order = product_orders.get(session, principal, order_id)
    lines = [
        TraceLine(format_datetime(entry.at), entry.step, entry.message)
        for entry in repository.log_of(session, order.id)
    ]
    links = {f.service_order_id: f for f in repository.all_fulfilments(session, order.id)}
    for service_order in service_orders_for(session, order.id):
        link = links.get(service_order.id)
        round_ = link.round if link else "?"
        purpose = link.purpose if link else service_order.purpose
        label = (
            f"{service_order.network} service order {service_order.id} ({purpose}, round {round_})"
        )
        lines.append(
            TraceLine(
                format_datetime(service_order.created_at),
                "serviceOrder",
                f"{label}: {service_order.state}"
                + (f" — {service_order.last_error}" if service_order.last_error else ""),
            )
        )
        for attempt in attempts_for(session, service_order.id):
            lines.append(
                TraceLine(
                    format_datetime(attempt.started_at),
                    "attempt",
                    f"{service_order.network} #{attempt.number}: {attempt.outcome}"
                    + (f" — {attempt.message}" if attempt.message else ""),
                )
            )
    return sorted(lines, key=lambda line: line.at)
