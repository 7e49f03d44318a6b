"""TMF hub/listener registration for one API: POST /hub, DELETE /hub/{id}.

The answer to a registration carries the subscription's signing ``secret`` (an extension
attribute): the only time it is shown. Who may register and what a listener receives is the
hub service's business (:mod:`openbss.resources.hub`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from openbss.api.deps import BodyDep, PrincipalDep, SessionDep
from openbss.api.openapi import json_content, register_schema, responses
from openbss.kit.errors import BadRequest
from openbss.resources.hub import Hub
from openbss.resources.service import ResourceService

HUB_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["callback"],
                    "properties": {
                        "callback": {"type": "string", "format": "uri", "maxLength": 2048},
                        "query": {"type": "string", "maxLength": 2048},
                    },
                }
            }
        },
    },
    "responses": {
        "201": {
            "description": "The listener is registered; `secret` signs its deliveries and is "
            "shown only here",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["id", "callback", "secret"],
                        "properties": {
                            "id": {"type": "string"},
                            "callback": {"type": "string"},
                            "query": {"type": ["string", "null"]},
                            "secret": {"type": "string"},
                        },
                    }
                }
            },
        }
    },
}


SUBSCRIPTION = register_schema(
    "EventSubscription",
    {
        "type": "object",
        "description": "A hub registration: events matching the query are POSTed to callback.",
        "required": ["id", "callback", "query"],
        "properties": {
            "id": {"type": "string"},
            "callback": {"type": "string"},
            "query": {"type": ["string", "null"]},
            "secret": {
                "type": "string",
                "description": "the signing secret of the deliveries, shown once, on creation",
            },
        },
    },
)
SUBSCRIPTION_EXAMPLE = {
    "id": "0193c9a8-bf65-7192-d3a4-5f60718293a4",
    "callback": "https://crm.example.cn/listener",
    "query": "eventType=CustomerCreateEvent",
}
REGISTER = {
    **HUB_BODY,
    **responses(
        {201: ("Subscribed", json_content(SUBSCRIPTION, SUBSCRIPTION_EXAMPLE))},
        (400, 404, 413),
    ),
}
UNREGISTER = responses({204: ("Unsubscribed", None)}, (404,))


def hub_router(api: str, services: Iterable[ResourceService[Any]]) -> APIRouter:
    """The hub of ``api``, delivering the events of ``services`` (its resources)."""
    hub = Hub(api, services)
    router = APIRouter(tags=["Events subscription"])

    @router.post("/hub", status_code=201, name=f"register_listener_{api}", openapi_extra=REGISTER)
    def register(session: SessionDep, principal: PrincipalDep, body: BodyDep) -> Any:
        callback = body.get("callback")
        query = body.get("query")
        if not isinstance(callback, str) or (query is not None and not isinstance(query, str)):
            raise BadRequest("'callback' (string) is required; 'query' must be a string")
        created = hub.subscribe(session, principal, callback, query)
        row = created.row
        return JSONResponse(
            {"id": row.id, "callback": row.callback, "query": row.query, "secret": created.secret},
            status_code=201,
        )

    @router.delete(
        "/hub/{subscription_id}",
        status_code=204,
        name=f"unregister_listener_{api}",
        openapi_extra=UNREGISTER,
    )
    def unregister(session: SessionDep, principal: PrincipalDep, subscription_id: str) -> Response:
        hub.unsubscribe(session, principal, subscription_id)
        return Response(status_code=204)

    return router
