"""Answers about single events: why a rated record costs what it costs, and what an event
would cost now (a quote).

``find_records`` lists the rated records of one number in a time range (calling, called or
paying), to find the id to explain. ``explain`` reads the record from the period's rated
usage (its current run), and adds what the stored explanation points at: the destination's
name, the rule of the tariff
version that priced it, and the amount before the last rerate if that changed it. ``quote``
rates one event on demand with the reference rater (one event: clarity beats speed) under
the plan in the database, drawing on the allowance counters as the current run left them,
without changing them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.orm import Session

from openbss.inventory import public as inventory
from openbss.kit.clock import bounded_utc
from openbss.kit.errors import BadRequest, NotFound, Unprocessable
from openbss.kit.money import li_and_money, li_to_yuan
from openbss.kit.security import Principal
from openbss.numbering.public import normalise_number
from openbss.rating import repository as repo
from openbss.rating import store
from openbss.rating.contract import (
    AllowanceState,
    Assignment,
    Direction,
    PoolBalance,
    PoolKey,
    RatedEvent,
    RatingPlan,
    Service,
    Tariff,
    UsageEvent,
    called_digits,
)
from openbss.rating.documents import TariffDocument
from openbss.rating.reference import longest_prefix, rate_reference
from openbss.rating.tariffs import TARIFF_READERS, rating_plan, tariff_of
from openbss.rating.vectorised import RATED_SCHEMA
from openbss.resources.service import validation_message

QUOTE_SUBSCRIBER = "quote"
USAGE_FIELDS = (
    "record_id",
    "batch_id",
    "source",
    "event_time",
    "duration_s",
    "volume_up",
    "volume_down",
    "calling",
    "called",
    "service",
    "direction",
    "charging_party",
    "area_code",
    "ip_access_code",
    "product_id",
    "billing_account_id",
)


FIND_LIMIT = 1000
FIND_SPAN = timedelta(days=93)
FOUND_FIELDS = (
    "record_id",
    "event_time",
    "calling",
    "called",
    "charging_party",
    "service",
    "direction",
    "duration_s",
    "volume_up",
    "volume_down",
    "zone",
    "band",
    "amount_li",
    "error",
    "billing_account_id",
)


def search_number(raw: str) -> str:
    """The number as the usage store writes it: E.164 (any written form of a Chinese number
    is accepted; a foreign number must already be E.164)."""
    text = raw.strip()
    if text.startswith("+") and text[1:].isdigit():
        return text
    return normalise_number(text)


def periods_between(start: datetime, end: datetime, zone: ZoneInfo) -> list[str]:
    """The rating periods (local months "YYYY-MM") an instant range touches."""
    first, last = start.astimezone(zone), (end - timedelta(microseconds=1)).astimezone(zone)
    periods: list[str] = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        periods.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return periods


def find_records(
    session: Session,
    principal: Principal,
    data_dir: Path,
    province: str,
    number: str,
    start: datetime,
    end: datetime,
    *,
    zone: ZoneInfo,
    limit: int = FIND_LIMIT,
) -> list[dict[str, Any]]:
    """Rated records (of the periods' current runs) where ``number`` called, was called or
    paid, with ``start <= event time < end``, oldest first. Each carries its period and run.

    The range is at most :data:`FIND_SPAN`, so a search reads a few months of usage only.
    """
    principal.require(*TARIFF_READERS)
    if start.tzinfo is None or end.tzinfo is None:
        raise BadRequest("from and to must carry a time zone (or be read in the province's)")
    if end <= start:
        raise BadRequest("to must be later than from")
    if end - start > FIND_SPAN:
        raise BadRequest(f"search at most {FIND_SPAN.days} days at a time")
    wanted = search_number(number)
    who = (
        (pl.col("calling") == wanted)
        | (pl.col("called") == wanted)
        | (pl.col("charging_party") == wanted)
    )
    when = pl.col("event_time").is_between(start.astimezone(UTC), end.astimezone(UTC), "left")
    found: list[dict[str, Any]] = []
    for period in periods_between(start, end, zone):
        run = store.current_run(session, province, period)
        if run is None:
            continue
        frame = (
            store.rated_usage(session, data_dir, province, period)
            .filter(who & when)
            .select(FOUND_FIELDS)
            .sort("event_time", "record_id")
            .head(limit - len(found))
            .collect()
        )
        found.extend(
            {**row, "period": period, "run_id": run.id} for row in frame.iter_rows(named=True)
        )
        if len(found) >= limit:
            break
    return found


def _rule(tariff: Tariff, index: int | None) -> dict[str, Any]:
    """The tariff rule that priced the record (rated usage finds it as the engines do)."""
    if index is None:
        return {}
    rule = tariff.rules[index]
    return {"index": index, "name": rule.name, "charge": asdict(rule.charge)}


def _find(files: list[str], record_id: str) -> dict[str, Any] | None:
    if not files:
        return None
    found = pl.scan_parquet(files).filter(pl.col("record_id") == record_id).collect()
    return None if found.is_empty() else found.row(0, named=True)


def explain(
    session: Session, principal: Principal, data_dir: Path, province: str, record_id: str
) -> dict[str, Any]:
    """Everything known about how one usage record was rated (404 when never rated)."""
    principal.require(*TARIFF_READERS)
    for period in sorted(repo.periods(session, province), key=lambda p: p.period, reverse=True):
        run = store.current_run(session, province, period.period)
        if run is None or not run.output_dir:
            continue
        found = (
            store.rated_usage(session, data_dir, province, period.period)
            .filter(pl.col("record_id") == record_id)
            .collect()
        )
        if found.is_empty():
            continue
        record = found.row(0, named=True)
        rated = {k: record[k] for k in RATED_SCHEMA}
        # A rated record whose usage the store no longer has shows no usage at all.
        usage = {k: record[k] for k in USAGE_FIELDS} if record["batch_id"] is not None else {}
        explanation: dict[str, Any] = {
            "recordId": record_id,
            "province": province,
            "period": period.period,
            "runId": run.id,
            "usage": {k: usage.get(k) for k in USAGE_FIELDS if k in usage},
            "rating": {k: v for k, v in rated.items() if k != "record_id"},
            "amountYuan": str(li_to_yuan(int(rated["amount_li"]))),
        }
        versions = (
            repo.tariff_versions(session, province, rated["tariff_id"])
            if rated.get("tariff_id") is not None
            else []
        )
        row = next((v for v in versions if v.version == rated.get("tariff_version")), None)
        if row is not None:
            # The rules are all an explanation needs of the tariff: its destination table
            # (121 k prefixes) is not loaded, only the matched prefix's row.
            tariff = TariffDocument.model_validate(row.document).to_tariff(())
            explanation["tariff"] = {
                "id": tariff.id,
                "version": tariff.version,
                "name": tariff.name,
            }
            if rated.get("matched_prefix"):
                name = repo.destination_name(
                    session, row.destination_set_id, rated["matched_prefix"]
                )
                if name is not None:
                    explanation["destination"] = name
            if rated.get("error") is None:
                explanation["rule"] = _rule(tariff, record["rule_index"])
        changes = store.changes_file(Path(run.output_dir))
        if changes.exists():
            change = _find([str(changes)], record_id)
            if change is not None and run.previous_run_id:
                explanation["changedByThisRun"] = {
                    "beforeLi": change["before_li"],
                    "afterLi": change["after_li"],
                    "previousRunId": run.previous_run_id,
                }
        return explanation
    raise NotFound(f"record {record_id} has not been rated in province {province}")


class QuoteRequest(BaseModel):
    """One event to price. Name a subscriber (their number) to be rated as they would be,
    allowances included; or a tariff to see its list price."""

    model_config = ConfigDict(extra="forbid")

    subscriber: str | None = Field(default=None, description="service number, E.164")
    tariffId: str | None = None
    eventTime: datetime
    service: Service = Service.VOICE
    direction: Direction = Direction.MO
    durationS: int = Field(default=0, ge=0, le=7 * 86_400)
    volumeBytes: int = Field(default=0, ge=0)
    called: str = Field(default="", description="E.164, e.g. +862087654321")
    callingAreaCode: str | None = Field(default=None, description="e.g. 020")
    ipAccessCode: str | None = None

    @field_validator("eventTime")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("must carry a time zone")
        return bounded_utc(value)  # range-checked before any arithmetic

    @field_validator("called")
    @classmethod
    def _e164(cls, value: str) -> str:
        if value and not (value.startswith("+") and value[1:].isdigit()):
            raise ValueError("must be E.164: '+' and digits")
        return value


@dataclass(frozen=True)
class Quote:
    rated: RatedEvent
    destination: str | None
    allowance_left: int | None

    def document(self) -> dict[str, Any]:
        r = self.rated
        return {
            **li_and_money("amount", r.amount_li),
            "tariffId": r.tariff_id,
            "tariffVersion": r.tariff_version,
            "matchedPrefix": r.matched_prefix,
            "destination": self.destination,
            "zone": None if r.zone is None else r.zone.value,
            "band": r.band,
            "units": r.units,
            "allowanceId": r.allowance_id,
            "allowanceUsed": r.allowance_used,
            "allowanceLeft": self.allowance_left,
            "error": r.error,
        }


def parse_quote(body: dict[str, Any]) -> QuoteRequest:
    try:
        request = QuoteRequest.model_validate(body)
    except ValidationError as exc:
        raise Unprocessable(validation_message(exc), code="INVALID_QUOTE") from None
    if (request.subscriber is None) == (request.tariffId is None):
        raise Unprocessable("name either a subscriber or a tariffId", code="INVALID_QUOTE")
    return request


def quote(session: Session, principal: Principal, province: str, request: QuoteRequest) -> Quote:
    principal.require(*TARIFF_READERS)
    state = AllowanceState()
    account = ""
    if request.tariffId is not None:
        versions = repo.tariff_versions(session, province, request.tariffId)
        if not versions:
            raise NotFound(f"tariff {request.tariffId} not found")
        plan = RatingPlan(
            tariffs=tuple(tariff_of(session, v) for v in versions),
            assignments=(
                Assignment(QUOTE_SUBSCRIBER, request.tariffId, datetime.min.replace(tzinfo=UTC)),
            ),
        )
        subscriber = QUOTE_SUBSCRIBER
    else:
        assert request.subscriber is not None
        subscriber = request.subscriber
        plan = rating_plan(session, province, subscriber)
        if not plan.assignments:
            raise NotFound(f"no product of {subscriber} is rated in province {province}")
    at = request.eventTime
    assignment = next(
        (a for a in plan.assignments if a.applies(subscriber, a.product_id, at)), None
    )
    tariff = None if assignment is None else plan.tariff_for(assignment.tariff_id, at)
    if assignment is not None and assignment.product_id is not None:
        account = inventory.account_of_product(session, assignment.product_id) or ""
    if tariff is not None and request.subscriber is not None:
        for c in repo.counters(session, province, tariff.cycle_of(at)):
            state.balances[PoolKey(c.allowance_id, c.owner, c.cycle)] = PoolBalance(
                c.fresh, c.carried
            )
    event = UsageEvent(
        record_id="quote",
        subscriber=subscriber,
        account_id=account,
        event_time=request.eventTime,
        service=request.service,
        direction=request.direction,
        product_id=None if assignment is None else assignment.product_id,
        duration_s=request.durationS,
        volume_bytes=request.volumeBytes,
        called=request.called,
        ip_access_code=request.ipAccessCode,
        calling_area_code=request.callingAreaCode,
    )
    (rated,) = rate_reference([event], plan, state)
    destination = None
    if tariff is not None and rated.matched_prefix is not None:
        found = longest_prefix(called_digits(request.called), tariff.destinations)
        destination = None if found is None else found.name
    left = None
    if tariff is not None and rated.allowance_id is not None:
        owner = account if plan.allowance(rated.allowance_id).shared else subscriber
        left = state.remaining(rated.allowance_id, owner, tariff.cycle_of(at))
    return Quote(rated, destination, left)
