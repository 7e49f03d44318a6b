"""Product offering prices, with dated versions of their amount.

A price's amount lives in ``catalog_price_version`` rows, in integer fen (recurring, one-time)
or li (usage), never in floats. Creating a priced POP writes version 1, effective from
``validFor.startDateTime`` (or the creation instant when absent).

Changing the amount never rewrites history. A PATCH that changes ``price`` adds a version:

- with ``validFor.startDateTime`` in the same PATCH, that instant is the new amount's
  effective date (it must not be in the past: 409 ``PRICE_VERSION_CONFLICT``); the start of
  the price's own ``validFor`` is left as it was;
- without it (or with the stored start sent back unchanged), the new amount takes effect at
  once (``now()``);
- restating the amount in force at that date changes nothing, so a client that PATCHes back
  the resource it read does not disturb a scheduled change.

The version in force before the date stays readable: reads before the date see the old amount,
reads after it the new one. A change scheduled for a later date than another scheduled change
follows it; one dated at or before a scheduled (not yet effective) change supersedes it.

Reads show ``price`` as the amount in force at ``now()`` and, as an extension, the whole
schedule in ``priceVersion``. Rating and billing ask :func:`price_at` for any instant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from openbss.catalog import billing_discounts, pricing
from openbss.catalog.errors import InvalidPrice, MissingAttribute, PriceVersionConflict
from openbss.catalog.models import PriceVersion, ProductOfferingPrice
from openbss.catalog.schemas import ProductOfferingPriceSchema
from openbss.catalog.service.base import CatalogService
from openbss.kit.clock import now
from openbss.kit.security import Principal
from openbss.kit.tmf import JSON, format_datetime, merge_patch, parse_datetime

_USAGE_ONLY = ("usageEvent", "usageTier", "timeBand")


def _spans(row: ProductOfferingPrice) -> list[pricing.PriceSpan]:
    return [
        pricing.PriceSpan(v.version, v.amount, v.effective_from, v.effective_to)
        for v in row.versions
    ]


def _unit_of(version: PriceVersion) -> pricing.MinorUnit:
    return pricing.MinorUnit.FEN if version.amount_fen is not None else pricing.MinorUnit.LI


def _new_version(span: pricing.PriceSpan, unit: pricing.MinorUnit) -> PriceVersion:
    return PriceVersion(
        version=span.version,
        amount_fen=span.amount if unit is pricing.MinorUnit.FEN else None,
        rate_li=span.amount if unit is pricing.MinorUnit.LI else None,
        currency="CNY",
        effective_from=span.effective_from,
        effective_to=span.effective_to,
    )


def price_at(session: Session, price_id: str, instant: datetime) -> PriceVersion | None:
    """The version of a price in force at ``instant`` (for rating and billing), or None."""
    rows = session.scalars(select(PriceVersion).where(PriceVersion.price_id == price_id)).all()
    return _in_force(rows, instant)


def version_in_force(price: ProductOfferingPrice, instant: datetime) -> PriceVersion | None:
    """:func:`price_at` for a price already loaded (its versions come with it): no query."""
    return _in_force(price.versions, instant)


def _in_force(rows: Sequence[PriceVersion], instant: datetime) -> PriceVersion | None:
    by_version = {v.version: v for v in rows}
    chosen = pricing.version_at(
        (pricing.PriceSpan(v.version, v.amount, v.effective_from, v.effective_to) for v in rows),
        instant,
    )
    return by_version[chosen.version] if chosen is not None else None


class ProductOfferingPriceService(CatalogService[ProductOfferingPrice]):
    model = ProductOfferingPrice
    path = "productOfferingPrice"
    resource_type = "ProductOfferingPrice"
    schema = ProductOfferingPriceSchema
    sellable_references: ClassVar[frozenset[str]] = frozenset({"bundledPopRelationship"})
    bundles = True

    def check_rules(
        self,
        session: Session,
        principal: Principal,
        doc: JSON,
        existing: ProductOfferingPrice | None,
    ) -> None:
        price_type = doc.get("priceType")
        unit = pricing.minor_unit_for(price_type)
        if existing is not None and existing.versions and price_type != existing.price_type:
            raise PriceVersionConflict(
                "priceType cannot change once the price has versions; create a new price"
            )
        bundled = doc.get("bundledPopRelationship") or []
        if doc.get("isBundle") is True and not bundled:
            raise MissingAttribute("a bundle price (isBundle: true) needs bundledPopRelationship")
        if doc.get("isBundle") is not True and bundled:
            raise InvalidPrice("only a bundle price (isBundle: true) has bundledPopRelationship")
        if "price" in doc:
            amount = pricing.money_to_minor(doc["price"], unit)
            # Stored in one canonical form whatever the input (number, numeric string).
            doc["price"] = {**doc["price"], **pricing.minor_to_money(amount, unit)}
        elif existing is not None and existing.versions:
            raise PriceVersionConflict("a dated price cannot lose its amount; retire it instead")
        if billing_discounts.is_billing_discount(price_type):
            billing_discounts.check_billing_discount(doc)
        self._check_charge_shape(doc, str(price_type))
        for index, alteration in enumerate(doc.get("priceAlteration") or []):
            pricing.check_alteration(alteration, unit, f"priceAlteration[{index}]")

    @staticmethod
    def _check_charge_shape(doc: JSON, price_type: str) -> None:
        period = doc.get("recurringChargePeriodType")
        if period is not None and period not in pricing.RECURRING_PERIODS:
            known = ", ".join(sorted(pricing.RECURRING_PERIODS))
            raise InvalidPrice(f"recurringChargePeriodType {period!r} is unknown; use {known}")
        if price_type == "recurring" and "price" in doc and period is None:
            raise MissingAttribute("a recurring price needs recurringChargePeriodType")
        if price_type != "usage":
            present = [name for name in _USAGE_ONLY if doc.get(name) is not None]
            if present:
                raise InvalidPrice(f"{', '.join(present)} only apply to usage prices")
            return
        measure = doc.get("unitOfMeasure")
        if "price" in doc and measure is None:
            raise MissingAttribute("a usage price needs unitOfMeasure (e.g. {amount: 6, units: s})")
        if measure is not None and measure.get("units") not in pricing.USAGE_UNITS:
            known = ", ".join(sorted(pricing.USAGE_UNITS))
            units = measure.get("units")
            raise InvalidPrice(f"unitOfMeasure.units {units!r} is unknown; use {known}")
        tier = doc.get("usageTier") or {}
        if isinstance(tier.get("to"), int) and tier["to"] <= tier.get("from", 0):
            raise InvalidPrice("usageTier: 'to' must be above 'from'")

    def apply_columns(self, row: ProductOfferingPrice, doc: JSON) -> None:
        super().apply_columns(row, doc)
        # Version 1 is written with the row (create, or a first amount added by PATCH is
        # planned in patch() before this runs, so it is only ever added here once).
        if not row.versions and "price" in doc:
            unit = pricing.minor_unit_for(doc["priceType"])
            amount = pricing.money_to_minor(doc["price"], unit)
            start = (doc.get("validFor") or {}).get("startDateTime")
            effective = parse_datetime(start, "validFor.startDateTime") if start else now()
            row.versions.append(_new_version(pricing.PriceSpan(1, amount, effective), unit))

    def patch(
        self, session: Session, principal: Principal, resource_id: str, patch: Mapping[str, Any]
    ) -> ProductOfferingPrice:
        row = self._writable(session, principal, resource_id)
        changes = dict(patch)
        if changes.get("price") is not None and row.versions:
            changes, plan, unit = self._plan(row, changes)
            if plan is not None:
                # Validate the whole result first: a refused PATCH must not leave a version.
                trial = merge_patch(dict(row.doc), changes)
                self.validate(session, principal, trial, row)
                self._apply(row, plan, unit)
        return super().patch(session, principal, resource_id, changes)

    def _plan(
        self, row: ProductOfferingPrice, changes: dict[str, Any]
    ) -> tuple[dict[str, Any], pricing.PricePlan | None, pricing.MinorUnit]:
        valid_for = changes.get("validFor")
        start = None
        stored = (row.doc.get("validFor") or {}).get("startDateTime")
        given = valid_for.get("startDateTime") if isinstance(valid_for, Mapping) else None
        if isinstance(valid_for, Mapping) and given is not None:
            # A new start belongs to the new amount, not to the price's overall validity; the
            # stored start sent back unchanged (a whole resource PATCHed back) means "now".
            start = None if given == stored else str(given)
            rest = {k: v for k, v in valid_for.items() if k != "startDateTime"}
            changes = {k: v for k, v in changes.items() if k != "validFor"}
            if rest:
                changes["validFor"] = rest
        price_type = changes.get("priceType", row.price_type)
        unit = pricing.minor_unit_for(price_type)
        amount = pricing.money_to_minor(merge_patch(row.doc.get("price"), changes["price"]), unit)
        effective = parse_datetime(start, "validFor.startDateTime") if start else now()
        return changes, pricing.plan_change(_spans(row), amount, effective, now()), unit

    @staticmethod
    def _apply(row: ProductOfferingPrice, plan: pricing.PricePlan, unit: pricing.MinorUnit) -> None:
        for version in list(row.versions):
            if version.version in plan.cancel:
                row.versions.remove(version)
            elif plan.close is not None and version.version == plan.close[0]:
                version.effective_to = plan.close[1]
        row.versions.append(_new_version(plan.new, unit))

    def render(self, row: ProductOfferingPrice, base_url: str | None = None) -> JSON:
        body = super().render(row, base_url)
        if not row.versions:
            return body
        current = pricing.version_at(_spans(row), now())
        by_number = {v.version: v for v in row.versions}
        if current is not None:
            unit = _unit_of(by_number[current.version])
            body["price"] = pricing.minor_to_money(current.amount, unit)
        body["priceVersion"] = [self._render_version(v) for v in row.versions]
        return body

    @staticmethod
    def _render_version(version: PriceVersion) -> JSON:
        period = {"startDateTime": format_datetime(version.effective_from)}
        if version.effective_to is not None:
            period["endDateTime"] = format_datetime(version.effective_to)
        return {
            "version": version.version,
            "price": pricing.minor_to_money(version.amount, _unit_of(version)),
            "validFor": period,
        }


product_offering_prices = ProductOfferingPriceService()
