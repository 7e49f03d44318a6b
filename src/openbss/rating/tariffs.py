"""Tariffs as data in the database, and the rating plan a province is rated under.

- Destination sets are stored once (≥ 100,000 prefixes for China) and shared by tariffs.
- A tariff is a sequence of versions; a correction is the next version with the same
  effective dates, and the engines take the highest version in force.
- Tariffs and allowances are attached to the catalog's product offering prices
  (``PriceBinding``): a product is rated under the tariff bound to one of its offering's
  prices, with the allowances bound to its offering's and its bundle's prices.
- ``rating_plan`` turns all of that, with the inventory's in-service intervals, into the
  ``RatingPlan`` the engines read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from pydantic import ValidationError
from sqlalchemy.orm import Session

from openbss.audit import service as audit
from openbss.catalog import public as catalog
from openbss.inventory import public as inventory
from openbss.kit.errors import Conflict, NotFound, Unprocessable
from openbss.kit.security import Principal, Role
from openbss.rating import repository as repo
from openbss.rating.contract import Allowance, Assignment, Destination, RatingPlan, Tariff, Zone
from openbss.rating.documents import (
    AllowanceDocument,
    TariffDocument,
    allowance_document,
    destination_rows,
)
from openbss.rating.models import AllowanceDefinition, DestinationSet, PriceBinding, TariffVersion
from openbss.resources.service import validation_message

TARIFF_ADMINS = (Role.ADMIN, Role.BILLING_OPERATOR)
TARIFF_READERS = (Role.ADMIN, Role.BILLING_OPERATOR, Role.FINANCE, Role.ANALYST, Role.CSR)


# --- destination sets ---------------------------------------------------------------------


def _checksum(rows: Sequence[dict[str, str | None]]) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(json.dumps(row, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()


def save_destination_set(
    session: Session, set_id: str, name: str, destinations: Sequence[Destination]
) -> bool:
    """Store a destination table; False when the same content is already stored."""
    rows = sorted(destination_rows(destinations), key=lambda r: str(r["prefix"]))
    checksum = _checksum(rows)
    existing = repo.destination_set(session, set_id)
    if existing is not None and existing.checksum == checksum:
        return False
    row = DestinationSet(id=set_id, name=name, prefixes=len(rows), checksum=checksum)
    repo.replace_destinations(session, row, rows)
    _DESTINATIONS.pop(set_id, None)
    return True


# Destination tables are large and immutable per checksum: one copy per process, which also
# lets the engines' per-table caches (keyed by the tuple object) hit.
_DESTINATIONS: dict[str, tuple[str, tuple[Destination, ...]]] = {}


def destinations(session: Session, set_id: str) -> tuple[Destination, ...]:
    header = repo.destination_set(session, set_id)
    if header is None:
        raise NotFound(f"destination set {set_id} not found")
    cached = _DESTINATIONS.get(set_id)
    if cached is not None and cached[0] == header.checksum:
        return cached[1]
    table = tuple(
        Destination(prefix, name, None if zone is None else Zone(zone), area_code)
        for prefix, name, zone, area_code in repo.stored_destinations(session, set_id)
    )
    _DESTINATIONS[set_id] = (header.checksum, table)
    return table


# --- tariff versions ----------------------------------------------------------------------


def parse_tariff(body: dict[str, Any]) -> TariffDocument:
    try:
        return TariffDocument.model_validate(body)
    except ValidationError as exc:
        raise Unprocessable(validation_message(exc), code="INVALID_TARIFF") from None


def add_version(
    session: Session, principal: Principal, body: dict[str, Any], *, check_next: bool = True
) -> TariffVersion:
    """Store a new tariff version after checking that it makes a valid tariff.

    The version must be the next one (1 for a new tariff): versions are never overwritten,
    so every rated record keeps pointing at what rated it.
    """
    principal.require(*TARIFF_ADMINS)
    document = parse_tariff(body)
    province = principal.owning_province(document.province)
    latest = repo.latest_version(session, document.id)
    expected = 1 if latest is None else latest + 1
    if check_next and document.version != expected:
        raise Conflict(
            f"tariff {document.id} version {document.version}: the next version is {expected}",
            code="TARIFF_VERSION",
        )
    if repo.destination_set(session, document.destinationSet) is None:
        raise Unprocessable(
            f"tariff {document.id}: no destination set {document.destinationSet!r}",
            code="UNKNOWN_DESTINATION_SET",
        )
    try:
        document.to_tariff(destinations(session, document.destinationSet))
    except ValueError as exc:
        raise Unprocessable(f"tariff {document.id}: {exc}", code="INVALID_TARIFF") from None
    stored = document.model_dump(mode="json", exclude={"reason", "province"}, exclude_none=True)
    if province is not None:
        stored["province"] = province  # whose it is, as the row says
    row = TariffVersion(
        tariff_id=document.id,
        version=document.version,
        name=document.name,
        province=province,
        effective_from=document.effectiveFrom,
        effective_to=document.effectiveTo,
        destination_set_id=document.destinationSet,
        document=stored,
        reason=document.reason,
        created_by=principal.key_id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        principal,
        "create",
        "TariffVersion",
        f"{document.id}/{document.version}",
        province,
        ("reason",) if document.reason else (),
    )
    return row


def version_document(row: TariffVersion) -> dict[str, Any]:
    document = dict(row.document)
    if row.reason:
        document["reason"] = row.reason
    return document


def tariff_of(session: Session, row: TariffVersion) -> Tariff:
    document = TariffDocument.model_validate(row.document)
    return document.to_tariff(destinations(session, row.destination_set_id))


def visible_versions(
    session: Session, principal: Principal, tariff_id: str | None = None
) -> list[TariffVersion]:
    principal.require(*TARIFF_READERS)
    return repo.tariff_versions(session, principal.province, tariff_id)


# --- allowances and bindings --------------------------------------------------------------


def save_allowance(session: Session, principal: Principal, body: dict[str, Any]) -> bool:
    """Create or confirm an allowance; a different definition under a used id is refused."""
    principal.require(*TARIFF_ADMINS)
    try:
        document = AllowanceDocument.model_validate(body)
    except ValidationError as exc:
        raise Unprocessable(validation_message(exc), code="INVALID_ALLOWANCE") from None
    existing = session.get(AllowanceDefinition, document.id)
    values = {
        "name": document.name,
        "service": document.service.value,
        "zones": None if document.zones is None else sorted(z.value for z in document.zones),
        "units_per_cycle": document.unitsPerCycle,
        "shared": document.shared,
        "carry_over_cycles": document.carryOverCycles,
    }
    if existing is not None:
        if any(getattr(existing, k) != v for k, v in values.items()):
            raise Conflict(f"allowance {document.id} exists with another definition")
        return False
    session.add(AllowanceDefinition(id=document.id, **values))
    return True


def allowance_of(row: AllowanceDefinition) -> Allowance:
    return AllowanceDocument.model_validate(
        {
            "id": row.id,
            "name": row.name,
            "service": row.service,
            "zones": row.zones,
            "unitsPerCycle": row.units_per_cycle,
            "shared": row.shared,
            "carryOverCycles": row.carry_over_cycles,
        }
    ).to_allowance()


def describe_allowance(row: AllowanceDefinition) -> dict[str, Any]:
    return allowance_document(allowance_of(row), row.name)


def bind_price(
    session: Session,
    principal: Principal,
    price_id: str,
    tariff_id: str | None,
    allowance_ids: Sequence[str] = (),
) -> None:
    """Attach a tariff and/or allowances to a product offering price (replacing a binding)."""
    principal.require(*TARIFF_ADMINS)
    if tariff_id is not None and repo.latest_version(session, tariff_id) is None:
        raise Unprocessable(f"no tariff {tariff_id}", code="UNKNOWN_TARIFF")
    known = {a.id for a in repo.allowances(session, allowance_ids)}
    missing = [a for a in allowance_ids if a not in known]
    if missing:
        raise Unprocessable(f"no allowance {', '.join(missing)}", code="UNKNOWN_ALLOWANCE")
    binding = session.get(PriceBinding, price_id) or PriceBinding(price_id=price_id)
    binding.tariff_id = tariff_id
    binding.allowance_ids = list(allowance_ids)
    session.add(binding)


# --- the rating plan of a province --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OfferingRating:
    tariff_id: str | None
    allowance_ids: tuple[str, ...]


def offering_ratings(session: Session) -> dict[str, OfferingRating]:
    """Per offering, the tariff and allowances bound to its prices."""
    bound = {b.price_id: b for b in repo.bindings(session)}
    result: dict[str, OfferingRating] = {}
    for offering_id, price_ids in catalog.offering_price_ids(session).items():
        tariff_ids = sorted(
            {t for p in price_ids if p in bound and (t := bound[p].tariff_id) is not None}
        )
        if len(tariff_ids) > 1:
            raise Unprocessable(
                f"offering {offering_id} has prices bound to several tariffs: {tariff_ids}",
                code="AMBIGUOUS_TARIFF",
            )
        allowance_ids = tuple(
            dict.fromkeys(a for p in price_ids if p in bound for a in bound[p].allowance_ids)
        )
        if tariff_ids or allowance_ids:
            result[offering_id] = OfferingRating(
                tariff_ids[0] if tariff_ids else None, allowance_ids
            )
    return result


def province_tariffs(session: Session, province: str) -> tuple[Tariff, ...]:
    """Every tariff version a province sees (its own and the nationwide ones)."""
    return tuple(tariff_of(session, row) for row in repo.tariff_versions(session, province))


def rating_plan(session: Session, province: str, subscriber: str | None = None) -> RatingPlan:
    """Every tariff version a province sees, and an assignment per product in service (of
    one subscriber only, when named: a quote needs no one else's)."""
    tariffs = province_tariffs(session, province)
    allowances = tuple(allowance_of(row) for row in repo.allowances(session))
    by_offering = offering_ratings(session)
    products = {
        pid: (offering, parent)
        for pid, offering, parent in inventory.offerings_of_products(session, province)
    }
    assignments: list[Assignment] = []
    index = inventory.in_service_intervals(session, province)
    if subscriber is not None:
        index = index.filter(pl.col("service_id") == subscriber)
    for service_id, product_id, _customer, account_id, start, end in index.iter_rows():
        offering, parent = products.get(product_id, (None, None))
        own = by_offering.get(offering or "")
        if own is None or own.tariff_id is None:
            continue  # no tariff: its usage is rated NO_TARIFF, and counted
        bundle = by_offering.get(products.get(parent or "", ("", None))[0] or "")
        allowance_ids = own.allowance_ids + (bundle.allowance_ids if bundle else ())
        assignments.append(
            Assignment(
                subscriber=service_id,
                tariff_id=own.tariff_id,
                valid_from=start,
                valid_to=None if end >= inventory.OPEN_END else end,
                product_id=product_id,
                allowance_ids=tuple(dict.fromkeys(allowance_ids)),
                account_id=account_id,
            )
        )
    return RatingPlan(tariffs=tariffs, assignments=tuple(assignments), allowances=allowances)


def plan_fingerprint(session: Session, province: str) -> str:
    """What decides prices, apart from the inventory: tariff versions, allowances, bindings."""
    digest = hashlib.sha256()
    headers: dict[str, DestinationSet | None] = {}
    for row in repo.tariff_versions(session, province):
        if row.destination_set_id not in headers:
            headers[row.destination_set_id] = repo.destination_set(session, row.destination_set_id)
        header = headers[row.destination_set_id]
        digest.update(
            json.dumps(
                [row.tariff_id, row.version, row.document, header.checksum if header else None],
                sort_keys=True,
                default=str,
            ).encode()
        )
    for allowance in repo.allowances(session):
        digest.update(json.dumps(describe_allowance(allowance), sort_keys=True).encode())
    for binding in repo.bindings(session):
        digest.update(
            json.dumps([binding.price_id, binding.tariff_id, binding.allowance_ids]).encode()
        )
    return digest.hexdigest()
