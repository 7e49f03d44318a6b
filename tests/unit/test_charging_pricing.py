"""Online pricing against batch rating: a session charged round by round costs exactly what
the reference rater gives its usage record, over the rating conformance cases that apply.

Cases that apply: every case whose plan has no allowances, no tiers and no opening pool
balances — 'a call, an SMS, a data session priced by the tariff'. The others exercise
allowance pools and tier counters, which are batch-cycle state (units drawn by all the
month's records in event-time order); online charging does not draw them (a prepaid line's
included units are balance unit buckets), so online and batch legitimately differ there.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openbss.charging.engine.pricing import (
    Call,
    PricingFailed,
    Quantity,
    Used,
    cost,
    e164_digits,
    fixed_area_code,
    online_plan,
    parse_rating_groups,
    rating_groups,
    units_for,
)
from openbss.rating.contract import RatingPlan, Service, UsageEvent
from openbss.rating.reference import rate_reference
from tests.rating.cases import CASES, SPLIT, STANDARD, Case, call

QUANTITY = {Service.VOICE: Quantity.SECONDS, Service.SMS: Quantity.MESSAGES}


def applies(case: Case) -> bool:
    return (
        not case.plan.allowances
        and not any(t.tiers for t in case.plan.tariffs)
        and not case.opening
        and not any(a.allowance_ids for a in case.plan.assignments)
    )


APPLYING = [c for c in CASES if applies(c)]
NOT_APPLYING = [c.name for c in CASES if not applies(c)]


def call_of(event: UsageEvent) -> Call:
    return Call(
        subscriber=event.subscriber,
        account_id=event.account_id,
        product_id=event.product_id,
        service=event.service,
        start=event.event_time,
        called=event.called,
        calling_area_code=event.calling_area_code,
        direction=event.direction,
        ip_access_code=event.ip_access_code,
    )


def quantity_of(event: UsageEvent) -> Quantity:
    if event.service == Service.DATA:
        return Quantity.OCTETS if event.volume_bytes else Quantity.SECONDS
    return QUANTITY[event.service]


def total_used(event: UsageEvent) -> Used:
    if event.service == Service.SMS:
        return Used(messages=1)
    return Used(seconds=event.duration_s, octets=event.volume_bytes)


def charge_online(event: UsageEvent, plan: RatingPlan, rng: random.Random) -> int:
    """Charge the event as a credit-control session: rounds of a random size, each granted
    from a money reservation (units_for), each debiting the price difference."""
    call = call_of(event)
    quantity = quantity_of(event)
    goal = total_used(event)
    used = goal.with_(quantity, 0)  # the other dimension (data time) reported at once
    charged = cost(call, used, plan)  # what that first report debits
    while used.of(quantity) < goal.of(quantity):
        remaining = goal.of(quantity) - used.of(quantity)
        ask = rng.randint(1, max(1, remaining))
        needed = cost(call, used.with_(quantity, used.of(quantity) + ask), plan) - charged
        # Sometimes the balance holds less than needed: the grant shrinks to what it pays.
        money = needed if rng.random() < 0.7 else rng.randint(0, max(0, needed))
        granted = units_for(call, used, quantity, money, ask, plan)
        if granted == 0:
            money, granted = needed, ask  # a top-up arrived: the full grant
        assert cost(call, used.with_(quantity, used.of(quantity) + granted), plan) - charged <= (
            money
        )
        use = rng.randint(1, granted)
        used = used.with_(quantity, used.of(quantity) + use)
        price = cost(call, used, plan)
        assert price >= charged  # prices never fall as usage grows: debits are never negative
        charged = price
    return charged


def test_which_cases_apply() -> None:
    # Stated so that a new conformance case is consciously in or out of this comparison.
    assert len(APPLYING) + len(NOT_APPLYING) == len(CASES)
    # 139 of the 179 cases price single events by the tariff; the 40 others all exercise
    # allowance pools or tier counters (see the module docstring).
    assert (len(APPLYING), len(NOT_APPLYING)) == (139, 40)


@pytest.mark.parametrize("case", APPLYING, ids=lambda c: c.name)
def test_online_charge_equals_batch_rating(case: Case) -> None:
    plan = online_plan(case.plan)
    batch = rate_reference(case.events, case.plan)
    rng = random.Random(case.name)
    for event, rated, expected in zip(case.events, batch, case.expected, strict=True):
        assert rated.amount_li == expected.amount_li  # the oracle agrees with the case
        if rated.error is not None:
            with pytest.raises(PricingFailed) as failed:
                cost(call_of(event), total_used(event), plan)
            assert failed.value.error == rated.error
            continue
        for _ in range(3):
            assert charge_online(event, plan, rng) == expected.amount_li, event.record_id


def test_sms_costs_per_message() -> None:
    plan = online_plan(STANDARD)
    event = next(e for c in APPLYING for e in c.events if e.service == Service.SMS)
    one = rate_reference([event], STANDARD)[0].amount_li
    assert one > 0
    assert cost(call_of(event), Used(messages=3), plan) == 3 * one
    assert cost(call_of(event), Used(messages=0), plan) == 0
    assert units_for(call_of(event), Used(), Quantity.MESSAGES, 2 * one + 1, 5, plan) == 2


AT = datetime(2005, 3, 2, 2, tzinfo=UTC)  # 10:00 Beijing, a Wednesday
CALLED = ["+862087654321", "+8675512345678", "+861065529988", "+14155550100", "+85221234567"]


@settings(max_examples=60, deadline=None)
@given(
    called=st.sampled_from(CALLED),
    minutes=st.integers(0, 60 * 24 * 7),
    seconds=st.integers(1, 4000),
    money=st.integers(0, 20_000),
    split=st.booleans(),
)
def test_units_for_is_the_most_money_buys(
    called: str, minutes: int, seconds: int, money: int, split: bool
) -> None:
    plan = online_plan(SPLIT if split else STANDARD)
    event = call("p", called, AT + timedelta(minutes=minutes), seconds)
    c = call_of(event)
    before = Used(seconds=seconds // 3)
    base = cost(c, before, plan)
    granted = units_for(c, before, Quantity.SECONDS, money, seconds, plan)
    assert 0 <= granted <= seconds
    assert cost(c, Used(seconds=before.seconds + granted), plan) - base <= money
    if granted < seconds:  # one more second would not fit
        assert cost(c, Used(seconds=before.seconds + granted + 1), plan) - base > money
    # The batch price of the whole call is the online price of the whole call.
    whole = rate_reference([event], STANDARD if not split else SPLIT)[0]
    assert cost(c, Used(seconds=seconds), plan) == whole.amount_li


def test_numbers_and_areas() -> None:
    assert e164_digits("13912345678") == "8613912345678"
    assert e164_digits("+8613912345678") == "8613912345678"
    assert e164_digits("02087654321") == "862087654321"
    assert e164_digits("0085221234567") == "85221234567"
    assert fixed_area_code("862087654321") == "020"
    assert fixed_area_code("8675512345678") == "0755"
    assert fixed_area_code("8613912345678") is None


def test_rating_groups_file() -> None:
    groups = rating_groups()
    assert {g: (r.service, r.quantity) for g, r in groups.items()} == {
        100: (Service.VOICE, Quantity.SECONDS),
        200: (Service.SMS, Quantity.MESSAGES),
        300: (Service.DATA, Quantity.OCTETS),
        301: (Service.DATA, Quantity.SECONDS),
    }
    with pytest.raises(ValueError, match="SMS is counted in messages"):
        parse_rating_groups('[[rating_group]]\nid = 1\nservice = "sms"\nquantity = "seconds"\n')
    with pytest.raises(ValueError, match="defined twice"):
        parse_rating_groups(
            '[[rating_group]]\nid = 1\nservice = "sms"\nquantity = "messages"\n'
            '[[rating_group]]\nid = 1\nservice = "sms"\nquantity = "messages"\n'
        )
