"""TMF629 Customer Management, mounted at the swagger's basePath.

Implemented: the customer resource (POST, list, GET, PATCH, DELETE) and the hub (POST /hub,
DELETE /hub/{id}) through which clients subscribe to customer events.

The four ``/listener/customer*Event`` operations are, in TMF, callbacks that a *client*
exposes so that a server can deliver events to it. openbss is the producer of customer
events, not a consumer of anybody else's, so these routes exist only to answer 501 with a
TMF error: acknowledging with a no-op 201 would tell a sender its event was processed when
it was dropped. They still authenticate, like every call to the API.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from openbss.api.deps import PrincipalDep
from openbss.api.hub import hub_router
from openbss.api.resource_router import resource_router
from openbss.customer.service import API, API_PATH, customers
from openbss.kit.errors import NotImplementedOperation

LISTENER_EVENTS = (
    "customerCreateEvent",
    "customerAttributeValueChangeEvent",
    "customerStateChangeEvent",
    "customerDeleteEvent",
)


def listener_router() -> APIRouter:
    router = APIRouter(tags=["Notification listeners (client side)"])

    def refuse(_principal: PrincipalDep) -> Response:
        raise NotImplementedOperation(
            "openbss publishes customer events (subscribe with POST /hub) and does not "
            "receive them from other systems"
        )

    for event in LISTENER_EVENTS:
        router.add_api_route(
            f"/listener/{event}",
            refuse,
            methods=["POST"],
            status_code=501,
            name=f"listen_to_{event}",
            summary=f"Not implemented: client-side callback for {event}",
        )
    return router


MOUNTS: list[tuple[str, APIRouter]] = [
    (API_PATH, resource_router(customers)),
    (API_PATH, hub_router(API)),
    (API_PATH, listener_router()),
]
