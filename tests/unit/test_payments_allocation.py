"""Allocation (销帐) and the journal lines of each posting: hand-worked cases and properties."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openbss.payments import chart
from openbss.payments.allocation import Allocation, OpenItem, allocate, newest_first_release
from openbss.payments.chart import GlAccount

T0 = datetime(2026, 5, 1, tzinfo=UTC)


def item(item_id: str, open_fen: int, due: date, source: str = "") -> OpenItem:
    return OpenItem(item_id, open_fen, due, T0, source or item_id)


def test_oldest_due_first_then_partial() -> None:
    items = [item("apr", 8_000, date(2026, 5, 20)), item("mar", 10_000, date(2026, 4, 20))]
    assert allocate(12_000, items) == [Allocation("mar", 10_000), Allocation("apr", 2_000)]


def test_named_item_only_and_the_rest_stays_credit() -> None:
    items = [item("apr", 8_000, date(2026, 5, 20)), item("mar", 10_000, date(2026, 4, 20), "B-3")]
    assert allocate(12_000, items, named="B-3") == [Allocation("mar", 10_000)]
    assert allocate(5_000, items, named="nothing-like-it") == []


def test_negative_credit_is_a_bug() -> None:
    with pytest.raises(ValueError):
        allocate(-1, [])


def test_release_undoes_newest_first() -> None:
    live = [("m1", 3_000, T0), ("m2", 2_000, T0.replace(day=2))]
    assert newest_first_release(2_500, live) == [Allocation("m2", 2_000), Allocation("m1", 500)]


open_items = st.lists(
    st.builds(
        item,
        st.uuids().map(str),
        st.integers(1, 10**8),
        st.dates(date(2005, 1, 1), date(2030, 12, 31)),
    ),
    max_size=12,
    unique_by=lambda i: i.id,
)


@given(amount=st.integers(0, 10**9), items=open_items)
def test_allocation_never_exceeds_the_credit_nor_an_item(
    amount: int, items: list[OpenItem]
) -> None:
    allocations = allocate(amount, items)
    by_id = {i.id: i for i in items}
    assert sum(a.amount_fen for a in allocations) == min(amount, sum(i.open_fen for i in items))
    assert all(0 < a.amount_fen <= by_id[a.item_id].open_fen for a in allocations)
    assert len({a.item_id for a in allocations}) == len(allocations)
    # Only the last item touched may be left partly open: oldest first, no gaps.
    assert all(a.amount_fen == by_id[a.item_id].open_fen for a in allocations[:-1])


def test_bill_lines_credit_revenue_net_of_tax_and_tax_payable() -> None:
    parts = [
        chart.RevenuePart("usage", "basic", 5_450, 450),
        chart.RevenuePart("recurring", "basic", 2_500, 0),
    ]
    lines = chart.bill_lines(7_950, parts)
    assert {(line.gl_account, line.dimension, line.amount_fen) for line in lines} == {
        (GlAccount.RECEIVABLE, "", 7_950),
        (GlAccount.REVENUE, "usage/basic", -5_000),
        (GlAccount.TAX_PAYABLE, "basic", -450),
        (GlAccount.REVENUE, "recurring/basic", -2_500),
    }


def test_a_bill_whose_parts_do_not_add_up_is_refused() -> None:
    with pytest.raises(chart.UnbalancedEntry):
        chart.bill_lines(100, [chart.RevenuePart("usage", "basic", 99, 0)])


@given(fen=st.integers(1, 10**10), method=st.sampled_from(list(chart.PaymentMethod)))
def test_every_posting_balances(fen: int, method: str) -> None:
    postings = [
        chart.payment_lines(fen, method),
        chart.deposit_lines(fen, method),
        chart.payout_lines(fen, method, GlAccount.RECEIVABLE),
        chart.payout_lines(fen, method, GlAccount.DEPOSITS_HELD),
        chart.late_fee_lines(fen),
        chart.waiver_lines(fen),
        chart.write_off_lines(fen),
        chart.adjustment_lines(fen),
        chart.adjustment_lines(-fen),
        chart.transfer_lines(fen, GlAccount.RECEIVABLE, GlAccount.DEPOSITS_HELD),
    ]
    for lines in postings:
        assert sum(line.amount_fen for line in lines) == 0
        assert lines
    # A payment lowers what the customer owes by exactly its amount.
    receivable = [
        line.amount_fen
        for line in chart.payment_lines(fen, method)
        if line.gl_account == GlAccount.RECEIVABLE
    ]
    assert receivable == [-fen]
    assert chart.transfer_lines(fen, GlAccount.RECEIVABLE, GlAccount.RECEIVABLE) == []
