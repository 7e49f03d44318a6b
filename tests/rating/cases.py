"""Rating conformance cases: plain data that any rating engine can run.

Each :class:`Case` holds usage events, the rating plan they are rated under, the allowance
balances before them, and the expected outcome per event, worked out by hand in the comment
beside it. The tariffs are the China Telecom tariffs of docs/domain/tariffs.md of 2005 as built by
:func:`openbss.rating.ct2005.china_telecom_2005`, a few of them varied (connection fee, cap,
tiers, off-peak days) where a rule needs exercising. The subscriber ``gz-fixed`` is a
Guangzhou (020) fixed line; Shenzhen (0755) is in the same province, Beijing (010) is not.

Times are written in Beijing local time (``bj``) and stored as UTC, as engines receive them.
Calendar of 2005 used below: 2 March is a Wednesday, 5 March a Saturday, 1–7 October public
holidays (1 October a Saturday), 8 October a Saturday worked in exchange.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from openbss.rating.contract import (
    BYTES_PER_MB,
    Allowance,
    AllowanceState,
    Assignment,
    BandCrossing,
    Charge,
    DayType,
    Direction,
    PoolBalance,
    PoolKey,
    RateRule,
    RatingError,
    RatingPlan,
    Service,
    Tariff,
    Tier,
    UsageEvent,
    Zone,
)
from openbss.rating.ct2005 import (
    ADSL_TIME_TARIFF_ID,
    BAND_DAY,
    BAND_HOLIDAY,
    BAND_NIGHT,
    BAND_WEEKEND,
    DATA_VOLUME_TARIFF_ID,
    FIXED_TARIFF_ID,
    IP_ACCESS_CODE,
    PHS_TARIFF_ID,
    china_telecom_2005,
    cn_calendar,
)

BEIJING = ZoneInfo("Asia/Shanghai")
MB = BYTES_PER_MB

LOCAL, INTRA, INTER = Zone.LOCAL, Zone.INTRA_PROVINCE, Zone.INTER_PROVINCE
INTL, HKMOTW, SPECIAL = Zone.INTERNATIONAL, Zone.HK_MO_TW, Zone.SPECIAL
NIGHT, DAY, WEEKEND, HOLIDAY = BAND_NIGHT, BAND_DAY, BAND_WEEKEND, BAND_HOLIDAY

# Called numbers (E.164) and the prefix each must match.
GZ = "+862087654321"  # 8620 Guangzhou
GZ2 = "+862012345678"
SZ = "+8675512345678"  # 86755 Shenzhen
BJ = "+861065529988"  # 8610 Beijing
TJ = "+862223456789"  # 8622 Tianjin
SHENYANG_SUB = "+862410012345"  # 8624100, a sub-prefix of 8624 (Shenyang)
US = "+14155550100"  # 1
UK = "+442079460000"  # 44
KP = "+85012345678"  # 850: international, not 852
HK = "+85221234567"  # 852
MO = "+85328123456"  # 853
TW = "+886223456789"  # 886
GZ_MOBILE = "+8613922212345"  # 86139222, home Guangzhou
SZ_MOBILE = "+8613005412345"  # 86130054, home Shenzhen
BJ_MOBILE = "+8613800138000"  # 86138001, home Beijing
BLOCK_MOBILE = "+8619912345678"  # only the block 86199 matches: the tariff's mobile zone
POLICE = "+86110"
CT_SERVICE = "+8610000"
UNKNOWN_CN = "+860012345678"  # no Chinese prefix starts 860
UNKNOWN_CC = "+99912345"  # 999 is no country code


def bj(month: int, day: int, hour: int = 10, minute: int = 0, second: int = 0) -> datetime:
    """An instant of 2005 given in Beijing local time, as UTC."""
    local = datetime(2005, month, day, hour, minute, second, tzinfo=BEIJING)
    return local.astimezone(UTC)


WED = (3, 2)  # a weekday
SAT = (3, 5)  # a weekend day
NATIONAL_DAY = (10, 3)  # a Monday, public holiday
SWAPPED_WORKDAY = (10, 8)  # a Saturday worked in exchange


@dataclass(frozen=True, slots=True)
class Expected:
    """The expected outcome of one event. ``units``, ``matched_prefix``, ``tariff_version``
    and ``allowance_id`` are checked only when given; the other fields always."""

    record_id: str
    amount_li: int
    zone: Zone | None
    band: str | None
    error: str | None = None
    allowance_used: int = 0
    units: int | None = None
    matched_prefix: str | None = None
    tariff_version: int | None = None
    allowance_id: str | None = None


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    events: tuple[UsageEvent, ...]
    plan: RatingPlan
    expected: tuple[Expected, ...]
    opening: tuple[tuple[PoolKey, int, int], ...] = ()  # (pool, fresh, carried)

    def opening_state(self) -> AllowanceState:
        """A fresh allowance state holding the opening balances."""
        return AllowanceState(
            {key: PoolBalance(fresh, carried) for key, fresh, carried in self.opening}
        )


# --- plans --------------------------------------------------------------------------------

ASSIGNED_FROM = datetime(2004, 1, 1, tzinfo=UTC)  # before the tariffs start, so they gate
SUBSCRIBERS: dict[str, str] = {
    "gz-fixed": FIXED_TARIFF_ID,
    "sz-fixed": FIXED_TARIFF_ID,
    "bj-fixed": FIXED_TARIFF_ID,
    "gz-phs": PHS_TARIFF_ID,
    "adsl": ADSL_TIME_TARIFF_ID,
    "data": DATA_VOLUME_TARIFF_ID,
}
CT = china_telecom_2005()


def plan(
    tariffs: Sequence[Tariff] = CT,
    *,
    allowances: Sequence[Allowance] = (),
    allowance_ids: Sequence[str] = (),
    extra: Sequence[Assignment] = (),
) -> RatingPlan:
    """The standard subscribers on their tariffs, each with ``allowance_ids``."""
    assignments = tuple(extra) + tuple(
        Assignment(sub, tariff_id, ASSIGNED_FROM, allowance_ids=tuple(allowance_ids))
        for sub, tariff_id in SUBSCRIBERS.items()
    )
    return RatingPlan(tuple(tariffs), assignments, tuple(allowances))


def recharge(
    tariffs: Sequence[Tariff],
    when: Callable[[RateRule], bool],
    change: Callable[[Charge], Charge],
) -> tuple[Tariff, ...]:
    """The tariffs with ``change`` applied to the charge of every rule ``when`` selects."""
    return tuple(
        replace(
            t,
            rules=tuple(replace(r, charge=change(r.charge)) if when(r) else r for r in t.rules),
        )
        for t in tariffs
    )


def is_ddd(rule: RateRule) -> bool:
    return rule.name == "ddd"


def is_local(rule: RateRule) -> bool:
    return rule.name == "local"


def with_tiers(tariffs: Sequence[Tariff], *tiers: Tier) -> tuple[Tariff, ...]:
    return tuple(replace(t, tiers=tiers) for t in tariffs)


STANDARD = plan()
SPLIT = plan(china_telecom_2005(band_crossing=BandCrossing.SPLIT))
OFFPEAK = plan(
    china_telecom_2005(ddd_offpeak_day_types=frozenset({DayType.WEEKEND, DayType.HOLIDAY}))
)
OFFPEAK_SPLIT = plan(
    china_telecom_2005(
        band_crossing=BandCrossing.SPLIT,
        ddd_offpeak_day_types=frozenset({DayType.WEEKEND, DayType.HOLIDAY}),
    )
)


# --- events -------------------------------------------------------------------------------


def call(
    record_id: str,
    called: str,
    at: datetime,
    duration_s: int,
    *,
    sub: str = "gz-fixed",
    area: str | None = "020",
    account: str = "acc-gz",
    direction: Direction = Direction.MO,
    ip: str | None = None,
    product: str | None = None,
) -> UsageEvent:
    return UsageEvent(
        record_id=record_id,
        subscriber=sub,
        account_id=account,
        product_id=product,
        event_time=at,
        duration_s=duration_s,
        service=Service.VOICE,
        direction=direction,
        calling="+86" + (area or "0")[1:] + "88886666",
        called=called,
        ip_access_code=ip,
        calling_area_code=area,
    )


def sms(
    record_id: str, called: str, at: datetime, *, sub: str = "gz-phs", mt: bool = False
) -> UsageEvent:
    return UsageEvent(
        record_id=record_id,
        subscriber=sub,
        account_id="acc-gz",
        event_time=at,
        service=Service.SMS,
        direction=Direction.MT if mt else Direction.MO,
        called=called,
        calling_area_code="020",
    )


def data(
    record_id: str, at: datetime, *, volume: int = 0, duration_s: int = 0, sub: str = "data"
) -> UsageEvent:
    return UsageEvent(
        record_id=record_id,
        subscriber=sub,
        account_id="acc-gz",
        event_time=at,
        service=Service.DATA,
        duration_s=duration_s,
        volume_bytes=volume,
        calling_area_code="020",
    )


CASES: list[Case] = []


def case(
    name: str,
    events: Sequence[UsageEvent],
    expected: Sequence[Expected],
    rating_plan: RatingPlan = STANDARD,
    opening: Sequence[tuple[PoolKey, int, int]] = (),
) -> None:
    CASES.append(Case(name, tuple(events), rating_plan, tuple(expected), tuple(opening)))


def one(
    name: str,
    event: UsageEvent,
    amount_li: int,
    zone: Zone | None,
    band: str | None,
    rating_plan: RatingPlan = STANDARD,
    **more: object,
) -> None:
    """A case of a single event."""
    expected = Expected(event.record_id, amount_li, zone, band, **more)  # type: ignore[arg-type]
    case(name, [event], [expected], rating_plan)


AT = bj(*WED)  # Wednesday 2 March 2005, 10:00 Beijing
NIGHT_AT = bj(*WED, 3)  # 03:00


# --- local calls: 0.22 for the first 3 minutes, then 0.11 per started minute ------------

one("local 1 s", call("r", GZ, AT, 1), 220, LOCAL, DAY, units=180, matched_prefix="8620")
# 65 s lies inside the first block: 220
one("local 65 s", call("r", GZ, AT, 65), 220, LOCAL, DAY, units=180)
one("local 180 s", call("r", GZ, AT, 180), 220, LOCAL, DAY, units=180)
# 181 s: first block 220 + one started minute (1 s) 110 = 330
one("local 181 s", call("r", GZ, AT, 181), 330, LOCAL, DAY, units=240)
# 240 s: 220 + one full minute 110 = 330
one("local 240 s", call("r", GZ, AT, 240), 330, LOCAL, DAY, units=240)
# 241 s: 220 + two started minutes (60 + 1) = 440
one("local 241 s", call("r", GZ, AT, 241), 440, LOCAL, DAY, units=300)
# 600 s: 220 + ceil(420 / 60) = 7 minutes × 110 = 990
one("local 600 s", call("r", GZ, AT, 600), 990, LOCAL, DAY, units=600)
# 3600 s: 220 + 57 × 110 = 6490
one("local 1 hour", call("r", GZ, AT, 3600), 6490, LOCAL, DAY, units=3600)
# local calls have no night rate: 220 at 03:00, band reported as night
one("local at night", call("r", GZ2, NIGHT_AT, 65), 220, LOCAL, NIGHT)
one("local on a weekend", call("r", GZ, bj(*SAT), 181), 330, LOCAL, WEEKEND)
one("local on a holiday", call("r", GZ, bj(*NATIONAL_DAY), 181), 330, LOCAL, HOLIDAY)
# an unanswered call costs nothing and has no units
one("local zero duration", call("r", GZ, AT, 0), 0, LOCAL, DAY, units=0)
# Beijing subscriber to Beijing: local from any area code
one("local in Beijing", call("r", BJ, AT, 65, sub="bj-fixed", area="010"), 220, LOCAL, DAY)
# Shenzhen subscriber to Shenzhen
one("local in Shenzhen", call("r", SZ, AT, 181, sub="sz-fixed", area="0755"), 330, LOCAL, DAY)


# --- DDD: 0.07 per started 6 s, 00:00–07:00 0.04 ------------------------------------------

# 61 s at 10:00: ceil(61 / 6) = 11 steps × 70 = 770
one("ddd inter 61 s day", call("r", BJ, AT, 61), 770, INTER, DAY, units=66, matched_prefix="8610")
# 61 s at 03:00: 11 × 40 = 440
one("ddd inter 61 s night", call("r", BJ, NIGHT_AT, 61), 440, INTER, NIGHT, units=66)
# Guangzhou → Shenzhen is intra-province: same DDD price, 770
one("ddd intra 61 s day", call("r", SZ, AT, 61), 770, INTRA, DAY, matched_prefix="86755")
one("ddd intra 61 s night", call("r", SZ, NIGHT_AT, 61), 440, INTRA, NIGHT)
one("ddd 1 s", call("r", BJ, AT, 1), 70, INTER, DAY, units=6)  # one started step
one("ddd 6 s", call("r", BJ, AT, 6), 70, INTER, DAY, units=6)
one("ddd 7 s", call("r", BJ, AT, 7), 140, INTER, DAY, units=12)  # two steps
one("ddd 60 s", call("r", BJ, AT, 60), 700, INTER, DAY, units=60)  # 10 × 70
# 3600 s: 600 steps × 70 = 42000
one("ddd 1 hour", call("r", TJ, AT, 3600), 42000, INTER, DAY, units=3600)
one("ddd zero duration", call("r", BJ, AT, 0), 0, INTER, DAY, units=0)
# the last second of the night band: 1 step at 40
one("ddd at 06:59:59", call("r", BJ, bj(*WED, 6, 59, 59), 1), 40, INTER, NIGHT)
one("ddd at 07:00:00", call("r", BJ, bj(*WED, 7), 1), 70, INTER, DAY)
# the band is read in Beijing time: 22:30 UTC on 1 March is 06:30 on 2 March → night
one(
    "ddd band in local time, night",
    call("r", BJ, datetime(2005, 3, 1, 22, 30, tzinfo=UTC), 6),
    40,
    INTER,
    NIGHT,
)
# 23:30 UTC on 1 March is 07:30 on 2 March → day
one(
    "ddd band in local time, day",
    call("r", BJ, datetime(2005, 3, 1, 23, 30, tzinfo=UTC), 6),
    70,
    INTER,
    DAY,
)
# the longest prefix 8624100 (not 8624) matches; Shenyang is another province
one("ddd sub-prefix", call("r", SHENYANG_SUB, AT, 6), 70, INTER, DAY, matched_prefix="8624100")
# Shenzhen subscriber to Guangzhou: intra-province, 770
one("ddd from Shenzhen", call("r", GZ, AT, 61, sub="sz-fixed", area="0755"), 770, INTRA, DAY)
# Beijing subscriber to Tianjin: neither in the tariff's province → inter-province
one("ddd Beijing to Tianjin", call("r", TJ, AT, 61, sub="bj-fixed", area="010"), 770, INTER, DAY)
# Beijing subscriber to Guangzhou: inter-province even though Guangzhou is in the province
one("ddd Beijing to Guangzhou", call("r", GZ, AT, 61, sub="bj-fixed", area="010"), 770, INTER, DAY)


# --- band crossing: "start" rates by the start band, "split" cuts at the boundary ---------

# 06:59:30 + 60 s under "start": 10 steps at the night rate = 400
one("crossing 07:00 start", call("r", BJ, bj(*WED, 6, 59, 30), 60), 400, INTER, NIGHT, units=60)
# under "split": night 30 s → 5 × 40 = 200; day 30 s → 5 × 70 = 350; total 550
one(
    "crossing 07:00 split",
    call("r", BJ, bj(*WED, 6, 59, 30), 60),
    550,
    INTER,
    NIGHT,
    SPLIT,
    units=60,
)
# 06:59:57 + 10 s under "start": 2 steps × 40 = 80
one("crossing uneven start", call("r", BJ, bj(*WED, 6, 59, 57), 10), 80, INTER, NIGHT, units=12)
# under "split": night 3 s → 1 step 40; day 7 s → 2 steps 140 (each part rounded up) = 180
one(
    "crossing uneven split",
    call("r", BJ, bj(*WED, 6, 59, 57), 10),
    180,
    INTER,
    NIGHT,
    SPLIT,
    units=18,
)
# 23:59:30 + 60 s across midnight under "start": 10 × 70 = 700
one("midnight start", call("r", BJ, bj(*WED, 23, 59, 30), 60), 700, INTER, DAY)
# under "split": day 30 s → 350, night 30 s → 200; total 550
one("midnight split", call("r", BJ, bj(*WED, 23, 59, 30), 60), 550, INTER, DAY, SPLIT)
# 06:30 + 3600 s under "start": 600 × 40 = 24000
one("hour across 07:00 start", call("r", BJ, bj(*WED, 6, 30), 3600), 24000, INTER, NIGHT)
# under "split": 1800 s night → 300 × 40 = 12000; 1800 s day → 300 × 70 = 21000; 33000
one("hour across 07:00 split", call("r", BJ, bj(*WED, 6, 30), 3600), 33000, INTER, NIGHT, SPLIT)
# a split call starting exactly on the boundary is one part: 10 × 70 = 700
one("split on the boundary", call("r", BJ, bj(*WED, 7), 60), 700, INTER, DAY, SPLIT)
# a split call inside one band: 11 × 40 = 440
one("split inside one band", call("r", BJ, NIGHT_AT, 61), 440, INTER, NIGHT, SPLIT)
# local 06:59:00 + 240 s under "split": the first block covers 0–180 s wherever they fall
# (220); the 60 s left lie in the day part: 1 minute × 110; total 330 — as under "start"
one(
    "split local first block",
    call("r", GZ, bj(*WED, 6, 59), 240),
    330,
    LOCAL,
    NIGHT,
    SPLIT,
    units=240,
)
# Saturday 06:59:30 + 60 s, split, weekend off-peak: night 200 + weekend-at-40 200 = 400
one(
    "split into off-peak weekend",
    call("r", BJ, bj(*SAT, 6, 59, 30), 60),
    400,
    INTER,
    NIGHT,
    OFFPEAK_SPLIT,
)
# the same without the off-peak weekend: night 200 + weekend-at-70 350 = 550
one("split into weekend", call("r", BJ, bj(*SAT, 6, 59, 30), 60), 550, INTER, NIGHT, SPLIT)
# Friday 4 March 23:59:30 + 60 s, split, off-peak weekends: day 350 + night 200 = 550
one(
    "split Friday midnight", call("r", BJ, bj(3, 4, 23, 59, 30), 60), 550, INTER, DAY, OFFPEAK_SPLIT
)


# --- weekends and holidays ----------------------------------------------------------------

# the published tariff has no weekend discount: 770 on Saturday 10:00
one("ddd weekend", call("r", BJ, bj(*SAT), 61), 770, INTER, WEEKEND)
# off-peak weekends: 11 × 40 = 440
one("ddd weekend off-peak", call("r", BJ, bj(*SAT), 61), 440, INTER, WEEKEND, OFFPEAK)
one("ddd holiday", call("r", BJ, bj(*NATIONAL_DAY), 61), 770, INTER, HOLIDAY)
one("ddd holiday off-peak", call("r", BJ, bj(*NATIONAL_DAY), 61), 440, INTER, HOLIDAY, OFFPEAK)
# 1 October is a Saturday and a holiday: holiday wins
one("holiday on a Saturday", call("r", BJ, bj(10, 1), 61), 440, INTER, HOLIDAY, OFFPEAK)
# 8 October is a Saturday worked in exchange: a weekday, full price 770
one("swapped workday", call("r", BJ, bj(*SWAPPED_WORKDAY), 61), 770, INTER, DAY, OFFPEAK)
# night band first, whatever the day type: 03:00 on a holiday is night, 440
one("holiday night", call("r", BJ, bj(*NATIONAL_DAY, 3), 61), 440, INTER, NIGHT)
# Spring Festival (9–15 February) is a holiday: off-peak 6 s = 40
one("spring festival", call("r", BJ, bj(2, 10, 15), 6), 40, INTER, HOLIDAY, OFFPEAK)
# 6 February 2005, a Sunday worked in exchange: weekday 70
one("spring festival workday", call("r", BJ, bj(2, 6, 15), 6), 70, INTER, DAY, OFFPEAK)


# --- holidays of later years (the calendar of every published year) -----------------------


def bj_on(year: int, month: int, day: int, hour: int = 10) -> datetime:
    """An instant of any year given in Beijing local time, as UTC."""
    return datetime(year, month, day, hour, tzinfo=BEIJING).astimezone(UTC)


# National Day 2026 (1–7 October): the holiday band, off-peak 440 where holidays are off-peak
one("2026 national day", call("r", BJ, bj_on(2026, 10, 1), 61), 770, INTER, HOLIDAY)
one(
    "2026 national day off-peak",
    call("r", BJ, bj_on(2026, 10, 1), 61),
    440,
    INTER,
    HOLIDAY,
    OFFPEAK,
)
# Spring Festival 2026 (15–23 February): 17 February, a Tuesday, is a holiday
one("2026 spring festival", call("r", GZ, bj_on(2026, 2, 17), 181), 330, LOCAL, HOLIDAY)
one("2026 spring festival ddd", call("r", BJ, bj_on(2026, 2, 17), 6), 40, INTER, HOLIDAY, OFFPEAK)
# 20 September 2026, a Sunday worked for National Day: a weekday under the tariff's calendar,
# full price 770 even where weekends are off-peak
one("2026 adjusted working sunday", call("r", BJ, bj_on(2026, 9, 20), 61), 770, INTER, DAY, OFFPEAK)
# a tariff whose calendar lists no adjusted working days leaves that Sunday a weekend: 440
NO_WORKDAYS = plan(
    tuple(replace(t, calendar=replace(t.calendar, workdays=frozenset())) for t in OFFPEAK.tariffs)
)
one(
    "sunday without adjusted workdays",
    call("r", BJ, bj_on(2026, 9, 20), 61),
    440,
    INTER,
    WEEKEND,
    NO_WORKDAYS,
)
# a tariff published with 2005's calendar only has no holidays in 2026: 1 October is a Thursday
ONLY_2005 = plan(tuple(replace(t, calendar=cn_calendar([2005])) for t in OFFPEAK.tariffs))
one(
    "2026 under the 2005 calendar",
    call("r", BJ, bj_on(2026, 10, 1), 61),
    770,
    INTER,
    DAY,
    ONLY_2005,
)


# --- international and Hong Kong / Macao / Taiwan -----------------------------------------

one("intl 6 s", call("r", US, AT, 6), 800, INTL, DAY, matched_prefix="1")
one("intl 1 s", call("r", UK, AT, 1), 800, INTL, DAY, matched_prefix="44")
# 61 s: 11 × 800 = 8800
one("intl 61 s", call("r", US, AT, 61), 8800, INTL, DAY, units=66)
# no night discount: 8800 at 03:00
one("intl at night", call("r", UK, NIGHT_AT, 61), 8800, INTL, NIGHT)
one("intl zero duration", call("r", US, AT, 0), 0, INTL, DAY)
# 850 (North Korea) is international; 852 would be Hong Kong
one("intl 850 is not 852", call("r", KP, AT, 6), 800, INTL, DAY, matched_prefix="850")
# Hong Kong 61 s: 11 × 200 = 2200
one("hong kong 61 s", call("r", HK, AT, 61), 2200, HKMOTW, DAY, matched_prefix="852")
one("macao 6 s", call("r", MO, AT, 6), 200, HKMOTW, DAY, matched_prefix="853")
# Taiwan 13 s: 3 × 200 = 600
one("taiwan 13 s", call("r", TW, AT, 13), 600, HKMOTW, DAY, matched_prefix="886")
# an international call needs no calling area code: 800
one("intl without calling area", call("r", US, AT, 6, area=None), 800, INTL, DAY)


# --- IP long distance 17909: 0.30 per started minute, domestic only -----------------------

# 61 s: 2 started minutes × 300 = 600
one("ip inter 61 s", call("r", BJ, AT, 61, ip=IP_ACCESS_CODE), 600, INTER, DAY, units=120)
one("ip inter 60 s", call("r", BJ, AT, 60, ip=IP_ACCESS_CODE), 300, INTER, DAY, units=60)
one("ip intra 30 s", call("r", SZ, AT, 30, ip=IP_ACCESS_CODE), 300, INTRA, DAY)
# IP has no night rate: 600 at 03:00
one("ip at night", call("r", BJ, NIGHT_AT, 61, ip=IP_ACCESS_CODE), 600, INTER, NIGHT)
# 17909 before a local number changes nothing: local 220
one("ip to a local number", call("r", GZ, AT, 65, ip=IP_ACCESS_CODE), 220, LOCAL, DAY)
# 17909 before an international number: the international rule, 800
one("ip to international", call("r", US, AT, 6, ip=IP_ACCESS_CODE), 800, INTL, DAY)
one("ip zero duration", call("r", BJ, AT, 0, ip=IP_ACCESS_CODE), 0, INTER, DAY)
# another carrier's access code selects no IP rule: DDD 11 × 70 = 770
one("other access code", call("r", BJ, AT, 61, ip="17951"), 770, INTER, DAY)
# 10 minutes: 10 × 300 = 3000 (DDD would be 7000)
one("ip 10 minutes", call("r", TJ, AT, 600, ip=IP_ACCESS_CODE), 3000, INTER, DAY)


# --- PHS ----------------------------------------------------------------------------------

# incoming calls are free; units are the plain seconds
one(
    "phs incoming free",
    call("r", GZ, AT, 600, direction=Direction.MT, sub="gz-phs"),
    0,
    LOCAL,
    DAY,
    units=600,
)
one(
    "phs incoming international free",
    call("r", US, AT, 600, direction=Direction.MT, sub="gz-phs"),
    0,
    INTL,
    DAY,
)
# local as fixed: 220 + 110 = 330
one("phs local 181 s", call("r", GZ, AT, 181, sub="gz-phs"), 330, LOCAL, DAY)
# another local network of the province: 2 started minutes × 300 = 600
one("phs between areas 61 s", call("r", SZ, AT, 61, sub="gz-phs"), 600, INTRA, DAY, units=120)
# no night rate between areas: 600 at 03:00
one("phs between areas night", call("r", SZ, NIGHT_AT, 61, sub="gz-phs"), 600, INTRA, NIGHT)
# other provinces at DDD rates: 770 by day, 440 by night
one("phs inter-province day", call("r", BJ, AT, 61, sub="gz-phs"), 770, INTER, DAY)
one("phs inter-province night", call("r", BJ, NIGHT_AT, 61, sub="gz-phs"), 440, INTER, NIGHT)
# 17909 from a PHS to Beijing: IP 2 minutes × 300 = 600
one("phs ip", call("r", BJ, AT, 61, ip=IP_ACCESS_CODE, sub="gz-phs"), 600, INTER, DAY)
one("phs hong kong", call("r", HK, AT, 12, sub="gz-phs"), 400, HKMOTW, DAY)  # 2 × 200
# fixed lines do not pay for incoming calls either
one("fixed incoming free", call("r", BJ, AT, 600, direction=Direction.MT), 0, INTER, DAY)


# --- special numbers, mobiles -------------------------------------------------------------

one("police free", call("r", POLICE, AT, 120), 0, SPECIAL, DAY, matched_prefix="86110")
# 8610000 is longer than Beijing's 8610: customer service, free
one(
    "service number beats area code",
    call("r", CT_SERVICE, AT, 120),
    0,
    SPECIAL,
    DAY,
    matched_prefix="8610000",
)
# a Guangzhou mobile: local, 220
one("mobile local", call("r", GZ_MOBILE, AT, 65), 220, LOCAL, DAY, matched_prefix="86139222")
# a Shenzhen mobile: intra-province DDD, 770
one("mobile intra", call("r", SZ_MOBILE, AT, 61), 770, INTRA, DAY, matched_prefix="86130054")
# a Beijing mobile: inter-province DDD, 770
one("mobile inter", call("r", BJ_MOBILE, AT, 61), 770, INTER, DAY, matched_prefix="86138001")
# a block without a known home area: the tariff's mobile zone (local): 330
one("mobile block", call("r", BLOCK_MOBILE, AT, 181), 330, LOCAL, DAY, matched_prefix="86199")
# the tariff may price unknown-home mobiles as inter-province instead: 770
one(
    "mobile block as DDD",
    call("r", BLOCK_MOBILE, AT, 61),
    770,
    INTER,
    DAY,
    plan(china_telecom_2005(mobile_zone=INTER)),
)


# --- errors: rated at 0 and counted, never dropped ----------------------------------------

one(
    "unknown chinese destination",
    call("r", UNKNOWN_CN, AT, 60),
    0,
    None,
    None,
    error=RatingError.UNKNOWN_DESTINATION,
    tariff_version=1,
)
one(
    "unknown country code",
    call("r", UNKNOWN_CC, AT, 60),
    0,
    None,
    None,
    error=RatingError.UNKNOWN_DESTINATION,
)
# a domestic destination needs the caller's area code to find its zone
one(
    "no calling area",
    call("r", BJ, AT, 60, area=None),
    0,
    None,
    None,
    error=RatingError.UNKNOWN_DESTINATION,
    matched_prefix="8610",
)
one(
    "subscriber without tariff",
    call("r", GZ, AT, 60, sub="nobody"),
    0,
    None,
    None,
    error=RatingError.NO_TARIFF,
)
# 31 December 2004 23:59:59 Beijing: the 2005 tariff is not yet in force
one(
    "before the tariff",
    call("r", GZ, bj(1, 1, 0) - timedelta(seconds=1), 60),
    0,
    None,
    None,
    error=RatingError.NO_TARIFF,
)
# 1 January 2005 00:00:00 Beijing: in force (and a holiday night): 220
one(
    "first second of the tariff",
    call("r", GZ, bj(1, 1, 0), 60),
    220,
    LOCAL,
    NIGHT,
    tariff_version=1,
)
# the assignment ended on 1 March: no tariff on 2 March
ENDED = plan(extra=[Assignment("gone", FIXED_TARIFF_ID, ASSIGNED_FROM, bj(3, 1, 0))])
one(
    "assignment ended",
    call("r", GZ, AT, 60, sub="gone"),
    0,
    None,
    None,
    ENDED,
    error=RatingError.NO_TARIFF,
)
# a data session on the fixed-line tariff: no rule
one("no rule", data("r", AT, volume=MB, sub="gz-fixed"), 0, None, DAY, error=RatingError.NO_RULE)
# a call on the data tariff: no rule (the destination and zone are still reported)
one("no voice rule", call("r", GZ, AT, 60, sub="data"), 0, LOCAL, DAY, error=RatingError.NO_RULE)
# an error among good events changes none of them: 220, error, 770
case(
    "errors do not disturb a batch",
    [call("a", GZ, AT, 65), call("b", UNKNOWN_CN, AT, 65), call("c", BJ, AT, 61)],
    [
        Expected("a", 220, LOCAL, DAY),
        Expected("b", 0, None, None, RatingError.UNKNOWN_DESTINATION),
        Expected("c", 770, INTER, DAY),
    ],
)
# products: one subscriber, a fixed line and an ADSL line on different tariffs
PRODUCTS = plan(
    extra=[
        Assignment("multi", FIXED_TARIFF_ID, ASSIGNED_FROM, product_id="p-fixed"),
        Assignment("multi", ADSL_TIME_TARIFF_ID, ASSIGNED_FROM, product_id="p-adsl"),
    ]
)
case(
    "tariff per product",
    [
        call("voice", GZ, AT, 65, sub="multi", product="p-fixed"),  # local 220
        replace(data("adsl", AT, duration_s=61, sub="multi"), product_id="p-adsl"),  # 2 × 20
        call("other", GZ, AT, 65, sub="multi", product="p-other"),  # no assignment
    ],
    [
        Expected("voice", 220, LOCAL, DAY),
        Expected("adsl", 40, None, DAY),
        Expected("other", 0, None, None, RatingError.NO_TARIFF),
    ],
    PRODUCTS,
)


# --- tariff versions ----------------------------------------------------------------------

JULY = bj(7, 1, 0)
V1 = china_telecom_2005(effective_to=JULY)
V2 = recharge(
    china_telecom_2005(version=2, effective_from=JULY),
    is_local,
    lambda c: replace(c, step_li=100),
)
VERSIONS = plan(V1 + V2)
# 30 June 23:59 + 181 s: the version in force at the start (v1): 220 + 110 = 330
one(
    "version at start",
    call("r", GZ, bj(6, 30, 23, 59), 181),
    330,
    LOCAL,
    DAY,
    VERSIONS,
    tariff_version=1,
)
# 1 July 00:00:00: v2, 220 + 100 = 320
one("new version", call("r", GZ, JULY, 181), 320, LOCAL, NIGHT, VERSIONS, tariff_version=2)
# overlapping versions (v1 open-ended): the highest version in force wins, 320
one(
    "highest version wins",
    call("r", GZ, bj(7, 2), 181),
    320,
    LOCAL,
    WEEKEND,
    plan(CT + V2),
    tariff_version=2,
)
one(
    "old version before",
    call("r", GZ, bj(6, 30), 181),
    330,
    LOCAL,
    DAY,
    plan(CT + V2),
    tariff_version=1,
)


# --- SMS, ADSL by time, data by volume ----------------------------------------------------

one("sms", sms("r", GZ, AT), 100, LOCAL, DAY, units=1)
one("sms incoming free", sms("r", GZ, AT, mt=True), 0, LOCAL, DAY, units=1)
one("sms to hong kong", sms("r", HK, AT), 100, HKMOTW, DAY)
one(
    "sms unknown destination",
    sms("r", UNKNOWN_CN, AT),
    0,
    None,
    None,
    error=RatingError.UNKNOWN_DESTINATION,
)
case(
    "sms per event",
    [sms("a", GZ, AT), sms("b", BJ, AT + timedelta(seconds=1)), sms("c", SZ, AT)],
    [
        Expected("a", 100, LOCAL, DAY, units=1),
        Expected("b", 100, INTER, DAY, units=1),
        Expected("c", 100, INTRA, DAY, units=1),
    ],
)
one("adsl 1 s", data("r", AT, duration_s=1, sub="adsl"), 20, None, DAY)
one("adsl 60 s", data("r", AT, duration_s=60, sub="adsl"), 20, None, DAY)
one("adsl 61 s", data("r", AT, duration_s=61, sub="adsl"), 40, None, DAY)
# one hour: 60 × 20 = 1200 (1.2 yuan / hour); units are the session's bytes
one(
    "adsl 1 hour",
    data("r", AT, duration_s=3600, volume=50_000_000, sub="adsl"),
    1200,
    None,
    DAY,
    units=50_000_000,
)
one("adsl empty session", data("r", AT, sub="adsl"), 0, None, DAY, units=0)
# data: every started MB 1000
one("data 1 byte", data("r", AT, volume=1), 1000, None, DAY, units=MB)
one("data 1 MB", data("r", AT, volume=MB), 1000, None, DAY, units=MB)
one("data 1 MB + 1 byte", data("r", AT, volume=MB + 1), 2000, None, DAY, units=2 * MB)
# 10.5 MB: 11 started MB = 11000
one("data 10.5 MB", data("r", AT, volume=10 * MB + MB // 2), 11000, None, DAY, units=11 * MB)
one("data empty", data("r", AT), 0, None, DAY, units=0)
one("data at night", data("r", NIGHT_AT, volume=MB), 1000, None, NIGHT)


# --- connection fee and cap ---------------------------------------------------------------

CONNECT = plan(recharge(CT, is_ddd, lambda c: replace(c, connection_li=100)))
# 61 s: 100 + 770 = 870
one("connection fee", call("r", BJ, AT, 61), 870, INTER, DAY, CONNECT)
# an unanswered call pays no connection fee
one("connection fee zero duration", call("r", BJ, AT, 0), 0, INTER, DAY, CONNECT)
# the connection fee is once per call even when split: 100 + 200 + 350 = 650
CONNECT_SPLIT = plan(
    recharge(
        china_telecom_2005(band_crossing=BandCrossing.SPLIT),
        is_ddd,
        lambda c: replace(c, connection_li=100),
    )
)
one(
    "connection fee split", call("r", BJ, bj(*WED, 6, 59, 30), 60), 650, INTER, NIGHT, CONNECT_SPLIT
)
CAPPED = plan(recharge(CT, is_local, lambda c: replace(c, cap_li=1000)))
# 3600 s would be 6490: capped at 1000
one("cap reached", call("r", GZ, AT, 3600), 1000, LOCAL, DAY, CAPPED, units=3600)
# 600 s: 990, under the cap
one("cap not reached", call("r", GZ, AT, 600), 990, LOCAL, DAY, CAPPED)
# 660 s: 220 + 8 × 110 = 1100 → 1000
one("cap just reached", call("r", GZ, AT, 660), 1000, LOCAL, DAY, CAPPED)
CAPPED_CONNECT = plan(recharge(CT, is_local, lambda c: replace(c, cap_li=1000, connection_li=50)))
# 600 s: 50 + 990 = 1040 → the cap bounds the fee too: 1000
one("cap with connection fee", call("r", GZ, AT, 600), 1000, LOCAL, DAY, CAPPED_CONNECT)
# 300 s: 50 + 220 + 2 × 110 = 490
one("connection fee under cap", call("r", GZ, AT, 300), 490, LOCAL, DAY, CAPPED_CONNECT)
NIGHT_CAP_SPLIT = plan(
    recharge(
        china_telecom_2005(band_crossing=BandCrossing.SPLIT),
        lambda r: is_ddd(r) and r.band == NIGHT,
        lambda c: replace(c, cap_li=300),
    )
)
# split 06:59:30 + 120 s: night 200 + day 15 × 70 = 1050 → 1250, the starting (night)
# rule's cap bounds the whole call: 300
one(
    "cap of the starting rule",
    call("r", BJ, bj(*WED, 6, 59, 30), 120),
    300,
    INTER,
    NIGHT,
    NIGHT_CAP_SPLIT,
)
# starting at 07:00 the day rule has no cap: 20 × 70 = 1400
one("no cap in the day", call("r", BJ, bj(*WED, 7), 120), 1400, INTER, DAY, NIGHT_CAP_SPLIT)


# --- allowances ---------------------------------------------------------------------------


def allowance(
    allowance_id: str,
    units: int,
    zones: frozenset[Zone] | None = frozenset({LOCAL}),
    *,
    service: Service = Service.VOICE,
    shared: bool = False,
    carry: int = 0,
) -> Allowance:
    return Allowance(allowance_id, service, zones, units, shared, carry)


def with_allowances(*allowances: Allowance, tariffs: Sequence[Tariff] = CT) -> RatingPlan:
    return plan(tariffs, allowances=allowances, allowance_ids=[a.id for a in allowances])


LOCAL_600 = with_allowances(allowance("loc", 600))
# fully covered: free, 181 s used, units are the plain seconds
one(
    "allowance covers call",
    call("r", GZ, AT, 181),
    0,
    LOCAL,
    DAY,
    LOCAL_600,
    allowance_used=181,
    units=181,
    allowance_id="loc",
)
# 65 s covered exactly by a 65 s allowance
one(
    "allowance exact",
    call("r", GZ, AT, 65),
    0,
    LOCAL,
    DAY,
    with_allowances(allowance("loc", 65)),
    allowance_used=65,
    units=65,
)
# 120 s allowance, 300 s call: 120 s free, the 180 s left are a call of their own: 220;
# units 120 + 180
one(
    "allowance exhausted mid-call",
    call("r", GZ, AT, 300),
    220,
    LOCAL,
    DAY,
    with_allowances(allowance("loc", 120)),
    allowance_used=120,
    units=300,
)
# 200 s allowance, 300 s call: 100 s left → first block 220; units 200 + 180 = 380
one(
    "allowance remainder in first block",
    call("r", GZ, AT, 300),
    220,
    LOCAL,
    DAY,
    with_allowances(allowance("loc", 200)),
    allowance_used=200,
    units=380,
)
# 60 s allowance, 400 s call: 340 s left → 220 + ceil(160 / 60) = 3 × 110 = 550
one(
    "allowance remainder past first block",
    call("r", GZ, AT, 400),
    550,
    LOCAL,
    DAY,
    with_allowances(allowance("loc", 60)),
    allowance_used=60,
    units=420,
)
DDD_60 = with_allowances(allowance("ddd", 60, frozenset({INTRA, INTER})))
# DDD 100 s, 60 s covered: 40 s left → ceil(40 / 6) = 7 × 70 = 490; units 60 + 42
one(
    "ddd allowance mid-call",
    call("r", BJ, AT, 100),
    490,
    INTER,
    DAY,
    DDD_60,
    allowance_used=60,
    units=102,
)
# a local-only allowance does not cover DDD: 770
one(
    "allowance wrong zone",
    call("r", BJ, AT, 61),
    770,
    INTER,
    DAY,
    LOCAL_600,
    allowance_used=0,
    allowance_id=None,
)
ANY_600 = with_allowances(allowance("any", 600, None))
case(
    "allowance for any zone",
    [call("a", BJ, AT, 61), call("b", US, AT + timedelta(minutes=5), 6)],
    [
        Expected("a", 0, INTER, DAY, allowance_used=61, units=61),
        Expected("b", 0, INTL, DAY, allowance_used=6, units=6),
    ],
    ANY_600,
)
# an unanswered call consumes nothing
one(
    "allowance zero duration",
    call("r", GZ, AT, 0),
    0,
    LOCAL,
    DAY,
    LOCAL_600,
    allowance_used=0,
    units=0,
)
case(
    "free events do not consume",
    [
        call("in", GZ, AT, 600, direction=Direction.MT),  # incoming: free, no allowance
        call("sos", POLICE, AT + timedelta(minutes=10), 60),  # service number: free
        call("out", GZ, AT + timedelta(minutes=20), 180),  # the whole 180 s still covered
    ],
    [
        Expected("in", 0, LOCAL, DAY, units=600, allowance_id=None),
        Expected("sos", 0, SPECIAL, DAY, units=60, allowance_id=None),
        Expected("out", 0, LOCAL, DAY, allowance_used=180, allowance_id="a180"),
    ],
    with_allowances(allowance("a180", 180, None)),
)
case(
    "allowance used up by an earlier call",
    [call("a", GZ, AT, 600), call("b", GZ, AT + timedelta(minutes=15), 65)],
    [
        Expected("a", 0, LOCAL, DAY, allowance_used=600),  # all 600 s
        Expected("b", 220, LOCAL, DAY, allowance_used=0, allowance_id=None),  # full price
    ],
    LOCAL_600,
)
TWO = with_allowances(allowance("a60", 60), allowance("b600", 600))
case(
    "next allowance when the first is empty",
    [call("a", GZ, AT, 60), call("b", GZ, AT + timedelta(minutes=5), 100)],
    [
        Expected("a", 0, LOCAL, DAY, allowance_used=60, allowance_id="a60"),
        Expected("b", 0, LOCAL, DAY, allowance_used=100, allowance_id="b600"),
    ],
    TWO,
)
# only one allowance serves an event: a60 covers 60 s of 100, the 40 s left pay 220
one(
    "one allowance per event",
    call("r", GZ, AT, 100),
    220,
    LOCAL,
    DAY,
    TWO,
    allowance_used=60,
    allowance_id="a60",
    units=240,
)
DDD_30_START = with_allowances(allowance("ddd", 30, frozenset({INTER})))
DDD_30_SPLIT = with_allowances(
    allowance("ddd", 30, frozenset({INTER})),
    tariffs=china_telecom_2005(band_crossing=BandCrossing.SPLIT),
)
# 06:59:00 + 120 s, 30 s covered: the remainder is a 90 s call from 06:59:30.
# start: night 15 × 40 = 600
one(
    "allowance remainder start band",
    call("r", BJ, bj(*WED, 6, 59), 120),
    600,
    INTER,
    NIGHT,
    DDD_30_START,
    allowance_used=30,
    units=120,
)
# split: night 30 s 5 × 40 = 200, day 60 s 10 × 70 = 700 → 900
one(
    "allowance remainder split",
    call("r", BJ, bj(*WED, 6, 59), 120),
    900,
    INTER,
    NIGHT,
    DDD_30_SPLIT,
    allowance_used=30,
    units=120,
)
# 90 s covered: the remainder is 30 s from 07:00:30. Under "start" it keeps the call's
# night band: 5 × 40 = 200 (an allowance never moves a call into a dearer band)
DDD_90 = with_allowances(allowance("ddd", 90, frozenset({INTER})))
one(
    "allowance remainder keeps the start band",
    call("r", BJ, bj(*WED, 6, 59), 120),
    200,
    INTER,
    NIGHT,
    DDD_90,
    allowance_used=90,
    units=120,
)
# under "split" the remainder lies wholly in the day: 5 × 70 = 350 (band still night)
one(
    "allowance remainder in the next band split",
    call("r", BJ, bj(*WED, 6, 59), 120),
    350,
    INTER,
    NIGHT,
    with_allowances(
        allowance("ddd", 90, frozenset({INTER})),
        tariffs=china_telecom_2005(band_crossing=BandCrossing.SPLIT),
    ),
    allowance_used=90,
)
# "start", 06:59:59 + 600 s, 1 s covered: the 599 s left stay at night: 100 × 40 = 4000,
# exactly what the call costs without the allowance
one(
    "allowance never makes a call dearer",
    call("r", BJ, bj(*WED, 6, 59, 59), 600),
    4000,
    INTER,
    NIGHT,
    with_allowances(allowance("ddd", 1, frozenset({INTER}))),
    allowance_used=1,
    units=601,
)
# with a connection fee the remainder pays it as a call of its own
CONNECT_DDD_60 = with_allowances(
    allowance("ddd", 60, frozenset({INTER})),
    tariffs=recharge(CT, is_ddd, lambda c: replace(c, connection_li=100)),
)
case(
    "connection fee on the remainder",
    [call("a", BJ, AT, 30), call("b", BJ, AT + timedelta(minutes=5), 61)],
    [
        Expected("a", 0, INTER, DAY, allowance_used=30, units=30),  # covered: no fee
        # 30 s left covers 30 of 61; 31 s remain: 100 + 6 × 70 = 520; units 30 + 36
        Expected("b", 520, INTER, DAY, allowance_used=30, units=66),
    ],
    CONNECT_DDD_60,
)

# shared pools: two subscribers of one account draw one pool in time order
FAMILY = [
    Assignment(sub, FIXED_TARIFF_ID, ASSIGNED_FROM, allowance_ids=("fam",))
    for sub in ("fam-a", "fam-b", "fam-c")
]


def family_plan(shared: bool) -> RatingPlan:
    return plan(allowances=[allowance("fam", 300, shared=shared)], extra=FAMILY)


FAM_EVENTS = [  # given out of time order on purpose
    call("b1", GZ, AT + timedelta(minutes=5), 200, sub="fam-b", account="fam"),
    call("a2", GZ, AT + timedelta(minutes=10), 60, sub="fam-a", account="fam"),
    call("a1", GZ, AT, 200, sub="fam-a", account="fam"),
]
case(
    "shared pool drained in time order",
    FAM_EVENTS,
    [
        # 10:05, b: 100 s left covers 100 of 200; 100 s remain → 220; units 100 + 180
        Expected("b1", 220, LOCAL, DAY, allowance_used=100, units=280),
        # 10:10, a: the pool is empty → 220, no allowance
        Expected("a2", 220, LOCAL, DAY, allowance_used=0, allowance_id=None),
        # 10:00, a: first, 200 of 300 s covered → 0
        Expected("a1", 0, LOCAL, DAY, allowance_used=200, allowance_id="fam"),
    ],
    family_plan(shared=True),
)
case(
    "unshared pools per subscriber",
    FAM_EVENTS,
    [
        Expected("b1", 0, LOCAL, DAY, allowance_used=200),  # b's own 300 s
        Expected("a2", 0, LOCAL, DAY, allowance_used=60),  # a has 100 s left
        Expected("a1", 0, LOCAL, DAY, allowance_used=200),
    ],
    family_plan(shared=False),
)
case(
    "shared pools per account",
    [
        call("a", GZ, AT, 300, sub="fam-a", account="fam"),
        call("c", GZ, AT + timedelta(minutes=5), 300, sub="fam-c", account="other"),
    ],
    [
        Expected("a", 0, LOCAL, DAY, allowance_used=300),  # the "fam" pool
        Expected("c", 0, LOCAL, DAY, allowance_used=300),  # the "other" pool, full
    ],
    family_plan(shared=True),
)
case(
    "same instant: ties broken by record id",
    [
        call("r2", GZ, AT, 100, sub="fam-b", account="fam"),
        call("r1", GZ, AT, 300, sub="fam-a", account="fam"),
    ],
    [
        Expected("r2", 220, LOCAL, DAY, allowance_used=0),  # r1 emptied the pool
        Expected("r1", 0, LOCAL, DAY, allowance_used=300),
    ],
    family_plan(shared=True),
)

# cycles: the local calendar month of the event's start
LOCAL_300 = with_allowances(allowance("loc", 300))
case(
    "allowance across the month end",
    [
        call("m1", GZ, bj(3, 31, 23, 50), 300),  # March: all 300 s → 0
        call("m2", GZ, bj(3, 31, 23, 58), 180),  # starts in March, ends in April: 220
        call("a1", GZ, bj(4, 1, 0, 5), 65),  # April (still 31 March in UTC): fresh → 0
    ],
    [
        Expected("m1", 0, LOCAL, DAY, allowance_used=300),
        Expected("m2", 220, LOCAL, DAY, allowance_used=0, allowance_id=None),
        Expected("a1", 0, LOCAL, NIGHT, allowance_used=65),
    ],
    LOCAL_300,
)
case(
    "carry-over into the next cycle",
    [
        call("jan", GZ, bj(1, 20), 100),  # January: 200 fresh left
        call("feb1", GZ, bj(2, 16), 450),  # February: 200 carried + 300 fresh = 500 → 0
        call("feb2", GZ, bj(2, 17), 60),  # 50 left: 10 s remain → 220, units 50 + 180
    ],
    [
        Expected("jan", 0, LOCAL, DAY, allowance_used=100),
        Expected("feb1", 0, LOCAL, DAY, allowance_used=450),
        Expected("feb2", 220, LOCAL, DAY, allowance_used=50, units=230),
    ],
    with_allowances(allowance("loc", 300, carry=1)),
)
case(
    "no carry-over",
    [
        call("jan", GZ, bj(1, 20), 100),
        call("feb1", GZ, bj(2, 16), 450),
        call("feb2", GZ, bj(2, 17), 60),
    ],
    [
        Expected("jan", 0, LOCAL, DAY, allowance_used=100),
        # 300 fresh of 450: 150 s remain, inside the first block → 220; units 300 + 180
        Expected("feb1", 220, LOCAL, DAY, allowance_used=300, units=480),
        Expected("feb2", 220, LOCAL, DAY, allowance_used=0, allowance_id=None),
    ],
    LOCAL_300,
)
case(
    "carried units do not carry again",
    [
        call("jan", GZ, bj(1, 20), 1),  # January: 299 fresh left
        call("feb", GZ, bj(2, 16), 100),  # from the 299 carried: 199 carried, 300 fresh left
        # March: only February's 300 fresh carry: 600; 650 s → 50 remain → 220
        call("mar", GZ, bj(3, 2), 650),
    ],
    [
        Expected("jan", 0, LOCAL, DAY, allowance_used=1),
        Expected("feb", 0, LOCAL, DAY, allowance_used=100),
        Expected("mar", 220, LOCAL, DAY, allowance_used=600, units=780),
    ],
    with_allowances(allowance("loc", 300, carry=1)),
)
# opening balances: 30 s left this cycle; 90 s call → 60 s remain → 220
case(
    "opening balance",
    [call("r", GZ, AT, 90)],
    [Expected("r", 0 + 220, LOCAL, DAY, allowance_used=30, units=210)],
    LOCAL_300,
    opening=[(PoolKey("loc", "gz-fixed", "2005-03"), 30, 0)],
)
# February left 100 fresh in the state: March has 100 carried + 300 fresh; 350 s → 0
case(
    "opening balance carries",
    [call("r", GZ, AT, 350)],
    [Expected("r", 0, LOCAL, DAY, allowance_used=350)],
    with_allowances(allowance("loc", 300, carry=1)),
    opening=[(PoolKey("loc", "gz-fixed", "2005-02"), 100, 0)],
)
SMS_2 = with_allowances(allowance("sms", 2, None, service=Service.SMS))
case(
    "sms allowance",
    [
        sms("a", GZ, AT),
        sms("b", BJ, AT + timedelta(minutes=1)),
        sms("c", SZ, AT + timedelta(minutes=2)),
    ],
    [
        Expected("a", 0, LOCAL, DAY, allowance_used=1, units=1),
        Expected("b", 0, INTER, DAY, allowance_used=1, units=1),
        Expected("c", 100, INTRA, DAY, allowance_used=0, units=1),  # the third pays
    ],
    SMS_2,
)
DATA_5MB = with_allowances(allowance("mb", 5 * MB, None, service=Service.DATA))
case(
    "data allowance",
    [
        data("a", AT, volume=3 * MB),  # covered
        data("b", AT + timedelta(hours=1), volume=3 * MB),  # 2 MB covered, 1 MB → 1000
        data("c", AT + timedelta(hours=2), volume=1),  # pool empty: 1 started MB → 1000
    ],
    [
        Expected("a", 0, None, DAY, allowance_used=3 * MB, units=3 * MB),
        Expected("b", 1000, None, DAY, allowance_used=2 * MB, units=3 * MB),
        Expected("c", 1000, None, DAY, allowance_used=0, units=MB),
    ],
    DATA_5MB,
)
# 1 MB allowance, 1.5 MB session: 0.5 MB remains → one started MB, 1000; units 1 + 1 MB
one(
    "data allowance partial MB",
    data("r", AT, volume=MB + MB // 2),
    1000,
    None,
    DAY,
    with_allowances(allowance("mb", MB, None, service=Service.DATA)),
    allowance_used=MB,
    units=2 * MB,
)


# --- tiers: a discount once the cycle's units reach a threshold ---------------------------

DDD_TIER = plan(with_tiers(CT, Tier(Service.VOICE, 600, 50)))
case(
    "voice tier boundary",
    [
        call("a", BJ, AT, 600),  # 0 units before: 100 × 70 = 7000; 600 units after
        call("b", BJ, AT + timedelta(minutes=20), 61),  # 600 reached: 770 × 50 % = 385
    ],
    [Expected("a", 7000, INTER, DAY, units=600), Expected("b", 385, INTER, DAY, units=66)],
    DDD_TIER,
)
case(
    "tier just below the boundary",
    [
        call("a", BJ, AT, 594),  # 99 × 70 = 6930; 594 units
        call("b", BJ, AT + timedelta(minutes=20), 61),  # 594 < 600: 770
        call("c", BJ, AT + timedelta(minutes=30), 6),  # 660 ≥ 600: 70 × 50 % = 35
    ],
    [
        Expected("a", 6930, INTER, DAY),
        Expected("b", 770, INTER, DAY),
        Expected("c", 35, INTER, DAY),
    ],
    DDD_TIER,
)
case(
    "tier rounds half up",
    [call("a", BJ, AT, 6), call("b", BJ, AT + timedelta(minutes=1), 6)],
    # b: 70 × 75 % = 52.5 → 53
    [Expected("a", 70, INTER, DAY), Expected("b", 53, INTER, DAY)],
    plan(with_tiers(CT, Tier(Service.VOICE, 6, 75))),
)
case(
    "tiers restart each cycle",
    [call("mar", BJ, bj(3, 31), 600), call("apr", BJ, bj(4, 1), 61)],
    [Expected("mar", 7000, INTER, DAY), Expected("apr", 770, INTER, DAY)],  # April: 0 before
    DDD_TIER,
)
case(
    "tiers per subscriber",
    [
        call("a", BJ, AT, 600),
        call("b", BJ, AT + timedelta(minutes=20), 61, sub="sz-fixed", area="0755"),
    ],
    [Expected("a", 7000, INTER, DAY), Expected("b", 770, INTER, DAY)],
    DDD_TIER,
)
case(
    "highest tier reached",
    [
        call("a", BJ, AT, 600),  # 7000
        call("b", BJ, AT + timedelta(minutes=20), 600),  # 600 reached: 7000 × 80 % = 5600
        call("c", BJ, AT + timedelta(minutes=40), 61),  # 1200 reached: 770 × 50 % = 385
    ],
    [
        Expected("a", 7000, INTER, DAY),
        Expected("b", 5600, INTER, DAY),
        Expected("c", 385, INTER, DAY),
    ],
    plan(with_tiers(CT, Tier(Service.VOICE, 1200, 50), Tier(Service.VOICE, 600, 80))),
)
DATA_TIER = plan(with_tiers(CT, Tier(Service.DATA, 10 * MB, 50)))
case(
    "data tier counts rounded units",
    [
        data("a", AT, volume=9 * MB + MB // 2),  # 10 started MB → 10000; 10 MB of units
        data("b", AT + timedelta(hours=1), volume=MB),  # 10 MB reached: 1000 × 50 % = 500
    ],
    [Expected("a", 10000, None, DAY, units=10 * MB), Expected("b", 500, None, DAY)],
    DATA_TIER,
)
case(
    "data tier boundary",
    [
        data("a", AT, volume=8 * MB),  # 8000
        data("b", AT + timedelta(hours=1), volume=3 * MB),  # 8 MB before: 3000
        data("c", AT + timedelta(hours=2), volume=1),  # 11 MB before: 1000 × 50 % = 500
    ],
    [
        Expected("a", 8000, None, DAY),
        Expected("b", 3000, None, DAY),
        Expected("c", 500, None, DAY),
    ],
    DATA_TIER,
)
