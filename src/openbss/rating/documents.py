"""Tariffs and allowances as JSON documents: what the database stores and the API exchanges.

A document is validated strictly (unknown fields, wrong types and impossible figures are
refused with the field named) and turns into the frozen dataclasses of ``model.py``; the
reverse, ``tariff_document``, exports a tariff so that a correction can be edited and loaded
as the next version. Money figures are integer li; clocks are "HH:MM" local time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from openbss.kit.clock import bounded_utc
from openbss.kit.names import ID_PATTERN, PROVINCE_PATTERN
from openbss.rating.contract import (
    Allowance,
    BandCrossing,
    Calendar,
    Charge,
    DayType,
    Destination,
    Direction,
    RateRule,
    Service,
    Tariff,
    Tier,
    TimeBand,
    Zone,
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChargeDocument(_Strict):
    connectionLi: int = Field(default=0, ge=0)
    firstBlockS: int = Field(default=0, ge=0)
    firstBlockLi: int = Field(default=0, ge=0)
    stepS: int = Field(default=0, ge=0)
    stepLi: int = Field(default=0, ge=0)
    eventLi: int = Field(default=0, ge=0)
    volumeUnitBytes: int = Field(default=0, ge=0)
    volumeUnitLi: int = Field(default=0, ge=0)
    capLi: int | None = Field(default=None, ge=0)

    def to_charge(self) -> Charge:
        return Charge(
            connection_li=self.connectionLi,
            first_block_s=self.firstBlockS,
            first_block_li=self.firstBlockLi,
            step_s=self.stepS,
            step_li=self.stepLi,
            event_li=self.eventLi,
            volume_unit_bytes=self.volumeUnitBytes,
            volume_unit_li=self.volumeUnitLi,
            cap_li=self.capLi,
        )


class RuleDocument(_Strict):
    name: str = ""
    service: Service
    zone: Zone | None = None
    band: str | None = None
    direction: Direction | None = None
    ipAccessCode: str | None = None
    charge: ChargeDocument


class BandDocument(_Strict):
    name: str = Field(min_length=1, max_length=32)
    start: time
    end: time
    dayTypes: list[DayType] = Field(default_factory=lambda: list(DayType))


class CalendarDocument(_Strict):
    holidays: list[date] = Field(default_factory=list)
    workdays: list[date] = Field(default_factory=list)


class TierDocument(_Strict):
    service: Service
    fromUnits: int = Field(ge=0)
    percent: int = Field(ge=0, le=100)


class TariffDocument(_Strict):
    """One tariff version, as stored and exchanged."""

    # The id names the tariff in files and command lines: the pattern of kit.names.
    id: str = Field(min_length=1, max_length=64, pattern=ID_PATTERN.pattern)
    version: int = Field(ge=1)
    name: str = Field(default="", max_length=128)
    province: str | None = Field(default=None, pattern=PROVINCE_PATTERN.pattern)
    effectiveFrom: datetime
    effectiveTo: datetime | None = None
    destinationSet: str = Field(min_length=1, max_length=64)
    provinceAreaCodes: list[str] = Field(default_factory=list)
    timezone: str = "Asia/Shanghai"
    bandCrossing: BandCrossing = BandCrossing.START
    bands: list[BandDocument] = Field(min_length=1)
    calendar: CalendarDocument = Field(default_factory=CalendarDocument)
    rules: list[RuleDocument] = Field(min_length=1)
    tiers: list[TierDocument] = Field(default_factory=list)
    reason: str | None = Field(default=None, max_length=2000)

    @field_validator("effectiveFrom", "effectiveTo")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must carry a time zone (e.g. 2004-12-31T16:00:00Z)")
        return None if value is None else bounded_utc(value)

    def to_tariff(self, destinations: tuple[Destination, ...]) -> Tariff:
        """The model tariff; raises ValueError with the reason when the figures conflict."""
        band_names = {b.name for b in self.bands}
        for index, rule in enumerate(self.rules):
            if rule.band is not None and rule.band not in band_names:
                raise ValueError(f"rules[{index}].band: no band named {rule.band!r}")
        return Tariff(
            id=self.id,
            version=self.version,
            effective_from=self.effectiveFrom,
            effective_to=self.effectiveTo,
            province_area_codes=frozenset(self.provinceAreaCodes),
            destinations=destinations,
            bands=tuple(
                TimeBand(b.name, b.start, b.end, frozenset(d.value for d in b.dayTypes))
                for b in self.bands
            ),
            calendar=Calendar(frozenset(self.calendar.holidays), frozenset(self.calendar.workdays)),
            band_crossing=self.bandCrossing,
            rules=tuple(
                RateRule(
                    service=r.service,
                    zone=r.zone,
                    band=r.band,
                    direction=r.direction,
                    ip_access_code=r.ipAccessCode,
                    charge=r.charge.to_charge(),
                    name=r.name,
                )
                for r in self.rules
            ),
            tiers=tuple(Tier(t.service, t.fromUnits, t.percent) for t in self.tiers),
            timezone=self.timezone,
            name=self.name,
        )


class AllowanceDocument(_Strict):
    id: str = Field(min_length=1, max_length=64)
    name: str = Field(default="", max_length=128)
    service: Service
    zones: list[Zone] | None = None
    unitsPerCycle: int = Field(ge=0)
    shared: bool = False
    carryOverCycles: int = Field(default=0, ge=0, le=1)

    def to_allowance(self) -> Allowance:
        return Allowance(
            id=self.id,
            service=self.service,
            zones=None if self.zones is None else frozenset(self.zones),
            units_per_cycle=self.unitsPerCycle,
            shared=self.shared,
            carry_over_cycles=self.carryOverCycles,
        )


def _clock(value: time) -> str:
    return value.strftime("%H:%M:%S") if value.second else value.strftime("%H:%M")


def _charge_document(charge: Charge) -> dict[str, Any]:
    figures = {
        "connectionLi": charge.connection_li,
        "firstBlockS": charge.first_block_s,
        "firstBlockLi": charge.first_block_li,
        "stepS": charge.step_s,
        "stepLi": charge.step_li,
        "eventLi": charge.event_li,
        "volumeUnitBytes": charge.volume_unit_bytes,
        "volumeUnitLi": charge.volume_unit_li,
        "capLi": charge.cap_li,
    }
    return {k: v for k, v in figures.items() if v}  # zeros and no cap are the defaults


def _optional(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def tariff_document(
    tariff: Tariff, destination_set: str, *, province: str | None = None
) -> dict[str, Any]:
    """A model tariff as a JSON-ready document (``TariffDocument``)."""

    def instant(value: datetime | None) -> str | None:
        return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")

    return {
        "id": tariff.id,
        "version": tariff.version,
        "name": tariff.name,
        **_optional(province=province),
        "effectiveFrom": instant(tariff.effective_from),
        **_optional(effectiveTo=instant(tariff.effective_to)),
        "destinationSet": destination_set,
        "provinceAreaCodes": sorted(tariff.province_area_codes),
        "timezone": tariff.timezone,
        "bandCrossing": tariff.band_crossing.value,
        "bands": [
            {
                "name": b.name,
                "start": _clock(b.start),
                "end": _clock(b.end),
                "dayTypes": sorted(b.day_types),
            }
            for b in tariff.bands
        ],
        "calendar": {
            "holidays": sorted(d.isoformat() for d in tariff.calendar.holidays),
            "workdays": sorted(d.isoformat() for d in tariff.calendar.workdays),
        },
        "rules": [
            {
                "name": r.name,
                "service": r.service.value,
                **_optional(
                    zone=None if r.zone is None else r.zone.value,
                    band=r.band,
                    direction=None if r.direction is None else r.direction.value,
                    ipAccessCode=r.ip_access_code,
                ),
                "charge": _charge_document(r.charge),
            }
            for r in tariff.rules
        ],
        "tiers": [
            {"service": t.service.value, "fromUnits": t.from_units, "percent": t.percent}
            for t in tariff.tiers
        ],
    }


def allowance_document(allowance: Allowance, name: str = "") -> dict[str, Any]:
    return {
        "id": allowance.id,
        "name": name,
        "service": allowance.service.value,
        "zones": None if allowance.zones is None else sorted(z.value for z in allowance.zones),
        "unitsPerCycle": allowance.units_per_cycle,
        "shared": allowance.shared,
        "carryOverCycles": allowance.carry_over_cycles,
    }


def destination_rows(destinations: Sequence[Destination]) -> list[dict[str, str | None]]:
    return [
        {
            "prefix": d.prefix,
            "name": d.name[:128],
            "zone": None if d.zone is None else d.zone.value,
            "area_code": d.area_code,
        }
        for d in destinations
    ]
