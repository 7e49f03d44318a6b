"""The vectorised rating engine: the contract of :mod:`openbss.rating.model` as column work.

``rate_table`` rates a whole batch with Polars column operations and a few joins; Python
runs per tariff, rule, band, allowance and calendar day, never per record. Every record comes
back explained (the columns of :class:`~openbss.rating.model.RatedEvent`), errors included.
The conformance suite holds it equal, row for row, to
:func:`openbss.rating.reference.rate_reference`. How each rule becomes column work:

- *Destinations*: a called number's leading digits, padded to the longest prefix's width,
  are one integer; each prefix is the interval of such integers it starts. Intervals of a
  prefix table nest, so cutting them at every bound gives segments whose innermost prefix
  is the longest match: one binary search per record (``search_sorted``) instead of a join
  per prefix length. A prefix longer than a short number falls back to its parent prefix.
- *Time*: local time is UTC plus the zone's offset, looked up per UTC day (a day holding a
  transition is converted exactly); day types, cycles and bands come from per-day tables
  and comparisons on the time of day. Near a daylight-saving change, band edges are read
  from local time as the contract reads them (fold 0).
- *Rules*: "first matching rule" depends only on (tariff, service, zone, band, direction,
  access code), all small codes, so it is a table lookup by a combined key.
- *Band splitting*: only calls that reach a band edge are cut, by exploding them over the
  edges they cross; other calls are priced in closed form.
- *Allowances*: within a pool, call ``i`` finds ``initial - sum(quantities before i)``
  units left, so a per-pool cumulative sum over event-time order decides coverage and
  partial coverage; allowances are processed in an order that agrees with every
  assignment's list, so "the first one with units left" is known before the next is drawn.
  Lists that disagree are solved by repeating the passes until nothing changes (each pass
  settles at least one more event in time order, so this ends at the sequential answer).
- *Tiers*: a cumulative sum of units per (subscriber, tariff, cycle, service).

Negative durations or volumes are refused (mediation rejects them); null numbers are 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pyarrow as pa

from openbss.rating.model import (
    Allowance,
    AllowanceState,
    BandCrossing,
    Calendar,
    Charge,
    DayType,
    Destination,
    Direction,
    PoolBalance,
    PoolKey,
    RatedEvent,
    RatingError,
    RatingPlan,
    Service,
    Tariff,
    TimeBand,
    UsageEvent,
    Zone,
)

SECOND_US = 1_000_000
DAY_US = 86_400 * SECOND_US
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DAY = date(1970, 1, 1)

# Small codes for the categorical inputs; the last code of each means "anything else".
SERVICES: tuple[str, ...] = (Service.VOICE.value, Service.SMS.value, Service.DATA.value)
VOICE, SMS = 0, 1
OTHER_SERVICE = len(SERVICES)
DIRECTIONS: tuple[str, ...] = (Direction.MO.value, Direction.MT.value)
OTHER_DIRECTION = len(DIRECTIONS)
ZONES: tuple[Zone, ...] = tuple(Zone)
NO_ZONE = len(ZONES)
DAY_TYPES: tuple[str, ...] = tuple(d.value for d in DayType)
ERRORS: tuple[str, ...] = tuple(e.value for e in RatingError)
_NO_TARIFF, _UNKNOWN_DESTINATION, _NO_RULE = (ERRORS.index(e) for e in RatingError)

# Input columns (UsageEvent's fields) that must be there; the others may be absent, and
# absent or null they take UsageEvent's defaults (account_id: "").
REQUIRED = ("record_id", "subscriber", "event_time", "service")
OUTPUT_COLUMNS = (
    "record_id",
    "tariff_id",
    "tariff_version",
    "matched_prefix",
    "zone",
    "band",
    "units",
    "allowance_id",
    "allowance_used",
    "amount_li",
    "error",
)
USAGE_EVENT_SCHEMA: dict[str, pl.DataType] = {
    "record_id": pl.String(),
    "subscriber": pl.String(),
    "account_id": pl.String(),
    "event_time": pl.Datetime("us", "UTC"),
    "service": pl.String(),
    "direction": pl.String(),
    "product_id": pl.String(),
    "duration_s": pl.Int64(),
    "volume_bytes": pl.Int64(),
    "calling": pl.String(),
    "called": pl.String(),
    "ip_access_code": pl.String(),
    "calling_area_code": pl.String(),
}
BALANCE_SCHEMA = {
    "allowance_id": pl.String,
    "owner": pl.String,
    "cycle": pl.String,
    "fresh": pl.Int64,
    "carried": pl.Int64,
}
_MAX_POSITIONS = 62  # allowances per assignment: a bit each in an Int64


# --- the compiled plan --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Profile:
    """What decides the band at an instant: time zone, bands and calendar."""

    timezone: str
    bands: tuple[TimeBand, ...]
    calendar: Calendar


@dataclass(frozen=True, slots=True, eq=False)
class CompiledPlan:
    """A rating plan turned into lookup tables (Polars Series) for column work.

    Built once per plan (``compile_plan`` caches it) and picklable, so worker processes
    receive tables rather than rebuilding them.
    """

    allowances: tuple[Allowance, ...]
    tariffs: tuple[Tariff, ...]
    tariff_ids: tuple[str, ...]
    tariff_id_code: tuple[int, ...]
    profiles: tuple[_Profile, ...]
    tariff_profile: pl.Series
    tariff_split: tuple[bool, ...]
    band_names: tuple[str, ...]
    # destinations
    width: int
    tariff_table_base: pl.Series  # table number * 10**width, per tariff
    bounds: pl.Series  # sorted segment starts (table base added)
    segment_destination: pl.Series  # innermost destination per segment, null for none
    destination_length: pl.Series
    destination_parent: pl.Series
    destination_prefix: pl.Series  # code into ``prefixes``
    destination_area: pl.Series  # code into ``area_codes``, null without an area
    destination_zone: pl.Series  # zone code, null when derived from areas
    prefixes: tuple[str, ...]
    area_codes: tuple[str, ...]
    in_province: pl.Series  # tariff * len(area_codes) + area → bool
    # rules
    access_codes: tuple[str, ...]
    rule_key_dims: tuple[int, int, int, int, int]
    rule_table: pl.Series  # combined key → global rule number, null for no rule
    charges: dict[str, pl.Series]
    # assignments
    subscribers: pl.DataFrame  # subscriber, sub_id
    assignments: pl.DataFrame  # asg, sub_id, product_id, valid_from, valid_to, tariff_id_code,
    # list_code (which distinct allowance list)
    single_assignment: bool
    uses_products: bool
    # allowances
    allowance_order: tuple[int, ...]
    order_consistent: bool
    allowance_position: tuple[pl.Series, ...]  # per allowance: position in each list, -1
    list_allowance: pl.Series  # list * max_positions + position → allowance
    list_has_allowances: pl.Series  # per list
    max_positions: int
    shared: bool
    # output text columns as enums (categories fixed by the plan)
    enums: dict[str, tuple[pl.Enum, pl.DataType]]


_COMPILED: dict[int, tuple[RatingPlan, CompiledPlan]] = {}


def compile_plan(plan: RatingPlan) -> CompiledPlan:
    """The plan's lookup tables, cached per plan object (plans are frozen)."""
    cached = _COMPILED.get(id(plan))
    if cached is not None and cached[0] is plan:
        return cached[1]
    compiled = _compile(plan)
    if len(_COMPILED) >= 8:
        _COMPILED.clear()
    _COMPILED[id(plan)] = (plan, compiled)
    return compiled


def _micros(at: datetime) -> int:
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return (aware - _EPOCH) // timedelta(microseconds=1)


def _clock_micros(clock: time) -> int:
    return ((clock.hour * 60 + clock.minute) * 60 + clock.second) * SECOND_US + clock.microsecond


def _compile(plan: RatingPlan) -> CompiledPlan:
    tariffs = plan.tariffs
    tariff_ids = tuple(dict.fromkeys(t.id for t in tariffs))
    profiles = tuple(dict.fromkeys(_Profile(t.timezone, t.bands, t.calendar) for t in tariffs))
    band_names = tuple(dict.fromkeys(b.name for t in tariffs for b in t.bands))
    access_codes = tuple(
        dict.fromkeys(
            r.ip_access_code for t in tariffs for r in t.rules if r.ip_access_code is not None
        )
    )
    destinations = _compile_destinations(tariffs)
    rules = _compile_rules(tariffs, band_names, access_codes)
    assignments = _compile_assignments(plan, tariff_ids)
    return CompiledPlan(
        allowances=plan.allowances,
        # Without their destination tables (compiled above): small to send to workers.
        tariffs=tuple(replace(t, destinations=()) for t in tariffs),
        tariff_ids=tariff_ids,
        tariff_id_code=tuple(tariff_ids.index(t.id) for t in tariffs),
        profiles=profiles,
        tariff_profile=pl.Series(
            [profiles.index(_Profile(t.timezone, t.bands, t.calendar)) for t in tariffs],
            dtype=pl.Int32,
        ),
        tariff_split=tuple(t.band_crossing == BandCrossing.SPLIT for t in tariffs),
        band_names=band_names,
        access_codes=access_codes,
        **destinations,
        **rules,
        **assignments,
        enums={
            "tariff_id": _enum(tariff_ids),
            "matched_prefix": _enum(destinations["prefixes"]),
            "zone": _enum([z.value for z in ZONES]),
            "band": _enum(band_names),
            "allowance_id": _enum([a.id for a in plan.allowances]),
            "error": _enum(ERRORS),
        },
    )


@dataclass(frozen=True, slots=True, eq=False)
class _TableIndex:
    """One destination table cut into segments of ``width``-digit numbers."""

    bounds: list[int]
    segment: list[int | None]  # innermost destination (position in the table) per segment
    length: pl.Series
    parent: pl.Series
    prefix: pl.Series
    area: pl.Series
    zone: pl.Series


_TABLES: dict[tuple[int, int], tuple[Sequence[Destination], _TableIndex]] = {}


def _table_index(table: Sequence[Destination], width: int) -> _TableIndex:
    """Segments of one table, cached per table object (tables are shared and frozen)."""
    cached = _TABLES.get((id(table), width))
    if cached is not None and cached[0] is table:
        return cached[1]
    index = {d.prefix: i for i, d in enumerate(table)}
    points: set[int] = set()
    for d in table:
        if not (d.prefix.isascii() and d.prefix.isdigit()):
            raise ValueError(f"destination prefix must be ASCII digits: {d.prefix!r}")
        low = int(d.prefix.ljust(width, "0"))
        points.update((low, low + 10 ** (width - len(d.prefix))))
    bounds = sorted(points)
    built = _TableIndex(
        bounds=bounds,
        segment=[_longest(str(p).zfill(width), index) if p < 10**width else None for p in bounds],
        length=pl.Series([len(d.prefix) for d in table], dtype=pl.Int64),
        parent=pl.Series([_longest(d.prefix[:-1], index) for d in table], dtype=pl.Int64),
        prefix=pl.Series([d.prefix for d in table], dtype=pl.String),
        area=pl.Series([d.area_code for d in table], dtype=pl.String),
        zone=pl.Series(
            [ZONES.index(d.zone) if d.area_code is None and d.zone else None for d in table],
            dtype=pl.Int8,
        ),
    )
    if len(_TABLES) >= 8:
        _TABLES.clear()
    _TABLES[(id(table), width)] = (table, built)
    return built


def _enum(categories: Sequence[str]) -> tuple[pl.Enum, pl.DataType]:
    """An enum of the categories and the integer type of its codes."""
    enum = pl.Enum(list(categories))
    return enum, pl.Series([], dtype=enum).to_physical().dtype


def _compile_destinations(tariffs: Sequence[Tariff]) -> dict[str, Any]:
    """Segments of fixed-width numbers per destination table (see the module docstring).

    Several tables share one index: table ``n``'s numbers are offset by ``n * 10**width``.
    """
    tables: list[Sequence[Destination]] = []
    table_of_tariff: list[int] = []
    for tariff in tariffs:
        number = next((i for i, t in enumerate(tables) if t is tariff.destinations), None)
        if number is None:
            tables.append(tariff.destinations)
            number = len(tables) - 1
        table_of_tariff.append(number)
    width = max((len(d.prefix) for table in tables for d in table), default=1)
    if len(tables) * 10**width >= 2**62:
        raise ValueError("destination prefixes too long to index")
    indexes = [_table_index(table, width) for table in tables]
    province_codes = {c for t in tariffs for c in t.province_area_codes}
    areas = pl.concat([ix.area for ix in indexes]) if indexes else pl.Series([], dtype=pl.String)
    area_codes = tuple(sorted(set(areas.drop_nulls().to_list()) | province_codes))
    prefix_all = (
        pl.concat([ix.prefix for ix in indexes]) if indexes else pl.Series([], dtype=pl.String)
    )
    prefixes = tuple(sorted(set(prefix_all.to_list())))

    bounds: list[int] = []
    segment: list[int | None] = []
    parents: list[pl.Series] = []
    first = 0
    for number, ix in enumerate(indexes):
        bounds.extend(number * 10**width + b for b in ix.bounds)
        segment.extend(None if s is None else first + s for s in ix.segment)
        parents.append(ix.parent + first)
        first += ix.length.len()
    return {
        "width": width,
        "tariff_table_base": pl.Series([n * 10**width for n in table_of_tariff], dtype=pl.Int64),
        "bounds": pl.Series(bounds, dtype=pl.Int64),
        "segment_destination": pl.Series(segment, dtype=pl.Int32),
        "destination_length": _concat([ix.length for ix in indexes], pl.Int64()),
        "destination_parent": _concat(parents, pl.Int64()).cast(pl.Int32),
        "destination_prefix": _codes_of(prefix_all, prefixes),
        "destination_area": _codes_of(areas, area_codes).cast(pl.Int32),
        "destination_zone": _concat([ix.zone for ix in indexes], pl.Int8()),
        "prefixes": prefixes,
        "area_codes": area_codes,
        "in_province": pl.Series(
            [a in t.province_area_codes for t in tariffs for a in area_codes], dtype=pl.Boolean
        ),
    }


def _concat(parts: list[pl.Series], dtype: pl.DataType) -> pl.Series:
    return pl.concat(parts) if parts else pl.Series([], dtype=dtype)


def _codes_of(values: pl.Series, categories: Sequence[str]) -> pl.Series:
    """Positions of text values in ``categories`` (null stays null)."""
    if not categories:
        return pl.Series([None] * values.len(), dtype=pl.UInt32)
    return values.cast(pl.Enum(list(categories))).to_physical().cast(pl.UInt32)


def _longest(digits: str, index: dict[str, int]) -> int | None:
    for size in range(len(digits), 0, -1):
        found = index.get(digits[:size])
        if found is not None:
            return found
    return None


# A charge as the columns pricing reads. Lengths of 0 become divisors of 1: a charge without
# a step length has no step price (the model refuses one), so "steps" of one second make the
# uncovered seconds count as they are, which is the contract's rule, and pricing needs no
# branch; the same for volume units. A missing cap is a cap no amount reaches.
_NO_CAP = 2**62


def _charge_columns(charge: Charge) -> dict[str, int]:
    return {
        "fixed_li": charge.connection_li + charge.event_li,
        "first_block_s": charge.first_block_s,
        "first_block_li": charge.first_block_li,
        "step_div": max(charge.step_s, 1),
        "step_li": charge.step_li,
        "unit_div": max(charge.volume_unit_bytes, 1),
        "unit_li": charge.volume_unit_li,
        "cap_li": _NO_CAP if charge.cap_li is None else charge.cap_li,
    }


_CHARGE_FIELDS = tuple(_charge_columns(Charge()))


def _compile_rules(
    tariffs: Sequence[Tariff], band_names: tuple[str, ...], access_codes: tuple[str, ...]
) -> dict[str, Any]:
    """The first matching rule for every (tariff, service, zone, band, direction, access)."""
    dims = (len(SERVICES) + 1, NO_ZONE + 1, len(band_names) + 1, len(DIRECTIONS) + 1)
    dims_all = (*dims, len(access_codes) + 1)
    services: list[str | None] = [*SERVICES, None]
    zones: list[Zone | None] = [*ZONES, None]
    bands: list[str | None] = [*band_names, None]
    directions: list[str | None] = [*DIRECTIONS, None]
    accesses: list[str | None] = [None, *access_codes]
    table: list[int | None] = []
    charges: dict[str, list[int]] = {name: [] for name in _CHARGE_FIELDS}
    first_rule = 0
    for tariff in tariffs:
        for rule in tariff.rules:
            for name, value in _charge_columns(rule.charge).items():
                charges[name].append(value)
        for service in services:
            for zone in zones:
                for band in bands:
                    for direction in directions:
                        for access in accesses:
                            table.append(
                                _first_rule(
                                    tariff, first_rule, service, zone, band, direction, access
                                )
                            )
        first_rule += len(tariff.rules)
    return {
        "rule_key_dims": dims_all,
        "rule_table": pl.Series(table, dtype=pl.Int32),
        "charges": {name: pl.Series(values, dtype=pl.Int64) for name, values in charges.items()},
    }


def _first_rule(
    tariff: Tariff,
    offset: int,
    service: str | None,
    zone: Zone | None,
    band: str | None,
    direction: str | None,
    access: str | None,
) -> int | None:
    if service is None:  # a service no rule names
        return None
    for number, rule in enumerate(tariff.rules):
        if rule.direction is not None and direction is None:
            continue  # a direction no rule names matches only rules without one
        if rule.matches(service, zone, band, direction or "", access):
            return offset + number
    return None


def _compile_assignments(plan: RatingPlan, tariff_ids: tuple[str, ...]) -> dict[str, Any]:
    """Assignments as columns; allowance lists by their (few) distinct values."""
    assignments = plan.assignments
    subscribers = tuple(dict.fromkeys(a.subscriber for a in assignments))
    sub_id = {s: i for i, s in enumerate(subscribers)}
    known = {a.id: i for i, a in enumerate(plan.allowances)}
    if len(known) < len(plan.allowances):
        raise ValueError("allowance ids must be unique in a plan")
    list_code: dict[tuple[str, ...], int] = {}
    lists: list[tuple[int, ...]] = []
    for ids in dict.fromkeys(a.allowance_ids for a in assignments):
        unknown = [x for x in ids if x not in known]
        if unknown:
            raise KeyError(f"unknown allowance {unknown[0]!r}")
        list_code[ids] = len(lists)
        lists.append(tuple(dict.fromkeys(known[x] for x in ids)))
    max_positions = max((len(x) for x in lists), default=0)
    if max_positions > _MAX_POSITIONS:
        raise ValueError(f"at most {_MAX_POSITIONS} allowances per assignment")
    order, consistent = _allowance_order(len(plan.allowances), lists)
    flat: list[int | None] = []
    for x in lists:
        flat.extend([*x, *([None] * (max_positions - len(x)))])
    micros = _cached_micros()
    tariff_code = {t: i for i, t in enumerate(tariff_ids)}
    frame = pl.DataFrame(
        {
            "sub_id": [sub_id[a.subscriber] for a in assignments],
            "product_id": [a.product_id for a in assignments],
            "valid_from": [micros(a.valid_from) for a in assignments],
            "valid_to": [micros(a.valid_to) for a in assignments],
            "tariff_id_code": [tariff_code.get(a.tariff_id) for a in assignments],
            "list_code": [list_code[a.allowance_ids] for a in assignments],
        },
        schema={
            "sub_id": pl.Int32,
            "product_id": pl.String,
            "valid_from": pl.Int64,
            "valid_to": pl.Int64,
            "tariff_id_code": pl.Int32,
            "list_code": pl.Int32,
        },
    ).with_row_index("asg")
    return {
        "subscribers": pl.DataFrame(
            {"subscriber": subscribers, "sub_id": range(len(subscribers))},
            schema={"subscriber": pl.String, "sub_id": pl.Int32},
        ),
        "assignments": frame,
        "single_assignment": len(subscribers) == len(assignments),
        "uses_products": any(a.product_id is not None for a in assignments),
        "allowance_order": order,
        "order_consistent": consistent,
        "allowance_position": tuple(
            pl.Series([x.index(a) if a in x else -1 for x in lists], dtype=pl.Int64)
            for a in range(len(plan.allowances))
        ),
        "list_allowance": pl.Series(flat, dtype=pl.Int32),
        "list_has_allowances": pl.Series([bool(x) for x in lists], dtype=pl.Boolean),
        "max_positions": max_positions,
        "shared": any(a.shared for a in plan.allowances),
    }


def _cached_micros() -> Callable[[datetime | None], int | None]:
    """``_micros`` remembering its answers: assignments share a handful of instants."""
    seen: dict[datetime, int] = {}

    def micros(at: datetime | None) -> int | None:
        if at is None:
            return None
        value = seen.get(at)
        if value is None:
            value = seen[at] = _micros(at)
        return value

    return micros


def _allowance_order(count: int, lists: Sequence[tuple[int, ...]]) -> tuple[tuple[int, ...], bool]:
    """An order of allowances that agrees with every list, if there is one (Kahn's
    algorithm, ties by first appearance); otherwise the first-appearance order."""
    appearance = list(dict.fromkeys([a for x in lists for a in x] + list(range(count))))
    after: dict[int, set[int]] = {a: set() for a in appearance}
    for x in lists:
        for earlier, later in pairwise(x):
            after[earlier].add(later)
    waiting = {a: 0 for a in appearance}
    for followers in after.values():
        for a in followers:
            waiting[a] += 1
    order: list[int] = []
    ready = [a for a in appearance if waiting[a] == 0]
    while ready:
        current = ready.pop(0)
        order.append(current)
        for a in sorted(after[current], key=appearance.index):
            waiting[a] -= 1
            if waiting[a] == 0:
                ready.append(a)
        ready.sort(key=appearance.index)
    if len(order) == len(appearance):
        return tuple(order), True
    return tuple(appearance), False


# --- local time ---------------------------------------------------------------------------


@lru_cache(maxsize=131_072)
def _day_offsets(timezone: str, day: int) -> tuple[int, int]:
    """The zone's UTC offset (µs) at the start and at the last µs of a UTC day."""
    zone = ZoneInfo(timezone)
    start = _EPOCH + timedelta(days=day)
    first = start.astimezone(zone).utcoffset() or timedelta(0)
    last = (start + timedelta(days=1, microseconds=-1)).astimezone(zone).utcoffset()
    return first // timedelta(microseconds=1), (last or timedelta(0)) // timedelta(microseconds=1)


def _local_time(t: pl.Series, timezone: str) -> pl.Series:
    """Local wall-clock µs of UTC µs: the offset looked up per UTC day; days holding a
    transition converted exactly."""
    if t.len() == 0:
        return t
    days = t // DAY_US
    low, high = int(days.min()), int(days.max())  # type: ignore[arg-type]
    offsets = [_day_offsets(timezone, d) for d in range(low, high + 1)]
    local = t + pl.Series([o[0] for o in offsets], dtype=pl.Int64).gather(days - low)
    changing = [low + i for i, o in enumerate(offsets) if o[0] != o[1]]
    if changing:
        rows = (days.is_in(changing)).arg_true()
        exact = (
            t.gather(rows)
            .cast(pl.Datetime("us", "UTC"))
            .dt.convert_time_zone(timezone)
            .dt.replace_time_zone(None)
            .cast(pl.Int64)
        )
        local = local.scatter(rows, exact)
    return local


def _local_by_tariff(t: pl.Series, tariff: pl.Series, cp: CompiledPlan) -> pl.Series:
    zones = tuple(dict.fromkeys(p.timezone for p in cp.profiles))
    if len(zones) <= 1:
        return _local_time(t, zones[0] if zones else "UTC")
    zone_of = pl.Series([zones.index(t.timezone) for t in cp.tariffs], dtype=pl.Int32)
    which = zone_of.gather(tariff)
    local = _local_time(t, zones[0])
    for number, zone in enumerate(zones[1:], start=1):
        local = local.zip_with(which != number, _local_time(t, zone))
    return local


def _near_transition(t: pl.Series, tariff: pl.Series, cp: CompiledPlan) -> pl.Series:
    """Whether the instant's UTC day, or a day next to it, holds a change of its tariff's
    zone offset (daylight saving): band edges there need the exact reading of local times."""
    days = t // DAY_US
    near = pl.Series([False] * t.len())
    if t.len() == 0:
        return near
    low, high = int(days.min()) - 1, int(days.max()) + 1  # type: ignore[arg-type]
    zones = [p.timezone for p in cp.profiles]
    zone_of = pl.Series([zones.index(t.timezone) for t in cp.tariffs], dtype=pl.Int32)
    for number, zone in enumerate(zones):
        flags = [a != b for a, b in (_day_offsets(zone, d) for d in range(low - 1, high + 2))]
        if not any(flags):
            continue
        table = pl.Series([any(flags[i : i + 3]) for i in range(high - low + 1)])
        hit = table.gather(days - low) & (zone_of.gather(tariff) == number)
        near = near | hit.fill_null(False)
    return near


def _to_utc(local: pl.Series, tariff: pl.Series, cp: CompiledPlan) -> pl.Series:
    """UTC µs of local wall-clock µs as the contract reads a band edge (a local date and
    time in the zone, fold 0): an ambiguous time is its earlier instant; a time in a gap is
    read with the offset from before the gap (that of a day earlier)."""
    zones = [p.timezone for p in cp.profiles]
    zone_of = pl.Series([zones.index(t.timezone) for t in cp.tariffs], dtype=pl.Int32)
    which = zone_of.gather(tariff)
    result = pl.Series([None] * local.len(), dtype=pl.Int64)
    for number, zone in enumerate(zones):
        earliest = (
            local.cast(pl.Datetime("us"))
            .dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null")
            .cast(pl.Int64)
        )
        day_before = local - DAY_US
        in_gap = local - (_local_time(day_before, zone) - day_before)
        reading = earliest.fill_null(in_gap)
        result = reading.zip_with(which == number, result)
    return result


def _day_table(local_days: pl.Series, build: Any) -> tuple[pl.Series, int]:
    low = int(local_days.min() or 0)  # type: ignore[arg-type]
    high = int(local_days.max() or 0)  # type: ignore[arg-type]
    values = [build(_EPOCH_DAY + timedelta(days=d)) for d in range(low, high + 1)]
    return pl.Series(values, dtype=pl.Int32), low


def _cycles(local: pl.Series) -> pl.Series:
    """Allowance and tier cycle: the local month as year * 12 + month - 1."""
    days = local // DAY_US
    table, low = _day_table(days, lambda d: d.year * 12 + d.month - 1)
    return table.gather(days - low)


def _bands(local: pl.Series, tariff: pl.Series, cp: CompiledPlan) -> pl.Series:
    """The band (code into ``band_names``) at each local instant; null without a band."""
    days = local // DAY_US
    frame = pl.DataFrame(
        {"tod": local - days * DAY_US, "profile": cp.tariff_profile.gather(tariff)}
    )
    result: pl.Expr = pl.lit(None, dtype=pl.Int16)
    for number, profile in reversed(list(enumerate(cp.profiles))):
        calendar = profile.calendar
        table, low = _day_table(days, lambda d, c=calendar: DAY_TYPES.index(c.day_type(d)))
        day_type = pl.lit(table.gather(days - low))
        band: pl.Expr = pl.lit(None, dtype=pl.Int16)
        for time_band in reversed(profile.bands):
            start, end = _clock_micros(time_band.start), _clock_micros(time_band.end)
            tod = pl.col("tod")
            if end == 0:
                inside = tod >= start
            elif end > start:
                inside = (tod >= start) & (tod < end)
            else:
                inside = (tod >= start) | (tod < end)
            types = [DAY_TYPES.index(d) for d in time_band.day_types if d in DAY_TYPES]
            code = cp.band_names.index(time_band.name)
            band = (
                pl.when(day_type.is_in(types) & inside).then(pl.lit(code, pl.Int16)).otherwise(band)
            )
        result = pl.when(pl.col("profile") == number).then(band).otherwise(result)
    return frame.with_columns(band=result)["band"]  # (a literal when there are no profiles)


def _edge_clocks(profile: _Profile) -> list[int]:
    """Times of day (µs) where a band may change: band starts and ends, and midnight."""
    clocks = {0}
    for band in profile.bands:
        clocks.update((_clock_micros(band.start), _clock_micros(band.end)))
    return sorted(clocks)


# --- input --------------------------------------------------------------------------------


def _codes(column: pl.Expr, values: Sequence[str], other: int) -> pl.Expr:
    """Small integer codes of a text column: the value's index, ``other`` for the rest."""
    if not values:
        return pl.lit(other, dtype=pl.Int32)
    enum = pl.Enum(list(values))
    return (
        column.cast(pl.String)
        .cast(enum, strict=False)
        .to_physical()
        .cast(pl.Int32)
        .fill_null(other)
    )


def prepare(usage: pl.DataFrame | pa.Table, cp: CompiledPlan) -> pl.DataFrame:
    """The columns rating reads, as codes and integers (event time as UTC µs).

    Everything here is per record and independent of other records, so a batch job can do
    it while it partitions the input and carry the compact result (``rate_prepared``).
    """
    converted = usage if isinstance(usage, pl.DataFrame) else pl.from_arrow(usage)
    if not isinstance(converted, pl.DataFrame):
        raise TypeError("usage must be a table")
    frame: pl.DataFrame = converted
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ValueError(f"usage lacks column(s) {', '.join(missing)}")
    if not isinstance(frame.schema["event_time"], pl.Datetime):
        raise ValueError("event_time must be a datetime column")

    def column(name: str, default: object, dtype: pl.DataType) -> pl.Expr:
        if name not in frame.columns:
            return pl.lit(default, dtype=dtype)
        return (
            pl.col(name).cast(dtype).fill_null(default)
            if default is not None
            else pl.col(name).cast(dtype)
        )

    area_id = _codes(column("calling_area_code", None, pl.String()), cp.area_codes, -2)
    selected = [
        pl.col("record_id").cast(pl.String),
        pl.col("subscriber").cast(pl.String),
        pl.col("event_time").dt.cast_time_unit("us").cast(pl.Int64).alias("t"),
        _codes(pl.col("service"), SERVICES, OTHER_SERVICE).cast(pl.Int8).alias("svc"),
        _codes(column("direction", Direction.MO.value, pl.String()), DIRECTIONS, OTHER_DIRECTION)
        .cast(pl.Int8)
        .alias("dir"),
        (_codes(column("ip_access_code", None, pl.String()), cp.access_codes, -1) + 1)
        .cast(pl.Int16)
        .alias("acc"),
        column("duration_s", 0, pl.Int64()).alias("dur"),
        column("volume_bytes", 0, pl.Int64()).alias("vol"),
        column("called", "", pl.String()).alias("called"),
        pl.when(column("calling_area_code", None, pl.String()).is_null())
        .then(None)
        .otherwise(area_id)
        .alias("carea"),
    ]
    if cp.uses_products:
        selected.append(column("product_id", None, pl.String()).alias("product_id"))
    if cp.shared:
        selected.append(column("account_id", "", pl.String()).alias("account_id"))
    prepared = frame.select(selected)
    problems = prepared.select(
        nulls=pl.any_horizontal(pl.col("record_id", "subscriber", "t").is_null()).any(),
        negative=((pl.col("dur") < 0) | (pl.col("vol") < 0)).any(),
    ).row(0)
    if problems[0]:
        raise ValueError("record_id, subscriber and event_time must not be null")
    if problems[1]:
        raise ValueError("negative duration or volume: mediation rejects such records")
    key, used = _called_key(prepared["called"], cp.width)
    return prepared.with_columns(
        key=key, used=used.cast(pl.Int8), has_called=pl.col("called") != ""
    ).drop("called")


def _called_key(called: pl.Series, width: int) -> tuple[pl.Series, pl.Series]:
    """The called number's first ``width`` digits as an integer, and how many it has.

    Fast path: the text is an optional '+' and up to 18 digits without leading zero, so its
    integer value and length give the leading digits. Anything else (rare) takes the text
    route. See the module docstring for how the key finds the longest prefix.
    """
    digits = pl.col("size")
    parsed = pl.DataFrame(
        {
            "value": called.str.to_integer(strict=False),
            "size": called.str.len_bytes().cast(pl.Int64)
            - called.str.starts_with("+").cast(pl.Int64),
        }
    ).select(
        key=pl.when(digits >= width)
        .then(pl.col("value") // pl.lit(_POW10).gather((digits - width).clip(0, 18)))
        .otherwise(pl.col("value") * pl.lit(_POW10).gather((width - digits).clip(0, 18))),
        used=digits.clip(upper_bound=width),
        fast=(pl.col("value") >= pl.lit(_POW10).gather((digits - 1).clip(0, 18)))
        .and_(digits <= 18)
        .fill_null(False),
    )
    key, used = parsed["key"], parsed["used"]
    slow = (~parsed["fast"] & (called != "")).arg_true()
    if slow.len():
        head = (
            called.gather(slow)
            .str.strip_prefix("+")
            .str.extract(r"^([0-9]*)", 1)
            .fill_null("")
            .str.slice(0, width)
        )
        used = used.scatter(slow, head.str.len_bytes().cast(pl.Int64))
        key = key.scatter(slow, head.str.pad_end(width, "0").str.to_integer())
    return key, used


# --- tariff, destination, zone ------------------------------------------------------------


def _assign(f: pl.DataFrame, cp: CompiledPlan) -> pl.DataFrame:
    """The first assignment in plan order in force for the subscriber (and product)."""
    known = f.select("subscriber").join(
        cp.subscribers, on="subscriber", how="left", maintain_order="left"
    )
    f = f.with_columns(sub_id=known["sub_id"])
    a = cp.assignments
    if cp.single_assignment:
        asg = pl.col("sub_id")
        valid: pl.Expr = pl.lit(True)
        # The bounds are checked only where some assignment could fail them.
        if a.height and int(a["valid_from"].max()) > int(f["t"].min() or 0):  # type: ignore[arg-type]
            valid = valid & (pl.lit(a["valid_from"]).gather(asg) <= pl.col("t"))
        if a["valid_to"].null_count() < a.height:
            valid_to = pl.lit(a["valid_to"]).gather(asg)
            valid = valid & (valid_to.is_null() | (pl.col("t") < valid_to))
        if cp.uses_products:
            product = pl.lit(a["product_id"]).gather(asg)
            valid = valid & (product.is_null() | (product == pl.col("product_id")).fill_null(False))
        return f.with_columns(asg=pl.when(valid).then(asg).otherwise(None))
    pairs = f.select("i", "sub_id", "t", *(["product_id"] if cp.uses_products else [])).join(
        a, on="sub_id", how="inner", suffix="_a"
    )
    valid = (pl.col("valid_from") <= pl.col("t")) & (
        pl.col("valid_to").is_null() | (pl.col("t") < pl.col("valid_to"))
    )
    if cp.uses_products:
        valid = valid & (
            pl.col("product_id_a").is_null()
            | (pl.col("product_id_a") == pl.col("product_id")).fill_null(False)
        )
    first = pairs.filter(valid).group_by("i").agg(pl.col("asg").min())
    return f.join(first, on="i", how="left", maintain_order="left")


def _resolve_tariff(f: pl.DataFrame, cp: CompiledPlan) -> pl.DataFrame:
    """The version in force at the event of the assignment's tariff (highest version)."""
    tid = pl.lit(cp.assignments["tariff_id_code"]).gather(pl.col("asg"))
    order = sorted(range(len(cp.tariffs)), key=lambda k: (-cp.tariffs[k].version, k))
    tariff: pl.Expr = pl.lit(None, dtype=pl.Int32)
    for k in reversed(order):
        tariff_k = cp.tariffs[k]
        in_force = (tid == cp.tariff_id_code[k]) & (pl.col("t") >= _micros(tariff_k.effective_from))
        if tariff_k.effective_to is not None:
            in_force = in_force & (pl.col("t") < _micros(tariff_k.effective_to))
        tariff = pl.when(in_force).then(pl.lit(k, dtype=pl.Int32)).otherwise(tariff)
    return f.with_columns(tariff=tariff)


_POW10 = pl.Series([10**k for k in range(19)], dtype=pl.Int64)


def _match(f: pl.DataFrame, cp: CompiledPlan) -> pl.DataFrame:
    """Longest prefix of the called number (see the module docstring) and its zone."""
    key, used, has_called = f["key"], f["used"], f["has_called"]
    tariff = f["tariff"]
    if cp.tariff_table_base.n_unique() > 1:
        key = key + cp.tariff_table_base.gather(tariff)
    segment = cp.bounds.search_sorted(key.fill_null(-1), side="right").cast(pl.Int64) - 1
    dest = pl.select(
        pl.when((segment >= 0) & has_called & tariff.is_not_null())
        .then(pl.lit(cp.segment_destination).gather(segment.clip(lower_bound=0)))
        .cast(pl.Int32)
    ).to_series()
    while True:  # a prefix longer than a short number: fall back to its parent
        too_long = (cp.destination_length.gather(dest) > used).fill_null(False)
        if not too_long.any():
            break
        dest = dest.zip_with(~too_long, cp.destination_parent.gather(dest))
    areas = len(cp.area_codes)
    darea, carea = pl.col("darea"), pl.col("carea")
    in_province = pl.lit(cp.in_province)
    row = pl.col("tariff") * areas
    both = in_province.gather(row + darea) & in_province.gather(row + carea.clip(lower_bound=0))
    zone = (
        pl.when(darea.is_null())
        .then(pl.lit(cp.destination_zone).gather(pl.col("dest")))
        .when(carea.is_null())
        .then(None)
        .when(darea == carea)
        .then(pl.lit(ZONES.index(Zone.LOCAL), dtype=pl.Int8))
        .when(both & (carea >= 0))
        .then(pl.lit(ZONES.index(Zone.INTRA_PROVINCE), dtype=pl.Int8))
        .otherwise(pl.lit(ZONES.index(Zone.INTER_PROVINCE), dtype=pl.Int8))
    )
    return (
        f.with_columns(dest=dest, darea=cp.destination_area.gather(dest))
        .with_columns(zone=zone.cast(pl.Int8))
        .drop("key", "used", "darea")
    )


# --- pricing ------------------------------------------------------------------------------


def _rule_expr(cp: CompiledPlan, band: pl.Expr) -> pl.Expr:
    services, zones, bands, directions, accesses = cp.rule_key_dims
    key = pl.col("tariff").cast(pl.Int64) * services + pl.col("svc")
    key = key * zones + pl.col("zone").fill_null(NO_ZONE)
    key = key * bands + band.fill_null(bands - 1)
    key = (key * directions + pl.col("dir")) * accesses + pl.col("acc")
    return pl.lit(cp.rule_table).gather(key)


def _ceil_div(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    return -((-a) // b)


def _price(f: pl.DataFrame, cp: CompiledPlan) -> pl.DataFrame:
    """Amount and rounded units of each event as priced from its start.

    Reads tariff, svc, zone, dir, acc, t, local, dur, vol and band (the call's band, which
    selects the starting rule); adds rule, amount, units and no_rule (a part without rule).
    Durations and volumes are never negative, so the price needs no branch (see
    ``_charge_columns``).
    """
    f = f.with_columns(rule=_rule_expr(cp, pl.col("band")))
    f = f.with_columns(
        **{name: pl.lit(series).gather(pl.col("rule")) for name, series in cp.charges.items()}
    )
    dur, step = pl.col("dur"), pl.col("step_div")
    answered = (dur > 0).cast(pl.Int64)
    steps = _ceil_div((dur - pl.col("first_block_s")).clip(lower_bound=0), step)
    f = f.with_columns(
        time_li=answered * pl.col("first_block_li") + steps * pl.col("step_li"),
        rounded_s=answered * pl.col("first_block_s") + steps * step,
        part_no_rule=pl.lit(False),
    )
    if any(cp.tariff_split):
        f = _split(f, cp)
    unit = pl.col("unit_div")
    volume_units = _ceil_div(pl.col("vol"), unit)
    amount = pl.col("fixed_li") + pl.col("time_li") + volume_units * pl.col("unit_li")
    return f.with_columns(
        amount=amount.clip(upper_bound=pl.col("cap_li")),
        units=pl.when(pl.col("svc") == VOICE)
        .then(pl.col("rounded_s"))
        .when(pl.col("svc") == SMS)
        .then(pl.lit(1, dtype=pl.Int64))
        .otherwise(volume_units * unit),
        no_rule=pl.col("rule").is_null() | pl.col("part_no_rule"),
    ).drop(*cp.charges, "time_li", "rounded_s", "part_no_rule")


def _split(f: pl.DataFrame, cp: CompiledPlan) -> pl.DataFrame:
    """Re-price the calls of "split" tariffs that reach a band edge, part by part."""
    split = pl.lit(pl.Series(cp.tariff_split, dtype=pl.Boolean)).gather(pl.col("tariff"))
    wanted = (split & (pl.col("dur") > 0) & pl.col("rule").is_not_null()).fill_null(False)
    needed = ["t", "local", "dur", "tariff", "svc", "zone", "dir", "acc", "band"]
    calls = (
        f.select(*needed, "first_block_s", "first_block_li", wanted=wanted)
        .with_row_index("row")
        .filter(pl.col("wanted"))
    )
    if calls.height == 0:
        return f
    end = calls["t"] + calls["dur"] * SECOND_US
    calls = calls.with_columns(
        end=end,
        local_end=_local_by_tariff(end, calls["tariff"], cp),
        profile=cp.tariff_profile.gather(calls["tariff"]),
    )
    # A call reaches an edge when the first edge after its start lies before its end; near
    # a change of the zone's offset every call is cut the exact way.
    day_start = (pl.col("local") // DAY_US) * DAY_US
    tod = pl.col("local") - day_start
    following: pl.Expr = pl.lit(None, dtype=pl.Int64)
    for number, profile in reversed(list(enumerate(cp.profiles))):
        nxt: pl.Expr = pl.lit(DAY_US, dtype=pl.Int64)
        for clock in reversed(_edge_clocks(profile)):
            nxt = pl.when(tod < clock).then(pl.lit(clock, dtype=pl.Int64)).otherwise(nxt)
        following = pl.when(pl.col("profile") == number).then(nxt).otherwise(following)
    near = _near_transition(calls["t"], calls["tariff"], cp) | _near_transition(
        calls["end"], calls["tariff"], cp
    )
    calls = calls.with_columns(near=near)
    calls = calls.filter((day_start + following < pl.col("local_end")) | pl.col("near"))
    if calls.height == 0:
        return f
    parts = _parts(calls, cp)
    return f.with_columns(
        time_li=f["time_li"].scatter(parts["row"], parts["time_li"]),
        rounded_s=f["rounded_s"].scatter(parts["row"], parts["rounded_s"]),
        part_no_rule=f["part_no_rule"].scatter(parts["row"], parts["no_rule"]),
    )


def _parts(calls: pl.DataFrame, cp: CompiledPlan) -> pl.DataFrame:
    """Time price and rounded seconds of crossing calls, cut where the band changes.

    Mirrors the contract: edges are band starts and ends and midnights on every local date
    the call touches, as whole started seconds from the start; a part begins at an edge
    where the band differs from the running part's; the starting rule's first block covers
    the call's first seconds, and each part rounds its remaining seconds to its own step.
    """
    clocks = pl.Series([_edge_clocks(p) for p in cp.profiles], dtype=pl.List(pl.Int64))
    edges = (
        calls.select(
            "row",
            "t",
            "end",
            "dur",
            "tariff",
            "local",
            "local_end",
            "near",
            day=pl.int_ranges(pl.col("local") // DAY_US, pl.col("local_end") // DAY_US + 1),
            clock=pl.lit(clocks).gather(pl.col("profile")),
        )
        .explode("day")
        .explode("clock")
        .with_columns(edge_local=pl.col("day") * DAY_US + pl.col("clock"))
    )
    # Away from offset changes an edge is the call's own offset away from its local time.
    edge_utc = edges["edge_local"] - (edges["local"] - edges["t"])
    if edges["near"].any():
        exact = _to_utc(edges["edge_local"], edges["tariff"], cp)
        edge_utc = exact.zip_with(edges["near"], edge_utc)
    offset = _ceil_div(pl.col("edge") - pl.col("t"), pl.lit(SECOND_US))
    edges = (
        edges.with_columns(edge=edge_utc)
        .filter((pl.col("edge") > pl.col("t")) & (pl.col("edge") < pl.col("end")))
        .select("row", "t", "tariff", "dur", offset=offset)
        .unique(["row", "offset"])
        .filter(pl.col("offset") < pl.col("dur"))
        .sort("row", "offset")
    )
    at = edges["t"] + edges["offset"] * SECOND_US
    edges = edges.with_columns(
        part_band=_bands(_local_by_tariff(at, edges["tariff"], cp), edges["tariff"], cp)
    ).join(calls.select("row", "band"), on="row", how="left", maintain_order="left")
    same_call = pl.col("row") == pl.col("row").shift(1)
    previous = pl.when(same_call).then(pl.col("part_band").shift(1)).otherwise(pl.col("band"))
    starts = edges.filter(pl.col("part_band").ne_missing(previous)).select(
        "row", begin="offset", part_band="part_band"
    )
    keys = ["row", "tariff", "svc", "zone", "dir", "acc", "dur", "first_block_s"]
    parts = (
        pl.concat(
            [
                calls.select("row", begin=pl.lit(0, dtype=pl.Int64), part_band=pl.col("band")),
                starts,
            ]
        )
        .sort("row", "begin")
        .join(calls.select(keys), on="row", how="left", maintain_order="left")
    )
    next_begin = pl.when(pl.col("row").shift(-1) == pl.col("row")).then(pl.col("begin").shift(-1))
    parts = parts.with_columns(
        finish=next_begin.otherwise(pl.col("dur")),
        part_rule=_rule_expr(cp, pl.col("part_band")),
    ).with_columns(
        step_div=pl.lit(cp.charges["step_div"]).gather(pl.col("part_rule")),
        step_li=pl.lit(cp.charges["step_li"]).gather(pl.col("part_rule")),
    )
    first_block = pl.col("first_block_s")
    overlap = (pl.min_horizontal(pl.col("finish"), first_block) - pl.col("begin")).clip(
        lower_bound=0
    )
    steps = _ceil_div(pl.col("finish") - pl.col("begin") - overlap, pl.col("step_div"))
    summed = parts.group_by("row").agg(
        time=(steps * pl.col("step_li")).sum(),
        rounded=(steps * pl.col("step_div")).sum(),
        no_rule=pl.col("part_rule").is_null().any(),
    )
    # The first block is priced once (these calls have a duration above 0).
    return summed.join(calls.select("row", "first_block_li", "first_block_s"), on="row").select(
        "row",
        "no_rule",
        time_li=pl.col("first_block_li") + pl.col("time"),
        rounded_s=pl.col("first_block_s") + pl.col("rounded"),
    )


# --- allowances ---------------------------------------------------------------------------

_POW2 = pl.Series([1 << k for k in range(_MAX_POSITIONS + 1)], dtype=pl.Int64)


def _cycle_text(cycle: pl.Expr) -> pl.Expr:
    year = (cycle // 12).cast(pl.String).str.zfill(4)
    month = (cycle % 12 + 1).cast(pl.String).str.zfill(2)
    return pl.concat_str([year, pl.lit("-"), month])


def _cycle_number(text: pl.Expr) -> pl.Expr:
    year = text.str.slice(0, 4).cast(pl.Int32)
    return year * 12 + text.str.slice(5, 2).cast(pl.Int32) - 1


def _opening(balances: pl.DataFrame, cp: CompiledPlan) -> dict[int, pl.DataFrame]:
    """Balances before the batch per allowance, keyed as the engine keys pools: the owner is
    the subscriber number (``sub_id``) or, for shared pools, the account."""
    by_allowance: dict[int, pl.DataFrame] = {}
    if balances.height == 0:
        return by_allowance
    frame = balances.with_columns(cycle=_cycle_number(pl.col("cycle")))
    for number, allowance in enumerate(cp.allowances):
        rows = frame.filter(pl.col("allowance_id") == allowance.id)
        if not allowance.shared:
            rows = rows.join(
                cp.subscribers.rename({"subscriber": "owner"}), on="owner", how="inner"
            ).with_columns(owner=pl.col("sub_id"))
        by_allowance[number] = rows.select("owner", "cycle", "fresh", "carried")
    return by_allowance


def _open_pools(
    pools: pl.DataFrame, units: int, carry: bool, opening: pl.DataFrame | None
) -> pl.DataFrame:
    """Initial and final balance of every pool the batch draws (owner, cycle, total).

    A pool the state holds starts from its balance; a new one from ``units`` fresh, plus the
    previous cycle's fresh units when it carries over (the previous pool as this batch left
    it, or as the state held it). Carried units go first.
    """
    keys = ["owner", "cycle"]
    if opening is not None:
        pools = pools.join(
            opening.rename({"fresh": "st_fresh", "carried": "st_carried"}),
            on=keys,
            how="left",
            maintain_order="left",
        )
    else:
        pools = pools.with_columns(
            st_fresh=pl.lit(None, dtype=pl.Int64), st_carried=pl.lit(None, dtype=pl.Int64)
        )
    pools = pools.with_columns(
        new=pl.col("st_fresh").is_null(),
        fresh0=pl.col("st_fresh").fill_null(units),
        carried0=pl.col("st_carried").fill_null(0),
    )
    used = pl.min_horizontal(pl.col("total"), pl.col("fresh0") + pl.col("carried0"))
    from_carried = pl.min_horizontal(used, pl.col("carried0"))
    final = [
        (pl.col("fresh0") + pl.col("carried0")).alias("initial"),
        (pl.col("fresh0") - (used - from_carried)).alias("fresh"),
        (pl.col("carried0") - from_carried).alias("carried"),
    ]
    if carry and pools["new"].any():
        if opening is not None:
            before = opening.select("owner", cycle=pl.col("cycle") + 1, prev_state=pl.col("fresh"))
            pools = pools.join(before, on=keys, how="left", maintain_order="left")
        else:
            pools = pools.with_columns(prev_state=pl.lit(None, dtype=pl.Int64))
        while True:  # one round per chained cycle: each new pool's carry is its predecessor's
            finished = pools.with_columns(final)
            previous = finished.select("owner", cycle=pl.col("cycle") + 1, prev_batch="fresh")
            carried = (
                pools.join(previous, on=keys, how="left", maintain_order="left")
                .select(
                    pl.when(pl.col("new"))
                    .then(pl.coalesce("prev_batch", "prev_state", pl.lit(0, dtype=pl.Int64)))
                    .otherwise(pl.col("carried0"))
                )
                .to_series()
            )
            if carried.equals(pools["carried0"]):
                break
            pools = pools.with_columns(carried0=carried)
    return pools.with_columns(final).select("owner", "cycle", "initial", "fresh", "carried")


def _pool_draws(
    c: pl.DataFrame, allowance: Allowance, opening: pl.DataFrame | None
) -> tuple[pl.DataFrame, pl.Series, pl.DataFrame]:
    """Units each candidate finds left in its pool, and the pools' balances.

    ``c`` (owner, cycle, q) is in event-time order; a stable sort by pool keeps that order
    inside each pool, so one running sum gives every event the quantity drawn before it in
    its pool. Returns ``c`` in pool order, the units left before each event, and the pools.
    """
    c = c.sort("owner", "cycle", maintain_order=True)
    head = (pl.col("owner") != pl.col("owner").shift(1)) | (
        pl.col("cycle") != pl.col("cycle").shift(1)
    )
    c = c.with_columns(head=head.fill_null(True), cum=pl.col("q").cum_sum())
    c = c.with_columns(pool=pl.col("head").cum_sum().cast(pl.Int64) - 1)
    heads = c["head"].arg_true()
    ends = pl.concat([heads.slice(1) - 1, pl.Series([c.height - 1], dtype=heads.dtype)])
    base = c["cum"].gather(heads) - c["q"].gather(heads)
    pools = _open_pools(
        c.gather(heads).select("owner", "cycle", total=c["cum"].gather(ends) - base),
        allowance.units_per_cycle,
        allowance.carry_over_cycles == 1,
        opening,
    )
    pool = c["pool"]
    before = c["cum"] - c["q"] - base.gather(pool)
    left = (pools["initial"].gather(pool) - before).clip(lower_bound=0)
    return c, left, pools


def _draw(
    e: pl.DataFrame, cp: CompiledPlan, opening: dict[int, pl.DataFrame]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Which allowance serves each event and how much it covers, and the pools drawn.

    ``e`` holds the events that may draw (chargeable, priced above 0, with allowances),
    sorted by event time and record id. An event's bit ``p`` in ``avail`` says that the
    allowance at position ``p`` of its assignment's list is applicable and had units left;
    it may draw from an allowance only when no earlier position's bit is set.
    """
    e = e.with_row_index("e_pos")
    avail = pl.zeros(e.height, dtype=pl.Int64, eager=True)
    covered = pl.zeros(e.height, dtype=pl.Int64, eager=True)
    drawn: dict[int, pl.DataFrame] = {}
    while True:
        start = avail
        for number in cp.allowance_order:
            allowance = cp.allowances[number]
            position = cp.allowance_position[number].gather(e["lc"])
            bit = _POW2.gather(position.clip(lower_bound=0))
            applicable = position >= 0
            if allowance.service in SERVICES:
                applicable = applicable & (e["svc"] == SERVICES.index(allowance.service))
            else:
                applicable = applicable & False
            if allowance.zones is not None:
                zones = [ZONES.index(z) for z in allowance.zones]
                applicable = applicable & e["zone"].is_in(zones).fill_null(False)
            blocked = (avail & (bit - 1)) != 0
            candidate = applicable & ~blocked
            rows = candidate.arg_true()
            has_bit = position >= 0
            avail = avail.zip_with(~has_bit, avail & ~bit)  # cleared; set again below
            if rows.len() == 0:
                drawn.pop(number, None)
                continue
            owner = pl.col("account_id") if allowance.shared else pl.col("sub_id")
            c, left, pools = _pool_draws(
                e.gather(rows).select("e_pos", "q", "cycle", owner=owner),
                allowance,
                opening.get(number),
            )
            has_left = left > 0
            served = c["e_pos"].filter(has_left)
            avail = avail.scatter(served, avail.gather(served) | bit.gather(served))
            drawn_units = pl.select(
                pl.min_horizontal(c["q"].filter(has_left), left.filter(has_left))
            ).to_series()
            covered = covered.scatter(served, drawn_units)
            drawn[number] = pools
        if cp.order_consistent or avail.equals(start):
            break
    position_of: pl.Expr = pl.lit(None, dtype=pl.Int64)
    for k in reversed(range(cp.max_positions)):
        position_of = pl.when(pl.col("avail") == (1 << k)).then(k).otherwise(position_of)
    served_by = e.with_columns(avail=avail, covered=covered).select(
        "i",
        "covered",
        allowance=pl.lit(cp.list_allowance).gather(
            pl.col("lc").cast(pl.Int64) * cp.max_positions + position_of
        ),
    )
    return served_by, _drawn_pools(drawn, cp)


def _drawn_pools(drawn: dict[int, pl.DataFrame], cp: CompiledPlan) -> pl.DataFrame:
    frames = []
    for number, pools in drawn.items():
        allowance = cp.allowances[number]
        owner = pl.col("owner")
        if not allowance.shared:  # the subscriber of each sub_id
            pools = pools.join(
                cp.subscribers, left_on="owner", right_on="sub_id", maintain_order="left"
            ).with_columns(owner=pl.col("subscriber"))
        frames.append(
            pools.select(
                allowance_id=pl.lit(allowance.id, dtype=pl.String),
                owner=owner.cast(pl.String),
                cycle=_cycle_text(pl.col("cycle")),
                fresh="fresh",
                carried="carried",
            )
        )
    if not frames:
        return pl.DataFrame(schema=BALANCE_SCHEMA)
    return pl.concat(frames)


# --- remainders, tiers, output ------------------------------------------------------------

_PRICE_INPUTS = ("tariff", "svc", "zone", "dir", "acc", "t", "local", "dur", "vol", "band")


def _remainders(rest: pl.DataFrame, cp: CompiledPlan) -> pl.DataFrame:
    """Price what allowances left uncovered, as events of their own (see the model).

    ``rest`` holds the partly covered events with their quantity ``q`` and ``covered``.
    """
    voice = pl.col("svc") == VOICE
    left = pl.col("q") - pl.col("covered")
    rest = rest.with_columns(
        t=pl.when(voice).then(pl.col("t") + pl.col("covered") * SECOND_US).otherwise(pl.col("t")),
        dur=pl.when(voice).then(left).otherwise(0),
        vol=pl.when(voice).then(0).otherwise(left),
    )
    local = _local_by_tariff(rest["t"], rest["tariff"], cp)
    split = pl.Series(cp.tariff_split, dtype=pl.Boolean).gather(rest["tariff"])
    band = _bands(local, rest["tariff"], cp).zip_with(split, rest["band"])
    priced = _price(rest.with_columns(local=local, band=band).select("i", *_PRICE_INPUTS), cp)
    return priced.select("i", "amount", "units", "no_rule")


def _tiers(f: pl.DataFrame, cp: CompiledPlan) -> pl.Series:
    """The amount after tier discounts, counted per subscriber, tariff id, cycle, service."""
    tiered = [k for k, t in enumerate(cp.tariffs) if t.tiers]
    if not tiered:
        return f["amount"]
    ids = {cp.tariff_id_code[k] for k in tiered}
    tid = pl.lit(pl.Series(cp.tariff_id_code, dtype=pl.Int32)).gather(pl.col("tariff"))
    counted = _in_event_order(
        f.select(
            "i",
            "t",
            "record_id",
            "sub_id",
            "tariff",
            "cycle",
            "svc",
            "units",
            "amount",
            tid=tid,
            counted=pl.col("error").is_null() & pl.col("chargeable") & tid.is_in(sorted(ids)),
        )
        .filter(pl.col("counted"))
        .drop("counted")
    )
    before = pl.col("units").cum_sum().over("sub_id", "tid", "cycle", "svc") - pl.col("units")
    percent: pl.Expr = pl.lit(None, dtype=pl.Int64)
    for k in reversed(tiered):
        chain: pl.Expr = pl.lit(None, dtype=pl.Int64)
        ranked = sorted(cp.tariffs[k].tiers, key=lambda tier: -tier.from_units)
        for tier in reversed(ranked):
            code = SERVICES.index(tier.service) if tier.service in SERVICES else -1
            reached = (pl.col("svc") == code) & (before >= tier.from_units)
            chain = pl.when(reached).then(pl.lit(tier.percent, dtype=pl.Int64)).otherwise(chain)
        percent = pl.when(pl.col("tariff") == k).then(chain).otherwise(percent)
    discounted = counted.select(
        "i",
        amount=pl.when(percent.is_not_null())
        .then((pl.col("amount") * percent + 50) // 100)
        .otherwise(pl.col("amount")),
    )
    return f["amount"].scatter(discounted["i"], discounted["amount"])


def _in_event_order(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows by event time, ties by record id (and then input order), as the contract draws
    pools and counts tiers. Ties are rare, so the text key is used only when there are any."""
    by_time = frame.sort("t", maintain_order=True)
    if by_time.height > 1 and (by_time["t"].diff() == 0).any():
        return frame.sort("t", "record_id", maintain_order=True)
    return by_time


def _rate(
    prepared: pl.DataFrame, cp: CompiledPlan, balances: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    f = _match(_resolve_tariff(_assign(prepared.with_row_index("i"), cp), cp), cp)
    local = _local_by_tariff(f["t"], f["tariff"], cp)
    f = f.with_columns(local=local, band=_bands(local, f["tariff"], cp), cycle=_cycles(local))
    no_destination = pl.col("dest").is_null() | pl.col("zone").is_null()
    f = _price(
        f.with_columns(
            error=pl.when(pl.col("tariff").is_null())
            .then(pl.lit(_NO_TARIFF, dtype=pl.Int8))
            .when(pl.col("has_called") & no_destination)
            .then(pl.lit(_UNKNOWN_DESTINATION, dtype=pl.Int8)),
            chargeable=(pl.col("svc") == SMS) | (pl.col("dur") > 0) | (pl.col("vol") > 0),
        ),
        cp,
    )
    ok = pl.col("error").is_null()
    no_rule = pl.col("rule").is_null() | (pl.col("chargeable") & pl.col("no_rule"))
    f = f.with_columns(error=pl.when(ok & no_rule).then(_NO_RULE).otherwise(pl.col("error")))
    priced = ok & pl.col("chargeable")
    f = f.with_columns(
        amount=pl.when(priced).then(pl.col("amount")).otherwise(0),
        units=pl.when(priced).then(pl.col("units")).otherwise(0),
        q=pl.when(pl.col("svc") == VOICE)
        .then(pl.col("dur"))
        .when(pl.col("svc") == SMS)
        .then(1)
        .otherwise(pl.col("vol")),
    )

    allowance = pl.Series("allowance", [None] * f.height, dtype=pl.Int32)
    covered = pl.zeros(f.height, dtype=pl.Int64, eager=True)
    drawn = pl.DataFrame(schema=BALANCE_SCHEMA)
    if cp.allowances:
        eligible = priced & (pl.col("amount") > 0)
        lc = pl.lit(cp.assignments["list_code"]).gather(pl.col("asg"))
        f = f.with_columns(lc=lc)
        eligible = eligible & pl.lit(cp.list_has_allowances).gather(pl.col("lc")).fill_null(False)
        columns = ["i", "t", "record_id", "sub_id", "svc", "zone", "lc", "cycle", "q"]
        e = f.select(*columns, *(["account_id"] if cp.shared else []), eligible=eligible)
        ordered = _in_event_order(e.filter(pl.col("eligible")).drop("eligible"))
        served, drawn = _draw(ordered, cp, _opening(balances, cp))
        served = served.filter(pl.col("allowance").is_not_null())
        allowance = allowance.scatter(served["i"], served["allowance"])
        covered = covered.scatter(served["i"], served["covered"])
    f = f.with_columns(allowance=allowance, covered=covered)

    # Partly covered events: the remainder's price and units; a remainder without a rule
    # makes the event NO_RULE (the pool stays drawn, as in the reference).
    rest = f.filter(pl.col("allowance").is_not_null() & (pl.col("q") > pl.col("covered")))
    full = pl.col("allowance").is_not_null() & (pl.col("q") <= pl.col("covered"))
    f = f.with_columns(
        amount=pl.when(full).then(0).otherwise(pl.col("amount")),
        units=pl.when(full).then(pl.col("covered")).otherwise(pl.col("units")),
    )
    if rest.height:
        r = _remainders(rest, cp).with_columns(covered=rest["covered"])
        failed = r.filter(pl.col("no_rule"))["i"]
        r = r.with_columns(  # a failed remainder leaves an errored row: nothing to show
            amount=pl.when(pl.col("no_rule")).then(0).otherwise(pl.col("amount")),
            units=pl.when(pl.col("no_rule")).then(0).otherwise(pl.col("units") + pl.col("covered")),
        )
        f = f.with_columns(
            amount=f["amount"].scatter(r["i"], r["amount"]),
            units=f["units"].scatter(r["i"], r["units"]),
            error=f["error"].scatter(
                failed, pl.repeat(_NO_RULE, failed.len(), dtype=pl.Int8, eager=True)
            ),
            allowance=f["allowance"].scatter(
                failed, pl.repeat(None, failed.len(), dtype=pl.Int32, eager=True)
            ),
            covered=f["covered"].scatter(
                failed, pl.zeros(failed.len(), dtype=pl.Int64, eager=True)
            ),
        )
    f = f.with_columns(amount=_tiers(f, cp))
    return _output(f, cp), drawn


def _output(f: pl.DataFrame, cp: CompiledPlan) -> pl.DataFrame:
    """One explained row per record; errored rows keep what was established before the
    error (amount, units and allowance are already 0 or null there)."""
    located = ~pl.col("error").is_in([_NO_TARIFF, _UNKNOWN_DESTINATION]).fill_null(False)
    tid = pl.lit(pl.Series(cp.tariff_id_code, dtype=pl.Int32)).gather(pl.col("tariff"))
    versions = pl.Series([t.version for t in cp.tariffs], dtype=pl.Int64)

    def text(codes: pl.Expr, column: str) -> pl.Expr:
        enum, physical = cp.enums[column]
        return codes.cast(physical).cat.to(enum).alias(column)

    return f.select(
        "record_id",
        text(tid, "tariff_id"),
        tariff_version=pl.lit(versions).gather(pl.col("tariff")),
        matched_prefix=text(pl.lit(cp.destination_prefix).gather(pl.col("dest")), "matched_prefix"),
        zone=text(pl.when(located).then(pl.col("zone")), "zone"),
        band=text(pl.when(located).then(pl.col("band")), "band"),
        units="units",
        allowance_id=text(pl.col("allowance"), "allowance_id"),
        allowance_used="covered",
        amount_li="amount",
        error=text(pl.col("error"), "error"),
    )


# --- public API ---------------------------------------------------------------------------


def rate_frame(
    usage: pl.DataFrame | pa.Table, cp: CompiledPlan, balances: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rate a batch under a compiled plan: (rated rows in input order, pools drawn).

    ``balances`` (``BALANCE_SCHEMA``) are pool balances before the batch; the second frame
    holds every pool the batch drew (or opened), as the batch left it.
    """
    return rate_prepared(prepare(usage, cp), cp, balances)


def rate_prepared(
    prepared: pl.DataFrame, cp: CompiledPlan, balances: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``rate_frame`` of a batch already through ``prepare`` (with the same plan)."""
    opening = balances if balances is not None else pl.DataFrame(schema=BALANCE_SCHEMA)
    return _rate(prepared, cp, opening)


def rate_table(
    usage: pl.DataFrame | pa.Table, plan: RatingPlan, state: AllowanceState | None = None
) -> pl.DataFrame:
    """Rate a batch of usage events (the columns of ``UsageEvent``) under ``plan``.

    Returns one row per input record, in input order, with the columns of ``RatedEvent``
    (text columns as Polars enums). ``state`` holds allowance balances before the batch and
    is updated in place, as ``rate_reference`` does.
    """
    balances = state_frame(state) if state is not None and state.balances else None
    rated, drawn = rate_frame(usage, compile_plan(plan), balances)
    if state is not None:
        apply_balances(state, drawn)
    return rated


def state_frame(state: AllowanceState) -> pl.DataFrame:
    """The balances of an allowance state as a frame (``BALANCE_SCHEMA``)."""
    items = list(state.balances.items())
    return pl.DataFrame(
        {
            "allowance_id": [k.allowance_id for k, _ in items],
            "owner": [k.owner for k, _ in items],
            "cycle": [k.cycle for k, _ in items],
            "fresh": [b.fresh for _, b in items],
            "carried": [b.carried for _, b in items],
        },
        schema=BALANCE_SCHEMA,
    )


def apply_balances(state: AllowanceState, drawn: pl.DataFrame) -> None:
    """Write the pools a batch drew back into ``state`` (existing balances in place)."""
    for allowance_id, owner, cycle, fresh, carried in drawn.iter_rows():
        key = PoolKey(allowance_id, owner, cycle)
        balance = state.balances.get(key)
        if balance is None:
            state.balances[key] = PoolBalance(fresh, carried)
        else:
            balance.fresh, balance.carried = fresh, carried


def usage_frame(events: Sequence[UsageEvent]) -> pl.DataFrame:
    """Usage events as the table ``rate_table`` reads (for tests and online callers)."""
    return pl.DataFrame(
        {
            "record_id": [e.record_id for e in events],
            "subscriber": [e.subscriber for e in events],
            "account_id": [e.account_id for e in events],
            "event_time": [e.event_time for e in events],
            "service": [str(e.service) for e in events],
            "direction": [str(e.direction) for e in events],
            "product_id": [e.product_id for e in events],
            "duration_s": [e.duration_s for e in events],
            "volume_bytes": [e.volume_bytes for e in events],
            "calling": [e.calling for e in events],
            "called": [e.called for e in events],
            "ip_access_code": [e.ip_access_code for e in events],
            "calling_area_code": [e.calling_area_code for e in events],
        },
        schema=USAGE_EVENT_SCHEMA,
    )


def rated_events(rated: pl.DataFrame) -> list[RatedEvent]:
    """The rows of a rated frame as ``RatedEvent`` values (for comparison and display)."""
    return [
        RatedEvent(
            record_id=row["record_id"],
            tariff_id=row["tariff_id"],
            tariff_version=row["tariff_version"],
            matched_prefix=row["matched_prefix"],
            zone=Zone(row["zone"]) if row["zone"] is not None else None,
            band=row["band"],
            units=row["units"],
            allowance_id=row["allowance_id"],
            allowance_used=row["allowance_used"],
            amount_li=row["amount_li"],
            error=row["error"],
        )
        for row in rated.iter_rows(named=True)
    ]
