"""Channel commissions, the project's own API: ``/api/v1/settlement/commissions``.

- ``POST /runs`` ``{"period": "YYYY-MM"}``: run (or show) the month of the caller's province;
- ``GET /runs``: the province's runs; ``GET /runs/{period}``: one run with its partner totals;
- ``GET /runs/{period}/statements/{partnerCode}``: a partner's statement lines (JSON), or its
  CSV file when asked with ``Accept: text/csv``.

Money is integer fen with a TMF money value beside it.
"""

from __future__ import annotations

import csv
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from openbss.api.deps import BodyDep, PrincipalDep, SessionDep, session_factory
from openbss.api.openapi import array_of, json_content, responses
from openbss.api.resource_router import request_body
from openbss.kit.money import fen_and_money
from openbss.kit.settings import get_settings
from openbss.kit.tmf import format_datetime
from openbss.settlement.commissions import operations
from openbss.settlement.commissions.runs import RunReport

PATH = "/api/v1/settlement/commissions"
PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"

router = APIRouter(tags=["Commissions"])

MONEY = {"type": "object", "properties": {"unit": {"type": "string"}, "value": {"type": "number"}}}
RUN: dict[str, Any] = {
    "type": "object",
    "required": ["period", "province", "status"],
    "properties": {
        "runId": {"type": "string"},
        "province": {"type": "string"},
        "period": {"type": "string"},
        "status": {"type": "string", "enum": ["running", "done"]},
        "totalFen": {"type": "integer"},
        "total": MONEY,
    },
}
PARTNER_TOTAL = {
    "type": "object",
    "properties": {
        "partnerId": {"type": "string"},
        "partnerCode": {"type": "string"},
        "partnerName": {"type": "string"},
        "activationFen": {"type": "integer"},
        "rechargeFen": {"type": "integer"},
        "revenueShareFen": {"type": "integer"},
        "clawbackFen": {"type": "integer"},
        "totalFen": {"type": "integer"},
        "total": MONEY,
    },
}
RUN_VIEW: dict[str, Any] = {
    "type": "object",
    "required": [*RUN["required"], "partners"],
    "properties": {
        **RUN["properties"],
        "reused": {"type": "boolean"},
        "attempts": {"type": "integer"},
        "lineCount": {"type": "integer"},
        "statementsDigest": {"type": ["string", "null"]},
        "partners": array_of(PARTNER_TOTAL),
    },
}


class CommissionRunBody(BaseModel):
    """What ``POST /runs`` takes (the OpenAPI document's; the service checks the body)."""

    model_config = ConfigDict(extra="forbid")

    period: str = Field(pattern=PERIOD, description="month, YYYY-MM")


def _view(report: RunReport) -> dict[str, Any]:
    return {
        "runId": report.run_id,
        "province": report.province,
        "period": report.period,
        "status": report.status,
        "reused": report.reused,
        "attempts": report.attempts,
        "lineCount": report.line_count,
        **fen_and_money("total", report.total_fen),
        "statementsDigest": report.digest,
        "partners": [
            {
                "partnerId": p.partner_id,
                "partnerCode": p.code,
                "partnerName": p.name,
                "activationFen": p.activation_fen,
                "rechargeFen": p.recharge_fen,
                "revenueShareFen": p.revenue_share_fen,
                "clawbackFen": p.clawback_fen,
                **fen_and_money("total", p.total_fen),
            }
            for p in report.partners
        ],
    }


@router.post(
    "/runs",
    name="start_commission_run",
    summary="Run a month's channel commissions (synchronously)",
    openapi_extra={
        **request_body(CommissionRunBody),
        **responses({200: ("The run", json_content(RUN_VIEW))}, (400, 409, 413)),
    },
)
def start_run(request: Request, principal: PrincipalDep, body: BodyDep) -> Any:
    # A batch: the run commits in transactions of its own.
    report = operations.start_run(
        session_factory(request), get_settings().data_dir, principal, body
    )
    return JSONResponse(_view(report))


@router.get(
    "/runs",
    name="list_commission_runs",
    summary="The province's commission runs",
    openapi_extra=responses({200: ("The runs", json_content(array_of(RUN)))}, ()),
)
def list_runs(session: SessionDep, principal: PrincipalDep) -> Any:
    return JSONResponse(
        [
            {
                "runId": run.id,
                "province": run.province,
                "period": run.period,
                "status": run.status,
                "startedAt": format_datetime(run.started_at),
                **fen_and_money("total", run.total_amount),
            }
            for run in operations.list_runs(session, principal)
        ]
    )


@router.get(
    "/runs/{period}",
    name="get_commission_run",
    summary="A month's commission run with its partner totals",
    openapi_extra=responses({200: ("The run", json_content(RUN_VIEW))}, (404,)),
)
def get_run(request: Request, principal: PrincipalDep, period: str) -> Any:
    report = operations.run_view(
        session_factory(request), get_settings().data_dir, principal, period
    )
    return JSONResponse(_view(report))


STATEMENT: dict[str, Any] = {
    "type": "object",
    "required": ["period", "province", "partnerCode", "lines"],
    "properties": {
        "period": {"type": "string"},
        "province": {"type": "string"},
        "partnerCode": {"type": "string"},
        "fileName": {"type": "string"},
        "lines": array_of({"type": "object", "additionalProperties": {"type": "string"}}),
    },
}
STATEMENT_ANSWER = json_content(STATEMENT)
STATEMENT_ANSWER["content"]["text/csv"] = {"schema": {"type": "string"}}


@router.get(
    "/runs/{period}/statements/{partner_code}",
    name="get_commission_statement",
    summary="A partner's commission statement (JSON, or the CSV file with Accept: text/csv)",
    openapi_extra=responses({200: ("The statement", STATEMENT_ANSWER)}, (404,)),
)
def get_statement(request: Request, principal: PrincipalDep, period: str, partner_code: str) -> Any:
    path = operations.statement(
        session_factory(request), get_settings().data_dir, principal, period, partner_code
    )
    if "text/csv" in request.headers.get("accept", ""):
        return FileResponse(path, media_type="text/csv; charset=utf-8", filename=path.name)
    with path.open(encoding="utf-8", newline="") as handle:
        lines = list(csv.DictReader(handle))
    return JSONResponse(
        {
            "period": period,
            "province": lines[0]["province"] if lines else principal.province,
            "partnerCode": partner_code,
            "fileName": path.name,
            "lines": lines,
        }
    )


MOUNTS: list[tuple[str, APIRouter]] = [(PATH, router)]
