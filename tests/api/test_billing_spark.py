"""A bill run on Spark writes the bills and items of the in-process run.

The world of ``billing_support`` (lines in and out of service, a bundle, rated calls) with an
approved manual adjustment is billed twice as a trial: in this process, then — after
discarding the first trial — with the per-account kernel on a local Spark session, one
account per chunk so that the province's broadcast serves several Spark jobs. Every column
of every bill and item, and their documents, must be the same but for the new ids.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from openbss.billing import repository as repo
from openbss.billing.adjustments import approve_adjustment, request_adjustment
from openbss.billing.models import BillItem, CustomerBill
from openbss.billing.runs import discard_run, run_bills
from openbss.db.uow import unit_of_work
from tests.billing_support import APRIL, World, build_world
from tests.support import need

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = [
    pytest.mark.spark,
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas"),
]

# What differs between two runs of the same bills: the rows' own ids and times.
_RUN_OWN = {"id", "run_id", "bill_id", "created_at", "updated_at"}


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    need(importlib.util.find_spec("pyspark") is not None, "pyspark is not installed")
    need(
        shutil.which("java") is not None or "JAVA_HOME" in os.environ,
        "java is not installed (Spark needs a JVM)",
    )
    from openbss.rating.spark import local_session

    session = local_session("openbss-test-billing-spark")
    yield session
    session.stop()


@pytest.fixture
def world(session_factory: sessionmaker[Session], tmp_path: Path) -> World:
    return build_world(session_factory, tmp_path)


def _columns(row: CustomerBill | BillItem) -> dict[str, Any]:
    found = {
        column.key: getattr(row, column.key)
        for column in row.__table__.columns
        if column.key not in _RUN_OWN
    }
    doc = {k: v for k, v in row.doc.items() if k not in ("id", "bill")}
    return {**found, "doc": doc}


def _bills(factory: sessionmaker[Session], run_id: str) -> list[dict[str, Any]]:
    """Every column of a run's bills, each with its items, by bill number."""
    with factory() as session:
        return [
            {
                **_columns(bill),
                "items": [_columns(item) for item in repo.bill_items(session, bill.id)],
            }
            for bill in repo.run_bills(session, run_id)
        ]


def _adjust(factory: sessionmaker[Session], world: World) -> None:
    """A goodwill credit under the approval threshold and a larger one approved."""
    with unit_of_work(factory) as session:
        request_adjustment(session, world.a.account_id, -500, "goodwill", "wang")
        large = request_adjustment(session, world.b.account_id, 20000, "back billing", "wang")
        large_id = large.id
    with unit_of_work(factory) as session:
        approve_adjustment(session, large_id, "li")


def test_spark_bills_are_the_in_process_bills(world: World, spark: SparkSession) -> None:
    from openbss.billing.spark import spark_biller

    factory = world.factory
    _adjust(factory, world)
    local = run_bills(factory, world.data_dir, "GD", APRIL, trial=True)
    expected = _bills(factory, local.id)
    with unit_of_work(factory) as session:
        discard_run(session, local.id)

    on_spark = run_bills(
        factory,
        world.data_dir,
        "GD",
        APRIL,
        trial=True,
        chunk_size=1,
        biller=spark_biller(spark, partitions=2),
    )

    assert (on_spark.bills, on_spark.exceptions, on_spark.amount_fen) == (
        local.bills,
        local.exceptions,
        local.amount_fen,
    )
    assert len(expected) == 2
    assert any(i["source_kind"] == repo.MANUAL_SOURCE for b in expected for i in b["items"])
    assert _bills(factory, on_spark.id) == expected
