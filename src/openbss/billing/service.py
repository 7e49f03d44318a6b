"""TMF678 Customer Bill Management over the bill tables: bills, their lines, bills on demand.

Bills and their lines are written by the bill run, never through the API: clients list and
read them (filters, ``fields``, paging) and may move a bill's ``state`` through the part of
its life that people decide (hold it, approve it, mark it sent); every other attribute is
read-only. A bill of a run still in trial is not final and is invisible here, with its lines.
Their JSON is rendered from the typed columns (:mod:`openbss.billing.representation`).

The bill run calls :func:`bill_events` when it finalises, so that hub subscribers hear of
each new bill; a state change through the API emits ``CustomerBillStateChangeEvent``.

A bill on demand records a client's request for an account's charges so far; its bill comes
from hot billing (:func:`open_cycle_bill`), kept as a bill in state ``onDemand`` (never owed,
sent or paid: :mod:`openbss.billing.on_demand`) and linked as the request's ``customerBill``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, object_session

from openbss.account.service import billing_accounts
from openbss.audit import service as audit
from openbss.billing import representation
from openbss.billing.models import BillItem, BillOnDemand, BillState, CustomerBill
from openbss.billing.on_demand import bill_open_cycle
from openbss.billing.representation import API, API_PATH, bill_ref
from openbss.billing.schemas import CustomerBillOnDemandCreate, CustomerBillUpdate
from openbss.kit.clock import now
from openbss.kit.errors import BadRequest, Unprocessable
from openbss.kit.security import Principal, Role
from openbss.kit.settings import get_settings
from openbss.kit.tmf import JSON, format_datetime
from openbss.resources.models import TmfResourceMixin
from openbss.resources.repository import ResourceRepository
from openbss.resources.service import ResourceService

M = TypeVar("M", bound=TmfResourceMixin)

BILL_READERS = frozenset({Role.CSR, Role.BILLING_OPERATOR, Role.FINANCE, Role.ANALYST, Role.ADMIN})
BILL_STATE_CHANGERS = frozenset({Role.BILLING_OPERATOR, Role.ADMIN})
ON_DEMAND_REQUESTERS = frozenset({Role.CSR, Role.BILLING_OPERATOR, Role.ADMIN})

# The moves a client may make with PATCH. A sent bill is with the customer: payments move it
# on (partiallyPaid, settled), people no longer do.
STATE_MOVES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        BillState.NEW: frozenset({BillState.ON_HOLD, BillState.APPROVED, BillState.SENT}),
        BillState.ON_HOLD: frozenset({BillState.NEW, BillState.APPROVED}),
        BillState.APPROVED: frozenset({BillState.ON_HOLD, BillState.SENT}),
    }
)
VISIBLE_STATES = frozenset(BillState) - {BillState.TRIAL}
# What a PATCH may name besides ``state`` without changing it: the resource's own identity.
IGNORED_ON_PATCH = frozenset({"href", "@baseType", "@schemaLocation"})


class OnDemandState:
    """TMF678 ``StateValues`` of a bill on demand."""

    IN_PROGRESS = "inProgress"
    DONE = "done"


def _final_bill_ids() -> Select[Any]:
    return select(CustomerBill.id).where(CustomerBill.state != BillState.TRIAL)


class FinalBills(ResourceRepository[CustomerBill]):
    """Bills the caller's province may see, of finalised runs only."""

    def scoped(self, principal: Principal) -> Select[Any]:
        return super().scoped(principal).where(CustomerBill.state != BillState.TRIAL)

    def get(
        self, session: Session, principal: Principal, resource_id: str, *, lock: bool = False
    ) -> CustomerBill | None:
        row = super().get(session, principal, resource_id, lock=lock)
        return None if row is None or row.state == BillState.TRIAL else row


class FinalBillItems(ResourceRepository[BillItem]):
    """Lines of the bills :class:`FinalBills` shows."""

    def scoped(self, principal: Principal) -> Select[Any]:
        return super().scoped(principal).where(BillItem.bill_id.in_(_final_bill_ids()))

    def get(
        self, session: Session, principal: Principal, resource_id: str, *, lock: bool = False
    ) -> BillItem | None:
        row = super().get(session, principal, resource_id, lock=lock)
        if row is None:
            return None
        bill = session.get(CustomerBill, row.bill_id)
        return None if bill is None or bill.state == BillState.TRIAL else row


class RenderedResourceService(ResourceService[M]):
    """A resource whose JSON is rendered from its columns, not stored: filters on a typed
    column run in SQL, filters on any other attribute match the rendered JSON."""

    filters_match_rendered = True


def _base(base_url: str | None) -> str:
    return base_url or get_settings().public_url


def _session_of(row: Any) -> Session:
    session = object_session(row)
    if session is None:  # pragma: no cover - rows are rendered inside their unit of work
        raise RuntimeError(f"{type(row).__name__} {row.id} is not attached to a session")
    return session


class CustomerBillService(RenderedResourceService[CustomerBill]):
    model = CustomerBill
    api = API
    api_path = API_PATH
    path = representation.BILL_PATH
    resource_type = "CustomerBill"
    schema = CustomerBillUpdate
    read_roles = BILL_READERS
    write_roles = BILL_STATE_CHANGERS
    state_attribute = "state"

    def __init__(self) -> None:
        self.repo = FinalBills(CustomerBill)

    def render(self, row: CustomerBill, base_url: str | None = None) -> JSON:
        items = _session_of(row).scalars(
            select(BillItem).where(BillItem.bill_id == row.id).order_by(BillItem.sequence)
        )
        return representation.bill_body(row, items, _base(base_url))

    def patch(
        self, session: Session, principal: Principal, resource_id: str, patch: Mapping[str, Any]
    ) -> CustomerBill:
        """Change a bill's ``state``; any other attribute may be sent back only unchanged."""
        row = self._writable(session, principal, resource_id)
        current = self.render(row)
        for attribute, value in patch.items():
            unchanged = value == current.get(attribute)
            if attribute != "state" and attribute not in IGNORED_ON_PATCH and not unchanged:
                raise BadRequest(
                    f"'{attribute}' of a CustomerBill is read-only; only 'state' may be patched",
                    code="READ_ONLY_ATTRIBUTE",
                )
        self.check_schema(dict(patch))
        if "state" in patch and patch["state"] is None:
            raise BadRequest("a CustomerBill always has a 'state'; it cannot be removed")
        target = patch.get("state")
        if target is None or target == row.state:
            return row
        if target not in STATE_MOVES.get(row.state, frozenset()):
            raise Unprocessable(
                f"bill {row.bill_no} is {row.state}; it cannot become {target} through the API",
                code="INVALID_BILL_STATE",
            )
        row.state = str(target)
        row.updated_at = now()
        session.flush()
        audit.record(
            session, principal, "update", self.resource_type, row.id, row.province, ["state"]
        )
        self.emit(session, "StateChangeEvent", row)
        return row


class AppliedBillingRateService(RenderedResourceService[BillItem]):
    model = BillItem
    api = API
    api_path = API_PATH
    path = representation.ITEM_PATH
    resource_type = "AppliedCustomerBillingRate"
    read_roles = BILL_READERS
    write_roles = frozenset()

    def __init__(self) -> None:
        self.repo = FinalBillItems(BillItem)

    def render(self, row: BillItem, base_url: str | None = None) -> JSON:
        bill = _session_of(row).get(CustomerBill, row.bill_id)
        return representation.item_body(row, bill, _base(base_url))


customer_bills = CustomerBillService()
applied_billing_rates = AppliedBillingRateService()


def bill_events(session: Session, bills: Iterable[CustomerBill]) -> None:
    """Queue ``CustomerBillCreateEvent`` for each bill a run has just made final, in the
    run's finalising transaction (delivered only if it commits)."""
    for bill in bills:
        customer_bills.emit(session, "CreateEvent", bill)


def open_cycle_bill(
    session: Session, principal: Principal, billing_account_id: str
) -> CustomerBill | None:
    """The bill of ``billing_account_id``'s open cycle so far, made by hot billing and kept
    as a bill on demand (:mod:`openbss.billing.on_demand`: state ``onDemand``, never owed).

    The caller has checked that ``principal`` may see the account."""
    return bill_open_cycle(session, get_settings().data_dir, billing_account_id, now())


class CustomerBillOnDemandService(ResourceService[BillOnDemand]):
    model = BillOnDemand
    api = API
    api_path = API_PATH
    path = representation.ON_DEMAND_PATH
    resource_type = "CustomerBillOnDemand"
    schema = CustomerBillOnDemandCreate
    read_roles = BILL_READERS
    write_roles = ON_DEMAND_REQUESTERS
    state_attribute = "state"
    stamp_last_update = True

    def validate(
        self, session: Session, principal: Principal, doc: JSON, existing: BillOnDemand | None
    ) -> JSON:
        self.check_schema(doc)
        account_id = doc["billingAccount"]["id"]
        account = billing_accounts.repo.get(session, principal, account_id)
        if account is None or account.province != principal.province:
            raise Unprocessable(
                f"billing account {account_id!r} does not exist", code="UNKNOWN_ACCOUNT"
            )
        reference: JSON = {"id": account.id, "@referredType": "BillingAccount"}
        if account.name:
            reference["name"] = account.name
        # State and bill are the server's to say, whatever the request carried.
        doc = {k: v for k, v in doc.items() if k not in ("state", "customerBill")}
        return {**doc, "billingAccount": reference, "state": OnDemandState.IN_PROGRESS}

    def apply_columns(self, row: BillOnDemand, doc: JSON) -> None:
        row.billing_account_id = doc["billingAccount"]["id"]
        row.state = doc["state"]

    def render(self, row: BillOnDemand, base_url: str | None = None) -> JSON:
        body = super().render(row, base_url)
        base = _base(base_url)
        body["billingAccount"] = {
            **body["billingAccount"],
            **representation.account_ref(base, row.billing_account_id),
        }
        if "customerBill" in body:
            body["customerBill"] = bill_ref(base, body["customerBill"]["id"])
        return body

    def create(
        self, session: Session, principal: Principal, body: Mapping[str, Any]
    ) -> BillOnDemand:
        request = super().create(session, principal, body)
        self._complete(
            session, request, open_cycle_bill(session, principal, request.billing_account_id)
        )
        return request

    def _complete(self, session: Session, request: BillOnDemand, bill: CustomerBill | None) -> None:
        doc: JSON = {
            **request.doc,
            "state": OnDemandState.DONE,
            "lastUpdate": format_datetime(now()),
        }
        if bill is not None:
            doc["customerBill"] = {"id": bill.id, "@referredType": "CustomerBill"}
        request.doc = doc
        request.state = OnDemandState.DONE
        session.flush()
        self.emit(session, "StateChangeEvent", request)


customer_bills_on_demand = CustomerBillOnDemandService()
