"""Seeding the rating data of the master catalog: China Telecom's 2005 tariffs as data.

Idempotent like the catalog seed: the destination set is stored again only when its content
changed, a tariff gets version 1 only when it has no version at all (a correction loaded
since is never overwritten), and bindings are set only where a price has none. Needs the
catalog (``catalog.seed.seed_catalog``) first: bindings name its prices by code.

A year of public holidays published in the reference data after a tariff was stored reaches
it as the tariff's next version (same dates, the calendar extended by the new years only), so
the versions that rated earlier usage keep their calendar and rerating them gives the same
result; a year the stored calendar already has is never changed, even if it differs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from openbss.catalog import public as catalog
from openbss.kit.security import SYSTEM
from openbss.rating import repository as repo
from openbss.rating.contract import FREE, Allowance, Destination, RateRule, Service, Tariff, Zone
from openbss.rating.ct2005 import (
    CT2005_BANDS,
    CT2005_EFFECTIVE_FROM,
    FIXED_TARIFF_ID,
    PHS_TARIFF_ID,
    china_telecom_2005,
    cn_destinations,
)
from openbss.rating.documents import allowance_document, tariff_document
from openbss.rating.models import PriceBinding
from openbss.rating.tariffs import add_version, bind_price, save_allowance, save_destination_set
from openbss.refdata.calendars import CN_HOLIDAYS_SOURCE, CN_PUBLIC_HOLIDAYS, PublicHolidays

DESTINATION_SET = "CN-E164"
ADSL_FLAT_TARIFF_ID = "CT2005-ADSL-FLAT"
BUNDLE_LOCAL_ALLOWANCE = "CT-AL-BUNDLE-LOCAL-100MIN"

# An ADSL flat rate (包月): sessions are rated, explained and counted, at no charge.
_ADSL_FLAT_RULES = (RateRule(Service.DATA, None, None, None, None, FREE, "flat rate"),)

# The bundle includes 100 minutes of local calls a month for its fixed line (illustrative).
_BUNDLE_ALLOWANCE = Allowance(
    id=BUNDLE_LOCAL_ALLOWANCE,
    service=Service.VOICE,
    zones=frozenset({Zone.LOCAL}),
    units_per_cycle=100 * 60,
)

# Product offering price code → (tariff id, allowance ids).
BINDINGS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    **{
        code: (FIXED_TARIFF_ID, ())
        for code in (
            "CT-POP-LOCAL-FIRST3",
            "CT-POP-LOCAL-NEXT",
            "CT-POP-DDD",
            "CT-POP-DDD-NIGHT",
            "CT-POP-INTL",
            "CT-POP-HMT",
            "CT-POP-IP17909",
        )
    },
    **{
        code: (PHS_TARIFF_ID, ())
        for code in (
            "CT-POP-PHS-LOCAL-FIRST3",
            "CT-POP-PHS-LOCAL-NEXT",
            "CT-POP-PHS-INTERAREA",
            "CT-POP-PHS-INCOMING",
            "CT-POP-PHS-SMS",
        )
    },
    "CT-POP-ADSL-2M-MONTHLY": (ADSL_FLAT_TARIFF_ID, ()),
    "CT-POP-BUNDLE-FIXED-ADSL": (None, (BUNDLE_LOCAL_ALLOWANCE,)),
}


@dataclass
class RatingSeedReport:
    destinations: int = 0
    destinations_stored: bool = False
    tariffs_created: list[str] = field(default_factory=list)
    calendars_extended: list[str] = field(default_factory=list)  # "tariff vN"
    bindings_created: list[str] = field(default_factory=list)


def seed_tariffs() -> tuple[Tariff, ...]:
    """The tariffs the seed stores: those of docs/domain/tariffs.md, plus the ADSL flat rate."""
    published = china_telecom_2005()
    flat = Tariff(
        id=ADSL_FLAT_TARIFF_ID,
        version=1,
        effective_from=CT2005_EFFECTIVE_FROM,
        effective_to=None,
        province_area_codes=published[0].province_area_codes,
        destinations=(),
        bands=CT2005_BANDS,
        calendar=published[0].calendar,
        band_crossing=published[0].band_crossing,
        rules=_ADSL_FLAT_RULES,
        name="ADSL 包月",
    )
    return (*published, flat)


def calendar_with_new_years(
    calendar: Mapping[str, Sequence[str]], published: Mapping[int, PublicHolidays]
) -> tuple[dict[str, list[str]], list[int]] | None:
    """A stored tariff calendar (``{"holidays": [...], "workdays": [...]}``, ISO dates) with
    the published years it has no day of added; None when there is none to add.

    A year counts as present when the stored calendar has any holiday or workday in it: the
    tariff's own reading of that year stands.
    """
    holidays = {date.fromisoformat(d) for d in calendar.get("holidays", ())}
    workdays = {date.fromisoformat(d) for d in calendar.get("workdays", ())}
    present = {d.year for d in holidays | workdays}
    new_years = sorted(set(published) - present)
    if not new_years:
        return None
    for year in new_years:
        holidays |= published[year].holidays
        workdays |= published[year].workdays
    extended = {
        "holidays": sorted(d.isoformat() for d in holidays),
        "workdays": sorted(d.isoformat() for d in workdays),
    }
    return extended, new_years


def _years_text(years: Sequence[int]) -> str:
    return str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"


def _extend_calendar(session: Session, tariff_id: str) -> str | None:
    """Store the next version of a tariff with the newly published years; "tariff vN" or None."""
    latest = repo.latest_version(session, tariff_id)
    row = None if latest is None else repo.tariff_version(session, tariff_id, latest)
    if row is None:
        return None
    found = calendar_with_new_years(row.document.get("calendar", {}), CN_PUBLIC_HOLIDAYS)
    if found is None:
        return None
    calendar, years = found
    document: dict[str, Any] = {**row.document, "version": row.version + 1, "calendar": calendar}
    document["reason"] = (
        f"public holidays and adjusted working days of {_years_text(years)} ({CN_HOLIDAYS_SOURCE})"
    )
    add_version(session, SYSTEM, document)
    return f"{tariff_id} v{row.version + 1}"


def seed_rating(
    session: Session, destinations: Sequence[Destination] | None = None
) -> RatingSeedReport:
    """Store the destination set, the tariffs, the bundle allowance and the bindings.

    ``destinations`` replaces the generated Chinese table (121,335 prefixes) with another
    one, e.g. a small table for tests.
    """
    report = RatingSeedReport()
    table = tuple(destinations) if destinations is not None else cn_destinations()
    report.destinations = len(table)
    report.destinations_stored = save_destination_set(
        session, DESTINATION_SET, "China: area codes, mobile blocks, countries", table
    )
    for tariff in seed_tariffs():
        if repo.latest_version(session, tariff.id) is None:
            add_version(session, SYSTEM, tariff_document(tariff, DESTINATION_SET))
            report.tariffs_created.append(tariff.id)
        elif (extended := _extend_calendar(session, tariff.id)) is not None:
            report.calendars_extended.append(extended)
    save_allowance(session, SYSTEM, allowance_document(_BUNDLE_ALLOWANCE, "套餐含本地通话100分钟"))
    price_ids = catalog.price_ids_by_code(session, BINDINGS)
    for code, (tariff_id, allowance_ids) in BINDINGS.items():
        price_id = price_ids.get(code)
        if price_id is None or session.get(PriceBinding, price_id) is not None:
            continue
        bind_price(session, SYSTEM, price_id, tariff_id, allowance_ids)
        report.bindings_created.append(code)
    session.flush()
    return report
