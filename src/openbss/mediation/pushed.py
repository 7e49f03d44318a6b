"""TMF635 Usage Management: usage pushed by partners and platforms through the API.

A POST /usage is stored as received (status ``received``) in the request's transaction, so an
acknowledged usage is never lost. :func:`mediate_pushed` then takes the received usages of a
province in one batch through the same pipeline as a file — normalisation, validation,
duplicate detection, guiding, the usage store, the manifest — and sets each usage's status to
``guided`` or ``rejected`` (with ``rejectionReason``). Once mediated, a usage is accounted
for and can no longer be changed or deleted.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from openbss.db.uow import unit_of_work
from openbss.kit.errors import BadRequest, Conflict, Unprocessable
from openbss.kit.security import Principal, Role
from openbss.kit.tmf import JSON, parse_datetime
from openbss.kit.worker import BackgroundWorker
from openbss.mediation import store
from openbss.mediation.models import PushedUsage, UsageSpecification, UsageStatus
from openbss.mediation.pipeline import DUPLICATE, Ingest, Outcome, ingest_decoded
from openbss.mediation.records import Decoded, raw_table
from openbss.resources.service import ResourceService

API = "usageManagement"
API_PATH = "/tmf-api/usageManagement/v4"
USAGE_READERS = frozenset({Role.CSR, Role.BILLING_OPERATOR, Role.ANALYST, Role.PARTNER, Role.ADMIN})
# Partners (SP/CP platforms) and the operator's own systems push usage.
USAGE_WRITERS = frozenset({Role.PARTNER, Role.BILLING_OPERATOR, Role.ADMIN})
SOURCE = "tmf635"
logger = logging.getLogger(__name__)

# usageCharacteristic names understood (case-insensitive) → raw record field.
CHARACTERISTICS: dict[str, str] = {
    "callingnumber": "calling",
    "originatingnumber": "calling",
    "msisdn": "calling",
    "callednumber": "called",
    "destinationnumber": "called",
    "duration": "duration_s",
    "durationseconds": "duration_s",
    "volumeup": "volume_up",
    "uplinkvolume": "volume_up",
    "inputoctets": "volume_up",
    "volumedown": "volume_down",
    "downlinkvolume": "volume_down",
    "outputoctets": "volume_down",
    "accountname": "account_name",
    "username": "account_name",
    "switchid": "switch_id",
    "callreference": "call_reference",
    "areacode": "area_code",
    "direction": "direction",
}
INTEGER_FIELDS = frozenset({"duration_s", "volume_up", "volume_down"})
USAGE_TYPES = {
    "voice": "voice",
    "sms": "sms",
    "data": "data",
    "broadband": "broadband",
    "vas": "vas",
}


class UsageSpecificationService(ResourceService[UsageSpecification]):
    model = UsageSpecification
    api = API
    api_path = API_PATH
    path = "usageSpecification"
    resource_type = "UsageSpecification"
    read_roles = USAGE_READERS
    write_roles = frozenset({Role.ADMIN})
    province_owned = False
    stamp_last_update = True

    def validate(
        self, session: Session, principal: Principal, doc: JSON, existing: UsageSpecification | None
    ) -> JSON:
        if not isinstance(doc.get("name"), str) or not doc["name"].strip():
            raise BadRequest("a usage specification needs a 'name'")
        return doc

    def before_delete(
        self, session: Session, principal: Principal, row: UsageSpecification
    ) -> None:
        used = session.scalars(
            select(PushedUsage.id).where(PushedUsage.specification_id == row.id).limit(1)
        ).first()
        if used is not None:
            raise Conflict(f"usage specification {row.id} is referenced by usage", code="IN_USE")


class UsageService(ResourceService[PushedUsage]):
    model = PushedUsage
    api = API
    api_path = API_PATH
    path = "usage"
    resource_type = "Usage"
    read_roles = USAGE_READERS
    write_roles = USAGE_WRITERS
    state_attribute = "status"
    server_attributes = frozenset({"status", "rejectionReason", "ratedProductUsage"})

    def defaults(self, doc: JSON) -> JSON:
        doc["status"] = UsageStatus.RECEIVED.value
        return doc

    def validate(
        self, session: Session, principal: Principal, doc: JSON, existing: PushedUsage | None
    ) -> JSON:
        if existing is None and "ratedProductUsage" in doc:
            raise Unprocessable(
                "'ratedProductUsage' is written by rating, not sent with a usage",
                code="RATED_BY_RATING",
            )
        if existing is not None and existing.status != UsageStatus.RECEIVED:
            raise Conflict(
                f"usage {existing.id} is {existing.status}: it has been mediated and is final",
                code="USAGE_MEDIATED",
            )
        spec = doc.get("usageSpecification")
        if spec is not None:
            if not isinstance(spec, Mapping) or not spec.get("id"):
                raise BadRequest("'usageSpecification' must be a reference with an 'id'")
            if session.get(UsageSpecification, str(spec["id"])) is None:
                raise Unprocessable(
                    f"usage specification {spec['id']!r} does not exist", code="UNKNOWN_REFERENCE"
                )
        if doc.get("usageDate") is not None:
            if not isinstance(doc["usageDate"], str):
                raise BadRequest("'usageDate' must be a date-time string")
            parse_datetime(doc["usageDate"], "usageDate")
        characteristics = doc.get("usageCharacteristic") or []
        if not isinstance(characteristics, list) or not all(
            isinstance(c, Mapping) and isinstance(c.get("name"), str) for c in characteristics
        ):
            raise BadRequest("'usageCharacteristic' must be a list of {name, value}")
        return doc

    def apply_columns(self, row: PushedUsage, doc: JSON) -> None:
        row.status = str(doc.get("status") or UsageStatus.RECEIVED)
        row.usage_type = doc.get("usageType")
        row.specification_id = (doc.get("usageSpecification") or {}).get("id")

    def before_delete(self, session: Session, principal: Principal, row: PushedUsage) -> None:
        if row.status != UsageStatus.RECEIVED:
            raise Conflict(
                f"usage {row.id} is {row.status}: mediated usage is kept", code="USAGE_MEDIATED"
            )


usage_specifications = UsageSpecificationService()
usages = UsageService()


def raw_row(number: int, usage: PushedUsage) -> dict[str, Any]:
    """A pushed usage as a raw record; what cannot be read is left for validation to refuse."""
    doc = usage.doc
    row: dict[str, Any] = {
        "record_no": number,
        "raw_ref": f"usage={usage.id}",
        "service": USAGE_TYPES.get(str(doc.get("usageType") or "").lower()),
        "direction": "mo",
        "raw": str(doc)[:4000],
    }
    try:
        row["event_time"] = parse_datetime(doc["usageDate"]) if doc.get("usageDate") else None
    except Exception:
        row["event_time"] = None
    problems = []
    for item in doc.get("usageCharacteristic") or []:
        field = CHARACTERISTICS.get(str(item.get("name", "")).replace("_", "").lower())
        if field is None:
            continue
        value = item.get("value")
        if field in INTEGER_FIELDS:
            try:
                row[field] = int(value)
            except (TypeError, ValueError):
                problems.append(f"{item.get('name')} is not an integer")
        else:
            row[field] = None if value is None else str(value)
    if problems:
        row["decode_error"] = "; ".join(problems)
    return row


def mediate_pushed(ingest: Ingest, limit: int = 50_000) -> Outcome | None:
    """Mediate the received usages of the ingest's province as one batch."""
    with ingest.factory() as session:
        pending = session.scalars(
            select(PushedUsage)
            .where(
                PushedUsage.status == UsageStatus.RECEIVED, PushedUsage.province == ingest.province
            )
            .order_by(PushedUsage.created_at, PushedUsage.id)
            .limit(limit)
        ).all()
        if not pending:
            return None
        ids = [u.id for u in pending]
        rows = [raw_row(n, usage) for n, usage in enumerate(pending)]
    digest = hashlib.sha256("\n".join(ids).encode()).hexdigest()
    decoded = Decoded(records=raw_table(rows))
    outcome = ingest_decoded(
        ingest, f"tmf635 push of {len(ids)}", digest, "tmf635", decoded, SOURCE
    )
    if outcome.batch_id is None:
        return outcome
    fates = _fates(ingest, outcome.batch_id)
    with unit_of_work(ingest.factory) as session:
        for number, usage_id in enumerate(ids):
            usage = session.get(PushedUsage, usage_id)
            if usage is None or usage.status != UsageStatus.RECEIVED:
                continue
            status, reason = fates.get(number, (UsageStatus.GUIDED, None))
            doc = {**usage.doc, "status": status}
            if reason:
                doc["rejectionReason"] = reason
            usage.doc = doc
            usage.status = status
            usage.batch_id, usage.record_no = outcome.batch_id, number
            usages.emit(session, "StateChangeEvent", usage)
    return outcome


def _fates(ingest: Ingest, batch_id: str) -> dict[int, tuple[str, str | None]]:
    """record number → (status, reason) of a mediated push, read back from the store."""
    fates: dict[int, tuple[str, str | None]] = {}
    for area in ("rejected", "duplicate"):
        frame = store.read_batch(ingest.data_dir, area, batch_id)
        if frame is None:
            continue
        numbers = frame.select(
            pl.col("record_id").str.split(":").list.last().cast(pl.Int64).alias("n"),
            pl.col("reason_code"),
            pl.col("reason"),
        )
        for n, code, reason in numbers.iter_rows():
            text = (
                "duplicate of usage already received" if code == DUPLICATE else f"{code}: {reason}"
            )
            fates[int(n)] = (UsageStatus.REJECTED, text)
    return fates


def provinces_with_pushed_usage(session: Session) -> list[str]:
    statement = (
        select(PushedUsage.province).where(PushedUsage.status == UsageStatus.RECEIVED).distinct()
    )
    return [p for p in session.scalars(statement) if p is not None]


def mediate_all_pushed(factory: sessionmaker[Session], data_dir: Path) -> None:
    """Mediate the received usage of every province that has some, province by province."""
    with factory() as session:
        provinces = provinces_with_pushed_usage(session)
    for province in provinces:
        mediate_pushed(Ingest(factory, data_dir, province))


def background_pushed_usage(
    factory: sessionmaker[Session], data_dir: Path, interval: float = 5.0
) -> BackgroundWorker:
    """Mediates pushed usage every few seconds in the server; a failed round leaves the
    usage received for the next one."""

    def run_once() -> bool:
        mediate_all_pushed(factory, data_dir)
        return False

    return BackgroundWorker("pushed-usage", run_once, interval=interval, join_timeout=30)
