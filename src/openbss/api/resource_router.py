"""One router factory for every TMF resource: POST, list, GET, PATCH, DELETE.

The routes read the raw JSON (so extension attributes survive) and advertise the resource's
schema in OpenAPI, so generated clients and schemathesis see the real contract.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from openbss.api.deps import BodyDep, PrincipalDep, SessionDep
from openbss.kit.pagination import PageRequest
from openbss.kit.tmf import attribute_filters, select_fields
from openbss.resources.service import ResourceService

# JSON-schema definitions referenced by request bodies; merged into OpenAPI components.
SCHEMA_COMPONENTS: dict[str, Any] = {}
REF_TEMPLATE = "#/components/schemas/{model}"


def request_body(schema: type[BaseModel] | None, *, patch: bool = False) -> dict[str, Any]:
    if schema is None:
        body_schema: dict[str, Any] = {"type": "object"}
    else:
        generated = schema.model_json_schema(ref_template=REF_TEMPLATE, by_alias=True)
        SCHEMA_COMPONENTS.update(generated.pop("$defs", {}))
        body_schema = generated
        if patch:
            body_schema = {k: v for k, v in generated.items() if k != "required"}
    media = ["application/json", "application/merge-patch+json"] if patch else ["application/json"]
    return {
        "requestBody": {
            "required": True,
            "content": {m: {"schema": body_schema} for m in media},
        }
    }


def base_url(request: Request) -> str:
    return str(request.base_url)


def resource_router(
    service: ResourceService[Any],
    *,
    creatable: bool = True,
    patchable: bool = True,
    deletable: bool = True,
) -> APIRouter:
    """Routes for one resource; a resource written only by the server's own processes (the
    product inventory, service orders) is mounted read-only, so a write answers 405."""
    router = APIRouter(tags=[service.resource_type])
    path = f"/{service.path}"
    name = service.path
    if creatable:
        _create_route(router, service, path, name)
    _read_routes(router, service, path, name)
    if patchable:
        _patch_route(router, service, path, name)
    if deletable:
        _delete_route(router, service, path, name)
    return router


def _create_route(router: APIRouter, service: ResourceService[Any], path: str, name: str) -> None:
    @router.post(
        path,
        status_code=201,
        name=f"create_{name}",
        summary=f"Create a {service.resource_type}",
        openapi_extra=request_body(service.schema),
    )
    def create(
        session: SessionDep, principal: PrincipalDep, body: BodyDep, request: Request
    ) -> Any:
        row = service.create(session, principal, body)
        return JSONResponse(service.render(row, base_url(request)), status_code=201)


def _read_routes(router: APIRouter, service: ResourceService[Any], path: str, name: str) -> None:
    @router.get(path, name=f"list_{name}", summary=f"List {service.resource_type} objects")
    def list_(
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
        # 206 tells a client that asked for a window that more exists; a plain list without
        # paging parameters answers 200 with the first page and the total in X-Total-Count.
        partial = (offset is not None or limit is not None) and page.truncated
        return JSONResponse(items, status_code=206 if partial else 200, headers=headers)

    @router.get(
        path + "/{resource_id}", name=f"get_{name}", summary=f"Retrieve a {service.resource_type}"
    )
    def get(
        session: SessionDep,
        principal: PrincipalDep,
        resource_id: str,
        request: Request,
        fields: str | None = None,
    ) -> Any:
        row = service.get(session, principal, resource_id)
        return JSONResponse(
            select_fields(service.render(row, base_url(request)), fields),
            headers={"ETag": service.etag(row)},
        )


def _patch_route(router: APIRouter, service: ResourceService[Any], path: str, name: str) -> None:
    @router.patch(
        path + "/{resource_id}",
        name=f"patch_{name}",
        summary=f"Update a {service.resource_type} (JSON merge-patch)",
        openapi_extra=request_body(service.schema, patch=True),
    )
    def patch(
        session: SessionDep,
        principal: PrincipalDep,
        resource_id: str,
        body: BodyDep,
        request: Request,
        if_match: Annotated[str | None, Header()] = None,
    ) -> Any:
        if if_match is not None:
            service.check_precondition(session, principal, resource_id, if_match)
        row = service.patch(session, principal, resource_id, body)
        return JSONResponse(
            service.render(row, base_url(request)), headers={"ETag": service.etag(row)}
        )


def _delete_route(router: APIRouter, service: ResourceService[Any], path: str, name: str) -> None:
    @router.delete(
        path + "/{resource_id}",
        status_code=204,
        name=f"delete_{name}",
        summary=f"Delete a {service.resource_type}",
    )
    def delete(
        session: SessionDep,
        principal: PrincipalDep,
        resource_id: str,
        if_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        if if_match is not None:
            service.check_precondition(session, principal, resource_id, if_match)
        service.delete(session, principal, resource_id)
        return Response(status_code=204)
