"""Property: the usage on a period's bills is the period's current rating run, account by
account — each (product, service) line the run's li for it, converted to fen once, half-up.

One province is built once (two customers, lines in and out of service in April 2026); each
example mediates a new file of random calls from the lines, rates April again (the new run is
current), bills April as a trial, compares, and discards the trial.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from openbss.billing.models import BillItem, CustomerBill
from openbss.billing.runs import discard_run, run_bills
from openbss.db.engine import make_session_factory
from openbss.db.uow import unit_of_work
from openbss.kit.money import RoundingRule, li_to_fen
from openbss.rating.public import rated_usage
from tests.billing_support import APRIL, World, build_world, rate
from tests.conftest import _empty_all_tables
from tests.rating_support import call, mediate, national

CALLED = ("02087654321", "01062345678", "075512345678", "13800138000", "0085212345678")
FILES = itertools.count(100)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, sqlite_engine: Engine) -> World:
    _empty_all_tables(sqlite_engine)
    factory = make_session_factory(sqlite_engine)
    return build_world(factory, tmp_path_factory.mktemp("usage-property"))


calls = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=29),  # day of April
        st.integers(min_value=0, max_value=86_399),  # second of the day
        st.sampled_from(CALLED),
        st.integers(min_value=0, max_value=3_600),  # duration
    ),
    min_size=1,
    max_size=25,
)


def _usage_by_account(factory: sessionmaker[Session], run_id: str) -> dict[str, int]:
    with factory() as session:
        rows = session.execute(
            select(BillItem.billing_account_id, BillItem.amount_fen)
            .join(CustomerBill, CustomerBill.id == BillItem.bill_id)
            .where(CustomerBill.run_id == run_id, BillItem.charge_type == "usage")
        ).all()
    totals: dict[str, int] = defaultdict(int)
    for account_id, amount in rows:
        totals[account_id] += amount
    return dict(totals)


def _rated_by_account(world: World) -> dict[str, int]:
    with world.factory() as session:
        frame = (
            rated_usage(session, world.data_dir, "GD", APRIL)
            .filter(pl.col("error").is_null() & pl.col("billing_account_id").is_not_null())
            .group_by("billing_account_id", "product_id", "service")
            .agg(pl.col("amount_li").sum())
            .collect()
        )
    totals: dict[str, int] = defaultdict(int)
    for account_id, _product, _service, li in frame.iter_rows():
        fen = li_to_fen(int(li), RoundingRule.HALF_UP)
        if fen:
            totals[account_id] += fen
    return dict(totals)


@settings(max_examples=8, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(calls=calls)
def test_usage_on_the_bills_is_the_current_rating_run(
    world: World, calls: list[tuple[int, int, str, int]]
) -> None:
    first = next(FILES) * 100
    april = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)  # 1 April 00:00 in Guangzhou
    rows = [
        call(first + n, national(world.fixed), april + timedelta(days=d, seconds=s), to, dur)
        for n, (d, s, to, dur) in enumerate(calls)
    ]
    mediate(world.factory, world.data_dir, rows, f"GZ-SW01_{first:08d}.csv")
    rate(world.factory, world.data_dir, APRIL)

    run = run_bills(world.factory, world.data_dir, "GD", APRIL, trial=True)
    try:
        assert _usage_by_account(world.factory, run.id) == _rated_by_account(world)
    finally:
        with unit_of_work(world.factory) as session:
            discard_run(session, run.id)


def test_the_fixture_really_rates_usage(world: World) -> None:
    """A control: the property is not vacuous — April's rating has usage on A's account."""
    assert _rated_by_account(world).get(world.a.account_id, 0) > 0
