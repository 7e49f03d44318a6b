"""Guiding picks the product in service at the event time, also for a reused number."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import polars as pl

from openbss.mediation.guiding import INDEX_SCHEMA, OPEN_END, PRODUCT_COLUMNS, guide


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def hour(n: int) -> datetime:
    return datetime(2026, 3, 1, tzinfo=UTC) + timedelta(hours=n)


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


def test_guiding_agrees_with_a_record_by_record_search() -> None:
    """Numbers with one to four stretches (gaps between them, some accounts missing), calls
    before, inside, between and after them: each record gets the stretch holding its time."""
    rng = random.Random(20260304)
    rows = []
    for n in range(40):
        number = f"+8620830{n:05d}"
        start = rng.randint(0, 20)
        for s in range(rng.randint(1, 4)):
            end = start + rng.randint(1, 30)
            account = None if rng.random() < 0.2 else f"acct-{n}-{s}"
            rows.append((number, f"p-{n}-{s}", f"c-{n}-{s}", account, hour(start), hour(end)))
            start = end + rng.randint(0, 10)
    index = pl.DataFrame(rng.sample(rows, len(rows)), schema=INDEX_SCHEMA, orient="row")
    numbers = [f"+8620830{n:05d}" for n in range(45)] + [None]
    calls = pl.DataFrame(
        {
            "row_no": list(range(3000)),
            "charging_party": [rng.choice(numbers) for _ in range(3000)],
            "event_time": [hour(rng.randint(0, 160)) for _ in range(3000)],
        },
        schema_overrides={"event_time": pl.Datetime("us", "UTC"), "row_no": pl.UInt32},
    )

    def holder(number: str | None, when: datetime) -> tuple[str | None, ...]:
        for row in rows:
            if row[0] == number and row[4] <= when < row[5]:
                return row[1:4]
        return (None, None, None)

    guided = guide(calls.lazy(), index).collect()
    assert guided["row_no"].to_list() == calls["row_no"].to_list()  # the records' order
    expected = [holder(p, t) for p, t in calls.select("charging_party", "event_time").rows()]
    assert guided.select(PRODUCT_COLUMNS).rows() == expected


def test_an_empty_index_guides_nobody() -> None:
    calls = pl.DataFrame(
        {"row_no": [0], "charging_party": ["+862083000001"], "event_time": [at(3)]},
        schema_overrides={"event_time": pl.Datetime("us", "UTC"), "row_no": pl.UInt32},
    )
    guided = guide(calls.lazy(), INDEX.clear()).collect()
    assert guided.select(PRODUCT_COLUMNS).rows() == [(None, None, None)]
    assert guided.schema["product_id"] == pl.String
