"""Settlement, the project's own API under ``/api/v1/settlement``.

- ``POST /runs`` ``{"period", "again"?}``: settle the caller's province's period
  synchronously (finance, billing operators, admin); ``GET /runs[?period=]``.
- ``GET /statements?period=[&kind=]``: the current run's statements with their lines;
  ``GET /statements/{id}``: one statement, or its CSV / PDF file with ``Accept: text/csv`` or
  ``application/pdf``.
- ``POST /chargebacks`` ``{"partner", "complaintRef", "kind", "amountFen", "reason"}`` (an
  upheld complaint, taken off the SP's next statement; idempotent by complaint), ``GET``.
- ``POST /reconciliations`` ``{"partner", "period", "statement", "layout"?, "kind"?,
  "toleranceFen"?}`` (the partner's CSV as text): the differences; ``GET /reconciliations/{id}``.
- ``POST /disputes`` ``{"differenceId", "reason"?}``; ``PATCH /disputes/{id}`` ``{"state",
  "agreedFen"?}`` (open → underReview → agreed → settled, or rejected); ``GET /disputes``.

Money is integer fen with a TMF money value beside it (statement lines also carry li). A
province key sees its own province only; a group key names one with ``X-Province``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict

from openbss.api.deps import BodyDep, PrincipalDep, SessionDep, session_factory
from openbss.api.openapi import array_of, json_content, responses
from openbss.api.resource_router import request_body
from openbss.kit.errors import BadRequest, NotFound
from openbss.kit.money import fen_and_money
from openbss.kit.security import Principal, Role
from openbss.kit.settings import get_settings
from openbss.kit.tmf import format_datetime, format_optional_datetime
from openbss.settlement import public as repo
from openbss.settlement.public import (
    Chargeback,
    Difference,
    Dispute,
    Reconciliation,
    SettlementRun,
    SettlementStatement,
    check_period,
    move_dispute,
    open_dispute,
    reconcile,
    record_chargeback,
    run_settlement,
)

PATH = "/api/v1/settlement"
READERS = (Role.FINANCE, Role.BILLING_OPERATOR, Role.ANALYST, Role.ADMIN)
WRITERS = (Role.FINANCE, Role.ADMIN)
RUNNERS = (Role.FINANCE, Role.BILLING_OPERATOR, Role.ADMIN)
MAX_STATEMENT_CHARS = 2_000_000

router = APIRouter(tags=["Settlement"])
OBJECT = json_content({"type": "object"})
OBJECTS = json_content(array_of({"type": "object"}))


def _documented(
    status: int, what: str, answer: dict[str, Any], errors: tuple[int, ...], body: Any = None
) -> dict[str, Any]:
    return {**(body or {}), **responses({status: (what, answer)}, errors)}


PeriodQuery = Annotated[str | None, Query(description="settlement month, YYYY-MM")]


class RunBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    period: str
    again: bool = False


class ChargebackBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    partner: str
    complaintRef: str
    kind: str = "chargeback"
    amountFen: int
    reason: str


class ReconciliationBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    partner: str
    period: str
    statement: str
    layout: str = "openbss"
    kind: str = "interconnect"
    toleranceFen: int = 0


class DisputeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    differenceId: str
    reason: str | None = None


class DisputePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state: str
    agreedFen: int | None = None


def _fields(body: dict[str, Any], required: set[str], optional: set[str]) -> None:
    unknown = set(body) - required - optional
    if unknown:
        raise BadRequest(f"unknown attribute(s): {', '.join(sorted(unknown))}")
    missing = required - set(body)
    if missing:
        raise BadRequest(f"missing attribute(s): {', '.join(sorted(missing))}")


def _text(body: dict[str, Any], name: str, default: str | None = None, limit: int = 500) -> str:
    value = body.get(name, default)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"'{name}' must be a non-empty string")
    if len(value) > limit:
        raise BadRequest(f"'{name}' is longer than {limit} characters")
    return value


def _int(body: dict[str, Any], name: str, default: int | None = None) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"'{name}' must be a whole number")
    return value


def _scope(principal: Principal, roles: tuple[Role, ...], what: str) -> str:
    principal.require(*roles)
    return principal.acting_province(what)


def _run(row: SettlementRun) -> dict[str, Any]:
    return {
        "id": row.id,
        "province": row.province,
        "period": row.period,
        "status": row.status,
        "records": row.records,
        "unpriced": row.unpriced,
        "statements": row.statements,
        "startedAt": format_datetime(row.started_at),
        "finishedAt": format_optional_datetime(row.finished_at),
    }


def _statement(session: SessionDep, row: SettlementStatement) -> dict[str, Any]:
    return {
        "id": row.id,
        "runId": row.run_id,
        "kind": row.kind,
        "partner": row.partner,
        "partnerName": row.partner_name,
        "period": row.period,
        **fen_and_money("receivable", row.receivable_fen),
        **fen_and_money("payable", row.payable_fen),
        "lines": [
            {
                "direction": ln.direction,
                "service": ln.service,
                "rule": ln.rule,
                "records": ln.records,
                "quantity": ln.quantity,
                "unit": ln.unit,
                "amountLi": ln.amount_li,
                **fen_and_money("amount", ln.amount_fen),
            }
            for ln in repo.lines_of(session, row.id)
        ],
    }


def _chargeback(row: Chargeback) -> dict[str, Any]:
    return {
        "id": row.id,
        "partner": row.partner,
        "complaintRef": row.complaint_ref,
        "kind": row.kind,
        **fen_and_money("amount", row.amount_fen),
        "reason": row.reason,
        "recordedAt": format_datetime(row.recorded_at),
        "appliedPeriod": row.applied_period,
    }


def _difference(row: Difference) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "direction": row.direction,
        "rule": row.rule,
        "oursFen": row.ours_fen,
        "theirsFen": row.theirs_fen,
        "deltaFen": row.delta_fen,
    }


def _reconciliation(session: SessionDep, row: Reconciliation) -> dict[str, Any]:
    return {
        "id": row.id,
        "partner": row.partner,
        "period": row.period,
        "statementId": row.statement_id,
        "layout": row.layout,
        "fileName": row.file_name,
        "toleranceFen": row.tolerance_fen,
        "matched": row.matched,
        "differences": [_difference(d) for d in repo.differences_of(session, row.id)],
    }


def _dispute(row: Dispute) -> dict[str, Any]:
    return {
        "id": row.id,
        "partner": row.partner,
        "period": row.period,
        "differenceId": row.difference_id,
        "state": row.state,
        "claimedFen": row.claimed_fen,
        "agreedFen": row.agreed_fen,
        "reason": row.reason,
        "openedAt": format_datetime(row.opened_at),
        "updatedAt": format_datetime(row.updated_at),
    }


@router.post(
    "/runs",
    name="run_settlement",
    summary="Settle a period (synchronously)",
    status_code=201,
    openapi_extra=_documented(201, "The run", OBJECT, (400, 409, 413), request_body(RunBody)),
)
def post_run(request: Request, principal: PrincipalDep, body: BodyDep) -> Any:
    province = _scope(principal, RUNNERS, "a settlement run")
    _fields(body, {"period"}, {"again"})
    period = check_period(_text(body, "period", limit=7))
    again = body.get("again", False)
    if not isinstance(again, bool):
        raise BadRequest("'again' must be true or false")
    # A batch with transactions of its own: the request holds none while it runs.
    run, notes = run_settlement(
        session_factory(request), get_settings().data_dir, province, period, again=again
    )
    return JSONResponse({**_run(run), "notes": notes}, status_code=201)


@router.get(
    "/runs",
    name="list_settlement_runs",
    summary="The province's settlement runs",
    openapi_extra=_documented(200, "The runs", OBJECTS, ()),
)
def list_runs(session: SessionDep, principal: PrincipalDep, period: PeriodQuery = None) -> Any:
    province = _scope(principal, READERS, "a settlement run")
    rows = [r for r in repo.runs(session, province) if period is None or r.period == period]
    return JSONResponse([_run(r) for r in rows])


@router.get(
    "/statements",
    name="list_settlement_statements",
    summary="The current run's statements",
    openapi_extra=_documented(200, "The statements", OBJECTS, (404,)),
)
def list_statements(
    session: SessionDep,
    principal: PrincipalDep,
    period: Annotated[str, Query(description="settlement month, YYYY-MM")],
    kind: Annotated[str | None, Query(description="interconnect, revenueShare, ...")] = None,
) -> Any:
    province = _scope(principal, READERS, "a settlement statement")
    run = repo.current_run(session, province, check_period(period))
    if run is None:
        raise NotFound(f"{province} {period} has no settlement run")
    return JSONResponse([_statement(session, s) for s in repo.statements_of(session, run.id, kind)])


STATEMENT_ANSWER = {
    "content": {
        "application/json": {"schema": {"type": "object"}},
        "text/csv": {"schema": {"type": "string"}},
        "application/pdf": {"schema": {"type": "string", "format": "binary"}},
    }
}


@router.get(
    "/statements/{statement_id}",
    name="get_settlement_statement",
    summary="A statement: JSON, or its file with Accept: text/csv or application/pdf",
    openapi_extra=_documented(200, "The statement", STATEMENT_ANSWER, (404,)),
)
def get_statement(
    request: Request, session: SessionDep, principal: PrincipalDep, statement_id: str
) -> Any:
    province = _scope(principal, READERS, "a settlement statement")
    row = session.get(SettlementStatement, statement_id)
    run = session.get(SettlementRun, row.run_id) if row is not None else None
    if row is None or run is None or row.province != province:
        raise NotFound(f"settlement statement {statement_id!r} not found")
    accept = request.headers.get("accept", "")
    wanted = next((m for m in ("text/csv", "application/pdf") if m in accept), None)
    if wanted is None:
        return JSONResponse(_statement(session, row))
    name = row.csv_file if wanted == "text/csv" else row.pdf_file
    path = Path(run.output_dir or "") / (name or "")
    if not name or not run.output_dir or not path.is_file():
        raise NotFound(f"the {wanted} file of statement {statement_id!r} is not kept")
    media = "text/csv; charset=utf-8" if wanted == "text/csv" else wanted
    return Response(path.read_bytes(), media_type=media)


@router.post(
    "/chargebacks",
    name="record_chargeback",
    summary="Record an upheld complaint against an SP",
    status_code=201,
    openapi_extra=_documented(
        201, "The chargeback", OBJECT, (400, 409, 413), request_body(ChargebackBody)
    ),
)
def post_chargeback(session: SessionDep, principal: PrincipalDep, body: BodyDep) -> Any:
    province = _scope(principal, WRITERS, "a chargeback")
    _fields(body, {"partner", "complaintRef", "amountFen", "reason"}, {"kind"})
    row = record_chargeback(
        session,
        province=province,
        partner=_text(body, "partner", limit=64),
        complaint_ref=_text(body, "complaintRef", limit=64),
        kind=_text(body, "kind", "chargeback", limit=16),
        amount_fen=_int(body, "amountFen"),
        reason=_text(body, "reason"),
        recorded_by=principal.key_id,
    )
    return JSONResponse(_chargeback(row), status_code=201)


@router.get(
    "/chargebacks",
    name="list_chargebacks",
    summary="Chargebacks recorded",
    openapi_extra=_documented(200, "The chargebacks", OBJECTS, ()),
)
def list_chargebacks(
    session: SessionDep,
    principal: PrincipalDep,
    partner: Annotated[str | None, Query(description="SP / CP code")] = None,
) -> Any:
    province = _scope(principal, READERS, "a chargeback")
    return JSONResponse([_chargeback(c) for c in repo.chargebacks(session, province, partner)])


@router.post(
    "/reconciliations",
    name="reconcile_statement",
    summary="Match a partner's statement with ours",
    status_code=201,
    openapi_extra=_documented(
        201, "The reconciliation", OBJECT, (400, 404, 413), request_body(ReconciliationBody)
    ),
)
def post_reconciliation(session: SessionDep, principal: PrincipalDep, body: BodyDep) -> Any:
    province = _scope(principal, WRITERS, "a reconciliation")
    _fields(body, {"partner", "period", "statement"}, {"layout", "kind", "toleranceFen"})
    row = reconcile(
        session,
        province=province,
        partner=_text(body, "partner", limit=64),
        period=check_period(_text(body, "period", limit=7)),
        data=_text(body, "statement", limit=MAX_STATEMENT_CHARS).encode("utf-8"),
        file_name="statement.csv",
        layout_name=_text(body, "layout", "openbss", limit=64),
        kind=_text(body, "kind", "interconnect", limit=16),
        tolerance_fen=_int(body, "toleranceFen", 0),
        actor=principal.key_id,
    )
    return JSONResponse(_reconciliation(session, row), status_code=201)


@router.get(
    "/reconciliations/{reconciliation_id}",
    name="get_reconciliation",
    summary="A reconciliation and its differences",
    openapi_extra=_documented(200, "The reconciliation", OBJECT, (404,)),
)
def get_reconciliation(session: SessionDep, principal: PrincipalDep, reconciliation_id: str) -> Any:
    province = _scope(principal, READERS, "a reconciliation")
    row = session.get(Reconciliation, reconciliation_id)
    if row is None or row.province != province:
        raise NotFound(f"reconciliation {reconciliation_id!r} not found")
    return JSONResponse(_reconciliation(session, row))


@router.post(
    "/disputes",
    name="open_dispute",
    summary="Open a dispute on a difference",
    status_code=201,
    openapi_extra=_documented(
        201, "The dispute", OBJECT, (400, 404, 413), request_body(DisputeBody)
    ),
)
def post_dispute(session: SessionDep, principal: PrincipalDep, body: BodyDep) -> Any:
    province = _scope(principal, WRITERS, "a dispute")
    _fields(body, {"differenceId"}, {"reason"})
    reason = body.get("reason") or ""
    if not isinstance(reason, str) or len(reason) > 500:
        raise BadRequest("'reason' must be text of at most 500 characters")
    row = open_dispute(
        session,
        province=province,
        difference_id=_text(body, "differenceId", limit=80),
        reason=reason,
        actor=principal.key_id,
    )
    return JSONResponse(_dispute(row), status_code=201)


@router.patch(
    "/disputes/{dispute_id}",
    name="move_dispute",
    summary="Move a dispute on (agreeing posts its adjustment once)",
    openapi_extra=_documented(
        200, "The dispute", OBJECT, (400, 404, 409, 413), request_body(DisputePatch, patch=True)
    ),
)
def patch_dispute(
    session: SessionDep, principal: PrincipalDep, body: BodyDep, dispute_id: str
) -> Any:
    province = _scope(principal, WRITERS, "a dispute")
    _fields(body, {"state"}, {"agreedFen"})
    agreed = body.get("agreedFen")
    row = move_dispute(
        session,
        province=province,
        dispute_id=dispute_id,
        state=_text(body, "state", limit=16),
        actor=principal.key_id,
        agreed_fen=None if agreed is None else _int(body, "agreedFen"),
    )
    return JSONResponse(_dispute(row))


@router.get(
    "/disputes",
    name="list_disputes",
    summary="Disputes",
    openapi_extra=_documented(200, "The disputes", OBJECTS, ()),
)
def list_disputes(
    session: SessionDep,
    principal: PrincipalDep,
    partner: Annotated[str | None, Query(description="partner code")] = None,
) -> Any:
    province = _scope(principal, READERS, "a dispute")
    return JSONResponse([_dispute(d) for d in repo.disputes(session, province, partner)])


MOUNTS: list[tuple[str, APIRouter]] = [(PATH, router)]
