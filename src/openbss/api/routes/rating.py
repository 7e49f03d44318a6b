"""Rating, the project's own API: ``/api/v1/rating``.

- ``POST /quote`` prices one event on demand (a subscriber as they would be rated, or a
  tariff's list price); nothing is written.
- ``GET /tariffs`` lists the tariff versions visible; ``GET /tariffs/{id}`` gives all
  versions of one as documents; ``POST /tariffs`` stores the next version (a correction).
- ``GET /records?number=&from=&to=`` finds the rated records of a number in a time range;
  ``GET /records/{id}`` explains how one was priced.
- ``GET /runs``, ``GET /runs/{id}/accounts`` and ``GET /adjustments`` show what rating runs
  did. Runs themselves are batch jobs started from the CLI, not from the API.

Money is integer li (0.001 CNY) with a yuan value beside it. Roles are checked in the
services: tariff writes admin and billing_operator; tariff reads, quotes and explanations
those and finance, analyst and csr; runs and adjustments all but csr. What is rated belongs
to a province, so a group key names one through ``X-Province``.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from openbss.api.deps import BodyDep, PrincipalDep, SessionDep
from openbss.api.openapi import (
    SCHEMA_COMPONENTS,
    MoneyAnswer,
    array_of,
    json_content,
    register_model,
    register_schema,
    responses,
)
from openbss.api.resource_router import request_body
from openbss.kit.errors import NotFound
from openbss.kit.money import li_and_money
from openbss.kit.settings import get_settings
from openbss.kit.tmf import format_datetime, format_optional_datetime
from openbss.rating import inquiry, runs, tariffs
from openbss.rating.documents import TariffDocument
from openbss.rating.public import AccountDelta, RatingAdjustment, RatingRun, TariffVersion
from openbss.refdata.provinces import province_zone

PATH = "/api/v1/rating"

PeriodQuery = Annotated[str | None, Query(description="rating period, YYYY-MM")]

router = APIRouter(tags=["Rating"])


class QuoteAnswer(BaseModel):
    """What one event costs now; ``error`` says why it could not be rated."""

    amountLi: int = Field(description="in li (0.001 CNY)")
    amount: MoneyAnswer
    tariffId: str | None
    tariffVersion: int | None
    matchedPrefix: str | None
    destination: str | None
    zone: str | None
    band: str | None
    units: int
    allowanceId: str | None
    allowanceUsed: int
    allowanceLeft: int | None
    error: str | None


class TariffVersionAnswer(BaseModel):
    id: str
    version: int
    name: str
    province: str | None = Field(description="None: the group's tariff")
    effectiveFrom: str | None
    effectiveTo: str | None
    destinationSet: str
    reason: str | None
    createdAt: str | None


class RatingRunAnswer(BaseModel):
    id: str
    province: str
    period: str
    status: str
    current: bool = Field(description="whether this run's results are the period's current")
    previousRunId: str | None
    records: int
    rated: int
    errors: dict[str, int] = Field(description="error code → records")
    amountLi: int
    amount: MoneyAnswer
    changedRecords: int | None
    deltaLi: int | None
    error: str | None
    startedAt: str | None
    finishedAt: str | None


class AccountDeltaAnswer(BaseModel):
    accountId: str
    records: int
    beforeLi: int
    afterLi: int
    deltaLi: int
    delta: MoneyAnswer


class RatingAdjustmentAnswer(BaseModel):
    id: str
    province: str
    period: str
    accountId: str
    amountLi: int
    amount: MoneyAnswer
    runId: str
    reason: str
    status: str
    createdAt: str | None


def _tariff_schema() -> dict[str, Any]:
    """A stored tariff version: the tariff document and, for a correction, its reason."""
    register_model(TariffDocument)
    stored = dict(SCHEMA_COMPONENTS["TariffDocument"])
    stored["properties"] = {**stored["properties"], "reason": {"type": "string"}}
    stored["description"] = "A tariff version as stored, with the reason for a correction."
    return register_schema("Tariff", stored)


QUOTE = register_model(QuoteAnswer, "Quote")
TARIFF_VERSION = register_model(TariffVersionAnswer, "TariffVersion")
TARIFF = _tariff_schema()
RUN = register_model(RatingRunAnswer, "RatingRun")
ACCOUNT_DELTA = register_model(AccountDeltaAnswer, "RatingAccountDelta")
ADJUSTMENT = register_model(RatingAdjustmentAnswer, "RatingAdjustment")
EXPLANATION = register_schema(
    "RatingExplanation",
    {
        "type": "object",
        "description": "How a usage record was rated: the usage, the rating result, the "
        "tariff version and rule that priced it.",
        "required": ["recordId", "province", "period", "runId", "usage", "rating"],
        "properties": {
            "recordId": {"type": "string"},
            "province": {"type": "string"},
            "period": {"type": "string"},
            "runId": {"type": "string"},
            "usage": {"type": "object"},
            "rating": {"type": "object"},
            "amountYuan": {"type": "string"},
            "tariff": {"type": "object"},
        },
    },
)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _json(value: Any) -> Any:
    """A service answer as JSON: snake_case keys (column names) in camelCase, instants in
    UTC; keys that are data (error codes) are kept as they are."""
    if isinstance(value, dict):
        return {
            (_camel(key) if isinstance(key, str) and key.islower() else key): _json(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_json(item) for item in value]
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _version(row: TariffVersion) -> dict[str, Any]:
    return {
        "id": row.tariff_id,
        "version": row.version,
        "name": row.name,
        "province": row.province,
        "effectiveFrom": format_optional_datetime(row.effective_from),
        "effectiveTo": format_optional_datetime(row.effective_to),
        "destinationSet": row.destination_set_id,
        "reason": row.reason,
        "createdAt": format_optional_datetime(row.created_at),
    }


def _run(row: RatingRun, current: bool) -> dict[str, Any]:
    return {
        "id": row.id,
        "province": row.province,
        "period": row.period,
        "status": row.status,
        "current": current,
        "previousRunId": row.previous_run_id,
        "records": row.records,
        "rated": row.rated,
        "errors": dict(row.errors or {}),
        **li_and_money("amount", row.amount_li),
        "changedRecords": row.changed_records,
        "deltaLi": row.delta_li,
        "error": row.error,
        "startedAt": format_optional_datetime(row.started_at),
        "finishedAt": format_optional_datetime(row.finished_at),
    }


def _account_delta(row: AccountDelta) -> dict[str, Any]:
    return {
        "accountId": row.account_id,
        "records": row.records,
        "beforeLi": row.before_li,
        "afterLi": row.after_li,
        **li_and_money("delta", row.delta_li),
    }


def _adjustment(row: RatingAdjustment) -> dict[str, Any]:
    return {
        "id": row.id,
        "province": row.province,
        "period": row.period,
        "accountId": row.account_id,
        **li_and_money("amount", row.amount_li),
        "runId": row.run_id,
        "reason": row.reason,
        "status": row.status,
        "createdAt": format_optional_datetime(row.created_at),
    }


@router.post(
    "/quote",
    name="quote_event",
    summary="What one event would cost now",
    openapi_extra={
        **request_body(inquiry.QuoteRequest),
        **responses({200: ("The price", json_content(QUOTE))}, (400, 404, 413)),
    },
)
def quote_event(session: SessionDep, principal: PrincipalDep, body: BodyDep) -> Any:
    request = inquiry.parse_quote(body)
    province = principal.acting_province("a quote")
    answer = inquiry.quote(session, principal, province, request)
    return JSONResponse(answer.document())


@router.get(
    "/tariffs",
    name="list_tariffs",
    summary="The tariff versions visible",
    openapi_extra=responses({200: ("The versions", json_content(array_of(TARIFF_VERSION)))}, ()),
)
def list_tariffs(session: SessionDep, principal: PrincipalDep) -> Any:
    rows = tariffs.visible_versions(session, principal)
    return JSONResponse([_version(row) for row in rows])


@router.post(
    "/tariffs",
    status_code=201,
    name="add_tariff_version",
    summary="Store a tariff's next version (a new tariff, or a correction)",
    openapi_extra={
        **request_body(TariffDocument),
        **responses({201: ("The version stored", json_content(TARIFF))}, (400, 409, 413)),
    },
)
def add_tariff_version(session: SessionDep, principal: PrincipalDep, body: BodyDep) -> Any:
    row = tariffs.add_version(session, principal, body)
    return JSONResponse(tariffs.version_document(row), status_code=201)


@router.get(
    "/tariffs/{tariff_id}",
    name="get_tariff",
    summary="Every version of a tariff, as documents",
    openapi_extra=responses(
        {200: ("The versions, oldest first", json_content(array_of(TARIFF)))}, (404,)
    ),
)
def get_tariff(session: SessionDep, principal: PrincipalDep, tariff_id: str) -> Any:
    rows = tariffs.visible_versions(session, principal, tariff_id)
    if not rows:
        raise NotFound(f"tariff {tariff_id!r} not found")
    return JSONResponse([tariffs.version_document(row) for row in rows])


@router.get(
    "/records",
    name="find_records",
    summary="Rated records of a number in a time range",
    openapi_extra=responses(
        {200: ("The records, oldest first", json_content(array_of({"type": "object"})))},
        (400, 404),
    ),
)
def find_records(
    session: SessionDep,
    principal: PrincipalDep,
    number: Annotated[str, Query(description="calling, called or paying number")],
    start: Annotated[
        datetime, Query(alias="from", description="from this instant (ISO 8601, with offset)")
    ],
    end: Annotated[datetime, Query(alias="to", description="until this instant, excluded")],
    limit: Annotated[int, Query(ge=1, le=inquiry.FIND_LIMIT)] = inquiry.FIND_LIMIT,
) -> Any:
    province = principal.acting_province("a usage record")
    found = inquiry.find_records(
        session,
        principal,
        get_settings().data_dir,
        province,
        number,
        start,
        end,
        zone=province_zone(province, get_settings().timezone),
        limit=limit,
    )
    return JSONResponse(_json([_found(row) for row in found]))


def _found(row: dict[str, Any]) -> dict[str, Any]:
    """A found record: its amount as integer li beside TMF money, like every amount here."""
    fields = {key: value for key, value in row.items() if key != "amount_li"}
    return {**fields, **li_and_money("amount", int(row["amount_li"] or 0))}


@router.get(
    "/records/{record_id}",
    name="explain_record",
    summary="How a usage record was rated",
    openapi_extra=responses({200: ("The explanation", json_content(EXPLANATION))}, (404,)),
)
def explain_record(session: SessionDep, principal: PrincipalDep, record_id: str) -> Any:
    province = principal.acting_province("a usage record")
    data_dir = get_settings().data_dir
    explanation = inquiry.explain(session, principal, data_dir, province, record_id)
    return JSONResponse(_json(explanation))


@router.get(
    "/runs",
    name="list_rating_runs",
    summary="The province's rating runs",
    openapi_extra=responses({200: ("The runs", json_content(array_of(RUN)))}, (400,)),
)
def list_runs(session: SessionDep, principal: PrincipalDep, period: PeriodQuery = None) -> Any:
    province = principal.acting_province("a rating run")
    rows = runs.visible_runs(session, principal, province, period)
    return JSONResponse([_run(row, current) for row, current in rows])


@router.get(
    "/runs/{run_id}/accounts",
    name="list_run_accounts",
    summary="How a run changed each account's amounts",
    openapi_extra=responses(
        {200: ("The accounts' differences", json_content(array_of(ACCOUNT_DELTA)))}, (404,)
    ),
)
def list_run_accounts(session: SessionDep, principal: PrincipalDep, run_id: str) -> Any:
    province = principal.acting_province("a rating run")
    rows = runs.run_account_deltas(session, principal, province, run_id)
    return JSONResponse([_account_delta(row) for row in rows])


@router.get(
    "/adjustments",
    name="list_rating_adjustments",
    summary="Differences found by rerating billed periods",
    openapi_extra=responses({200: ("The adjustments", json_content(array_of(ADJUSTMENT)))}, (400,)),
)
def list_adjustments(
    session: SessionDep, principal: PrincipalDep, period: PeriodQuery = None
) -> Any:
    province = principal.acting_province("a rating adjustment")
    rows = runs.visible_adjustments(session, principal, province, period)
    return JSONResponse([_adjustment(row) for row in rows])


MOUNTS: list[tuple[str, APIRouter]] = [(PATH, router)]
