"""Service orders (TMF641) to the network, and the network elements that carry them out.

The product order orchestration (a higher layer) decomposes a product order into one service
order per network and calls :func:`create_service_order`; :func:`run_due` in executor.py then
sends each order to its network element. Service orders are never written through the API:
the TMF641 routes are read-only, so their readers are the people who follow orders up —
CSRs (customer calls about an installation), billing operators (停机/复机 after arrears),
analysts (order fall-out) and administrators. Finance and partners have no use for them.

Rules:

- every item's service type belongs to the order's network (:data:`NETWORK_FOR_SERVICE_TYPE`);
- a prerequisite (``depends_on``) and a compensated order (``compensates``) are orders of the
  same product order; a compensation order says which order it undoes;
- the order goes to its province's element for the network; simulated elements are created on
  first use, so a fresh installation provisions without any set-up;
- the order starts ``acknowledged`` and emits ``ServiceOrderCreateEvent``; every later change
  of state emits ``ServiceOrderStateChangeEvent``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from openbss.audit import service as audit
from openbss.auth.service import PROVINCE_PATTERN
from openbss.kit.clock import now
from openbss.kit.errors import Conflict, NotFound, Unprocessable
from openbss.kit.ids import new_id
from openbss.kit.security import Principal, Role
from openbss.kit.tmf import JSON, format_datetime
from openbss.provisioning import repository as repo
from openbss.provisioning.adapters import SIMULATED, SIMULATED_DEFAULT_SETTINGS, SIMULATED_MODES
from openbss.provisioning.calculations import (
    NETWORK_FOR_SERVICE_TYPE,
    Network,
    OrderState,
    Purpose,
    ServiceAction,
    ServiceRequestItem,
    element_code,
    order_item,
    with_note,
    with_state,
)
from openbss.provisioning.models import NetworkElement, ProvisioningAttempt, ServiceOrder
from openbss.provisioning.schemas import ServiceOrderSchema
from openbss.resources.service import ResourceService

API = "serviceOrdering"
API_PATH = "/tmf-api/serviceOrdering/v4"
SERVICE_ORDER_READERS = frozenset({Role.CSR, Role.BILLING_OPERATOR, Role.ANALYST, Role.ADMIN})
# TMF priority runs from 0 (highest) to 4. A compensation undoes half-done work a customer
# may be billed for, so an external OSS should take it first.
PRIORITY = {Purpose.FULFIL: "4", Purpose.COMPENSATE: "1"}
DEPENDS_ON = "dependsOn"
_CAS_ROUNDS = 20
COMPENSATES = "compensates"


class ServiceOrderService(ResourceService[ServiceOrder]):
    model = ServiceOrder
    api = API
    api_path = API_PATH
    path = "serviceOrder"
    resource_type = "ServiceOrder"
    schema = ServiceOrderSchema
    read_roles = SERVICE_ORDER_READERS
    write_roles: ClassVar[frozenset[Role]] = frozenset()  # written by the orchestration only
    state_attribute: ClassVar[str | None] = "state"

    def emit_created(self, session: Session, row: ServiceOrder) -> None:
        self.emit(session, "CreateEvent", row)

    def emit_state_change(self, session: Session, row: ServiceOrder) -> None:
        self.emit(session, "StateChangeEvent", row)


service_orders = ServiceOrderService()


# ----- creating service orders ------------------------------------------------------------


def _province(principal: Principal, requested: str | None) -> str:
    province = principal.owning_province(requested)
    if province is None:
        raise Unprocessable(
            "a service order belongs to a province: a group-level caller must name it",
            code="PROVINCE_REQUIRED",
        )
    return province


def _check_items(network: Network, items: Sequence[ServiceRequestItem]) -> None:
    if not items:
        raise Unprocessable("a service order needs at least one item", code="EMPTY_ORDER")
    for item in items:
        carrier = NETWORK_FOR_SERVICE_TYPE.get(item.service_type)
        if carrier is None:
            raise Unprocessable(
                f"service type {item.service_type!r} is not provisioned on any network; "
                f"expected one of {', '.join(NETWORK_FOR_SERVICE_TYPE)}",
                code="UNKNOWN_SERVICE_TYPE",
            )
        if carrier is not network:
            raise Unprocessable(
                f"a {item.service_type} service is provisioned on the {carrier.value} network, "
                f"not on {network.value}",
                code="NETWORK_MISMATCH",
            )
        if not item.service_id:
            raise Unprocessable("every item needs the service's identifier on the network")
        if item.action not in set(ServiceAction):  # a plain string must still be an action
            raise Unprocessable(
                f"unknown service action {item.action!r}; expected one of "
                f"{', '.join(ServiceAction)}",
                code="UNKNOWN_ACTION",
            )


def _sibling(
    session: Session, order_id: str, product_order_id: str, province: str, role: str
) -> ServiceOrder:
    row = session.get(ServiceOrder, order_id)
    if row is None or row.product_order_id != product_order_id or row.province != province:
        raise Unprocessable(
            f"{role} {order_id!r} is not a service order of product order {product_order_id!r}",
            code="UNKNOWN_REFERENCE",
        )
    return row


def _document(
    product_order_id: str,
    network: Network,
    goal: Purpose,
    items: Sequence[ServiceRequestItem],
    sequence: int,
    depends_on: str | None,
    compensates: str | None,
    at: datetime,
) -> JSON:
    """The TMF641 representation of a new service order."""
    doc: JSON = {
        "@type": "ServiceOrder",
        "externalId": product_order_id,
        "category": network.value,
        "priority": PRIORITY[goal],
        "description": f"{goal.value} product order {product_order_id} on the "
        f"{network.value} network (step {sequence})",
        "orderDate": format_datetime(at),
        "state": OrderState.ACKNOWLEDGED.value,
        "externalReference": [
            {
                "id": product_order_id,
                "name": product_order_id,
                "externalReferenceType": "ProductOrder",
            }
        ],
        "serviceOrderItem": [
            order_item(number, item, network, product_order_id)
            for number, item in enumerate(items, start=1)
        ],
    }
    relationships = []
    if depends_on is not None:
        relationships.append(
            {"id": depends_on, "relationshipType": DEPENDS_ON, "@referredType": "ServiceOrder"}
        )
    if compensates is not None:
        relationships.append(
            {"id": compensates, "relationshipType": COMPENSATES, "@referredType": "ServiceOrder"}
        )
    if goal is Purpose.COMPENSATE:
        undone = f"service order {compensates}" if compensates else "completed service orders"
        doc = with_note(
            doc,
            f"compensation: undoes {undone} because product order {product_order_id} "
            "could not be fulfilled",
            at,
        )
    if relationships:
        doc["orderRelationship"] = relationships
    return doc


def create_service_order(
    session: Session,
    principal: Principal,
    *,
    product_order_id: str,
    network: Network,
    items: list[ServiceRequestItem],
    sequence: int,
    depends_on: str | None = None,
    purpose: str = "fulfil",
    compensates: str | None = None,
    province: str | None = None,
) -> ServiceOrder:
    """Create one service order of a product order, ``acknowledged`` and due at once.

    ``province`` is for group-level callers; a province caller's orders are its province's.
    The authorisation is the product order's: only the orchestration calls this, after it
    has checked what the caller may order.
    """
    if network not in set(Network):
        raise Unprocessable(f"unknown network {network!r}", code="UNKNOWN_NETWORK")
    network = Network(network)
    owner = _province(principal, province)
    if purpose not in set(Purpose):
        raise Unprocessable(
            f"purpose must be fulfil or compensate, got {purpose!r}", code="UNKNOWN_PURPOSE"
        )
    goal = Purpose(purpose)
    if compensates is not None and goal is not Purpose.COMPENSATE:
        raise Unprocessable(
            "only a compensation order names an order it undoes (compensates)",
            code="COMPENSATION_REFERENCE",
        )
    _check_items(network, items)
    if depends_on is not None:
        _sibling(session, depends_on, product_order_id, owner, "depends_on")
    if compensates is not None:
        _sibling(session, compensates, product_order_id, owner, "compensates")
    element = _element_for(session, owner, network)
    at = now()
    doc = _document(product_order_id, network, goal, items, sequence, depends_on, compensates, at)
    service_orders.check_schema(doc)
    row = ServiceOrder(
        id=new_id(),
        province=owner,
        doc=doc,
        state=OrderState.ACKNOWLEDGED.value,
        product_order_id=product_order_id,
        network=network.value,
        sequence=sequence,
        depends_on_id=depends_on,
        purpose=goal.value,
        compensates_id=compensates,
        network_element=element.code,
        attempts=0,
        next_attempt_at=at,
    )
    session.add(row)
    session.flush()
    audit.record(session, principal, "create", "ServiceOrder", row.id, owner, doc)
    service_orders.emit_created(session, row)
    return row


def run_due(factory: sessionmaker[Session], *, limit: int = 50) -> int:
    """Execute due service orders; see :func:`openbss.provisioning.executor.run_due`."""
    # Imported on call: the executor imports this module for events and cancellation.
    from openbss.provisioning.executor import run_due as execute

    return execute(factory, limit=limit)


def service_orders_for(session: Session, product_order_id: str) -> list[ServiceOrder]:
    """The product order's service orders, in execution sequence, then creation."""
    return list(repo.orders_for_product_order(session, product_order_id))


def cancel_order(session: Session, row: ServiceOrder, reason: str) -> bool:
    """Cancel an order that has not started; False when it started (or ended) meanwhile."""
    at = now()
    if not repo.end_unstarted(session, row.id, {"state": OrderState.CANCELLED.value}):
        return False
    fresh = repo.fresh_order(session, row.id)
    assert fresh is not None
    fresh.doc = with_state(
        fresh.doc,
        OrderState.CANCELLED,
        cancellationDate=format_datetime(at),
        cancellationReason=reason,
    )
    session.flush()
    service_orders.emit_state_change(session, fresh)
    return True


def cancel_pending(session: Session, product_order_id: str, reason: str) -> int:
    """Cancel the product order's service orders that have not started; returns how many.

    Orders already under way are left to finish: the network may have applied them, and the
    orchestration undoes those with compensation orders.
    """
    return sum(
        cancel_order(session, row, reason) for row in repo.not_started(session, product_order_id)
    )


def attempts_for(session: Session, service_order_id: str) -> list[ProvisioningAttempt]:
    """The attempt trace of one order, first attempt first."""
    return list(repo.attempts_for(session, service_order_id))


# ----- network elements -------------------------------------------------------------------


def ensure_network_elements(session: Session, province: str) -> list[NetworkElement]:
    """One element per network for the province, creating simulated ones where none exists.

    Idempotent, and safe when two callers race: the loser's insert fails inside a savepoint
    and it uses the winner's element.
    """
    if not PROVINCE_PATTERN.match(province):
        raise Unprocessable(f"province code must be 2-8 capital letters, got {province!r}")
    found = []
    for network in Network:
        existing = repo.element_for(session, province, network)
        if existing is None:
            existing = _create_simulated(session, province, network)
        found.append(existing)
    return found


def _create_simulated(session: Session, province: str, network: Network) -> NetworkElement:
    code = element_code(province, network)
    row = NetworkElement(
        code=code,
        province=province,
        network=network.value,
        adapter=SIMULATED,
        settings=dict(SIMULATED_DEFAULT_SETTINGS),
        revision=0,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        pass  # created concurrently: use that one
    created = repo.element(session, code)
    assert created is not None
    return created


def _element_for(session: Session, province: str, network: Network) -> NetworkElement:
    element = repo.element_for(session, province, network)
    if element is not None:
        return element
    # A province's first order: give it the whole set of simulated elements at once.
    by_network = {e.network: e for e in ensure_network_elements(session, province)}
    return by_network[network.value]


def network_elements(session: Session, province: str | None = None) -> list[NetworkElement]:
    return list(repo.elements(session, province))


def configure_element(
    session: Session,
    code: str,
    *,
    mode: str | None = None,
    delay_ms: int | None = None,
    fail_next: int | None = None,
) -> NetworkElement:
    """Change a simulated element's behaviour; unnamed settings keep their values."""
    if mode is not None and mode not in SIMULATED_MODES:
        raise Unprocessable(
            f"mode must be one of {', '.join(SIMULATED_MODES)}, got {mode!r}", code="UNKNOWN_MODE"
        )
    for name, value in (("delay_ms", delay_ms), ("fail_next", fail_next)):
        if value is not None and value < 0:
            raise Unprocessable(f"{name} must not be negative, got {value}")
    changes: dict[str, Any] = {
        name: value
        for name, value in (("mode", mode), ("delay_ms", delay_ms), ("fail_next", fail_next))
        if value is not None
    }
    for _ in range(_CAS_ROUNDS):  # compare-and-set: a worker may be consuming fail_next now
        row = repo.fresh_element(session, code)
        if row is None:
            raise NotFound(f"no network element {code!r}")
        if row.adapter != SIMULATED:
            raise Unprocessable(
                f"element {code} uses the {row.adapter!r} adapter; only simulated elements "
                "take mode, delay and failure settings",
                code="NOT_SIMULATED",
            )
        settings = {**SIMULATED_DEFAULT_SETTINGS, **row.settings, **changes}
        if repo.replace_settings(session, code, row.revision, settings):
            fresh = repo.fresh_element(session, code)
            assert fresh is not None
            return fresh
    raise Conflict(f"element {code} is being changed concurrently; retry", code="CONTENDED")


def simulated_state(session: Session, network: Network, province: str) -> dict[str, str]:
    """What the province's simulated element on ``network`` holds: service id → state
    (``active`` or ``suspended``); a service that is not provisioned is absent."""
    return {
        row.service_id: row.state
        for row in repo.simulated_services(session, Network(network), province)
    }


__all__ = [
    "API",
    "API_PATH",
    "NETWORK_FOR_SERVICE_TYPE",
    "SERVICE_ORDER_READERS",
    "Network",
    "NetworkElement",
    "OrderState",
    "ProvisioningAttempt",
    "ServiceAction",
    "ServiceOrder",
    "ServiceOrderService",
    "ServiceRequestItem",
    "attempts_for",
    "cancel_order",
    "cancel_pending",
    "configure_element",
    "create_service_order",
    "ensure_network_elements",
    "network_elements",
    "run_due",
    "service_orders",
    "service_orders_for",
    "simulated_state",
]
