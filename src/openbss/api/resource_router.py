"""One router factory for every TMF resource: POST, list, GET, PATCH, DELETE.

The routes read the raw JSON (so extension attributes survive) and advertise the resource's
schema in OpenAPI — the request body, the answer (the resource as rendered, a list being an
array of it) and the errors each operation can return — so generated clients and
schemathesis see the real contract.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from openbss.api import examples
from openbss.api.deps import BodyDep, PrincipalDep, SessionDep
from openbss.api.openapi import (
    REF_TEMPLATE,
    SCHEMA_COMPONENTS,
    array_of,
    json_content,
    ref,
    responses,
)
from openbss.kit.pagination import PageRequest
from openbss.kit.tmf import attribute_filters, select_fields
from openbss.resources.service import ResourceService

# What the server adds to every rendered resource, whatever its schema.
SERVER_PROPERTIES: dict[str, Any] = {
    "id": {"type": "string", "readOnly": True, "description": "assigned by the server"},
    "href": {"type": "string", "readOnly": True, "description": "the resource's URL"},
}
# Attributes the server renders for resources that have no request schema of their own.
RENDERED_PROPERTIES: dict[str, dict[str, Any]] = {
    "Product": {
        "status": {"type": "string"},
        "statusHistory": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["status", "validFor"],
                "properties": {
                    "status": {"type": "string"},
                    "validFor": {"$ref": REF_TEMPLATE.format(model="TimePeriod")},
                    "productOffering": {"type": "object"},
                    "productOrder": {"type": "object"},
                    "reason": {"type": "string"},
                },
            },
        },
    },
    "CustomerBill": {"state": {"type": "string"}, "billNo": {"type": "string"}},
    "Usage": {"status": {"type": "string"}, "usageDate": {"type": "string"}},
}
PAGE_HEADERS: dict[str, Any] = {
    "X-Total-Count": {
        "description": "how many items match, over all pages",
        "schema": {"type": "integer", "minimum": 0},
    },
    "X-Result-Count": {
        "description": "how many items this answer carries",
        "schema": {"type": "integer", "minimum": 0},
    },
}


def request_body(
    schema: type[BaseModel] | None, *, patch: bool = False, example: Any | None = None
) -> dict[str, Any]:
    if schema is None:
        body_schema: dict[str, Any] = {"type": "object"}
    else:
        generated = schema.model_json_schema(ref_template=REF_TEMPLATE, by_alias=True)
        SCHEMA_COMPONENTS.update(generated.pop("$defs", {}))
        body_schema = generated
        if patch:
            body_schema = {k: v for k, v in generated.items() if k != "required"}
    media = ["application/json", "application/merge-patch+json"] if patch else ["application/json"]
    content: dict[str, Any] = {m: {"schema": body_schema} for m in media}
    if example is not None:
        for entry in content.values():
            entry["example"] = example
    return {"requestBody": {"required": True, "content": content}}


def resource_schema(service: ResourceService[Any]) -> dict[str, Any]:
    """The rendered resource as a component named after its type; returns a ``$ref``.

    Only ``id`` and ``href`` are required: ``fields=`` selects the other attributes."""
    name = service.resource_type
    if name not in SCHEMA_COMPONENTS:
        properties: dict[str, Any] = {}
        if service.schema is not None:
            generated = service.schema.model_json_schema(ref_template=REF_TEMPLATE, by_alias=True)
            SCHEMA_COMPONENTS.update(generated.pop("$defs", {}))
            properties = dict(generated.get("properties", {}))
        SCHEMA_COMPONENTS[name] = {
            "type": "object",
            "title": name,
            "description": f"A {name} as the API renders it; extension attributes are kept.",
            "required": ["id", "href"],
            # A type the request schema lets a client send (even as null) is kept as sent.
            "properties": {
                "@type": {"type": "string"},
                **properties,
                **RENDERED_PROPERTIES.get(name, {}),
                **SERVER_PROPERTIES,
            },
            "additionalProperties": True,
        }
    return ref(name)


def _one(service: ResourceService[Any]) -> dict[str, Any]:
    return json_content(resource_schema(service), examples.RESPONSES.get(service.resource_type))


def _many(service: ResourceService[Any]) -> dict[str, Any]:
    example = examples.RESPONSES.get(service.resource_type)
    return json_content(
        array_of(resource_schema(service)),
        None if example is None else [example],
        headers=PAGE_HEADERS,
    )


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


def create_extra(service: ResourceService[Any], *, idempotent: bool = False) -> dict[str, Any]:
    """The OpenAPI of a create operation (also used by product orders' own submit route)."""
    success = {201: (f"The {service.resource_type} created", _one(service))}
    if idempotent:
        success[200] = ("The same request was submitted before: the existing one", _one(service))
    return {
        **request_body(service.schema, example=examples.REQUESTS.get(service.resource_type)),
        **responses(success, (400, 404, 409, 413)),
    }


def _create_route(router: APIRouter, service: ResourceService[Any], path: str, name: str) -> None:
    @router.post(
        path,
        status_code=201,
        name=f"create_{name}",
        summary=f"Create a {service.resource_type}",
        openapi_extra=create_extra(service),
    )
    def create(
        session: SessionDep, principal: PrincipalDep, body: BodyDep, request: Request
    ) -> Any:
        row = service.create(session, principal, body)
        return JSONResponse(service.render(row, base_url(request)), status_code=201)


def _read_routes(router: APIRouter, service: ResourceService[Any], path: str, name: str) -> None:
    @router.get(
        path,
        name=f"list_{name}",
        summary=f"List {service.resource_type} objects",
        description="Any other query parameter filters on that attribute (TMF630).",
        openapi_extra=responses(
            {
                200: ("The matching items (the first page unless asked)", _many(service)),
                206: ("One page of the matching items; more exist", _many(service)),
            },
            (400,),
        ),
    )
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
        path + "/{resource_id}",
        name=f"get_{name}",
        summary=f"Retrieve a {service.resource_type}",
        openapi_extra=responses({200: (f"The {service.resource_type}", _one(service))}, (404,)),
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
        openapi_extra={
            **request_body(service.schema, patch=True),
            **responses(
                {200: (f"The {service.resource_type} as changed", _one(service))},
                (400, 404, 409, 412, 413),
            ),
        },
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
        openapi_extra=responses({204: ("Deleted", None)}, (404, 409, 412)),
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
