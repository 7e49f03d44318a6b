"""The tariff model as data: everything a rating engine needs, and nothing it computes.

Every engine (the pure-Python reference, the vectorised batch engine, online charging) reads
these frozen dataclasses and must give the same answer; the rules below are the contract.

Units and clocks
    Money is integer li (0.001 CNY). Durations are whole seconds, volumes whole bytes.
    Instants are timezone-aware UTC; time bands, day types, holidays and allowance cycles are
    evaluated in the tariff's time zone (Asia/Shanghai unless a tariff says otherwise).

Destinations and zones
    The called number is E.164; its digits (without '+') are matched against the tariff's
    destination prefixes and the *longest* matching prefix wins. A destination that carries
    an area code (a domestic fixed-line prefix, or a mobile number block whose home area is
    known) gets its zone from the calling party's area code: the same area is ``local``, both
    areas in ``Tariff.province_area_codes`` is ``intraProvince``, anything else is
    ``interProvince``. A destination without an area code carries its zone directly (mobile
    prefixes as the tariff sets, 852/853/886 ``hkMoTw``, other country codes ``international``,
    short service codes ``special``). A domestic destination called by a subscriber whose
    area code is unknown has no decidable zone: ``UNKNOWN_DESTINATION``. Events without a
    called number (data sessions) have no destination and zone ``None``; only rules with
    ``zone=None`` match them.

Rules
    ``Tariff.rules`` are tried in order and the first rule whose every set field matches wins
    (a field left ``None`` matches anything). An event that no rule matches is rated with the
    error ``NO_RULE``; one without a tariff ``NO_TARIFF``; one whose called number matches no
    prefix ``UNKNOWN_DESTINATION``. Errors are rated (amount 0) and counted, never dropped.

Pricing one event (``Charge``)
    An event is *chargeable* if it is an SMS, or its duration or volume is positive; a
    non-chargeable event (an unanswered call) costs 0 and has 0 units. A chargeable event
    costs ``connection_li + event_li + time_li(duration) + volume_li(volume)``, bounded by
    ``cap_li`` when set, where

    - ``time_li(d)``: 0 when d is 0; otherwise, with a first block, ``first_block_li`` covers
      the first ``first_block_s`` seconds and every *started* ``step_s`` after it costs
      ``step_li``; without a first block, every started ``step_s`` from the first second
      costs ``step_li``. With ``step_s == 0`` seconds beyond the first block are free.
    - ``volume_li(v)``: every started ``volume_unit_bytes`` costs ``volume_unit_li``.

    ``RatedEvent.units`` is the quantity in the service's unit, rounded up to what was paid
    for: voice seconds (first block plus whole steps; seconds no step prices count as they
    are), one message for SMS, data bytes (whole volume units, else the bytes as they are).

Band crossing (``Tariff.band_crossing``)
    ``start``: the whole call is rated under the band in force at its first second.
    ``split``: the call is cut where the band changes (in local time; day-type changes at
    midnight count) into parts, and:

    1. the connection fee, event fee, volume price and cap come from the rule of the part
       where the call starts (the *starting rule*); the cap bounds the whole call;
    2. the starting rule's first block covers the first ``first_block_s`` seconds of the
       call wherever they fall, priced once at the starting rule's ``first_block_li``;
    3. each part's seconds not covered by the first block are priced under that part's own
       rule (same service, zone, direction and access code; the part's band), rounded up to
       that rule's ``step_s`` *independently per part*. A part whose band no rule matches
       makes the event ``NO_RULE``.

    ``RatedEvent.band`` is always the band at the first second of the call. Part edges are
    whole seconds from the call's start (``UsageEvent.event_time``).

Allowances
    Included units (seconds, messages, bytes) per cycle; the cycle is the calendar month of
    the event's start in the tariff's time zone (a call across the month end draws on the
    cycle it started in). A pool is per subscriber, or per account when ``shared``. Pools are
    drawn in event-time order (ties broken by ``record_id``), whatever the order of the
    batch; so are tier counters. An allowance applies when its
    service matches, its zones contain the event's zone (``None``: any zone), and the matched
    rule would charge the event a positive amount (free calls never consume). Of the
    subscriber's allowances, the first applicable one with units left is used; only one
    allowance serves an event. If it covers the whole quantity the event costs 0. Otherwise
    the covered part is free and the *remainder* is rated as an event of its own:

    - voice: a call of ``duration - covered`` seconds starting ``covered`` seconds after the
      real start, priced from scratch under the rules above (connection fee, first block,
      steps, cap). Under ``start`` it keeps the band of the real start (so an allowance can
      never push a call into a dearer band); under ``split`` it is split from its own start;
    - data: a session of the uncovered bytes with duration 0 (the allowance covers the
      session's time);
    - SMS: a message is covered whole or not at all.

    ``units`` is then ``allowance_used`` plus the remainder's rounded units. A new cycle
    opens with ``units_per_cycle`` fresh units plus, when ``carry_over_cycles`` is 1, the
    unused fresh units of the previous cycle's balance if the state holds one (a cycle the
    state never saw carries nothing). Carried units are drawn first and never carry again.

Tiers (``Tariff.tiers``)
    A tier discounts a service once the subscriber's cumulative ``units`` of that service in
    the cycle (events rated under the same tariff id, without error, before this one in
    event-time order, allowance-covered units included) reach ``from_units``: the event's
    amount becomes ``amount * percent / 100`` rounded half up. The tier with the highest
    reached ``from_units`` applies; an event is never split between tiers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import NamedTuple
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Shanghai"
BYTES_PER_MB = 1024 * 1024


class Zone(StrEnum):
    """Where a call goes, seen from the caller's local network."""

    LOCAL = "local"
    INTRA_PROVINCE = "intraProvince"
    INTER_PROVINCE = "interProvince"
    INTERNATIONAL = "international"
    HK_MO_TW = "hkMoTw"
    SPECIAL = "special"


class Service(StrEnum):
    VOICE = "voice"
    SMS = "sms"
    DATA = "data"


class Direction(StrEnum):
    MO = "mo"  # originated by the subscriber
    MT = "mt"  # terminated at the subscriber (incoming)


class DayType(StrEnum):
    WEEKDAY = "weekday"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"


ALL_DAY_TYPES: frozenset[str] = frozenset(DayType)


class BandCrossing(StrEnum):
    START = "start"  # rate the whole call by the band at its start
    SPLIT = "split"  # cut the call at band boundaries; see the module docstring


class RatingError(StrEnum):
    """Stable error codes on a rated event; such events cost 0 and are counted."""

    NO_TARIFF = "NO_TARIFF"
    UNKNOWN_DESTINATION = "UNKNOWN_DESTINATION"
    NO_RULE = "NO_RULE"


# --- destinations -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Destination:
    """One prefix of the destination table.

    ``area_code`` is the domestic area code with its trunk 0 ("020", "0755"); when set, the
    zone is derived from the calling area (``zone_for``) and ``zone`` is ignored.
    """

    prefix: str
    name: str
    zone: Zone | None = None
    area_code: str | None = None

    def __post_init__(self) -> None:
        if not self.prefix.isdigit():
            raise ValueError(f"destination prefix must be digits: {self.prefix!r}")
        if self.zone is None and self.area_code is None:
            raise ValueError(f"destination {self.prefix} needs a zone or an area code")


def called_digits(called: str) -> str:
    """The digits of an E.164 number: '+8620…' → '8620…'."""
    return called.removeprefix("+")


def zone_for(
    destination: Destination, calling_area_code: str | None, province_area_codes: frozenset[str]
) -> Zone | None:
    """The zone of a call from ``calling_area_code`` to ``destination`` (None: undecidable).

    A destination with an area code needs the caller's area code; without it (a subscriber
    whose local network is unknown) the zone cannot be decided and the caller reports
    ``UNKNOWN_DESTINATION``.
    """
    if destination.area_code is None:
        return destination.zone
    if calling_area_code is None:
        return None
    if destination.area_code == calling_area_code:
        return Zone.LOCAL
    if destination.area_code in province_area_codes and calling_area_code in province_area_codes:
        return Zone.INTRA_PROVINCE
    return Zone.INTER_PROVINCE


# --- time ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Calendar:
    """Public holidays and the weekend days worked in exchange (调休 workdays)."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    def day_type(self, day: date) -> DayType:
        """Holiday beats everything; a swapped workday is a weekday; else Sat/Sun is weekend."""
        if day in self.holidays:
            return DayType.HOLIDAY
        if day in self.workdays:
            return DayType.WEEKDAY
        return DayType.WEEKEND if day.weekday() >= 5 else DayType.WEEKDAY


@dataclass(frozen=True, slots=True)
class TimeBand:
    """A named band of local time on some day types.

    Covers local times ``start <= t < end``; ``end == 00:00`` means midnight at the end of the
    day; ``end < start`` wraps past midnight. The day type is that of the local date of the
    instant being classified, so a wrapping band's early-morning part uses the new day's type.
    """

    name: str
    start: time
    end: time
    day_types: frozenset[str] = ALL_DAY_TYPES

    def contains(self, local_time: time, day_type: str) -> bool:
        if day_type not in self.day_types:
            return False
        if self.end == time(0):
            return local_time >= self.start
        if self.end > self.start:
            return self.start <= local_time < self.end
        return local_time >= self.start or local_time < self.end


# --- charges and rules --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Charge:
    """How one event is priced (see "Pricing one event" in the module docstring)."""

    connection_li: int = 0
    first_block_s: int = 0
    first_block_li: int = 0
    step_s: int = 0
    step_li: int = 0
    event_li: int = 0
    volume_unit_bytes: int = 0
    volume_unit_li: int = 0
    cap_li: int | None = None

    def __post_init__(self) -> None:
        numbers = (
            self.connection_li,
            self.first_block_s,
            self.first_block_li,
            self.step_s,
            self.step_li,
            self.event_li,
            self.volume_unit_bytes,
            self.volume_unit_li,
        )
        if any(n < 0 for n in numbers) or (self.cap_li is not None and self.cap_li < 0):
            raise ValueError("charge figures must not be negative")
        if self.step_li and not self.step_s:
            raise ValueError("a step price needs a step length")
        if self.first_block_li and not self.first_block_s:
            raise ValueError("a first-block price needs a first-block length")
        if self.volume_unit_li and not self.volume_unit_bytes:
            raise ValueError("a volume price needs a volume unit")

    @property
    def is_free(self) -> bool:
        return not (
            self.connection_li
            or self.first_block_li
            or self.step_li
            or self.event_li
            or self.volume_unit_li
        )


FREE = Charge()


@dataclass(frozen=True, slots=True)
class RateRule:
    """One line of a tariff; ``None`` fields match anything. The first matching rule wins.

    ``band`` names a ``TimeBand``; ``ip_access_code`` (e.g. "17909") selects IP long distance.
    """

    service: Service
    zone: Zone | None
    band: str | None
    direction: Direction | None
    ip_access_code: str | None
    charge: Charge
    name: str = ""

    def matches(
        self,
        service: str,
        zone: Zone | None,
        band: str | None,
        direction: str,
        ip_access_code: str | None,
    ) -> bool:
        return (
            self.service == service
            and (self.zone is None or self.zone == zone)
            and (self.band is None or self.band == band)
            and (self.direction is None or self.direction == direction)
            and (self.ip_access_code is None or self.ip_access_code == ip_access_code)
        )


@dataclass(frozen=True, slots=True)
class Tier:
    """From ``from_units`` cumulative units of ``service`` in a cycle, pay ``percent`` %."""

    service: Service
    from_units: int
    percent: int


@dataclass(frozen=True, slots=True)
class Tariff:
    """One version of a tariff. ``effective_to`` is exclusive; None means open-ended."""

    id: str
    version: int
    effective_from: datetime
    effective_to: datetime | None
    province_area_codes: frozenset[str]
    destinations: tuple[Destination, ...]
    bands: tuple[TimeBand, ...]
    calendar: Calendar
    band_crossing: BandCrossing
    rules: tuple[RateRule, ...]
    tiers: tuple[Tier, ...] = ()
    timezone: str = DEFAULT_TIMEZONE
    name: str = ""

    def __post_init__(self) -> None:
        if self.effective_from.tzinfo is None:
            raise ValueError("effective_from must be timezone-aware (UTC)")
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise ValueError("effective_to must follow effective_from")

    def in_force(self, at: datetime) -> bool:
        return self.effective_from <= at and (self.effective_to is None or at < self.effective_to)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def band_at(self, at: datetime) -> str | None:
        """The name of the first band containing the instant (local time), or None."""
        local = at.astimezone(self.tz)
        day_type = self.calendar.day_type(local.date())
        for band in self.bands:
            if band.contains(local.time().replace(tzinfo=None), day_type):
                return band.name
        return None

    def cycle_of(self, at: datetime) -> str:
        """The allowance/tier cycle of an instant: its local calendar month, 'YYYY-MM'."""
        return at.astimezone(self.tz).strftime("%Y-%m")


# --- allowances ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Allowance:
    """Units included per cycle (seconds for voice, messages for SMS, bytes for data)."""

    id: str
    service: Service
    zones: frozenset[Zone] | None
    units_per_cycle: int
    shared: bool = False
    carry_over_cycles: int = 0

    def __post_init__(self) -> None:
        if self.carry_over_cycles not in (0, 1):
            raise ValueError("carry_over_cycles must be 0 or 1")
        if self.units_per_cycle < 0:
            raise ValueError("units_per_cycle must not be negative")


class PoolKey(NamedTuple):
    """One allowance pool in one cycle; owner is the subscriber, or the account if shared."""

    allowance_id: str
    owner: str
    cycle: str


@dataclass(slots=True)
class PoolBalance:
    """Remaining units of a pool in a cycle (mutable: engines draw it down)."""

    fresh: int
    carried: int = 0

    @property
    def remaining(self) -> int:
        return self.fresh + self.carried


@dataclass(slots=True)
class AllowanceState:
    """Balances of every pool and cycle seen so far; raters update it in place."""

    balances: dict[PoolKey, PoolBalance] = field(default_factory=dict)

    def remaining(self, allowance_id: str, owner: str, cycle: str) -> int | None:
        balance = self.balances.get(PoolKey(allowance_id, owner, cycle))
        return None if balance is None else balance.remaining


def pool_owner(allowance: Allowance, subscriber: str, account_id: str) -> str:
    return account_id if allowance.shared else subscriber


def previous_cycle(cycle: str) -> str:
    """'2005-01' → '2004-12'."""
    year, month = int(cycle[:4]), int(cycle[5:7])
    return f"{year - 1:04d}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"


# --- events -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class UsageEvent:
    """A mediated usage record ready for rating. ``called`` is E.164 ('+8620…'), or ''."""

    record_id: str
    subscriber: str
    account_id: str
    event_time: datetime
    service: Service
    direction: Direction = Direction.MO
    product_id: str | None = None
    duration_s: int = 0
    volume_bytes: int = 0
    calling: str = ""
    called: str = ""
    ip_access_code: str | None = None
    calling_area_code: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RatedEvent:
    """The outcome of rating one event; ``error`` set means amount 0 and a counted failure."""

    record_id: str
    tariff_id: str | None
    tariff_version: int | None
    matched_prefix: str | None
    zone: Zone | None
    band: str | None
    units: int
    allowance_id: str | None
    allowance_used: int
    amount_li: int
    error: str | None = None


# --- rating plan --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Assignment:
    """A subscriber (optionally one product of theirs) on a tariff, with allowances.

    ``valid_to`` is exclusive. The allowances are tried in the order given. ``account_id``
    is the paying account (the owner of shared pools); the engines take the account from
    each event, and a period run uses it to keep the pools that no event drew.
    """

    subscriber: str
    tariff_id: str
    valid_from: datetime
    valid_to: datetime | None = None
    product_id: str | None = None
    allowance_ids: tuple[str, ...] = ()
    account_id: str | None = None

    def applies(self, subscriber: str, product_id: str | None, at: datetime) -> bool:
        return (
            self.subscriber == subscriber
            and (self.product_id is None or self.product_id == product_id)
            and self.valid_from <= at
            and (self.valid_to is None or at < self.valid_to)
        )


@dataclass(frozen=True, slots=True)
class RatingPlan:
    """Which tariff version and allowances apply to which subscriber at an instant."""

    tariffs: tuple[Tariff, ...]
    assignments: tuple[Assignment, ...]
    allowances: tuple[Allowance, ...] = ()

    def assignment_for(
        self, subscriber: str, product_id: str | None, at: datetime
    ) -> Assignment | None:
        """The first assignment (in plan order) in force for the subscriber at ``at``."""
        for assignment in self.assignments:
            if assignment.applies(subscriber, product_id, at):
                return assignment
        return None

    def tariff_for(self, tariff_id: str, at: datetime) -> Tariff | None:
        """The version of ``tariff_id`` in force at ``at``; the highest version if several."""
        in_force = [t for t in self.tariffs if t.id == tariff_id and t.in_force(at)]
        return max(in_force, key=lambda t: t.version) if in_force else None

    def allowance(self, allowance_id: str) -> Allowance:
        for allowance in self.allowances:
            if allowance.id == allowance_id:
                return allowance
        raise KeyError(f"unknown allowance {allowance_id!r}")
