"""Executing due service orders against their network elements.

Each attempt takes three steps, so that no database transaction stays open while a network
element thinks:

1. **claim** (one short transaction): a conditional UPDATE moves the order to ``inProgress``,
   counts the attempt and sets a lease; of two workers that saw the same order, one wins;
2. **call** the element's adapter, outside any transaction, with the configured timeout;
3. **record** (one short transaction): success completes the order; a transient failure
   schedules the next attempt after an exponential backoff, until the attempts run out; a
   permanent failure fails it at once. Every step writes the attempt trace.

A worker that dies between 1 and 3 leaves a lease that runs out; the order is then due again
and re-executed (adapters are idempotent), and the dead worker's attempt is closed in the
trace as ``timeout``. An order waits for the order it depends on: it runs once that one has
completed and is cancelled if that one failed or was cancelled.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from openbss.db.uow import unit_of_work
from openbss.kit.clock import now
from openbss.kit.settings import get_settings
from openbss.kit.tmf import format_datetime
from openbss.provisioning import repository as repo
from openbss.provisioning.adapters import (
    NetworkElementConfig,
    PermanentProvisioningError,
    ProvisioningRequest,
    ProvisioningTimeout,
    TransientProvisioningError,
    UnknownAdapterError,
    load_adapter,
)
from openbss.provisioning.calculations import (
    Decision,
    Network,
    OrderState,
    Outcome,
    backoff_seconds,
    decide,
    lease_seconds,
    request_items,
    with_error,
    with_note,
    with_state,
)
from openbss.provisioning.models import ProvisioningAttempt, ServiceOrder
from openbss.provisioning.service import cancel_order, service_orders

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 500  # an element's answer or error, as kept in the trace and the document
LEASE_EXPIRED = "no outcome recorded before the worker's lease expired"


@dataclass(frozen=True, slots=True)
class Claim:
    """An order taken for one attempt: what to send, where, and which attempt it is."""

    order_id: str
    attempt: int  # 1-based; also the order's ``attempts`` value while the claim holds
    element: NetworkElementConfig
    request: ProvisioningRequest


@dataclass(frozen=True, slots=True)
class AttemptResult:
    outcome: Outcome
    message: str


def _short(text: str) -> str:
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


# ----- step 0: which orders -------------------------------------------------------------


def cancel_blocked(factory: sessionmaker[Session], limit: int = 500) -> int:
    """Cancel not-started orders whose prerequisite failed or was cancelled."""
    cancelled = 0
    with unit_of_work(factory) as session:
        for row in repo.blocked_orders(session, limit):
            prerequisite = session.get(ServiceOrder, row.depends_on_id or "")
            reason = (
                f"prerequisite service order {prerequisite.id} ended {prerequisite.state}"
                if prerequisite is not None
                else "prerequisite service order did not complete"
            )
            cancelled += cancel_order(session, row, reason)
    return cancelled


def due_orders(factory: sessionmaker[Session], limit: int) -> list[tuple[str, int]]:
    """The due orders' ids, each with the attempt count seen (the claim's version check)."""
    with unit_of_work(factory) as session:
        return [(row.id, row.attempts) for row in repo.due_orders(session, now(), limit)]


# ----- step 1: claim --------------------------------------------------------------------


def claim(factory: sessionmaker[Session], order_id: str, seen_attempts: int) -> Claim | None:
    """Take a due order for its next attempt; None when another worker got there first.

    The transaction starts with the conditional UPDATE, so it holds the row (PostgreSQL) or
    the write lock (SQLite) before it reads anything it relies on.
    """
    settings = get_settings()
    with unit_of_work(factory) as session:
        at = now()
        if seen_attempts >= settings.provisioning_max_attempts:
            # Its worker died during the last allowed attempt: nothing is left to try.
            _fail_exhausted(session, order_id, seen_attempts, at)
            return None
        lease = lease_seconds(
            settings.provisioning_lease_seconds, settings.provisioning_timeout_seconds
        )
        until = at + timedelta(seconds=lease)
        if not repo.claim(session, order_id, seen_attempts, at, until):
            return None
        row = repo.fresh_order(session, order_id)
        assert row is not None
        number = seen_attempts + 1
        _close_abandoned(session, order_id, at)
        session.add(
            ProvisioningAttempt(
                service_order_id=order_id,
                number=number,
                network_element=row.network_element,
                started_at=at,
            )
        )
        if seen_attempts == 0:  # the first claim moves the order out of acknowledged
            row.doc = with_state(row.doc, OrderState.IN_PROGRESS, startDate=format_datetime(at))
            session.flush()
            service_orders.emit_state_change(session, row)
        element = repo.element(session, row.network_element)
        assert element is not None  # a foreign key
        config = NetworkElementConfig(
            code=element.code,
            province=element.province,
            network=Network(element.network),
            adapter=element.adapter,
            settings=dict(element.settings),
        )
        request = ProvisioningRequest(
            service_order_id=order_id,
            network=Network(row.network),
            element_code=element.code,
            items=request_items(row.doc["serviceOrderItem"]),
        )
        return Claim(order_id=order_id, attempt=number, element=config, request=request)


def _close_abandoned(session: Session, order_id: str, at: datetime) -> None:
    for stale in repo.unfinished_attempts(session, order_id):
        stale.finished_at = at
        stale.outcome = Outcome.TIMEOUT.value
        stale.message = LEASE_EXPIRED


def _fail_exhausted(session: Session, order_id: str, seen_attempts: int, at: datetime) -> None:
    if not repo.end_exhausted(session, order_id, seen_attempts, at):
        return
    _close_abandoned(session, order_id, at)
    reason = f"no outcome after {seen_attempts} attempts: {LEASE_EXPIRED}"
    row = repo.fresh_order(session, order_id)
    assert row is not None
    row.last_error = reason
    row.doc = with_error(
        with_state(row.doc, OrderState.FAILED, completionDate=format_datetime(at)),
        "ATTEMPTS_EXHAUSTED",
        "Provisioning failed",
        reason,
        at,
    )
    session.flush()
    service_orders.emit_state_change(session, row)


# ----- step 2: call the element ---------------------------------------------------------


def perform(claimed: Claim, factory: sessionmaker[Session]) -> AttemptResult:
    """Call the element's adapter; every way it can end becomes an outcome, never a crash."""
    timeout = get_settings().provisioning_timeout_seconds
    try:
        adapter = load_adapter(claimed.element.adapter)(claimed.element, factory)
    except UnknownAdapterError as exc:
        return AttemptResult(Outcome.PERMANENT, exc.message)
    try:
        answer = adapter.execute(claimed.request, timeout=timeout)
    except (ProvisioningTimeout, TimeoutError) as exc:
        return AttemptResult(Outcome.TIMEOUT, _short(str(exc) or "timed out"))
    except TransientProvisioningError as exc:
        return AttemptResult(Outcome.TRANSIENT, _short(str(exc)))
    except PermanentProvisioningError as exc:
        return AttemptResult(Outcome.PERMANENT, _short(str(exc)))
    except Exception as exc:  # an adapter's own bug: retrying is the safe reading
        log.exception("adapter %s failed on order %s", claimed.element.adapter, claimed.order_id)
        return AttemptResult(Outcome.TRANSIENT, _short(f"{type(exc).__name__}: {exc}"))
    return AttemptResult(Outcome.SUCCESS, _short(answer))


# ----- step 3: record -------------------------------------------------------------------


def record(factory: sessionmaker[Session], claimed: Claim, result: AttemptResult) -> None:
    """Write the attempt's outcome and what follows from it."""
    settings = get_settings()
    with unit_of_work(factory) as session:
        at = now()
        decision = decide(result.outcome, claimed.attempt, settings.provisioning_max_attempts)
        values: dict[str, Any]
        if decision is Decision.COMPLETE:
            values = {
                "state": OrderState.COMPLETED.value,
                "completed_at": at,
                "next_attempt_at": None,
                "last_error": None,
            }
        elif decision is Decision.RETRY:
            wait = backoff_seconds(
                claimed.attempt,
                settings.provisioning_retry_base_seconds,
                settings.provisioning_retry_cap_seconds,
            )
            next_at = at + timedelta(seconds=wait)
            values = {"next_attempt_at": next_at, "last_error": result.message}
        else:
            values = {
                "state": OrderState.FAILED.value,
                "completed_at": at,
                "next_attempt_at": None,
                "last_error": result.message,
            }
        if not repo.settle(session, claimed.order_id, claimed.attempt, values):
            # Our lease ran out and another worker took the order over; its attempt counts.
            log.warning(
                "outcome of attempt %d of service order %s dropped: the order was taken over",
                claimed.attempt,
                claimed.order_id,
            )
            return
        trace = repo.attempt(session, claimed.order_id, claimed.attempt)
        if trace is not None:
            trace.finished_at = at
            trace.outcome = result.outcome.value
            trace.message = result.message
        row = repo.fresh_order(session, claimed.order_id)
        assert row is not None
        row.doc = _document_after(row.doc, decision, claimed, result, values, at)
        session.flush()
        if decision is not Decision.RETRY:
            service_orders.emit_state_change(session, row)


def _document_after(
    doc: dict[str, Any],
    decision: Decision,
    claimed: Claim,
    result: AttemptResult,
    values: dict[str, Any],
    at: datetime,
) -> dict[str, Any]:
    stamp = format_datetime(at)
    if decision is Decision.COMPLETE:
        return with_state(doc, OrderState.COMPLETED, completionDate=stamp)
    if decision is Decision.RETRY:
        return with_note(
            doc,
            f"attempt {claimed.attempt} on {claimed.element.code}: {result.outcome.value} "
            f"({result.message}); next attempt at {format_datetime(values['next_attempt_at'])}",
            at,
        )
    if result.outcome is Outcome.PERMANENT:
        code, why = "REJECTED_BY_NETWORK", f"rejected by {claimed.element.code}"
    else:
        code, why = "ATTEMPTS_EXHAUSTED", f"gave up after {claimed.attempt} attempts"
    return with_error(
        with_state(doc, OrderState.FAILED, completionDate=stamp),
        code,
        "Provisioning failed",
        f"{why}: {result.message}",
        at,
    )


# ----- the loop ---------------------------------------------------------------------------


def run_due(factory: sessionmaker[Session], *, limit: int = 50) -> int:
    """Execute due service orders; returns the number of attempts made (at most ``limit``).

    Works in passes until a pass finds nothing to do, so an order whose prerequisite
    completes in one pass runs in the next: a product order's steps go through in one call
    when the network answers. Retries wait for their backoff and are left for a later call.
    """
    made = 0
    while made < limit:
        progressed = cancel_blocked(factory)
        for order_id, seen_attempts in due_orders(factory, limit - made):
            claimed = claim(factory, order_id, seen_attempts)
            if claimed is None:
                continue
            record(factory, claimed, perform(claimed, factory))
            made += 1
            progressed += 1
        if not progressed:
            break
    return made
