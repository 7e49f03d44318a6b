"""Guiding picks the product in service at the event time, also for a reused number."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from openbss.mediation.guiding import INDEX_SCHEMA, OPEN_END, guide


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


INDEX = pl.DataFrame(
    [
        # +862083000001 was A's line until the 10th, then (after quarantine) B's from the 20th.
        ("+862083000001", "A", "cust-a", "acct-a", at(1), at(10)),
        ("+862083000001", "B", "cust-b", "acct-b", at(20), OPEN_END),
        ("+862083000002", "C", "cust-c", "acct-c", at(5), OPEN_END),
        ("ad0123@adsl", "D", "cust-d", None, at(1), OPEN_END),
    ],
    schema=INDEX_SCHEMA,
    orient="row",
)


def test_each_record_gets_the_stretch_holding_its_event_time() -> None:
    calls = pl.DataFrame(
        {
            "row_no": [0, 1, 2, 3, 4, 5, 6],
            "charging_party": [
                "+862083000001",  # A's time
                "+862083000001",  # between A and B: nobody's
                "+862083000001",  # B's time
                "+862083000002",  # before C started
                "+862083000002",  # C
                "ad0123@adsl",
                "+862099999999",
            ],
            "event_time": [at(3), at(15), at(25), at(4), at(6), at(2), at(6)],
        },
        schema_overrides={"event_time": pl.Datetime("us", "UTC"), "row_no": pl.UInt32},
    )
    guided = guide(calls.lazy(), INDEX).collect().sort("row_no")
    assert guided["product_id"].to_list() == ["A", None, "B", None, "C", "D", None]
    assert guided["customer_id"].to_list() == [
        "cust-a",
        None,
        "cust-b",
        None,
        "cust-c",
        "cust-d",
        None,
    ]
    assert guided.columns == [
        "row_no",
        "charging_party",
        "event_time",
        "product_id",
        "customer_id",
        "billing_account_id",
    ]


def test_the_end_of_a_stretch_belongs_to_the_next_one() -> None:
    calls = pl.DataFrame(
        {
            "row_no": [0, 1],
            "charging_party": ["+862083000001"] * 2,
            "event_time": [at(10), at(20)],
        },
        schema_overrides={"event_time": pl.Datetime("us", "UTC"), "row_no": pl.UInt32},
    )
    guided = guide(calls.lazy(), INDEX).collect().sort("row_no")
    assert guided["product_id"].to_list() == [None, "B"]
