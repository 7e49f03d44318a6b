"""Order orchestration: from an acknowledged product order to the network and back.

The worker (:func:`work_once`, looped by :func:`background_orchestrator` in the server and by
``openbss orders work``) does three things, each order in its own transaction:

1. **start** an acknowledged order: decompose its items into one service order per network
   (TMF641), chained so that the line is provisioned before what rides on it; products being
   added become ``pendingActive``; the order goes ``inProgress``.
2. let the provisioning executor run due service orders (adapters, retries, timeouts);
3. **advance** orders in progress: when every service order of the round completed, apply
   the result to the inventory (activate, suspend, resume, change, terminate — effective at
   that instant), assign or quarantine numbers, and complete the order. When one failed, undo
   what the round already did on the network (compensating service orders in reverse order),
   then fail the order into the fallout queue with the reason. Nothing stays half-active.

A person handles fallout with :func:`retry` (provision again as a new round, e.g. after the
network recovered) or :func:`cancel` (give up: numbers released, products cancelled).
Workers may run in several processes: the order row's version column makes a second worker's
change of the same order fail (StaleDataError) and roll back harmlessly.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from functools import partial

from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from openbss.audit import service as audit
from openbss.customer.public import customers
from openbss.db.uow import on_after_commit, remove_after_commit, unit_of_work
from openbss.inventory.public import Product, change_offering, move, note_order_item
from openbss.kit.clock import now
from openbss.kit.errors import Conflict, NotFound, OpenBSSError
from openbss.kit.ids import new_id
from openbss.kit.security import Principal, Role
from openbss.kit.tmf import JSON, format_datetime
from openbss.kit.worker import BackgroundWorker, WakeSource
from openbss.numbering.public import assign, release, retire
from openbss.ordering import repository
from openbss.ordering.calculations import CANCELLABLE_STATES, barring_of, network_rank
from openbss.ordering.models import Fulfilment, OrderFallout, OrderItem, ProductOrder
from openbss.ordering.service import holder_of, log, product_orders
from openbss.ordering.statuses import FalloutResolution, OrderPhase, ProductOrderState
from openbss.provisioning.public import (
    NETWORK_FOR_SERVICE_TYPE,
    Network,
    ServiceAction,
    ServiceRequestItem,
    cancel_pending,
    create_service_order,
    ensure_network_elements,
    run_due,
    service_orders_for,
)
from openbss.provisioning.public import (
    OrderState as ServiceOrderState,
)

logger = logging.getLogger(__name__)

ACTION_ON_NETWORK: dict[str, ServiceAction] = {
    "add": ServiceAction.ACTIVATE,
    "delete": ServiceAction.DEACTIVATE,
    "suspend": ServiceAction.SUSPEND,
    "resume": ServiceAction.RESUME,
    "modify": ServiceAction.MODIFY,
}
UNDO: dict[ServiceAction, ServiceAction] = {
    ServiceAction.ACTIVATE: ServiceAction.DEACTIVATE,
    ServiceAction.DEACTIVATE: ServiceAction.ACTIVATE,
    ServiceAction.SUSPEND: ServiceAction.RESUME,
    ServiceAction.RESUME: ServiceAction.SUSPEND,
    ServiceAction.MODIFY: ServiceAction.MODIFY,
}
RUNNING = frozenset(
    {
        ProductOrderState.ACKNOWLEDGED,
        ProductOrderState.IN_PROGRESS,
        ProductOrderState.HELD,
        ProductOrderState.PENDING,
    }
)


def worker(province: str | None) -> Principal:
    """The principal the orchestration acts as: the order's own province."""
    return Principal(key_id="orchestrator", role=Role.ADMIN, province=province)


# ----- start --------------------------------------------------------------------------------


def _request_items(
    session: Session, items: Sequence[OrderItem], doc: JSON | None = None
) -> dict[str, list[ServiceRequestItem]]:
    """The network requests of an order's leaf items, grouped by network."""
    by_network: dict[str, list[ServiceRequestItem]] = {}
    for item in items:
        action = ACTION_ON_NETWORK.get(item.action)
        if action is None or item.service_type == "bundle":
            continue
        product = session.get(Product, item.product_id) if item.product_id else None
        characteristics = {
            c["name"]: c.get("value")
            for c in (product.doc.get("productCharacteristic") if product else None) or []
            if isinstance(c, dict) and "name" in c
        }
        if item.action == "modify" and item.product_offering_id:
            characteristics["productOffering"] = item.product_offering_id
        if item.action == "suspend" and doc is not None:
            # A bundle member inherits the barring its bundle's item asked for.
            barring = barring_of(_doc_item(doc, item.item_id)) or (
                barring_of(_doc_item(doc, item.parent_item_id)) if item.parent_item_id else None
            )
            if barring is not None:
                characteristics["barring"] = barring
        network = NETWORK_FOR_SERVICE_TYPE[item.service_type]
        by_network.setdefault(network, []).append(
            ServiceRequestItem(
                item_id=item.item_id,
                action=action,
                service_id=item.service_id or str(item.product_id),
                service_type=item.service_type,
                product_id=item.product_id,
                characteristics=characteristics,
            )
        )
    return by_network


def _send(
    session: Session,
    principal: Principal,
    order: ProductOrder,
    requests: dict[str, list[ServiceRequestItem]],
    purpose: str,
) -> int:
    """Create chained service orders, one per network, in sequence order; returns how many."""
    previous: str | None = None
    for sequence, network in enumerate(requests, start=1):
        service_order = create_service_order(
            session,
            principal,
            product_order_id=order.id,
            network=Network(network),
            items=requests[network],
            sequence=sequence,
            depends_on=previous,
            purpose=purpose,
        )
        session.add(
            Fulfilment(
                service_order_id=service_order.id,
                product_order_id=order.id,
                round=order.round,
                purpose=purpose,
                sequence=sequence,
            )
        )
        previous = service_order.id
    return len(requests)


def start(session: Session, order: ProductOrder) -> None:
    principal = worker(order.province)
    items = repository.items_of(session, order.id)
    grouped = _request_items(session, items, order.doc)
    requests = {n: grouped[n] for n in sorted(grouped, key=network_rank)}
    ensure_network_elements(session, order.province or "")
    count = _send(session, principal, order, requests, "fulfil")
    at = now()
    for item in items:
        item.state = ProductOrderState.IN_PROGRESS
        if item.action == "add" and item.product_id:
            product = session.get(Product, item.product_id)
            if product is not None:
                move(session, principal, product, "pendingActive", at=at, product_order_id=order.id)
    order.phase = OrderPhase.PROVISION
    _set_state(session, order, ProductOrderState.IN_PROGRESS, items)
    log(session, order.id, "provision", f"round {order.round}: {count} service order(s) sent")
    if count == 0:
        complete(session, order)


# ----- advance ------------------------------------------------------------------------------


def _states(session: Session, order: ProductOrder, purpose: str) -> list[tuple[str, str, str]]:
    """(service order id, network, state) of the current round's service orders."""
    wanted = {
        f.service_order_id for f in repository.fulfilments(session, order.id, order.round, purpose)
    }
    return [
        (so.id, so.network, so.state)
        for so in service_orders_for(session, order.id)
        if so.id in wanted
    ]


def advance(session: Session, order: ProductOrder) -> bool:
    """Move an order in progress on if its service orders allow; True when it moved."""
    if order.phase == OrderPhase.PROVISION:
        states = _states(session, order, "fulfil")
        if all(state == ServiceOrderState.COMPLETED for _, _, state in states):
            complete(session, order)
            return True
        if any(state == ServiceOrderState.FAILED for _, _, state in states):
            _compensate(session, order, states)
            return True
        return False
    if order.phase == OrderPhase.COMPENSATE:
        states = _states(session, order, "compensate")
        if any(state in RUNNING for _, _, state in states):
            return False
        failures = [
            f"{network} ({so_id})"
            for so_id, network, state in states
            if state != ServiceOrderState.COMPLETED
        ]
        reason = order.doc.get("stateReason") or "provisioning failed"
        if failures:
            reason += (
                "; undoing FAILED on " + ", ".join(failures) + ": clean up on the network by hand"
            )
        elif states:
            reason += "; what was already provisioned has been undone"
        fail(session, order, reason)
        return True
    return False


def _compensate(session: Session, order: ProductOrder, states: list[tuple[str, str, str]]) -> None:
    """A service order failed: stop the rest, then undo the completed ones in reverse."""
    cancel_pending(session, order.id, "an earlier service order of the product order failed")
    by_id = {so.id: so for so in service_orders_for(session, order.id)}
    failed = next(so_id for so_id, _, state in states if state == ServiceOrderState.FAILED)
    reason = f"{by_id[failed].network}: {by_id[failed].last_error or 'failed'}"
    order.doc = {**order.doc, "stateReason": reason}
    done_networks = [
        network for _, network, state in states if state == ServiceOrderState.COMPLETED
    ]
    grouped = _request_items(session, repository.items_of(session, order.id))
    undo: dict[str, list[ServiceRequestItem]] = {}
    for network in reversed(done_networks):
        undo[network] = [
            ServiceRequestItem(
                item_id=r.item_id,
                action=UNDO[r.action],
                service_id=r.service_id,
                service_type=r.service_type,
                product_id=r.product_id,
                characteristics=_previous_characteristics(session, r),
            )
            for r in grouped.get(network, [])
        ]
    log(session, order.id, "compensate", f"{reason}; undoing {len(undo)} service order(s)")
    order.phase = OrderPhase.COMPENSATE
    _send(session, worker(order.province), order, undo, "compensate")
    if not undo:
        fail(session, order, reason)


def _previous_characteristics(session: Session, request: ServiceRequestItem) -> dict[str, object]:
    """Undoing a change of plan re-applies the offering the product still has."""
    characteristics = dict(request.characteristics)
    if request.action is ServiceAction.MODIFY and request.product_id:
        product = session.get(Product, request.product_id)
        if product is not None:
            characteristics["productOffering"] = product.product_offering_id
    return characteristics


def complete(session: Session, order: ProductOrder) -> None:
    """Every service order completed: the inventory and numbers follow, at this instant."""
    principal = worker(order.province)
    at = now()
    items = repository.items_of(session, order.id)
    holder = holder_of(order.id)
    for item in items:
        product = session.get(Product, item.product_id) if item.product_id else None
        if product is not None:
            _apply(session, principal, order, item, product, holder, at)
        item.state = ProductOrderState.COMPLETED
    order.completion_date = at
    order.phase = OrderPhase.DONE
    order.doc = {**order.doc, "completionDate": format_datetime(at)}
    order.doc.pop("stateReason", None)
    _set_state(session, order, ProductOrderState.COMPLETED, items)
    _activate_customer(session, principal, order)
    log(session, order.id, ProductOrderState.COMPLETED, f"completed at {format_datetime(at)}")


def _apply(
    session: Session,
    principal: Principal,
    order: ProductOrder,
    item: OrderItem,
    product: Product,
    holder: str,
    at: datetime,
) -> None:
    if item.action == "add":
        move(session, principal, product, "active", at=at, product_order_id=order.id)
        if product.service_id and product.service_id.startswith("+"):
            assign(session, principal, product.service_id, holder=holder, product_id=product.id)
        return
    note_order_item(product, order.id, item.item_id, item.action)
    reason = order.doc.get("description") or order.doc.get("category")
    if item.action == "suspend":
        move(
            session,
            principal,
            product,
            "suspended",
            at=at,
            product_order_id=order.id,
            reason=reason,
        )
    elif item.action == "resume":
        move(session, principal, product, "active", at=at, product_order_id=order.id, reason=reason)
    elif item.action == "delete":
        move(
            session,
            principal,
            product,
            "terminated",
            at=at,
            product_order_id=order.id,
            reason=reason,
        )
        if product.service_id and product.service_id.startswith("+"):
            retire(session, principal, product.service_id, product_id=product.id)
    elif item.action == "modify" and item.product_offering_id:
        doc_item = _doc_item(order.doc, item.item_id)
        offering = (doc_item or {}).get("productOffering") or {"id": item.product_offering_id}
        prices = (doc_item or {}).get("itemPrice") or []
        change_offering(
            session, principal, product, offering, prices, at=at, product_order_id=order.id
        )


def _doc_item(doc: JSON, item_id: str) -> JSON | None:
    stack = list(doc.get("productOrderItem") or [])
    while stack:
        entry = stack.pop()
        if entry.get("id") == item_id:
            return dict(entry)
        stack.extend(entry.get("productOrderItem") or [])
    return None


def _activate_customer(session: Session, principal: Principal, order: ProductOrder) -> None:
    """A prospective or approved customer becomes active with its first service."""
    customer = customers.repo.get(session, principal, order.customer_id)
    if customer is not None and customer.status in ("prospective", "approved"):
        customers.patch(session, principal, customer.id, {"status": "active"})


def fail(session: Session, order: ProductOrder, reason: str) -> None:
    """The order could not be provisioned and nothing of it is left on the network."""
    principal = worker(order.province)
    at = now()
    items = repository.items_of(session, order.id)
    for item in items:
        item.state = ProductOrderState.FAILED
        if item.action == "add" and item.product_id:
            product = session.get(Product, item.product_id)
            if product is not None and product.status == "pendingActive":
                move(
                    session,
                    principal,
                    product,
                    "created",
                    at=at,
                    product_order_id=order.id,
                    reason=reason,
                )
    order.phase = OrderPhase.FALLOUT
    order.doc = {**order.doc, "stateReason": reason}
    _set_state(session, order, ProductOrderState.FAILED, items)
    session.add(
        OrderFallout(
            id=new_id(),
            province=order.province,
            product_order_id=order.id,
            reason=reason,
            created_at=at,
        )
    )
    log(session, order.id, "fallout", reason)


def _set_state(
    session: Session, order: ProductOrder, state: str, items: Sequence[OrderItem]
) -> None:
    states = {i.item_id: i.state for i in items}
    doc = dict(order.doc)
    doc["state"] = state
    doc["productOrderItem"] = [
        _item_state(raw, states) for raw in doc.get("productOrderItem") or []
    ]
    order.doc = doc
    changed = order.state != state
    order.state = state
    session.flush()
    if changed:
        product_orders.emit(session, "StateChangeEvent", order)


def _item_state(raw: JSON, states: dict[str, str]) -> JSON:
    out = dict(raw)
    if out.get("id") in states:
        out["state"] = states[out["id"]]
    if out.get("productOrderItem"):
        out["productOrderItem"] = [_item_state(n, states) for n in out["productOrderItem"]]
    return out


# ----- operator actions ---------------------------------------------------------------------


def _order(session: Session, principal: Principal, order_id: str) -> ProductOrder:
    """The order a caller acts on, row-locked: a worker's change in flight is waited for and
    then seen, instead of being overwritten (or failing the request as stale)."""
    principal.require(*product_orders.read_roles)
    order = product_orders.repo.get(session, principal, order_id, lock=True)
    if order is None:
        raise NotFound(f"ProductOrder {order_id!r} not found")
    return order


def retry(session: Session, principal: Principal, order_id: str) -> ProductOrder:
    """Provision a failed order again (a new round), e.g. after the network recovered."""
    principal.require(*product_orders.write_roles)
    order = _order(session, principal, order_id)
    if order.state != ProductOrderState.FAILED:
        raise Conflict(
            f"order {order_id} is {order.state}; only a failed order is retried",
            code="NOT_IN_FALLOUT",
        )
    for fallout in repository.open_fallout_of(session, order.id):
        fallout.resolved_at = now()
        fallout.resolution = FalloutResolution.RETRIED
        fallout.resolved_by = principal.key_id
    order.round += 1
    order.phase = OrderPhase.CAPTURE
    items = repository.items_of(session, order.id)
    for item in items:
        item.state = ProductOrderState.ACKNOWLEDGED
    _set_state(session, order, ProductOrderState.ACKNOWLEDGED, items)
    audit.record(session, principal, "retry", "ProductOrder", order.id, order.province)
    log(session, order.id, "retry", f"retried by {principal.key_id}: round {order.round}")
    return order


def cancel(
    session: Session, principal: Principal, order_id: str, reason: str | None
) -> ProductOrder:
    """Cancel an order that is not being provisioned: nothing of it remains."""
    principal.require(*product_orders.write_roles)
    order = _order(session, principal, order_id)
    if order.state not in CANCELLABLE_STATES:
        raise Conflict(
            f"order {order_id} is {order.state} and cannot be cancelled"
            + (
                " while it is being provisioned"
                if order.state == ProductOrderState.IN_PROGRESS
                else ""
            ),
            code="ORDER_NOT_CANCELLABLE",
        )
    at = now()
    worker_principal = worker(order.province)
    items = repository.items_of(session, order.id)
    for item in items:
        item.state = ProductOrderState.CANCELLED
        if item.action == "add" and item.product_id:
            product = session.get(Product, item.product_id)
            if product is not None and product.status in ("created", "pendingActive"):
                move(
                    session,
                    worker_principal,
                    product,
                    "cancelled",
                    at=at,
                    product_order_id=order.id,
                    reason=reason,
                )
    release(session, worker_principal, holder=holder_of(order.id))
    cancel_pending(session, order.id, reason or "product order cancelled")
    for fallout in repository.open_fallout_of(session, order.id):
        fallout.resolved_at = at
        fallout.resolution = FalloutResolution.CANCELLED
        fallout.resolved_by = principal.key_id
    doc = {**order.doc, "cancellationDate": format_datetime(at)}
    if reason:
        doc["cancellationReason"] = reason
    order.doc = doc
    order.phase = OrderPhase.DONE
    _set_state(session, order, ProductOrderState.CANCELLED, items)
    audit.record(session, principal, "cancel", "ProductOrder", order.id, order.province)
    log(session, order.id, ProductOrderState.CANCELLED, reason or "cancelled")
    return order


# ----- the worker ---------------------------------------------------------------------------


def _each(factory: sessionmaker[Session], ids: Sequence[str], step: str) -> int:
    done = 0
    for order_id in ids:
        try:
            with unit_of_work(factory) as session:
                order = session.get(ProductOrder, order_id)
                if order is None:
                    continue
                if step == "start" and order.state == ProductOrderState.ACKNOWLEDGED:
                    start(session, order)
                    done += 1
                elif step == "advance" and order.state == ProductOrderState.IN_PROGRESS:
                    done += advance(session, order)
        except StaleDataError:
            logger.info("order %s was advanced by another worker", order_id)
        except OpenBSSError as exc:
            # The order cannot go on as it is (e.g. no network element can take it): it
            # goes to fallout with the reason instead of being retried forever.
            _fall_out(factory, order_id, f"orchestration stopped: {exc.message}")
            done += 1
        except Exception:  # a bug must not stall every other order in the pass
            logger.exception("orchestration of order %s failed", order_id)
    return done


def _fall_out(factory: sessionmaker[Session], order_id: str, reason: str) -> None:
    with unit_of_work(factory) as session:
        order = session.get(ProductOrder, order_id)
        if order is not None and order.state in (
            ProductOrderState.ACKNOWLEDGED,
            ProductOrderState.IN_PROGRESS,
        ):
            cancel_pending(session, order.id, reason)
            fail(session, order, reason)


def work_once(factory: sessionmaker[Session], *, limit: int = 200) -> int:
    """One pass: start acknowledged orders, run due service orders, advance orders."""
    with unit_of_work(factory) as session:
        to_start = repository.orders_in(session, ProductOrderState.ACKNOWLEDGED, None, limit)
    progress = _each(factory, to_start, "start")
    progress += run_due(factory, limit=limit)
    with unit_of_work(factory) as session:
        to_advance = repository.orders_in(session, ProductOrderState.IN_PROGRESS, None, limit)
    return progress + _each(factory, to_advance, "advance")


def work_until_idle(factory: sessionmaker[Session], *, max_passes: int = 1000) -> int:
    """Run passes until nothing is left to do now (tests, the CLI, benchmarks)."""
    total = 0
    for _ in range(max_passes):
        progress = work_once(factory)
        total += progress
        if progress == 0:
            # Idle, or orders in progress wait for a retry's backoff: either way, stop.
            break
    return total


# Woken by commits that wrote orders or service orders: nothing else gives it work.
WAKING_TABLES = ("ordering_", "provisioning_")


def background_orchestrator(
    factory: sessionmaker[Session], interval: float = 1.0
) -> BackgroundWorker:
    """Runs :func:`work_once` in a thread: after every commit that wrote orders or service
    orders (:data:`WAKING_TABLES`) and on a timer for retries,
    pass after pass while there is progress. A failed pass leaves the orders where they were.
    """
    return BackgroundWorker(
        "order-orchestrator",
        lambda: work_once(factory) > 0,
        interval=interval,
        join_timeout=10,
        wake_on=WakeSource(partial(on_after_commit, tables=WAKING_TABLES), remove_after_commit),
    )
