"""TMF622 cancelProductOrder: a request to cancel an order, kept as a record.

The cancellation is carried out at once (orchestrator.cancel): an order that is pending,
acknowledged or failed is cancelled — numbers released, products cancelled — and the request
is stored ``done`` with its effective date. An order being provisioned, completed or already
cancelled cannot be: the request is refused with a 409 and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from openbss.audit import service as audit
from openbss.kit.clock import now
from openbss.kit.errors import BadRequest
from openbss.kit.ids import new_id
from openbss.kit.security import Principal
from openbss.kit.tmf import JSON, format_datetime
from openbss.ordering.models import CancelProductOrder
from openbss.ordering.orchestrator import cancel
from openbss.ordering.schemas import CancelProductOrderSchema
from openbss.ordering.service import API, API_PATH, ORDER_READERS, ORDER_WRITERS
from openbss.ordering.statuses import CancellationState
from openbss.resources.service import ResourceService


class CancelProductOrderService(ResourceService[CancelProductOrder]):
    model = CancelProductOrder
    api = API
    api_path = API_PATH
    path = "cancelProductOrder"
    resource_type = "CancelProductOrder"
    schema = CancelProductOrderSchema
    read_roles = ORDER_READERS
    write_roles = ORDER_WRITERS
    state_attribute = "state"

    def create(
        self, session: Session, principal: Principal, body: Mapping[str, Any]
    ) -> CancelProductOrder:
        principal.require(*self.write_roles)
        if "id" in body or "state" in body:
            raise BadRequest("'id' and 'state' are set by the server")
        province = self._owning_province(principal)
        doc: JSON = {k: v for k, v in body.items() if k != "href"}
        self.check_schema(doc)
        order_id = str(doc["productOrder"]["id"])
        reason = doc.get("cancellationReason")
        cancel(session, principal, order_id, str(reason) if reason is not None else None)
        doc["@type"] = self.resource_type
        doc["state"] = CancellationState.DONE.value
        doc["effectiveCancellationDate"] = format_datetime(now())
        row = CancelProductOrder(
            id=new_id(),
            province=province,
            doc=doc,
            state=CancellationState.DONE,
            product_order_id=order_id,
        )
        session.add(row)
        session.flush()
        audit.record(session, principal, "create", self.resource_type, row.id, province, doc)
        self.emit(session, "CreateEvent", row)
        return row


cancellations = CancelProductOrderService()
