"""China Telecom's 2005 tariffs as rating contract objects (docs/domain/tariffs.md).

Every number comes from reference data: the prices from :mod:`openbss.refdata.ct2005` (the
table the master catalog is built from too), the province's area codes, mobile blocks and
destination prefixes from :mod:`openbss.refdata.numbering`, the holidays from
:mod:`openbss.refdata.calendars`. What is decided here is how rating reads them: which rule
prices which call, and in which order.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time
from functools import lru_cache

from openbss.rating.contract import (
    FREE,
    BandCrossing,
    Calendar,
    Charge,
    DayType,
    Destination,
    Direction,
    RateRule,
    Service,
    Tariff,
    TimeBand,
    Zone,
)
from openbss.refdata import ct2005 as prices
from openbss.refdata.calendars import PublicHolidays, cn_public_holidays
from openbss.refdata.numbering import GUANGDONG_AREA_CODES, destination_prefixes


def cn_calendar(years: Iterable[int] | None = None) -> Calendar:
    """China's public holidays and adjusted working days of ``years`` (every published year
    if None) as a rating calendar."""
    days: PublicHolidays = cn_public_holidays(years)
    return Calendar(holidays=days.holidays, workdays=days.workdays)


# Public holidays of 2005 and the weekend days worked in exchange.
CN_CALENDAR_2005 = cn_calendar([2005])
# Every published year: the calendar the tariffs are published with. A year added to the
# reference data reaches a stored tariff as its next version (``rating.seed``), never by
# changing a version that has rated usage.
CN_CALENDAR = cn_calendar()

CT2005_EFFECTIVE_FROM = prices.EFFECTIVE_FROM

FIXED_TARIFF_ID = "CT2005-FIXED"
PHS_TARIFF_ID = "CT2005-PHS"
ADSL_TIME_TARIFF_ID = "CT2005-ADSL-TIME"
DATA_VOLUME_TARIFF_ID = "CT2005-DATA"
IP_ACCESS_CODE = prices.IP_ACCESS_CODE

BAND_NIGHT = "night"
BAND_DAY = "day"
BAND_WEEKEND = "weekend"
BAND_HOLIDAY = "holiday"

# The night band ends where the day, weekend and holiday bands begin (and they run to midnight).
CT2005_BANDS: tuple[TimeBand, ...] = (
    TimeBand(BAND_NIGHT, prices.NIGHT_FROM, prices.NIGHT_TO),
    TimeBand(BAND_HOLIDAY, prices.NIGHT_TO, time(0), frozenset({DayType.HOLIDAY})),
    TimeBand(BAND_WEEKEND, prices.NIGHT_TO, time(0), frozenset({DayType.WEEKEND})),
    TimeBand(BAND_DAY, prices.NIGHT_TO, time(0), frozenset({DayType.WEEKDAY})),
)


def _per_step(rate: prices.UsageRate) -> Charge:
    """Every started block of ``rate`` from the first second."""
    return Charge(step_s=rate.seconds, step_li=rate.li)


LOCAL_CALL = Charge(
    first_block_s=prices.LOCAL_FIRST_BLOCK.seconds,
    first_block_li=prices.LOCAL_FIRST_BLOCK.li,
    step_s=prices.LOCAL_NEXT_MINUTE.seconds,
    step_li=prices.LOCAL_NEXT_MINUTE.li,
)
DDD_DAY = _per_step(prices.DDD_DAY)
DDD_NIGHT = _per_step(prices.DDD_NIGHT)
INTERNATIONAL = _per_step(prices.INTERNATIONAL)
HK_MO_TW = _per_step(prices.HK_MO_TW)
IP_LONG_DISTANCE = _per_step(prices.IP_LONG_DISTANCE)
PHS_BETWEEN_AREAS = _per_step(prices.PHS_BETWEEN_AREAS)
SMS_MESSAGE = Charge(event_li=prices.SMS.li)
ADSL_PER_MINUTE = _per_step(prices.ADSL_BY_TIME)
DATA_PER_MB = Charge(
    volume_unit_bytes=prices.DATA_BY_VOLUME.bytes, volume_unit_li=prices.DATA_BY_VOLUME.li
)
# Incoming calls cost nothing and count their seconds as they are: the free charge, not a
# zero-priced minute (which would round the units up to whole minutes).
INCOMING = FREE if prices.INCOMING.li == 0 else _per_step(prices.INCOMING)


@lru_cache(maxsize=4)
def cn_destinations(mobile_zone: Zone = Zone.LOCAL) -> tuple[Destination, ...]:
    """The Chinese destination table (``refdata.numbering.destination_prefixes``) as contract
    objects; mobile number blocks without a home area get ``mobile_zone``. Sorted by prefix."""
    return tuple(
        Destination(
            entry.prefix,
            entry.name,
            zone=None if entry.zone is None else Zone(entry.zone),
            area_code=entry.area_code,
        )
        for entry in destination_prefixes(mobile_zone)
    )


def _rule(
    service: Service,
    charge: Charge,
    name: str,
    *,
    zone: Zone | None = None,
    band: str | None = None,
    direction: Direction | None = Direction.MO,
    ip: str | None = None,
) -> RateRule:
    return RateRule(service, zone, band, direction, ip, charge, name)


def _voice_rules(
    local: Charge, intra: tuple[RateRule, ...], ddd_offpeak_day_types: Iterable[str]
) -> tuple[RateRule, ...]:
    """Voice and SMS rules shared by the fixed-line and PHS tariffs (first match wins)."""
    offpeak_bands = [BAND_NIGHT] + [
        {DayType.WEEKEND: BAND_WEEKEND, DayType.HOLIDAY: BAND_HOLIDAY}[DayType(d)]
        for d in sorted(ddd_offpeak_day_types)
        if d != DayType.WEEKDAY
    ]
    voice = Service.VOICE
    ddd: list[RateRule] = []
    for zone in (Zone.INTRA_PROVINCE, Zone.INTER_PROVINCE):
        if zone == Zone.INTRA_PROVINCE and intra:
            continue  # the tariff prices intra-province calls its own way
        ddd += [_rule(voice, DDD_NIGHT, "ddd", zone=zone, band=b) for b in offpeak_bands]
        ddd.append(_rule(voice, DDD_DAY, "ddd", zone=zone))
    return (
        _rule(voice, INCOMING, "incoming free", direction=Direction.MT),
        _rule(voice, IP_LONG_DISTANCE, "ip", zone=Zone.INTRA_PROVINCE, ip=IP_ACCESS_CODE),
        _rule(voice, IP_LONG_DISTANCE, "ip", zone=Zone.INTER_PROVINCE, ip=IP_ACCESS_CODE),
        _rule(voice, local, "local", zone=Zone.LOCAL),
        *intra,
        *ddd,
        _rule(voice, INTERNATIONAL, "intl", zone=Zone.INTERNATIONAL),
        _rule(voice, HK_MO_TW, "hkMoTw", zone=Zone.HK_MO_TW),
        _rule(voice, FREE, "service numbers free", zone=Zone.SPECIAL, direction=None),
        _rule(Service.SMS, SMS_MESSAGE, "sms"),
        _rule(Service.SMS, FREE, "sms incoming free", direction=Direction.MT),
    )


def china_telecom_2005(
    *,
    province_area_codes: frozenset[str] = GUANGDONG_AREA_CODES,
    mobile_zone: Zone = Zone.LOCAL,
    band_crossing: BandCrossing = BandCrossing.START,
    ddd_offpeak_day_types: frozenset[str] = frozenset(),
    calendar: Calendar = CN_CALENDAR,
    version: int = 1,
    effective_from: datetime = CT2005_EFFECTIVE_FROM,
    effective_to: datetime | None = None,
) -> tuple[Tariff, ...]:
    """The China Telecom 2005 tariffs (docs/domain/tariffs.md): fixed line, PHS, ADSL by time,
    data by volume.

    The prices are those of ``refdata.ct2005``; the rules:

    - fixed local: a first block, then each started minute;
    - DDD (intra- and inter-province): per started 6 s, cheaper at night;
      ``ddd_offpeak_day_types`` extends the night rate to whole weekend / holiday days
      (off by default: the published tariff discounts only the night);
    - international; Hong Kong, Macao, Taiwan: per started 6 s;
    - IP long distance dialled with 17909: per started minute, domestic only;
    - PHS: local as fixed, calls to other local networks of the province per started minute
      (read as the published "between local areas"), incoming free;
    - SMS per message; incoming calls and messages free; service numbers free;
    - ADSL by time per started minute; data per started MB.
    """
    destinations = cn_destinations(mobile_zone)

    def tariff(tariff_id: str, name: str, rules: tuple[RateRule, ...]) -> Tariff:
        return Tariff(
            id=tariff_id,
            version=version,
            effective_from=effective_from,
            effective_to=effective_to,
            province_area_codes=province_area_codes,
            destinations=destinations,
            bands=CT2005_BANDS,
            calendar=calendar,
            band_crossing=band_crossing,
            rules=rules,
            name=name,
        )

    phs_intra = (_rule(Service.VOICE, PHS_BETWEEN_AREAS, "phs", zone=Zone.INTRA_PROVINCE),)
    return (
        tariff(FIXED_TARIFF_ID, "固定电话", _voice_rules(LOCAL_CALL, (), ddd_offpeak_day_types)),
        tariff(PHS_TARIFF_ID, "小灵通", _voice_rules(LOCAL_CALL, phs_intra, ddd_offpeak_day_types)),
        tariff(
            ADSL_TIME_TARIFF_ID,
            "ADSL 计时",
            (_rule(Service.DATA, ADSL_PER_MINUTE, "adsl", direction=None),),
        ),
        tariff(
            DATA_VOLUME_TARIFF_ID,
            "数据流量",
            (_rule(Service.DATA, DATA_PER_MB, "data", direction=None),),
        ),
    )
