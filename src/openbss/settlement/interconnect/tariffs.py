"""Interconnect rules as a rating plan, priced by the retail rating kernel.

Settlement does not have a pricing engine of its own: the dated rules become tariffs of
:mod:`openbss.rating.contract` and go through the same vectorised kernel as retail usage.

- one tariff per traffic class (``mobile>fixed``…), one *version* per stretch of days in
  which the same rules are in force (a new version wherever a rule starts or ends), its
  ``effective_from`` midnight Beijing time;
- a version's rules: per service, per direction (``mt`` for ``in``: they pay us; ``mo`` for
  ``out``) — a voice rule charges ``step_li`` per started 60 s, an SMS rule ``event_li`` per
  message; no destinations and no zones (a rule matches any called number);
- the *subscriber* the kernel prices is the traffic class, assigned to its tariff for all
  time. A class without a rule in force at the call's time comes back as ``NO_TARIFF``, a
  service or direction without one as ``NO_RULE``; both are counted on the statement.

:func:`rule_names` maps the kernel's answer (tariff, version, service, direction) back to the
data rule's name, which the statements show.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import lru_cache
from itertools import pairwise

from openbss.rating.public import (
    Assignment,
    BandCrossing,
    Calendar,
    Charge,
    Destination,
    RateRule,
    RatingDirection,
    RatingPlan,
    RatingService,
    Tariff,
    Zone,
)
from openbss.settlement.interconnect.classify import TIME_ZONE
from openbss.settlement.interconnect.data import Rule

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
KERNEL_DIRECTION = {"in": RatingDirection.MT, "out": RatingDirection.MO}
SETTLEMENT_DIRECTION = {v.value: k for k, v in KERNEL_DIRECTION.items()}
MINUTE_S = 60

# Settlement events carry no called number (a rule matches any), so no prefix is ever looked
# up; the kernel's tables still want one destination.
NO_DESTINATION = (Destination("0", "any", zone=Zone.SPECIAL),)


def _instant(day: date) -> datetime:
    return datetime.combine(day, time(0), TIME_ZONE).astimezone(UTC)


def _charge(rule: Rule) -> Charge:
    if rule.service == "voice":
        return Charge(step_s=MINUTE_S, step_li=rule.rate_li)
    return Charge(event_li=rule.rate_li)


def _kernel_rules(rules: list[Rule]) -> tuple[RateRule, ...]:
    # One-sided rules first: the kernel takes the first match, so a rule for one direction
    # wins over a two-sided one of the same service.
    ordered = sorted(rules, key=lambda r: (r.direction is None, r.service, r.name))
    return tuple(
        RateRule(
            service=RatingService(rule.service),
            zone=None,
            band=None,
            direction=None if rule.direction is None else KERNEL_DIRECTION[rule.direction],
            ip_access_code=None,
            charge=_charge(rule),
            name=rule.name,
        )
        for rule in ordered
    )


def _versions(traffic_class: str, rules: list[Rule]) -> list[Tariff]:
    edges = sorted({r.valid_from for r in rules} | {r.valid_to for r in rules if r.valid_to})
    versions: list[Tariff] = []
    stretches = [*pairwise(edges), (edges[-1], None)]
    for start, end in stretches:
        in_force = [r for r in rules if r.in_force(start)]
        if not in_force:
            continue
        versions.append(
            Tariff(
                id=traffic_class,
                version=len(versions) + 1,
                effective_from=_instant(start),
                effective_to=None if end is None else _instant(end),
                province_area_codes=frozenset(),
                destinations=NO_DESTINATION,
                bands=(),
                calendar=Calendar(),
                band_crossing=BandCrossing.START,
                rules=_kernel_rules(in_force),
                name=f"interconnect {traffic_class}",
            )
        )
    return versions


@lru_cache(maxsize=8)
def interconnect_plan(rules: tuple[Rule, ...]) -> RatingPlan:
    """The rating plan of a rule set (cached: the kernel caches its compiled form by plan)."""
    classes = sorted({r.traffic_class for r in rules})
    tariffs = [t for c in classes for t in _versions(c, [r for r in rules if r.traffic_class == c])]
    assignments = tuple(Assignment(subscriber=c, tariff_id=c, valid_from=EPOCH) for c in classes)
    return RatingPlan(tariffs=tuple(tariffs), assignments=assignments)


@lru_cache(maxsize=8)
def rule_names(rules: tuple[Rule, ...]) -> dict[tuple[str, int, str, str], str]:
    """(traffic class, version, service, direction) → the name of the rule that prices it."""
    names: dict[tuple[str, int, str, str], str] = {}
    for tariff in interconnect_plan(rules).tariffs:
        for rule in tariff.rules:
            for direction in ("in", "out"):
                kernel = KERNEL_DIRECTION[direction]
                key = (tariff.id, tariff.version, rule.service.value, direction)
                if key not in names and rule.direction in (None, kernel):
                    names[key] = rule.name
    return names
