"""The ``/listener/*Event`` operations of a TMF API, answered with 501.

In TMF, listeners are callbacks that a *client* exposes so that a server can deliver events to
it. openbss produces these events (clients subscribe with ``POST /hub``) and consumes nobody
else's, so the routes exist only to answer 501 with a TMF error: acknowledging with a no-op
201 would tell a sender its event was processed when it was dropped. They still
authenticate, like every call to the API.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Response

from openbss.api.deps import PrincipalDep
from openbss.api.openapi import responses
from openbss.kit.errors import NotImplementedOperation


def listener_router(subject: str, events: Sequence[str]) -> APIRouter:
    router = APIRouter(tags=["Notification listeners (client side)"])

    def refuse(_principal: PrincipalDep) -> Response:
        raise NotImplementedOperation(
            f"openbss publishes {subject} events (subscribe with POST /hub) and does not "
            "receive them from other systems"
        )

    for event in events:
        router.add_api_route(
            f"/listener/{event}",
            refuse,
            methods=["POST"],
            status_code=501,
            name=f"listen_to_{event}",
            summary=f"Not implemented: client-side callback for {event}",
            openapi_extra=responses({}, (501,)),
        )
    return router
