"""Every query of the provisioning domain.

State changes that two workers (or a worker and the orchestration) might race on are
conditional UPDATEs whose WHERE clause states what the caller saw; the row count says whether
the change happened. On PostgreSQL the second writer waits for the first and then finds the
condition false; on SQLite writers are serialised. Either way exactly one of them wins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Select, or_, select, update
from sqlalchemy.orm import Session, aliased

from openbss.provisioning.calculations import BLOCKING_STATES, Network, OrderState
from openbss.provisioning.models import (
    NetworkElement,
    ProvisioningAttempt,
    ServiceOrder,
    SimulatedService,
)

OPEN_STATES = (OrderState.ACKNOWLEDGED.value, OrderState.IN_PROGRESS.value)


def _changed(session: Session, statement: Any) -> bool:
    """Run a conditional UPDATE; True when it changed a row."""
    result = cast(
        CursorResult[Any],
        session.execute(statement.execution_options(synchronize_session=False)),
    )
    return result.rowcount == 1


# ----- network elements -------------------------------------------------------------------


def element(session: Session, code: str) -> NetworkElement | None:
    return session.get(NetworkElement, code)


def fresh_element(session: Session, code: str) -> NetworkElement | None:
    """The element as the database holds it now, not as this session last saw it."""
    return session.get(NetworkElement, code, populate_existing=True)


def elements(session: Session, province: str | None = None) -> Sequence[NetworkElement]:
    statement = select(NetworkElement).order_by(
        NetworkElement.province, NetworkElement.network, NetworkElement.code
    )
    if province is not None:
        statement = statement.where(NetworkElement.province == province)
    return session.scalars(statement).all()


def element_for(session: Session, province: str, network: Network) -> NetworkElement | None:
    """The element that serves ``network`` in ``province`` (the lowest code when several)."""
    return session.scalars(
        select(NetworkElement)
        .where(NetworkElement.province == province, NetworkElement.network == network.value)
        .order_by(NetworkElement.code)
        .limit(1)
    ).first()


def replace_settings(
    session: Session, code: str, seen_revision: int, settings: Mapping[str, Any]
) -> bool:
    """Compare-and-set of an element's settings: False when someone changed them meanwhile."""
    return _changed(
        session,
        update(NetworkElement)
        .where(NetworkElement.code == code, NetworkElement.revision == seen_revision)
        .values(settings=dict(settings), revision=seen_revision + 1),
    )


# ----- the simulated elements' own state --------------------------------------------------


def simulated_service(session: Session, code: str, service_id: str) -> SimulatedService | None:
    return session.get(SimulatedService, (code, service_id))


def simulated_services(
    session: Session, network: Network, province: str
) -> Sequence[SimulatedService]:
    return session.scalars(
        select(SimulatedService)
        .join(NetworkElement, NetworkElement.code == SimulatedService.element_code)
        .where(NetworkElement.network == network.value, NetworkElement.province == province)
        .order_by(SimulatedService.element_code, SimulatedService.service_id)
    ).all()


# ----- service orders ---------------------------------------------------------------------


def _by_sequence(statement: Select[ServiceOrder]) -> Select[ServiceOrder]:
    return statement.order_by(ServiceOrder.sequence, ServiceOrder.created_at, ServiceOrder.id)


def orders_for_product_order(session: Session, product_order_id: str) -> Sequence[ServiceOrder]:
    return session.scalars(
        _by_sequence(select(ServiceOrder).where(ServiceOrder.product_order_id == product_order_id))
    ).all()


def fresh_order(session: Session, order_id: str) -> ServiceOrder | None:
    return session.get(ServiceOrder, order_id, populate_existing=True)


def not_started(session: Session, product_order_id: str) -> Sequence[ServiceOrder]:
    return session.scalars(
        _by_sequence(
            select(ServiceOrder).where(
                ServiceOrder.product_order_id == product_order_id,
                ServiceOrder.state == OrderState.ACKNOWLEDGED.value,
            )
        )
    ).all()


def due_orders(session: Session, at: datetime, limit: int) -> Sequence[ServiceOrder]:
    """Open orders whose next attempt is due, that no live worker holds and whose
    prerequisite (if any) has completed; grouped by product order, in sequence."""
    prerequisite = aliased(ServiceOrder)
    return session.scalars(
        select(ServiceOrder)
        .outerjoin(prerequisite, ServiceOrder.depends_on_id == prerequisite.id)
        .where(
            ServiceOrder.state.in_(OPEN_STATES),
            ServiceOrder.next_attempt_at <= at,
            or_(ServiceOrder.lease_until.is_(None), ServiceOrder.lease_until <= at),
            or_(
                ServiceOrder.depends_on_id.is_(None),
                prerequisite.state == OrderState.COMPLETED.value,
            ),
        )
        .order_by(
            ServiceOrder.product_order_id,
            ServiceOrder.sequence,
            ServiceOrder.created_at,
            ServiceOrder.id,
        )
        .limit(limit)
    ).all()


def blocked_orders(session: Session, limit: int) -> Sequence[ServiceOrder]:
    """Orders not yet started whose prerequisite failed or was cancelled: they never can."""
    prerequisite = aliased(ServiceOrder)
    return session.scalars(
        select(ServiceOrder)
        .join(prerequisite, ServiceOrder.depends_on_id == prerequisite.id)
        .where(
            ServiceOrder.state == OrderState.ACKNOWLEDGED.value,
            prerequisite.state.in_([s.value for s in BLOCKING_STATES]),
        )
        .order_by(ServiceOrder.created_at, ServiceOrder.id)
        .limit(limit)
    ).all()


def _set_if_unchanged(
    session: Session,
    order_id: str,
    state: ColumnElement[bool],
    attempts: int,
    values: Mapping[str, Any],
    *conditions: ColumnElement[bool],
) -> bool:
    """Change the order only if it is still as the caller saw it (its state and attempt
    count, plus ``conditions``); True when it did. ``attempts`` doubles as the version."""
    return _changed(
        session,
        update(ServiceOrder)
        .where(
            ServiceOrder.id == order_id,
            state,
            ServiceOrder.attempts == attempts,
            *conditions,
        )
        .values(**values),
    )


def claim(
    session: Session, order_id: str, seen_attempts: int, at: datetime, lease_until: datetime
) -> bool:
    """Take the order for one attempt. ``attempts`` doubles as the version: a worker that
    saw the same count but lost the race finds it changed and claims nothing."""
    return _set_if_unchanged(
        session,
        order_id,
        ServiceOrder.state.in_(OPEN_STATES),
        seen_attempts,
        {
            "state": OrderState.IN_PROGRESS.value,
            "attempts": seen_attempts + 1,
            "lease_until": lease_until,
        },
        or_(ServiceOrder.lease_until.is_(None), ServiceOrder.lease_until <= at),
    )


def settle(
    session: Session, order_id: str, claimed_attempts: int, values: Mapping[str, Any]
) -> bool:
    """Record an attempt's outcome, if the claim is still ours (no other worker took the
    order over after our lease ran out)."""
    return _set_if_unchanged(
        session,
        order_id,
        ServiceOrder.state == OrderState.IN_PROGRESS.value,
        claimed_attempts,
        {"lease_until": None, **values},
    )


def end_unstarted(session: Session, order_id: str, values: Mapping[str, Any]) -> bool:
    """Move an order that has not started (acknowledged, never claimed) to a final state."""
    return _set_if_unchanged(
        session,
        order_id,
        ServiceOrder.state == OrderState.ACKNOWLEDGED.value,
        0,
        {"next_attempt_at": None, **values},
    )


def end_exhausted(session: Session, order_id: str, seen_attempts: int, at: datetime) -> bool:
    """Release an order whose worker died on its last allowed attempt, to fail it."""
    return _set_if_unchanged(
        session,
        order_id,
        ServiceOrder.state == OrderState.IN_PROGRESS.value,
        seen_attempts,
        {
            "state": OrderState.FAILED.value,
            "lease_until": None,
            "next_attempt_at": None,
            "completed_at": at,
        },
        ServiceOrder.lease_until <= at,
    )


# ----- attempts ---------------------------------------------------------------------------


def attempts_for(session: Session, order_id: str) -> Sequence[ProvisioningAttempt]:
    return session.scalars(
        select(ProvisioningAttempt)
        .where(ProvisioningAttempt.service_order_id == order_id)
        .order_by(ProvisioningAttempt.number)
    ).all()


def attempt(session: Session, order_id: str, number: int) -> ProvisioningAttempt | None:
    return session.scalars(
        select(ProvisioningAttempt).where(
            ProvisioningAttempt.service_order_id == order_id,
            ProvisioningAttempt.number == number,
        )
    ).first()


def unfinished_attempts(session: Session, order_id: str) -> Sequence[ProvisioningAttempt]:
    return session.scalars(
        select(ProvisioningAttempt)
        .where(
            ProvisioningAttempt.service_order_id == order_id,
            ProvisioningAttempt.outcome.is_(None),
        )
        .order_by(ProvisioningAttempt.number)
    ).all()
