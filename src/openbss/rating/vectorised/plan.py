"""The compiled plan: a rating plan turned into lookup tables for column work.

``compile_plan`` builds (and caches) a :class:`CompiledPlan`: tariffs and time profiles,
destination segments (from :mod:`.destinations`), the first-matching-rule table and the
charges' columns, assignments as a frame, and the order in which allowances are drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import polars as pl

from openbss.rating.contract import (
    Allowance,
    BandCrossing,
    Calendar,
    Charge,
    RatingPlan,
    Tariff,
    TimeBand,
    Zone,
)
from openbss.rating.vectorised.codes import (
    _EPOCH,
    _MAX_POSITIONS,
    DIRECTIONS,
    ERRORS,
    NO_ZONE,
    SERVICES,
    ZONES,
)
from openbss.rating.vectorised.destinations import _compile_destinations

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


def _enum(categories: Sequence[str]) -> tuple[pl.Enum, pl.DataType]:
    """An enum of the categories and the integer type of its codes."""
    enum = pl.Enum(list(categories))
    return enum, pl.Series([], dtype=enum).to_physical().dtype


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
