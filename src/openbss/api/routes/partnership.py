"""TMF668 Partnership Management: partnership specifications and partnerships (v4), and the
same specifications under the older R18 name ``partnershipType``.

The R18 resource answers a create with a ``Location`` header naming the new resource, and
accepts its collection path with a trailing slash, as the R18 conformance kit expects.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from openbss.api.deps import BodyDep, PrincipalDep, SessionDep
from openbss.api.hub import hub_router
from openbss.api.resource_router import base_url, create_extra, resource_router
from openbss.kit.pagination import PageRequest
from openbss.kit.tmf import attribute_filters, select_fields
from openbss.settlement.partners.partnership import (
    API,
    API_PATH,
    partnership_specifications,
    partnership_types,
    partnerships,
)


def partnership_type_router() -> APIRouter:
    service = partnership_types
    router = APIRouter(tags=[service.resource_type])

    def create(
        session: SessionDep, principal: PrincipalDep, body: BodyDep, request: Request
    ) -> Any:
        row = service.create(session, principal, body)
        rendered = service.render(row, base_url(request))
        return JSONResponse(rendered, status_code=201, headers={"Location": rendered["href"]})

    def list_slashed(
        session: SessionDep,
        principal: PrincipalDep,
        request: Request,
        fields: str | None = None,
        offset: str | None = None,
        limit: str | None = None,
    ) -> Any:
        page = service.list(
            session,
            principal,
            attribute_filters(request.query_params.multi_items()),
            PageRequest.parse(offset, limit),
        )
        url = base_url(request)
        items = [select_fields(service.render(row, url), fields) for row in page.items]
        headers = {"X-Total-Count": str(page.total), "X-Result-Count": str(len(items))}
        partial = (offset is not None or limit is not None) and page.truncated
        return JSONResponse(items, status_code=206 if partial else 200, headers=headers)

    router.add_api_route(
        "/partnershipType",
        create,
        methods=["POST"],
        status_code=201,
        name="create_partnershipType",
        summary="Create a PartnershipType (the R18 name of a PartnershipSpecification)",
        openapi_extra=create_extra(service),
    )
    router.add_api_route(
        "/partnershipType/", create, methods=["POST"], status_code=201, include_in_schema=False
    )
    router.add_api_route(
        "/partnershipType/", list_slashed, methods=["GET"], include_in_schema=False
    )
    router.include_router(resource_router(service, creatable=False))
    return router


MOUNTS: list[tuple[str, APIRouter]] = [
    (API_PATH, resource_router(partnership_specifications)),
    (API_PATH, resource_router(partnerships)),
    (API_PATH, partnership_type_router()),
    (API_PATH, hub_router(API, [partnership_specifications, partnerships])),
]
