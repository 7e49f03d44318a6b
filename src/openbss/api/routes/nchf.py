"""5G converged charging, Nchf_ConvergedCharging v3 (3GPP TS 32.291), for SMF/AMF/IMS clients.

- ``POST /nchf-convergedcharging/v3/chargingdata``: create (initial request) → 201, Location
  of the charging data resource, ChargingDataResponse with the granted units.
- ``POST .../chargingdata/{ChargingDataRef}/update``: used units debited, more granted → 200.
- ``POST .../chargingdata/{ChargingDataRef}/release``: last units debited, the rest released
  → 204.

The same online charging engine as the Diameter Gy gateway answers. Authenticated like every
openbss API (``Authorization: Bearer <key>``), roles ``partner`` (a network function's key) or
``admin``; a province key charges its own province's subscribers only. Every error is a 3GPP
ProblemDetails (``application/problem+json``) with a ``cause``.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from openbss.auth.service import authenticate
from openbss.charging import nchf
from openbss.charging.charger import Charger
from openbss.charging.engine.contract import ChargingRequest, RequestType
from openbss.kit.clock import now
from openbss.kit.errors import OpenBSSError
from openbss.kit.limits import parse_json_body
from openbss.kit.security import Principal, Role

log = logging.getLogger(__name__)

PATH = "/nchf-convergedcharging/v3"
CHARGERS = (Role.PARTNER, Role.ADMIN)
PROBLEM = "application/problem+json"
_engine_lock = threading.Lock()
# The ChargingDataRef this server hands out: 32 hex digits; clients' own are accepted if plain.
REFERENCE = re.compile(r"[A-Za-z0-9_.-]{1,64}")

# Not in openbss's OpenAPI document: its contract is 3GPP's (TS32291_Nchf_ConvergedCharging
# .yaml, ProblemDetails errors), not the TMF error shape every documented operation shares.
router = APIRouter(tags=["Nchf converged charging (3GPP TS 32.291)"], include_in_schema=False)


def _problem(
    status: int,
    title: str,
    detail: str,
    cause: str,
    params: tuple[nchf.InvalidParam, ...] = (),
) -> JSONResponse:
    body = nchf.problem(status, title, detail, cause, params)
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def charger_of(request: Request) -> Charger:
    """The app's engine: given by the caller (``openbss ocs serve``, tests) or made on first use."""
    charger: Charger | None = getattr(request.app.state, "charger", None)
    if charger is not None:
        return charger
    with _engine_lock:
        charger = getattr(request.app.state, "charger", None)
        if charger is None:
            from openbss.charging.engine.contract import ChargingEngine
            from openbss.kit.settings import get_settings

            charger = ChargingEngine(
                request.app.state.session_factory, data_dir=get_settings().data_dir
            )
            request.app.state.charger = charger
    return charger


def _principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    presented = token.strip() if scheme.lower() == "bearer" else None
    with request.app.state.session_factory() as session:  # reads only; closing ends it
        caller = authenticate(session, presented)
    caller.require(*CHARGERS)
    return caller


async def _handle(
    request: Request, reference: str, request_type: RequestType
) -> tuple[ChargingRequest, Any] | JSONResponse:
    try:
        caller = _principal(request)
    except OpenBSSError as error:
        return _problem(error.status, error.reason, error.message, error.code)
    if not REFERENCE.fullmatch(reference):
        return _problem(404, "Not found", "no such charging data", "CONTEXT_NOT_FOUND")
    raw = await request.body()
    try:
        body = parse_json_body(raw) if raw.strip() else None
    except OpenBSSError as error:
        return _problem(400, "Bad request", error.message, "INVALID_MSG_FORMAT")
    try:
        parsed = nchf.parse_request(body)
        charging = nchf.charging_request(
            parsed, reference=reference, request_type=request_type, origin=f"nchf:{caller.key_id}"
        )
    except nchf.NchfBadRequest as error:
        return _problem(400, "Bad request", error.detail, error.cause, error.params)
    if not _visible(request, caller, charging.subscriber):
        return _problem(404, "Not found", "no prepaid subscriber with this MSISDN", "USER_UNKNOWN")
    try:
        answer = await run_in_threadpool(charger_of(request).charge, charging)
    except Exception:
        log.exception("Nchf charging failed")
        return _problem(500, "Internal error", "the charging engine failed", "SYSTEM_FAILURE")
    return charging, answer


def _visible(request: Request, caller: Principal, subscriber: str) -> bool:
    """A province key charges its own province's lines only; another's do not exist for it."""
    if caller.province is None:
        return True
    from openbss.charging.public import subscriber_product

    with request.app.state.session_factory() as session:  # reads only
        line = subscriber_product(session, subscriber, now())
    return line is None or line.province == caller.province


def _answered(outcome: tuple[ChargingRequest, Any], status: int) -> JSONResponse:
    _, answer = outcome
    refusal = nchf.REFUSALS.get(answer.result)
    if refusal is not None:
        code, cause = refusal
        return _problem(code, "Charging refused", f"result {int(answer.result)}", cause)
    return JSONResponse(nchf.response_body(answer, now()), status_code=status)


@router.post("/chargingdata", status_code=201, summary="Create charging data (initial request)")
async def create(request: Request) -> Response:
    reference = uuid.uuid4().hex
    outcome = await _handle(request, reference, RequestType.INITIAL)
    if isinstance(outcome, JSONResponse):
        return outcome
    response = _answered(outcome, 201)
    if response.status_code == 201:
        base = str(request.base_url).rstrip("/")
        response.headers["Location"] = f"{base}{PATH}/chargingdata/{reference}"
    return response


@router.post("/chargingdata/{ChargingDataRef}/update", summary="Update charging data")
async def update(request: Request, ChargingDataRef: str) -> Response:
    outcome = await _handle(request, ChargingDataRef, RequestType.UPDATE)
    if isinstance(outcome, JSONResponse):
        return outcome
    return _answered(outcome, 200)


@router.post(
    "/chargingdata/{ChargingDataRef}/release", status_code=204, summary="Release charging data"
)
async def release(request: Request, ChargingDataRef: str) -> Response:
    outcome = await _handle(request, ChargingDataRef, RequestType.TERMINATION)
    if isinstance(outcome, JSONResponse):
        return outcome
    _, answer = outcome
    refusal = nchf.REFUSALS.get(answer.result)
    if refusal is not None:
        code, cause = refusal
        return _problem(code, "Charging refused", f"result {int(answer.result)}", cause)
    return Response(status_code=204)


MOUNTS: list[tuple[str, APIRouter]] = [(PATH, router)]
