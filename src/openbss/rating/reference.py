"""The reference rater: slow, one event at a time, and written to be obviously correct.

It implements the contract in :mod:`openbss.rating.contract` literally, with integer arithmetic
only, and is the oracle every faster engine is compared with in the conformance suite. It is
not meant for volume: it loops over events in Python and looks prefixes up one length at a
time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from openbss.rating.contract import (
    Allowance,
    AllowanceState,
    Assignment,
    Charge,
    Destination,
    PoolBalance,
    PoolKey,
    RatedEvent,
    RateRule,
    RatingError,
    RatingPlan,
    Service,
    Tariff,
    UsageEvent,
    Zone,
    called_digits,
    pool_owner,
    previous_cycle,
    zone_for,
)

# A rule finder for one event: everything but the band is fixed by the event.
RuleFor = Callable[[str | None], RateRule | None]


def rate_reference(
    events: Sequence[UsageEvent], plan: RatingPlan, state: AllowanceState | None = None
) -> list[RatedEvent]:
    """Rate ``events`` under ``plan``; results come back in the order of ``events``.

    Events are processed in event-time order (ties by ``record_id``) so that allowance pools
    and tier counters are drawn in the order the usage happened, whatever the input order.
    ``state`` holds the allowance balances before this batch and is updated in place, so
    consecutive batches can share it; without it every pool starts full.
    """
    balances = state if state is not None else AllowanceState()
    # Cumulative rated units per (subscriber, tariff id, cycle, service), for tiers.
    tier_usage: dict[tuple[str, str, str, str], int] = {}
    order = sorted(
        range(len(events)), key=lambda i: (_utc(events[i].event_time), events[i].record_id)
    )
    results: dict[int, RatedEvent] = {}
    for i in order:
        results[i] = _rate_one(events[i], plan, balances, tier_usage)
    return [results[i] for i in range(len(events))]


def _utc(value: datetime) -> datetime:
    """Events carry aware UTC instants; a naive one is read as UTC rather than guessed."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(slots=True)
class _Resolved:
    """What rating has established about an event so far (reported even on errors)."""

    tariff_id: str | None = None
    tariff_version: int | None = None
    matched_prefix: str | None = None
    zone: Zone | None = None
    band: str | None = None


def _result(
    event: UsageEvent,
    known: _Resolved,
    *,
    units: int = 0,
    allowance: str | None = None,
    used: int = 0,
    amount: int = 0,
    error: RatingError | None = None,
) -> RatedEvent:
    """The rated event; an errored one has amount 0 and no units."""
    return RatedEvent(
        record_id=event.record_id,
        tariff_id=known.tariff_id,
        tariff_version=known.tariff_version,
        matched_prefix=known.matched_prefix,
        zone=known.zone,
        band=known.band,
        units=units,
        allowance_id=allowance,
        allowance_used=used,
        amount_li=amount,
        error=error,
    )


def _rate_one(
    event: UsageEvent,
    plan: RatingPlan,
    state: AllowanceState,
    tier_usage: dict[tuple[str, str, str, str], int],
) -> RatedEvent:
    at = _utc(event.event_time)

    # 1. Which tariff: the subscriber's assignment at the event's start, then the tariff
    #    version in force at that instant.
    assignment = plan.assignment_for(event.subscriber, event.product_id, at)
    tariff = plan.tariff_for(assignment.tariff_id, at) if assignment is not None else None
    known = _Resolved()
    if assignment is None or tariff is None:
        return _result(event, known, error=RatingError.NO_TARIFF)
    known.tariff_id, known.tariff_version = tariff.id, tariff.version

    # 2. Where the call goes: longest prefix of the called number, then the zone from the
    #    calling area. Events without a called number (data) have no destination or zone.
    zone: Zone | None = None
    if event.called:
        destination = longest_prefix(called_digits(event.called), tariff.destinations)
        if destination is None:
            return _result(event, known, error=RatingError.UNKNOWN_DESTINATION)
        known.matched_prefix = destination.prefix
        zone = zone_for(destination, event.calling_area_code, tariff.province_area_codes)
        if zone is None:
            return _result(event, known, error=RatingError.UNKNOWN_DESTINATION)
    known.zone = zone

    # 3. The band at the first second of the event, and the rule it selects.
    band = tariff.band_at(at)
    known.band = band

    def rule_for(part_band: str | None) -> RateRule | None:
        for rule in tariff.rules:
            if rule.matches(event.service, zone, part_band, event.direction, event.ip_access_code):
                return rule
        return None

    if rule_for(band) is None:
        return _result(event, known, error=RatingError.NO_RULE)

    # 4. An unanswered call or empty session costs nothing and has no units.
    if not _chargeable(event):
        return _result(event, known)

    # 5. The full price, as if no allowance existed; it also tells whether the event is
    #    free (free events never consume allowances).
    full = _price(tariff, rule_for, at, band, event.duration_s, event.volume_bytes, event.service)
    if full is None:
        return _result(event, known, error=RatingError.NO_RULE)
    amount, units = full
    allowance_id: str | None = None
    used = 0

    # 6. Allowances: the first applicable one with units left covers what it can; the
    #    remainder is rated as an event of its own.
    if amount > 0:
        drawn = _draw_allowance(event, assignment, plan, state, tariff.cycle_of(at), zone)
        if drawn is not None:
            allowance_id, used = drawn
            remainder = _quantity(event) - used
            if remainder == 0:
                amount, units = 0, used
            else:
                rest = _price_remainder(tariff, rule_for, event, at, band, used, remainder)
                if rest is None:  # not expected: the remainder's bands are the call's own
                    return _result(event, known, error=RatingError.NO_RULE)
                amount, units = rest[0], used + rest[1]

    # 7. Tiers: the discount reached by the subscriber's units before this event.
    counter = (event.subscriber, tariff.id, tariff.cycle_of(at), event.service)
    before = tier_usage.get(counter, 0)
    reached = [t for t in tariff.tiers if t.service == event.service and t.from_units <= before]
    if reached:
        tier = max(reached, key=lambda t: t.from_units)
        amount = (amount * tier.percent + 50) // 100  # half up; amounts are never negative
    tier_usage[counter] = before + units

    return _result(event, known, units=units, allowance=allowance_id, used=used, amount=amount)


def longest_prefix(digits: str, destinations: Sequence[Destination]) -> Destination | None:
    """The destination with the longest prefix of ``digits`` (None if none matches)."""
    index = _index(destinations)
    for length in range(len(digits), 0, -1):  # longest first
        found = index.get(digits[:length])
        if found is not None:
            return found
    return None


_INDEXES: dict[int, tuple[Sequence[Destination], dict[str, Destination]]] = {}


def _index(destinations: Sequence[Destination]) -> dict[str, Destination]:
    """A prefix → destination dict, cached per table object (tables are shared and frozen)."""
    cached = _INDEXES.get(id(destinations))
    if cached is not None and cached[0] is destinations:
        return cached[1]
    if len(_INDEXES) >= 8:
        _INDEXES.clear()
    index = {d.prefix: d for d in destinations}
    _INDEXES[id(destinations)] = (destinations, index)
    return index


def _chargeable(event: UsageEvent) -> bool:
    return event.service == Service.SMS or event.duration_s > 0 or event.volume_bytes > 0


def _quantity(event: UsageEvent) -> int:
    """The event's quantity in its allowance unit: seconds, messages or bytes."""
    if event.service == Service.VOICE:
        return event.duration_s
    if event.service == Service.SMS:
        return 1
    return event.volume_bytes


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


# --- allowances ---------------------------------------------------------------------------


def _draw_allowance(
    event: UsageEvent,
    assignment: Assignment,
    plan: RatingPlan,
    state: AllowanceState,
    cycle: str,
    zone: Zone | None,
) -> tuple[str, int] | None:
    """Draw from the first applicable allowance with units left: (allowance id, units)."""
    for allowance_id in assignment.allowance_ids:
        allowance = plan.allowance(allowance_id)
        if allowance.service != event.service:
            continue
        if allowance.zones is not None and zone not in allowance.zones:
            continue
        owner = pool_owner(allowance, event.subscriber, event.account_id)
        balance = _open_balance(state, allowance, owner, cycle)
        if balance.remaining == 0:
            continue  # exhausted: try the next allowance
        covered = min(_quantity(event), balance.remaining)
        from_carried = min(covered, balance.carried)  # carried units expire first
        balance.carried -= from_carried
        balance.fresh -= covered - from_carried
        return allowance.id, covered
    return None


def _open_balance(
    state: AllowanceState, allowance: Allowance, owner: str, cycle: str
) -> PoolBalance:
    """The pool's balance in ``cycle``, opened with fresh (and carried) units on first use."""
    key = PoolKey(allowance.id, owner, cycle)
    balance = state.balances.get(key)
    if balance is None:
        carried = 0
        if allowance.carry_over_cycles == 1:
            previous = state.balances.get(PoolKey(allowance.id, owner, previous_cycle(cycle)))
            carried = previous.fresh if previous is not None else 0  # only fresh units carry
        balance = PoolBalance(fresh=allowance.units_per_cycle, carried=carried)
        state.balances[key] = balance
    return balance


def _price_remainder(
    tariff: Tariff,
    rule_for: RuleFor,
    event: UsageEvent,
    at: datetime,
    call_band: str | None,
    covered: int,
    remainder: int,
) -> tuple[int, int] | None:
    """Price what the allowance left: a later, shorter call, or the uncovered bytes.

    The remainder keeps the call's start band under "start" (the whole call is rated by
    its start, so an allowance never moves it into a dearer band) and is split from its own
    start under "split".
    """
    if event.service == Service.VOICE:
        start = at + timedelta(seconds=covered)
        return _price(tariff, rule_for, start, call_band, remainder, 0, event.service)
    # Data: the allowance covered the session's time; only the bytes remain.
    return _price(tariff, rule_for, at, call_band, 0, remainder, event.service)


# --- pricing ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Part:
    """Seconds [begin, end) of a call, counted from its start, all in one band."""

    begin: int
    end: int
    band: str | None


def _parts(tariff: Tariff, start: datetime, call_band: str | None, duration_s: int) -> list[_Part]:
    """The call cut where the band changes ("split"), or one part in the call's band."""
    if tariff.band_crossing == "start" or duration_s == 0:
        return [_Part(0, duration_s, call_band)]
    first_band = tariff.band_at(start)
    end = start + timedelta(seconds=duration_s)
    # Every band edge (band starts and ends, and local midnights where the day type may
    # change) on every local date the call touches; the band is re-read at each edge.
    tz = tariff.tz
    edges: set[int] = set()
    day = start.astimezone(tz).date()
    while day <= end.astimezone(tz).date():
        for time_band in tariff.bands:
            for clock in (time_band.start, time_band.end):
                edge = datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)
                if start < edge < end:
                    edges.add(_seconds_between(start, edge))
        midnight = datetime.combine(day, datetime.min.time(), tzinfo=tz).astimezone(UTC)
        if start < midnight < end:
            edges.add(_seconds_between(start, midnight))
        day += timedelta(days=1)
    parts = [_Part(0, duration_s, first_band)]
    for offset in sorted(edges):
        band = tariff.band_at(start + timedelta(seconds=offset))
        last = parts[-1]
        if band != last.band and last.begin < offset < duration_s:
            parts[-1] = _Part(last.begin, offset, last.band)  # close the running part
            parts.append(_Part(offset, duration_s, band))  # open a new one to the end
    return parts


def _seconds_between(start: datetime, edge: datetime) -> int:
    """Whole seconds from start to edge, a started second counting as one."""
    delta = edge - start
    return delta.days * 86400 + delta.seconds + (1 if delta.microseconds else 0)


def _price(
    tariff: Tariff,
    rule_for: RuleFor,
    start: datetime,
    call_band: str | None,
    duration_s: int,
    volume_bytes: int,
    service: str,
) -> tuple[int, int] | None:
    """(amount in li, rounded units) of one chargeable event; None if a part has no rule."""
    parts = _parts(tariff, start, call_band, duration_s)
    rules = [rule_for(part.band) for part in parts]
    if any(rule is None for rule in rules):
        return None
    charges = [rule.charge for rule in rules if rule is not None]
    first: Charge = charges[0]  # the starting rule

    # Time: the starting rule's first block covers seconds [0, first_block_s) of the call;
    # the other seconds of each part are rounded up to that part's own step.
    time_li = 0
    rounded_s = 0
    if duration_s > 0 and first.first_block_s > 0:
        time_li += first.first_block_li
        rounded_s += first.first_block_s
    for part, charge in zip(parts, charges, strict=True):
        overlap = max(0, min(part.end, first.first_block_s) - part.begin)
        uncovered = (part.end - part.begin) - overlap
        if uncovered > 0 and charge.step_s > 0:
            steps = _ceil_div(uncovered, charge.step_s)  # every started step
            time_li += steps * charge.step_li
            rounded_s += steps * charge.step_s
        else:
            rounded_s += uncovered  # no step: these seconds are free and not rounded

    # Volume: every started unit, under the starting rule.
    volume_li = 0
    rounded_bytes = volume_bytes
    if volume_bytes > 0 and first.volume_unit_bytes > 0:
        volume_units = _ceil_div(volume_bytes, first.volume_unit_bytes)
        volume_li = volume_units * first.volume_unit_li
        rounded_bytes = volume_units * first.volume_unit_bytes

    # Connection and per-event fees once per event, then the starting rule's cap.
    amount = first.connection_li + first.event_li + time_li + volume_li
    if first.cap_li is not None:
        amount = min(amount, first.cap_li)

    if service == Service.VOICE:
        units = rounded_s
    elif service == Service.SMS:
        units = 1
    else:
        units = rounded_bytes
    return amount, units
