"""Seeding the rating data of the master catalog: China Telecom's 2005 tariffs as data.

Idempotent like the catalog seed: the destination set is stored again only when its content
changed, a tariff gets version 1 only when it has no version at all (a correction loaded
since is never overwritten), and bindings are set only where a price has none. Needs the
catalog (``catalog.seed.seed_catalog``) first: bindings name its prices by code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

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
